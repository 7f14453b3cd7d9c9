//! Builders shared by the integration tests: users, family records and tracking events (the
//! events through the model's `test-support` builder).

#![allow(dead_code)]

use tracking_model::test_support::EventBuilder;
use tracking_model::{
    Child, ChildId, Reward, RewardId, Task, TaskId, Timestamp, TrackingEvent, User, UserId,
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

/// A valid event of kind `kind` (an index into [`KINDS`](tracking_model::test_support::KINDS))
/// at `occurred_at`, created `created_later_by` ms later.
pub fn event(
    user: Option<UserId>,
    child: ChildId,
    kind: usize,
    occurred_at: Timestamp,
    created_later_by: i64,
) -> TrackingEvent {
    EventBuilder::new()
        .user(user)
        .child(child)
        .kind(kind)
        .occurred_at(occurred_at)
        .created_later_by(created_later_by)
        .build()
}

/// `event` with a family sequence number no other event of this process has: for histories
/// built by hand, where only the event matters.
pub fn numbered(event: &TrackingEvent) -> tracking_model::SequencedEvent {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    tracking_model::SequencedEvent {
        sequence: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        event: event.clone(),
    }
}

/// The event an apply committed, with its family sequence number.
pub fn recorded(applied: &tracking_store::Applied) -> tracking_model::SequencedEvent {
    tracking_model::SequencedEvent {
        sequence: applied.sequence,
        event: applied.effect.event.clone(),
    }
}

/// The parent `owner` activating `task` on its child `child`.
pub fn activation(owner: UserId, child: ChildId, task: TaskId) -> tracking_store::ChildAction {
    tracking_store::ChildAction {
        owner,
        child,
        target: tracking_store::ActionTarget::Activate(task),
        actor: tracking_model::Actor::Parent,
    }
}

/// `count` events of a new child of `family`, numbered from 1, each appended with
/// `append_unsynced` and visible at once; returned oldest first.
pub async fn append_unsynced_events(
    store: &dyn tracking_store::TrackingRepository,
    family: UserId,
    count: u64,
) -> Vec<tracking_model::SequencedEvent> {
    let child = ChildId::generate();
    let mut appended = Vec::new();
    for sequence in 1..=count {
        let event = EventBuilder::new()
            .kind(sequence as usize)
            .user(family)
            .child(child)
            .occurred_at(at(sequence as i64))
            .build();
        let sequenced = tracking_model::SequencedEvent { sequence, event };
        assert_eq!(
            store.append_unsynced(&sequenced).await.unwrap(),
            tracking_store::Appended::Visible
        );
        appended.push(sequenced);
    }
    appended
}
