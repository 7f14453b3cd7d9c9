//! End-to-end tests of the HTTP contract against a real server on a free port (the `pair` test
//! binary runs most of them again against two servers on one PostgreSQL database).

/// How many servers `spawn_app` starts: one, on its own data dir.
pub const SERVERS: usize = 1;

#[cfg(feature = "postgres")]
mod across_servers;
mod api_samples;
mod auth_matrix;
mod bad_input;
mod child_access;
mod deleting;
mod exports;
mod helpers;
mod hostile;
mod idempotency;
mod limits;
mod live_events;
mod mutations;
#[cfg(feature = "postgres")]
mod on_postgres;
mod openapi;
mod ordering;
mod outside_attack;
mod private_files;
mod reading;
mod restart;
mod resume;
mod schema;
mod summaries;

#[path = "../support/mod.rs"]
mod support;
