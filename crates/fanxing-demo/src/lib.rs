//! Fanxing's demo and synthetic data, kept out of the domain crate: the
//! Jiangsu demo data set and the 繁星计划 programme (`jiangsu`), the
//! synthetic live-commerce generator (`live`), resource-matching examples
//! (`matching`), the knowledge library's example corpus (`knowledge`), the Monte Carlo harness that checks the impact estimator
//! (`calibration`), and the bulk-loading store contract they write through
//! (`SeedStore`, implemented in `fanxing-store`). Used by `fanxing serve
//! --demo`, the CLI's `demo` commands, the tests and the benchmarks.

pub mod calibration;
pub mod jiangsu;
pub mod knowledge;
pub mod live;
pub mod matching;
mod seed;

pub use jiangsu::*;
pub use seed::SeedStore;
