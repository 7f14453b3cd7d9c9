//! End-to-end tests of the HTTP contract against a real server on a free port.

mod api_samples;
mod auth_matrix;
mod bad_input;
mod deleting;
mod helpers;
mod hostile;
mod idempotency;
mod limits;
mod live_events;
mod mutations;
mod ordering;
mod outside_attack;
mod private_files;
mod reading;
mod restart;
mod resume;

#[path = "../support/mod.rs"]
mod support;
