//! Commit notices between servers: a tracked action's transaction sends `NOTIFY` naming its
//! family, delivered by PostgreSQL to every listener when (and only if) it commits; one listener
//! connection per server hears them and wakes that family's readers, which then read the
//! family's events after their own cursors. A user's deletion sends one too, so that every
//! server ends the deleted user's streams.
//!
//! A notice carries no event and is never trusted for one: a lost notice only delays a reader
//! until the next, and whenever the listener's connection is (re)established it reports
//! [`CommitNotice::Missed`], after which every reader reads again. The channel is named after the
//! store's schema, so stores sharing one database hear only their own commits.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::PgListener;
use tokio::task::JoinHandle;
use tracking_model::UserId;

use super::{PostgresStore, errors};
use crate::FamilyError;

/// The channel's name in SQL: a prefix and the schema the connection works in.
macro_rules! channel {
    () => {
        "'tracking_committed_' || current_schema()"
    };
}

/// How long the listener waits before connecting again after a failure.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What a server's commit listener reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitNotice {
    /// A transaction of this family committed an event (on any server).
    Family(UserId),
    /// This user was deleted (on any server): its credentials open nothing any more.
    Deleted(UserId),
    /// The listener (re)connected: notices sent while it was not listening are lost, so every
    /// family may have new events.
    Missed,
}

/// The task listening for commit notices; it stops when this is dropped or the store closes.
#[derive(Debug)]
pub struct CommitListener {
    task: JoinHandle<()>,
}

impl Drop for CommitListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends the commit notice of `family`'s event, inside the transaction that commits it.
pub(super) async fn notify_committed(
    connection: &mut PgConnection,
    family: UserId,
) -> Result<(), FamilyError> {
    sqlx::query(concat!("SELECT pg_notify(", channel!(), ", $1)"))
        .bind(family.to_string())
        .execute(connection)
        .await
        .map_err(errors::family)?;
    Ok(())
}

/// Sends the notice that `user` was deleted, inside the transaction that deletes it.
pub(super) async fn notify_deleted(
    connection: &mut PgConnection,
    user: UserId,
) -> Result<(), FamilyError> {
    sqlx::query(concat!("SELECT pg_notify(", channel!(), ", $1)"))
        .bind(format!("{DELETED}{user}"))
        .execute(connection)
        .await
        .map_err(errors::family)?;
    Ok(())
}

/// What starts the payload of a deletion's notice, before the user's id.
const DELETED: &str = "deleted:";

/// A notice's payload: a family's id, or a deleted user's after [`DELETED`]; anything else may
/// have been any family's.
fn notice(payload: &str) -> CommitNotice {
    let read = match payload.strip_prefix(DELETED) {
        Some(user) => user.parse().map(CommitNotice::Deleted),
        None => payload.parse().map(CommitNotice::Family),
    };
    read.unwrap_or(CommitNotice::Missed)
}

impl PostgresStore {
    /// Starts listening for commit notices on a connection of its own (taken from the pool),
    /// calling `on_notice` for each: first [`CommitNotice::Missed`] once listening, then one
    /// [`CommitNotice::Family`] per committed event, and `Missed` again after every reconnection.
    /// The listener runs on the store's runtime (`engine.rs`), `on_notice` there too.
    pub fn listen_for_commits<F>(&self, on_notice: F) -> CommitListener
    where
        F: Fn(CommitNotice) + Send + Sync + 'static,
    {
        let pool = self.pool.clone();
        let on_notice = Arc::new(on_notice);
        let task = self.engine.spawn(async move {
            while !pool.is_closed() {
                match listen(&pool, on_notice.as_ref()).await {
                    Ok(()) => return,
                    Err(error) => {
                        if pool.is_closed() {
                            return;
                        }
                        log::warn!("commit notices: listening again after: {error}");
                        tokio::time::sleep(RETRY_AFTER).await;
                    }
                }
            }
        });
        CommitListener { task }
    }
}

/// Listens until the pool closes (`Ok`) or the connection fails in a way it cannot recover from
/// by itself (`Err`: the caller connects again).
async fn listen(
    pool: &sqlx::PgPool,
    on_notice: &(dyn Fn(CommitNotice) + Send + Sync),
) -> Result<(), sqlx::Error> {
    let channel: String = sqlx::query_scalar(concat!("SELECT ", channel!()))
        .fetch_one(pool)
        .await?;
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(&channel).await?;
    on_notice(CommitNotice::Missed);
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => on_notice(notice(notification.payload())),
            // The connection was lost and is back, listening again: notices may have been lost.
            Ok(None) => on_notice(CommitNotice::Missed),
            Err(sqlx::Error::PoolClosed) => return Ok(()),
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_family_or_a_deleted_user() {
        let user = UserId::generate();
        assert_eq!(notice(&user.to_string()), CommitNotice::Family(user));
        assert_eq!(
            notice(&format!("deleted:{user}")),
            CommitNotice::Deleted(user)
        );
        assert_eq!(notice("deleted:nobody"), CommitNotice::Missed);
        assert_eq!(notice(""), CommitNotice::Missed);
    }
}
