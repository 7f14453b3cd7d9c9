//! The tracking server: configuration, composition of the crates, start and graceful stop.

pub mod admin;
pub mod answers;
pub mod cluster;
pub mod demo;
#[cfg(feature = "postgres")]
pub mod import;
pub mod logging;
pub mod metrics;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod storage;

pub use settings::Settings;
pub use startup::Application;
