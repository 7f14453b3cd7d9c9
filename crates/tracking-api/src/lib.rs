//! The recording service of task and reward tracking and, with the default `http` feature, the
//! actix-web handlers of its HTTP contract.
//!
//! [`Tracker`] is the one path every tracked mutation takes: it commits the points change with
//! its event through the store, moves the event into the history, mirrors it to the audit log and
//! pushes it to the parent's live streams. It knows no HTTP: with `default-features = false` this
//! crate is that pipeline alone and pulls in no actix crate, so another Rust service can embed it
//! with its own store. With `http`, [`configure`] mounts the HTTP contract into any actix-web app
//! and [`Parent`], [`Caller`] (a parent or a child on its own device) and [`Admin`] authenticate
//! the embedder's own routes.

mod audit;
mod confirm;
mod cursor;
mod follow;
#[cfg(feature = "http")]
mod http;
mod live;
pub mod metrics;
mod token;
mod tracker;
mod worker;

pub use audit::{AuditPosition, AuditSink, NoAudit, PurgeError};
pub use follow::{LiveItem, MAX_REPLAY, StreamOptions};
#[cfg(feature = "http")]
pub use http::{
    Admin, AdminCredential, ApiError, ApiState, Caller, Credential, IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED, InFlight, MAX_BODY_BYTES, MAX_KEY_LENGTH, Parent, Tickets, authenticate,
    configure, documented_resource, json_not_found, openapi_document, openapi_json,
};
pub use live::{DEFAULT_STREAMS_PER_USER, LiveHub, Signal};
pub use token::{hash_token, new_token};
pub use tracker::{AuditRole, CatchUp, Tracker, TrackerError};
