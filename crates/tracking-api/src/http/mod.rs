//! The HTTP contract on actix-web (the `http` feature): routes, handlers, the auth extractors,
//! body parsing and the one JSON error shape.

pub(crate) mod auth;
pub(crate) mod body;
mod error;
mod handlers;
pub(crate) mod idempotency;
mod incoming;
mod openapi;
mod routes;
mod state;
mod tickets;

pub use auth::{Admin, AdminCredential, Caller, Credential, Parent, authenticate};
pub use error::ApiError;
pub use idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, InFlight, MAX_KEY_LENGTH};
pub use openapi::{document as openapi_document, document_json as openapi_json};
pub use routes::{configure, json_not_found, resource as documented_resource};
pub use state::ApiState;
pub use tickets::Tickets;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
