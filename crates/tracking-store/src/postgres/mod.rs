//! Both repositories in PostgreSQL (cargo feature `postgres`), for any number of servers sharing
//! one database: every write is one transaction, so the database, not a process, keeps the rules
//! that hold across servers (one tracked action per child at a time through the child's row
//! lock, each family's numbers through its sequence row).
//!
//! `connect` opens a pool and applies the embedded migrations (`migrations/`). The parts of the
//! repositories live beside this file: `users.rs`, `records.rs` (children, tasks, rewards and
//! pending requests), `mutation.rs` (the tracked action's transaction), `outbox.rs`,
//! `history.rs`, `query.rs` and `summary.rs`; `notify.rs` tells the other servers of each commit;
//! `rows.rs` converts between rows and model types, `errors.rs` between sqlx's errors and the
//! repositories'.

mod errors;
mod history;
mod keys;
mod mutation;
mod notify;
mod outbox;
mod query;
mod records;
mod repository;
mod rows;
mod summary;
mod tokens;
mod users;

use std::time::Duration;

pub use notify::{CommitListener, CommitNotice};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool};

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
}

/// The family data and the history in one PostgreSQL database (schema: `docs/storage.md`).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects, creates the schema if asked for one, and applies every migration not yet
    /// applied (migrations take an advisory lock: servers starting together migrate once).
    pub async fn connect(options: &PostgresOptions) -> Result<Self, ConnectError> {
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
        Ok(Self { pool })
    }

    /// The connection pool, for readers this crate does not provide (a notification listener,
    /// an import).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Waits for the connections in use and closes the pool; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
