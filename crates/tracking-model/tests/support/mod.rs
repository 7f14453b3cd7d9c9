//! Builders shared by the summary and export tests.

#![allow(dead_code)]

use tracking_model::{
    Action, Actor, ChildId, EntityId, EntityType, EventId, EventMetadata, Timestamp, TrackingEvent,
    TrackingEventParts, UserId,
};

/// Reads an RFC 3339 instant.
pub fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// An event of `child` of the given kind at `occurred_at`, named `name` in its metadata.
pub fn event(
    child: ChildId,
    entity_type: EntityType,
    action: Action,
    delta: i64,
    occurred_at: Timestamp,
    name: &str,
) -> TrackingEvent {
    let metadata = EventMetadata::named(name, Actor::Parent);
    TrackingEvent::new(TrackingEventParts {
        id: EventId::generate(),
        user_id: Some(UserId::generate()),
        child_id: child,
        entity_type,
        entity_id: EntityId::generate(),
        action,
        points_before: 100,
        points_after: 100 + delta,
        delta,
        occurred_at,
        created_at: occurred_at,
        metadata: Some(metadata),
    })
    .unwrap()
}

/// A task activated for `points` at `occurred_at`.
pub fn task(child: ChildId, points: i64, occurred_at: &str) -> TrackingEvent {
    event(
        child,
        EntityType::Task,
        Action::Activated,
        points,
        at(occurred_at),
        "Make bed",
    )
}

/// A penalty activated for `points` (a magnitude) at `occurred_at`.
pub fn penalty(child: ChildId, points: i64, occurred_at: &str) -> TrackingEvent {
    event(
        child,
        EntityType::Penalty,
        Action::Activated,
        -points,
        at(occurred_at),
        "Hitting sibling",
    )
}

/// A reward event: `Redeemed` costs `cost`, the other actions change nothing.
pub fn reward(child: ChildId, action: Action, cost: i64, occurred_at: &str) -> TrackingEvent {
    let delta = if action == Action::Redeemed { -cost } else { 0 };
    event(
        child,
        EntityType::Reward,
        action,
        delta,
        at(occurred_at),
        "Ice cream",
    )
}
