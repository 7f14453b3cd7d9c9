//! The history table: appends (idempotent by event id), reads by id and by family number, and the
//! anonymization, the one change a stored event ever sees (a trigger refuses any other).
//!
//! An append is one statement that commits without waiting for the disk (it sets
//! `synchronous_commit = off` for its own transaction). That loses nothing: every event reaches
//! the history from the outbox, where it was committed durably, and it leaves the outbox only
//! through a later commit that finds it in the history (`outbox.rs`). Within one run of the
//! database the write-ahead log never keeps that commit without every commit before it; across a
//! crash and restart the check refuses the confirmation of an append the crash took. So after a
//! crash an event whose append was lost is still in the outbox and is delivered again; and an
//! append is visible, not yet durable, when it returns ([`crate::Appended::Visible`]), the
//! confirmation's commit making it durable.

use sqlx::QueryBuilder;
use tracking_model::{EventId, SequencedEvent, TrackingEvent, UserId};

use super::{PostgresStore, rows};
use crate::HistoryError;

impl PostgresStore {
    pub(super) async fn append_event(&self, stored: &SequencedEvent) -> Result<(), HistoryError> {
        let event = &stored.event;
        sqlx::query(concat!(
            "WITH lazy AS (SELECT ",
            lazy_commit!(),
            ") INSERT INTO tracking_events (id, family_id, family_sequence, child_id, \
             entity_type, action, delta, occurred_at_ms, created_at_ms, event) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb FROM lazy \
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(event.id().to_string())
        .bind(event.user_id().map(|user| user.to_string()))
        .bind(rows::big(stored.sequence))
        .bind(event.child_id().to_string())
        .bind(rows::label(event.entity_type()))
        .bind(rows::label(event.action()))
        .bind(event.delta())
        .bind(event.occurred_at().unix_millis())
        .bind(event.created_at().unix_millis())
        .bind(rows::event_json(event))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn stored_event(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        let mut select = QueryBuilder::new("SELECT event::text FROM tracking_events WHERE id = ");
        select.push_bind(id.to_string());
        self.events(select)
            .await?
            .pop()
            .ok_or(HistoryError::NotFound)
    }

    /// Clears the user's id on its events, in the column and in the event's JSON.
    pub(super) async fn anonymize(&self, user: UserId) -> Result<u64, HistoryError> {
        let changed = sqlx::query(
            "UPDATE tracking_events \
             SET family_id = NULL, event = jsonb_set(event, '{user_id}', 'null'::jsonb) \
             WHERE family_id = $1",
        )
        .bind(user.to_string())
        .execute(&self.pool)
        .await?;
        Ok(changed.rows_affected())
    }
}
