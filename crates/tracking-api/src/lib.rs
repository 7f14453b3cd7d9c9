//! The recording service of task and reward tracking and the actix-web handlers of its HTTP contract.
//!
//! [`Tracker`] is the one path every tracked mutation takes: it commits the points change with
//! its event through the store, moves the event into the history, mirrors it to the audit log and
//! pushes it to the parent's live streams. It knows no HTTP, so another Rust service can embed it
//! with its own store. [`configure`] mounts the HTTP contract into any actix-web app.

mod audit;
mod auth;
mod body;
mod error;
mod handlers;
mod live;
mod routes;
mod state;
mod tickets;
mod tracker;

pub use audit::{AuditSink, NoAudit};
pub use auth::{AdminCredential, hash_token, new_token};
pub use error::ApiError;
pub use live::{DEFAULT_STREAMS_PER_USER, LiveHub};
pub use routes::{configure, json_not_found};
pub use state::ApiState;
pub use tickets::Tickets;
pub use tracker::{CatchUp, Tracker, TrackerError};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
