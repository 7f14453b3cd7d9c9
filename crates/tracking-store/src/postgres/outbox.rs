//! The outbox and the family sequences: events committed by a tracked action wait in `outbox`
//! until the history confirms them, and `family_sequences` keeps each family's last number.
//!
//! The outbox is kept (rather than writing the event straight into the history) because the
//! repositories' contract, and the conformance suite every store passes, tell the two apart: an
//! event is in the history once appended there. The cost is small: delivering and confirming
//! are commits that need not wait for the disk (`synchronous_commit = off`, see `history.rs`),
//! so a tracked action costs one durable commit, as with the file store, and the confirmations
//! of a batch of events are one statement.

use tracking_model::{EventId, SequencedEvent, UserId};

use super::{PostgresStore, rows};
use crate::FamilyError;

impl PostgresStore {
    /// Every waiting event, in commit order.
    pub(super) async fn waiting(&self) -> Result<Vec<SequencedEvent>, FamilyError> {
        let found: Vec<(i64, String)> =
            sqlx::query_as("SELECT family_sequence, event::text FROM outbox ORDER BY position")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows::sequenced_all(found)?)
    }

    pub(super) async fn last_number(&self, family: UserId) -> Result<u64, FamilyError> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT last_number FROM family_sequences WHERE family_id = $1")
                .bind(family.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.map_or(0, |(number,)| rows::count(number)))
    }

    pub(super) async fn waiting_count(&self) -> Result<u64, FamilyError> {
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(rows::count(count))
    }

    /// Takes these events out of the outbox, each only if the history holds it. Losing this
    /// commit in a crash only makes the events be delivered again, which the history ignores: it
    /// need not wait for the disk.
    ///
    /// The check is what keeps an event whose append was lost: an append answers before it is on
    /// disk, so a database that crashes (and comes back) between an append and its confirmation
    /// has lost the append, and the confirmation, arriving after the restart, must not take the
    /// event's last copy.
    pub(super) async fn delivered(&self, ids: &[EventId]) -> Result<(), FamilyError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        sqlx::query(concat!(
            "WITH lazy AS (SELECT ",
            lazy_commit!(),
            ") DELETE FROM outbox o USING lazy WHERE o.event_id = ANY($1) \
             AND EXISTS (SELECT FROM tracking_events t WHERE t.id = o.event_id)"
        ))
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
