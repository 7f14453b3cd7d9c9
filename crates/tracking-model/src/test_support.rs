//! Test support (cargo feature `test-support`, enabled only from dev-dependencies): one seeded
//! random generator and one tracking-event builder for the tests, benches and examples of every
//! crate, so that failures repeat and every test event is valid by construction.

use crate::{
    Action, Actor, ChildId, EntityId, EntityType, EventId, EventMetadata, Timestamp, TrackingEvent,
    TrackingEventParts, UserId,
};

pub use fastrand::Rng;

/// A deterministic generator: the same `seed` gives the same sequence on every run.
pub fn seeded(seed: u64) -> Rng {
    Rng::with_seed(seed)
}

/// Every valid (entity type, action) pair of a tracked mutation, with a delta that fits it.
pub const KINDS: [(EntityType, Action, i64); 5] = [
    (EntityType::Task, Action::Activated, 5),
    (EntityType::Penalty, Action::Activated, -3),
    (EntityType::Reward, Action::Requested, 0),
    (EntityType::Reward, Action::Redeemed, -10),
    (EntityType::Reward, Action::Cancelled, 0),
];

/// The instant [`EventBuilder::new`] starts from: 2026-02-09T18:42:15.123Z.
pub const BASE_MILLIS: i64 = 1_770_662_535_123;

/// Builder methods that set one field of the event's parts as given, `name(field: Type)` each.
macro_rules! field_setters {
    ($($name:ident($field:ident: $type:ty)),* $(,)?) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "`.")]
            pub fn $name(mut self, $field: $type) -> Self {
                self.parts.$field = $field;
                self
            }
        )*
    };
}

/// A valid [`TrackingEvent`], one field at a time.
///
/// Starts as a task activation of a new child worth 5 points (20 → 25), without a user,
/// occurred at [`BASE_MILLIS`] and created 2 ms later, with `{"entity_name": "Make bed"}` as
/// metadata and fresh ids. Setting the points or the kind keeps the three point fields
/// consistent.
#[derive(Debug, Clone)]
pub struct EventBuilder {
    parts: TrackingEventParts,
    created_later_by: i64,
}

impl Default for EventBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBuilder {
    pub fn new() -> Self {
        let (entity_type, action, delta) = KINDS[0];
        let occurred_at = Timestamp::from_unix_millis(BASE_MILLIS).expect("a valid instant");
        let metadata = EventMetadata::named("Make bed", Actor::Parent);
        Self {
            parts: TrackingEventParts {
                id: EventId::generate(),
                user_id: None,
                child_id: ChildId::generate(),
                entity_type,
                entity_id: EntityId::generate(),
                action,
                points_before: 20,
                points_after: 20 + delta,
                delta,
                occurred_at,
                created_at: occurred_at,
                metadata: Some(metadata),
            },
            created_later_by: 2,
        }
    }

    /// Kind number `index` of [`KINDS`] (modulo their number), with its delta.
    pub fn kind(self, index: usize) -> Self {
        let (entity_type, action, delta) = KINDS[index % KINDS.len()];
        self.action(entity_type, action, delta)
    }

    /// Any entity type, action and delta (the event must still be valid when built).
    pub fn action(mut self, entity_type: EntityType, action: Action, delta: i64) -> Self {
        self.parts.entity_type = entity_type;
        self.parts.action = action;
        self.parts.delta = delta;
        self.parts.points_after = self.parts.points_before + delta;
        self
    }

    field_setters! {
        child(child_id: ChildId),
        occurred_at(occurred_at: Timestamp),
        id(id: EventId),
        entity_id(entity_id: EntityId),
        metadata(metadata: Option<EventMetadata>),
    }

    pub fn user(mut self, user: impl Into<Option<UserId>>) -> Self {
        self.parts.user_id = user.into();
        self
    }

    /// The child's points before the event; the delta stays.
    pub fn points_before(mut self, points: i64) -> Self {
        self.parts.points_before = points;
        self.parts.points_after = points + self.parts.delta;
        self
    }

    /// `created_at` is `occurred_at` plus `millis`.
    pub fn created_later_by(mut self, millis: i64) -> Self {
        self.created_later_by = millis;
        self
    }

    /// The event; panics if the fields set do not make a valid one.
    pub fn build(self) -> TrackingEvent {
        let mut parts = self.parts;
        parts.created_at = parts
            .occurred_at
            .plus_millis(self.created_later_by)
            .expect("created_at in range");
        TrackingEvent::new(parts).expect("the builder's fields make a valid event")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let (mut a, mut b) = (seeded(7), seeded(7));
        let first: Vec<u64> = (0..8).map(|_| a.u64(..1000)).collect();
        assert_eq!(first, (0..8).map(|_| b.u64(..1000)).collect::<Vec<_>>());
        assert_ne!(
            first,
            (0..8).map(|_| seeded(8).u64(..1000)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_kind_builds_a_valid_event_with_consistent_points() {
        for (index, &(entity_type, action, delta)) in KINDS.iter().enumerate() {
            let event = EventBuilder::new().kind(index).points_before(40).build();
            assert_eq!(
                (event.entity_type(), event.action(), event.delta()),
                (entity_type, action, delta)
            );
            assert_eq!(event.points_after(), 40 + delta);
            assert_eq!(event.created_at().unix_millis(), BASE_MILLIS + 2);
        }
    }
}
