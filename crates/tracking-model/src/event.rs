//! The tracking event: one recorded action on a child, with the child's points before and after.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::points::check_in_range;
use crate::rendered::RenderedJson;
use crate::{ChildId, EntityId, EventId, EventMetadata, ModelError, Timestamp, UserId};

/// What kind of thing an event is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EntityType {
    /// A good task: activating it adds points.
    Task,
    /// A reward: requested, redeemed (costs points) or cancelled.
    Reward,
    /// A task with `is_good: false`: activating it takes points away.
    Penalty,
}

/// What happened.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Activated,
    Requested,
    Redeemed,
    Cancelled,
}

impl EntityType {
    /// Every entity type, in declaration order.
    pub const ALL: [Self; 3] = [Self::Task, Self::Reward, Self::Penalty];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Reward => "reward",
            Self::Penalty => "penalty",
        }
    }

    /// Whether events of this type may carry `action`.
    pub const fn allows(self, action: Action) -> bool {
        match self {
            Self::Task | Self::Penalty => matches!(action, Action::Activated),
            Self::Reward => !matches!(action, Action::Activated),
        }
    }
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Self; 4] = [
        Self::Activated,
        Self::Requested,
        Self::Redeemed,
        Self::Cancelled,
    ];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Activated => "activated",
            Self::Requested => "requested",
            Self::Redeemed => "redeemed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One tracked action on a child: a task or penalty activated, a reward requested, redeemed or
/// cancelled. Append-only history; `delta == points_after - points_before` always holds.
///
/// The server builds every event through one checking constructor (reading one back runs the same
/// checks), so no event that breaks these rules can exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(try_from = "TrackingEventParts")]
pub struct TrackingEvent {
    id: EventId,
    /// The parent who owns the child; `null` once that user is deleted.
    user_id: Option<UserId>,
    // Flattened: the JSON is one object; the audit line writes the same fields after its own ids.
    #[serde(flatten)]
    body: EventBody,
    /// This JSON, once written: see [`TrackingEvent::json`].
    #[serde(skip)]
    #[ts(skip)]
    json: RenderedJson,
}

/// The fields of a tracking event after its id and owner: the action on the child, its points
/// before and after, when, and its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, TS, ToSchema)]
pub struct EventBody {
    child_id: ChildId,
    entity_type: EntityType,
    /// The task (also for a penalty) or reward acted on.
    entity_id: EntityId,
    action: Action,
    points_before: i64,
    points_after: i64,
    delta: i64,
    /// Server time when the action was accepted.
    occurred_at: Timestamp,
    /// When the record was built for storage; never before `occurred_at`.
    created_at: Timestamp,
    /// The entity's name and size and who acted; `null` only on events stored before any of it
    /// was recorded.
    // Shared: the event travels inside enums and futures, and most of it is this; its clones
    // (journal, history, outbox, audit) share it rather than copy its names.
    #[schema(value_type = Option<EventMetadata>)]
    metadata: Option<Arc<EventMetadata>>,
}

/// The fields of a [`TrackingEvent`] before they are checked.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingEventParts {
    pub id: EventId,
    pub user_id: Option<UserId>,
    pub child_id: ChildId,
    pub entity_type: EntityType,
    pub entity_id: EntityId,
    pub action: Action,
    pub points_before: i64,
    pub points_after: i64,
    pub delta: i64,
    pub occurred_at: Timestamp,
    pub created_at: Timestamp,
    #[serde(default)]
    pub metadata: Option<EventMetadata>,
}

impl TrackingEvent {
    /// Checks every invariant of the contract and builds the event, or says which one fails.
    pub fn new(parts: TrackingEventParts) -> Result<Self, ModelError> {
        check_in_range("points_before", parts.points_before)?;
        check_in_range("points_after", parts.points_after)?;
        check_in_range("delta", parts.delta)?;
        let difference = parts.points_after - parts.points_before;
        if parts.delta != difference {
            return Err(ModelError::InconsistentDelta {
                delta: parts.delta,
                difference,
            });
        }
        if !parts.entity_type.allows(parts.action) {
            return Err(ModelError::ActionMismatch {
                entity_type: parts.entity_type,
                action: parts.action,
            });
        }
        if !delta_sign_fits(parts.entity_type, parts.action, parts.delta) {
            return Err(ModelError::DeltaSign {
                entity_type: parts.entity_type,
                action: parts.action,
                delta: parts.delta,
            });
        }
        if parts.created_at < parts.occurred_at {
            return Err(ModelError::CreatedBeforeOccurred);
        }
        if let Some(metadata) = &parts.metadata {
            metadata.check()?;
        }
        Ok(Self {
            id: parts.id,
            user_id: parts.user_id,
            body: EventBody {
                child_id: parts.child_id,
                entity_type: parts.entity_type,
                entity_id: parts.entity_id,
                action: parts.action,
                points_before: parts.points_before,
                points_after: parts.points_after,
                delta: parts.delta,
                occurred_at: parts.occurred_at,
                created_at: parts.created_at,
                metadata: parts.metadata.map(Arc::new),
            },
            json: RenderedJson::default(),
        })
    }

