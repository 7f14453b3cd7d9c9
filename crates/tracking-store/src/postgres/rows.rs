//! Rows to model types and back: ids as ULID text, times as Unix milliseconds, events as JSON,
//! counts and sequence numbers as `bigint`.

use std::str::FromStr;

use serde::Serialize;
use sqlx::PgPool;
use tracking_model::{Child, Reward, SequencedEvent, Task, Timestamp, TrackingEvent, User, UserId};

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

/// The events `read` asks for from `table`; a failed query is `failed`'s error.
pub(super) async fn family_after<E: From<Unreadable>>(
    pool: &PgPool,
    table: Numbered,
    read: SequenceRead,
    failed: fn(sqlx::Error) -> E,
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
        .await
        .map_err(failed)?;
    Ok(sequenced_all(found)?)
}

/// `SELECT id, name, created_at_ms FROM users`.
pub(super) type UserRow = (String, String, i64);

pub(super) fn user((id_text, name, created): UserRow) -> Result<User, Unreadable> {
    Ok(User {
        id: id(&id_text)?,
        name,
        created_at: time(created)?,
    })
}

/// `SELECT id, name, points, created_at_ms FROM children`.
pub(super) type ChildRow = (String, String, i64, i64);

pub(super) fn child(
    owner: UserId,
    (id_text, name, points, created): ChildRow,
) -> Result<Child, Unreadable> {
    Ok(Child {
        id: id(&id_text)?,
        user_id: owner,
        name,
        points,
        created_at: time(created)?,
    })
}

/// `SELECT id, name, points, is_good, created_at_ms FROM tasks`.
pub(super) type TaskRow = (String, String, i64, bool, i64);

pub(super) fn task(
    owner: UserId,
    (id_text, name, points, is_good, created): TaskRow,
) -> Result<Task, Unreadable> {
    Ok(Task {
        id: id(&id_text)?,
        user_id: owner,
        name,
        points,
        is_good,
        created_at: time(created)?,
    })
}

/// `SELECT id, name, cost, created_at_ms FROM rewards`.
pub(super) type RewardRow = (String, String, i64, i64);

pub(super) fn reward(
    owner: UserId,
    (id_text, name, cost, created): RewardRow,
) -> Result<Reward, Unreadable> {
    Ok(Reward {
        id: id(&id_text)?,
        user_id: owner,
        name,
        cost,
        created_at: time(created)?,
    })
}
