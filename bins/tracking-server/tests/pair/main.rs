//! The HTTP contract tests of `tests/api/` against a pair of servers on one PostgreSQL database
//! (cargo feature `postgres`, `TRACKING_TEST_DATABASE_URL`), each test on a schema of its own,
//! the client sending each request to the other server than the one before: every answer and
//! every read holds whichever server gives it, right after a write on the other one.
//!
//! Not included: the tests that start servers of their own (`on_postgres`, `across_servers`)
//! and the data dir's file modes (`private_files`: on PostgreSQL the data dir holds no data).
//! Where a pair differs by design, the test says so under `SERVERS > 1`: the streams a user may
//! hold open are counted per server (`--max-streams-per-user` protects each process); the audit
//! files are written, and a deleted user's removed, by the one server elected to write them, a
//! moment after the answer when the request went to the other.

/// How many servers `spawn_app` starts: two, on one database.
pub const SERVERS: usize = 2;

#[path = "../api/api_samples.rs"]
mod api_samples;
#[path = "../api/auth_matrix.rs"]
mod auth_matrix;
#[path = "../api/bad_input.rs"]
mod bad_input;
#[path = "../api/child_access.rs"]
mod child_access;
#[path = "../api/deleting.rs"]
mod deleting;
#[path = "../api/exports.rs"]
mod exports;
// Some helpers serve only the modules left out above.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../api/hostile.rs"]
mod hostile;
#[path = "../api/idempotency.rs"]
mod idempotency;
#[path = "../api/limits.rs"]
mod limits;
#[path = "../api/live_events.rs"]
mod live_events;
#[path = "../api/mutations.rs"]
mod mutations;
#[path = "../api/openapi.rs"]
mod openapi;
#[path = "../api/ordering.rs"]
mod ordering;
#[path = "../api/outside_attack.rs"]
mod outside_attack;
#[path = "../api/reading.rs"]
mod reading;
#[path = "../api/restart.rs"]
mod restart;
#[path = "../api/resume.rs"]
mod resume;
#[path = "../api/schema.rs"]
mod schema;
#[path = "../api/summaries.rs"]
mod summaries;

#[path = "../support/mod.rs"]
mod support;
