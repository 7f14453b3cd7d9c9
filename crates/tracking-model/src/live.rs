//! The payloads of the Server-Sent Events the front end listens to.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{Action, ChildId, EntityId, EntityType, EventId, Timestamp, TrackingEvent};

/// The `event:` name of every server event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServerEventType {
    /// A tracking event was recorded for the parent's family; payload `TrackingEventCreated`.
    TrackingEventCreated,
    /// The stream could not resume from the cursor it was given and starts live; payload
    /// `TrackingStreamReset`. The client refetches what it shows.
    TrackingStreamReset,
}

impl ServerEventType {
    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TrackingEventCreated => "tracking_event_created",
            Self::TrackingStreamReset => "tracking_stream_reset",
        }
    }
}

/// Payload of `tracking_event_created`: the event's id and enough to update a view without a fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingEventCreated {
    pub tracking_event_id: EventId,
    pub child_id: ChildId,
    pub entity_type: EntityType,
    pub entity_id: EntityId,
    pub action: Action,
    pub delta: i64,
    pub points_after: i64,
    pub occurred_at: Timestamp,
}

impl From<&TrackingEvent> for TrackingEventCreated {
    fn from(event: &TrackingEvent) -> Self {
        Self {
            tracking_event_id: event.id(),
            child_id: event.child_id(),
            entity_type: event.entity_type(),
            entity_id: event.entity_id(),
            action: event.action(),
            delta: event.delta(),
            points_after: event.points_after(),
            occurred_at: event.occurred_at(),
        }
    }
}

/// Why a stream could not resume from the cursor it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamResetReason {
    /// The cursor is malformed, of another family, or names a point the server does not know.
    UnknownCursor,
    /// The caller missed more events than a stream replays.
    TooFarBehind,
}

/// Payload of `tracking_stream_reset`: the stream starts live without replaying what was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingStreamReset {
    pub reason: StreamResetReason,
}
