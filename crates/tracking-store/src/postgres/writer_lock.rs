//! The audit writer's lock: of all the servers on one store, the one holding a session advisory
//! lock (`pg_try_advisory_lock`) on a connection of its own writes the audit files; the others
//! try again now and then. PostgreSQL releases the lock when the connection ends, so a server
//! that dies (or loses its connection, or sees the database restart) hands the role on.
//!
//! The holder learns that it lost the lock only by its connection failing, which it checks every
//! [`CHECK_EVERY`]; a new holder therefore starts writing only [`SETTLE`] after taking the lock, by
//! which time a previous holder whose connection died has normally noticed and stopped. That is
//! timing only: what keeps a holder that stalled past it from writing beside its successor is the
//! writer's claim on the files themselves, which the audit follower takes before it writes
//! (`AuditSink::claim` in tracking-api).

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::PostgresStore;
use super::engine::Spawned;

/// How often the holder checks that its connection (and so its lock) is alive.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// How long a new holder waits after taking the lock before it writes.
const SETTLE: Duration = Duration::from_secs(2);

/// How often a server that does not hold the lock tries again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// The lock's two keys: the role's, and the store's schema (stores in different schemas of one
/// database have writers of their own).
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock(1953653099, hashtext(current_schema()))";

/// The task competing for the lock; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    _task: Spawned,
}

impl PostgresStore {
    /// Competes for the audit writer's role on a connection opened for it (not one of the
    /// pool's): `on_change(true)` once this process holds the lock and may write, and
    /// `on_change(false)` as soon as it knows it lost it. The task runs on the store's runtime
    /// (`engine.rs`), `on_change` there too.
    pub fn compete_for_audit_writer<F>(&self, on_change: F) -> WriterLock
    where
        F: Fn(bool) + Send + Sync + 'static,
    {
        let options = self.pool.connect_options();
        let pool = self.pool.clone();
        let on_change = Arc::new(on_change);
        let task = self.engine.spawn(async move {
            while !pool.is_closed() {
                let mut connection = match PgConnection::connect_with(&options).await {
                    Ok(connection) => connection,
                    Err(error) => {
                        log::warn!("audit writer lock: cannot connect, trying again: {error}");
                        tokio::time::sleep(RETRY_EVERY).await;
                        continue;
                    }
                };
                match hold(&mut connection, on_change.as_ref(), &pool).await {
                    Ok(()) => {}
                    Err(error) => log::warn!("audit writer lock: connection lost: {error}"),
                }
                tokio::time::sleep(RETRY_EVERY).await;
            }
        });
        WriterLock { _task: task }
    }
}

/// Tries for the lock until it is taken, then holds it for as long as the connection lives.
async fn hold(
    connection: &mut PgConnection,
    on_change: &(dyn Fn(bool) + Send + Sync),
    pool: &sqlx::PgPool,
) -> Result<(), sqlx::Error> {
    loop {
        if pool.is_closed() {
            return Ok(());
        }
        let taken: bool = sqlx::query_scalar(TRY_LOCK)
            .fetch_one(&mut *connection)
            .await?;
        if taken {
            break;
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
    // A previous holder whose connection died has, by now, noticed and stopped writing.
    let settled = tokio::time::Instant::now() + SETTLE;
    while tokio::time::Instant::now() < settled {
        tokio::time::sleep(CHECK_EVERY).await;
        connection.ping().await?;
    }
    log::info!("this server writes the audit files");
    on_change(true);
    let lost = loop {
        tokio::time::sleep(CHECK_EVERY).await;
        if pool.is_closed() {
            break Ok(());
        }
        if let Err(error) = connection.ping().await {
            break Err(error);
        }
    };
    on_change(false);
    log::info!("this server no longer writes the audit files");
    lost
}
