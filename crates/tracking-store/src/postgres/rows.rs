//! Rows to model types and back: ids as ULID text, times as Unix milliseconds, events as JSON,
//! counts and sequence numbers as `bigint`.

use std::str::FromStr;

use serde::Serialize;
use sqlx::PgPool;
use tracking_model::{SequencedEvent, Timestamp, TrackingEvent};

use super::errors::Unreadable;
use crate::SequenceRead;

/// An id read back from its text.
pub(super) fn id<T: FromStr>(text: &str) -> Result<T, Unreadable> {
    text.parse()
        .map_err(|_| Unreadable(format!("stored id {text:?} is not a valid id")))
}

pub(super) fn time(millis: i64) -> Result<Timestamp, Unreadable> {
    Timestamp::from_unix_millis(millis)
        .map_err(|_| Unreadable(format!("stored time {millis} is out of range")))
}

/// A `u64` (a sequence number, an offset, a limit) as a `bigint`; beyond its range it is the
/// largest `bigint`, which no stored number reaches.
pub(super) fn big(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored `bigint` count or sequence number (never negative).
pub(super) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The text serde gives a unit enum (`"task"`, `"activated"`): what the filter columns hold.
pub(super) fn label(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        other => format!("{other:?}"),
    }
}

/// An event as its JSON, for a `jsonb` column (bound as text and cast).
pub(super) fn event_json(event: &TrackingEvent) -> String {
    serde_json::to_string(event).expect("an event always serializes")
}

/// An event read back from its JSON (through the model's checks).
pub(super) fn event(json: &str) -> Result<TrackingEvent, Unreadable> {
    serde_json::from_str(json)
        .map_err(|error| Unreadable(format!("stored event cannot be read: {error}")))
}

/// (family sequence number, event JSON) as a [`SequencedEvent`].
pub(super) fn sequenced((number, json): (i64, String)) -> Result<SequencedEvent, Unreadable> {
    Ok(SequencedEvent {
        sequence: count(number),
        event: event(&json)?,
    })
}

/// Every (family sequence number, event JSON) row as a [`SequencedEvent`], in the rows' order.
pub(super) fn sequenced_all(found: Vec<(i64, String)>) -> Result<Vec<SequencedEvent>, Unreadable> {
    found.into_iter().map(sequenced).collect()
}

/// The table a family's numbered events are read from.
pub(super) enum Numbered {
    /// `outbox`: committed, not yet confirmed in the history.
    Outbox,
    /// `tracking_events`: the history.
    History,
}

/// The events `read` asks for from `table`.
pub(super) async fn family_after<E: From<sqlx::Error> + From<Unreadable>>(
    pool: &PgPool,
    table: Numbered,
    read: SequenceRead,
) -> Result<Vec<SequencedEvent>, E> {
    let select = match table {
        Numbered::Outbox => {
            "SELECT family_sequence, event::text FROM outbox \
             WHERE family_id = $1 AND family_sequence > $2 ORDER BY family_sequence LIMIT $3"
        }
        Numbered::History => {
            "SELECT family_sequence, event::text FROM tracking_events \
             WHERE family_id = $1 AND family_sequence > $2 ORDER BY family_sequence LIMIT $3"
        }
    };
    let found: Vec<(i64, String)> = sqlx::query_as(select)
        .bind(read.family.to_string())
        .bind(big(read.after))
        .bind(big(read.limit as u64))
        .fetch_all(pool)
        .await?;
    Ok(sequenced_all(found)?)
}
