//! The audit line: one tracking event as one line of JSON.

use serde::Serialize;
use tracking_model::{
    Action, ChildId, EntityId, EntityType, EventId, Metadata, Timestamp, TrackingEvent, UserId,
};

use crate::AuditError;

/// The fields of one line, in the order they are written.
#[derive(Serialize)]
struct AuditLine<'a> {
    tracking_event_id: EventId,
    user_id: UserId,
    child_id: ChildId,
    entity_type: EntityType,
    entity_id: EntityId,
    action: Action,
    points_before: i64,
    points_after: i64,
    delta: i64,
    occurred_at: Timestamp,
    created_at: Timestamp,
    metadata: Option<&'a Metadata>,
}

/// The line for `event` in the file of `user`, without its newline.
///
/// JSON escapes every control character inside strings, so the text holds no newline whatever
/// the names in `metadata` contain.
pub(crate) fn encode(user: UserId, event: &TrackingEvent) -> Result<String, AuditError> {
    let line = AuditLine {
        tracking_event_id: event.id(),
        user_id: user,
        child_id: event.child_id(),
        entity_type: event.entity_type(),
        entity_id: event.entity_id(),
        action: event.action(),
        points_before: event.points_before(),
        points_after: event.points_after(),
        delta: event.delta(),
        occurred_at: event.occurred_at(),
        created_at: event.created_at(),
        metadata: event.metadata(),
    };
    Ok(serde_json::to_string(&line)?)
}
