//! People: regions' organisations, people and their accounts. The types
//! (`model`), the service over people and organisations (`service`), log-in
//! and account control (`accounts`), and their store contracts (`store`).

pub mod accounts;
pub mod home_region;
pub mod model;
pub mod service;
pub mod store;

pub use model::*;
