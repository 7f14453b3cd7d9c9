//! Commit notices between servers: once a tracked action has committed, a statement of its own
//! sends `NOTIFY` naming its family (on the channel `channel!` in `mod.rs` names), which
//! PostgreSQL delivers to every listener; one listener connection per server hears them and wakes
//! that family's readers, which then read the family's events after their own cursors. A user's
//! deletion sends one too (inside its transaction), so that every server ends the deleted user's
//! streams.
//!
//! The action's notice is not part of the action's transaction, and commits without waiting for
//! the disk: PostgreSQL holds one lock for every database's notices from a notifying
//! transaction's commit until its end, so notices sent inside the actions' durable commits would
//! make those commits wait for the disk one after another, never together. A server that dies
//! between an action's commit and its notice loses the notice, which only delays readers (below).
//!
//! A notice carries no event and is never trusted for one: a lost notice only delays a reader
//! until the next, and whenever the listener's connection is (re)established it reports
//! [`CommitNotice::Missed`], after which every reader reads again. The channel is named after the
//! store's schema, so stores sharing one database hear only their own commits.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::PgListener;
use tracking_model::UserId;

use super::PostgresStore;
use super::engine::Spawned;
use crate::FamilyError;

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
    _task: Spawned,
}

/// Sends the notice that `user` was deleted, inside the transaction that deletes it.
pub(super) async fn notify_deleted(
    connection: &mut PgConnection,
    user: UserId,
) -> Result<(), FamilyError> {
    sqlx::query(concat!("SELECT pg_notify(", channel!(), ", $1)"))
        .bind(format!("{DELETED}{user}"))
        .execute(connection)
        .await?;
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

/// Sends the commit notice of `family`'s event on `connection`, after its commit. A notice that
/// cannot be sent is only logged: the action committed, and a lost notice only delays readers.
pub(super) async fn notify_committed(connection: &mut PgConnection, family: UserId) {
    let sent = sqlx::query(concat!(
        "SELECT pg_notify(",
        channel!(),
        ", $1), ",
        lazy_commit!()
    ))
    .bind(family.to_string())
    .execute(connection)
    .await;
    if let Err(error) = sent {
        log::warn!("commit notice of family {family} not sent: {error}");
    }
}

impl PostgresStore {
    /// [`notify_committed`] on a connection of the pool.
    pub(super) async fn notify_committed(&self, family: UserId) {
        match self.pool.acquire().await {
            Ok(mut connection) => notify_committed(&mut connection, family).await,
            Err(error) => log::warn!("commit notice of family {family} not sent: {error}"),
        }
    }

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
        CommitListener { _task: task }
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
