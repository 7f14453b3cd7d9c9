//! Builders shared by the integration tests: users, family records and tracking events.

#![allow(dead_code)]

use tracking_model::{
    Action, Child, ChildId, EntityId, EntityType, EventId, Reward, RewardId, Task, TaskId,
    Timestamp, TrackingEvent, TrackingEventParts, User, UserId,
};
use tracking_store::TokenHash;

/// A fixed instant plus `millis`.
pub fn at(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_770_000_000_000 + millis).unwrap()
}

pub fn user(name: &str) -> User {
    User {
        id: UserId::generate(),
        name: name.into(),
        created_at: Timestamp::now(),
    }
}

/// A token hash unique to `seed`.
pub fn token(seed: u8) -> TokenHash {
    let mut bytes = [seed; 32];
    bytes[0] = seed.wrapping_mul(31).wrapping_add(7);
    TokenHash(bytes)
}

pub fn child(owner: UserId, name: &str, points: i64) -> Child {
    Child {
        id: ChildId::generate(),
        user_id: owner,
        name: name.into(),
        points,
        created_at: Timestamp::now(),
    }
}

pub fn task(owner: UserId, points: i64, is_good: bool) -> Task {
    Task {
        id: TaskId::generate(),
        user_id: owner,
        name: "Make bed".into(),
        points,
        is_good,
        created_at: Timestamp::now(),
    }
}

pub fn reward(owner: UserId, cost: i64) -> Reward {
    Reward {
        id: RewardId::generate(),
        user_id: owner,
        name: "Ice cream".into(),
        cost,
        created_at: Timestamp::now(),
    }
}

/// The five (entity type, action) pairs an event can have.
pub const KINDS: [(EntityType, Action); 5] = [
    (EntityType::Task, Action::Activated),
    (EntityType::Penalty, Action::Activated),
    (EntityType::Reward, Action::Requested),
    (EntityType::Reward, Action::Redeemed),
    (EntityType::Reward, Action::Cancelled),
];

/// A valid event of kind `kind` (an index into [`KINDS`]) at `occurred_at`.
pub fn event(
    user: Option<UserId>,
    child: ChildId,
    kind: usize,
    occurred_at: Timestamp,
    created_later_by: i64,
) -> TrackingEvent {
    let (entity_type, action) = KINDS[kind];
    let delta = match kind {
        0 => 5,
        1 => -3,
        3 => -10,
        _ => 0,
    };
    let mut metadata = tracking_model::Metadata::new();
    metadata.insert("entity_name".into(), "Make bed".into());
    TrackingEvent::new(TrackingEventParts {
        id: EventId::generate(),
        user_id: user,
        child_id: child,
        entity_type,
        entity_id: EntityId::generate(),
        action,
        points_before: 20,
        points_after: 20 + delta,
        delta,
        occurred_at,
        created_at: occurred_at.plus_millis(created_later_by).unwrap(),
        metadata: Some(metadata),
    })
    .unwrap()
}

/// A small deterministic pseudo-random sequence (xorshift), so failures repeat.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}
