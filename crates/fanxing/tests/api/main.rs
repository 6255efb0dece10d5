//! Integration tests: the real server on a random port against a real
//! database (SQLite, or PostgreSQL when `FANXING_TEST_PG` is set). One test
//! binary, so one link step.

mod accounts;
mod analytics;
mod common;
mod compliance;
mod durability;
mod foundation;
mod hardening;
mod imports;
mod knowledge;
mod matching;
mod matrix;
mod pages;
mod paths;
mod roster;
mod training;
