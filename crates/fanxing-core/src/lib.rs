//! Fanxing's domain: the types, rules and use cases of a live-commerce talent
//! programme, independent of how they are stored or served.
//!
//! This crate knows neither HTTP nor SQL. Storage is the [`store::Store`]
//! trait (implemented in `fanxing-store`); the web layer (`fanxing-web`) and
//! the CLI call [`service::Fanxing`].

#[macro_use]
mod macros;

pub mod accounts;
pub mod analytics;
pub mod analytics_demo;
pub mod analytics_service;
pub mod auth;
pub mod cache;
pub mod calendar;
pub mod curriculum;
pub mod curriculum_service;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod impact;
pub mod impact_calibration;
pub mod matching;
pub mod model;
pub mod numfmt;
pub mod region;
pub mod reports;
pub mod roster;
pub mod security;
pub mod service;
pub mod sheet;
pub mod store;
pub mod training;
pub mod training_service;
pub mod values;

pub use error::{Error, FieldError, FieldErrors, Result};
pub use i18n::Lang;