    /// The same event with `user_id` cleared, as after the user's deletion; nothing else changes.
    pub fn anonymized(mut self) -> Self {
        self.user_id = None;
        self.json.clear();
        self
    }

    /// The event's JSON (what serializing it with `serde_json` writes), written on the first
    /// call and shared with the clones made after it: a store and a server that write one event
    /// several times (journal, history, answer, audit line) write it once and copy the text.
    pub fn json(&self) -> serde_json::Result<&str> {
        self.json.get_or_render(|| {
            // Room for most events at once, where `to_string` starts small and grows thrice.
            let mut text = Vec::with_capacity(640);
            serde_json::to_writer(&mut text, self)?;
            String::from_utf8(text).map_err(serde::ser::Error::custom)
        })
    }

    /// The fields after the id and owner in [`TrackingEvent::json`], without braces: the
    /// text [`TrackingEvent::body`] serializes to inside an object beside other fields.
    pub fn body_json(&self) -> serde_json::Result<&str> {
        let text = self.json()?;
        // The ids before it are ULIDs, which hold no quote, so this is the body's first key.
        let start = text
            .find(r#""child_id":"#)
            .ok_or_else(|| serde::ser::Error::custom("an event's JSON without child_id"))?;
        Ok(&text[start..text.len() - 1])
    }

    /// Forgets the JSON written by [`TrackingEvent::json`], for an event kept in memory long.
    pub fn forget_json(&mut self) {
        self.json.clear();
    }

    /// The fields, for a caller that wants to change one and check again.
    pub fn into_parts(self) -> TrackingEventParts {
        let Self {
            id, user_id, body, ..
        } = self;
        TrackingEventParts {
            id,
            user_id,
            child_id: body.child_id,
            entity_type: body.entity_type,
            entity_id: body.entity_id,
            action: body.action,
            points_before: body.points_before,
            points_after: body.points_after,
            delta: body.delta,
            occurred_at: body.occurred_at,
            created_at: body.created_at,
            metadata: body.metadata.map(Arc::unwrap_or_clone),
        }
    }

    pub fn id(&self) -> EventId {
        self.id
    }
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }
    pub fn child_id(&self) -> ChildId {
        self.body.child_id
    }
    pub fn entity_type(&self) -> EntityType {
        self.body.entity_type
    }
    pub fn entity_id(&self) -> EntityId {
        self.body.entity_id
    }
    pub fn action(&self) -> Action {
        self.body.action
    }
    pub fn points_before(&self) -> i64 {
        self.body.points_before
    }
    pub fn points_after(&self) -> i64 {
        self.body.points_after
    }
    pub fn delta(&self) -> i64 {
        self.body.delta
    }
    pub fn occurred_at(&self) -> Timestamp {
        self.body.occurred_at
    }
    pub fn created_at(&self) -> Timestamp {
        self.body.created_at
    }
    pub fn metadata(&self) -> Option<&EventMetadata> {
        self.body.metadata.as_deref()
    }

    /// The fields after the id and owner, to serialize beside other ids (the audit line).
    pub fn body(&self) -> &EventBody {
        &self.body
    }

    /// The key of the one total order of events: (`occurred_at`, `created_at`, `id`).
    pub fn order_key(&self) -> (Timestamp, Timestamp, EventId) {
        (self.body.occurred_at, self.body.created_at, self.id)
    }
}

/// A tracking event with its number in its family's sequence: 1, 2, 3 … per family (the parent's
/// user id), without gaps, in the order the family's events were committed. Live streams and
/// audit files follow a family by this number; it is not part of the event's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct SequencedEvent {
    pub sequence: u64,
    pub event: TrackingEvent,
}

impl TryFrom<TrackingEventParts> for TrackingEvent {
    type Error = ModelError;

    fn try_from(parts: TrackingEventParts) -> Result<Self, Self::Error> {
        Self::new(parts)
    }
}

/// The contract's sign rules: tasks add, penalties take, requests and cancels change nothing,
/// a redeem costs at least one point.
fn delta_sign_fits(entity_type: EntityType, action: Action, delta: i64) -> bool {
    match (entity_type, action) {
        (EntityType::Task, _) => delta >= 0,
        (EntityType::Penalty, _) => delta <= 0,
        (EntityType::Reward, Action::Redeemed) => delta < 0,
        (EntityType::Reward, _) => delta == 0,
    }
}
