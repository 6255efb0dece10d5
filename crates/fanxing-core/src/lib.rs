//! Fanxing's domain: the types, rules and use cases of a live-commerce talent
//! programme, independent of how they are stored or served.
//!
//! This crate knows neither HTTP nor SQL. Each feature is a folder holding
//! its types, its service and its store contract (implemented in
//! `fanxing-store`): `people`, `training`, `curriculum`, `analytics`,
//! `reports`, `matching`, `compliance`, `knowledge`. The web layer (`fanxing-web`) and the CLI call the
//! feature services, put together in [`app::Fanxing`]. Shared plumbing
//! (errors, access, values, i18n, the upload reader) sits at the root.

#[macro_use]
mod macros;

pub mod analytics;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod compliance;
pub mod curriculum;
pub mod error;
#[cfg(test)]
pub(crate) mod fake;
pub mod i18n;
pub mod knowledge;
pub mod matching;
pub mod numfmt;
pub mod paths;
pub mod people;
pub mod region;
pub mod reports;
pub mod security;
pub mod sheet;
pub mod store;
pub mod text;
pub mod training;
pub mod values;
pub mod workdays;

pub use error::{Error, FieldError, FieldErrors, Result};
pub use i18n::Lang;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
