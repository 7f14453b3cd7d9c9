//! Both repositories in PostgreSQL (cargo feature `postgres`), for any number of servers sharing
//! one database: every write is one transaction, so the database, not a process, keeps the rules
//! that hold across servers (one tracked action per child at a time through the child's row
//! lock, each family's numbers through its sequence row).
//!
//! `connect` opens a pool and applies the embedded migrations (`migrations/`). The parts of the
//! repositories live beside this file: `users.rs`, `records.rs` (children, tasks and rewards, each
//! table described once by its `Record`, and pending requests), `mutation.rs` (the tracked action:
//! one read, one write), `outbox.rs`, `history.rs`, `query.rs`, `summary.rs`, `import.rs` (moving
//! a file store in, through the same inserts as the store's own) and `credentials.rs` (children's
//! tokens and idempotency keys, for an import), `tickets.rs` (the event tickets every server
//! redeems); `notify.rs` tells the other servers of each commit, `writer_lock.rs` elects the one
//! that writes the audit files; `engine.rs` is the runtime every query and listener runs on;
//! `rows.rs` converts ids, times, numbers and events between columns and model types, `errors.rs`
//! sqlx's errors into the repositories' (so that `?` does).

/// The channel of the commit notices, in SQL: a prefix and the schema the connection works in
/// (`notify.rs`).
macro_rules! channel {
    () => {
        "'tracking_committed_' || current_schema()"
    };
}

/// In SQL: makes the statement's own transaction commit without waiting for the disk, as
/// `SET LOCAL synchronous_commit = off` would in a transaction block, without its round trips.
macro_rules! lazy_commit {
    () => {
        "set_config('synchronous_commit', 'off', true)"
    };
}

mod credentials;
mod engine;
mod errors;
mod history;
mod import;
mod keys;
mod mutation;
mod notify;
mod outbox;
mod query;
mod records;
mod repository;
mod rows;
mod summary;
mod tickets;
mod tokens;
mod users;
mod writer_lock;

use std::sync::Arc;
use std::time::Duration;

pub use notify::{CommitListener, CommitNotice};
pub use writer_lock::WriterLock;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool};

use self::engine::Engine;
pub use self::import::ImportError;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// A `postgres://` URL.
    pub url: String,
    /// Puts the store's tables in this schema (created if missing) instead of the connection's
    /// default (`public`); several stores can then share one database, as the tests do.
    pub schema: Option<String>,
    /// The most connections the pool opens.
    pub max_connections: u32,
}

impl PostgresOptions {
    /// The database at `url`, its default schema, up to 16 connections.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            max_connections: 16,
        }
    }
}

/// Why the store could not be opened; the cause is the error's source.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the database url is not valid")]
    Url(#[source] sqlx::Error),
    #[error("the schema name {0:?} is not a plain identifier (letters, digits, underscores)")]
    Schema(String),
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database schema")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("cannot run the store's runtime")]
    Runtime(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The family data and the history in one PostgreSQL database (schema: `docs/storage.md`).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Where every query runs (`engine.rs`).
    engine: Arc<Engine>,
}

impl PostgresStore {
    /// Connects, creates the schema if asked for one, and applies every migration not yet
    /// applied (migrations take an advisory lock: servers starting together migrate once).
    pub async fn connect(options: &PostgresOptions) -> Result<Self, ConnectError> {
        let engine = Engine::start().map_err(|error| ConnectError::Runtime(Box::new(error)))?;
        let options = options.clone();
        let pool = engine
            .run(async move { open(&options).await }, ConnectError::Runtime)
            .await?;
        Ok(Self {
            pool,
            engine: Arc::new(engine),
        })
    }

    /// The connection pool, for readers this crate does not provide (a notification listener,
    /// an import). Its connections belong to the store's runtime: long-lived work on them
    /// belongs there too (see `engine.rs`).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Waits for the connections in use and closes the pool; later calls fail.
    pub async fn close(&self) {
        let pool = self.pool.clone();
        let closed = async move {
            pool.close().await;
            Ok::<(), ()>(())
        };
        let _ = self.engine.run(closed, |_| ()).await;
    }
}

/// Opens the pool (creating the schema first if one is named) and migrates; runs on the engine.
async fn open(options: &PostgresOptions) -> Result<PgPool, ConnectError> {
    let mut connect: PgConnectOptions = options.url.parse().map_err(ConnectError::Url)?;
    if let Some(schema) = &options.schema {
        if schema.is_empty()
            || !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ConnectError::Schema(schema.clone()));
        }
        let setup = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect.clone())
            .await
            .map_err(ConnectError::Connect)?;
        // The name was checked above: letters, digits and underscores only.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&setup)
        .await
        .map_err(ConnectError::Connect)?;
        setup.close().await;
        connect = connect.options([("search_path", schema.as_str())]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect)
        .await
        .map_err(ConnectError::Connect)?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(ConnectError::Migrate)?;
    Ok(pool)
}
