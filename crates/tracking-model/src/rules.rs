//! The rules of the four tracked mutations: from a child's state to the effect of one action.
//!
//! Pure: a store calls [`decide`] while it holds the child's lock, then commits the whole
//! [`Effect`] at once. Every store implementation therefore applies the same rules.

use crate::points::apply_delta;
use crate::{
    Action, Actor, Child, EntityType, EventId, EventMetadata, Reward, RewardRequest,
    RewardRequestId, RewardRequestStatus, Task, Timestamp, TrackingEvent, TrackingEventParts,
};

/// One of the four tracked actions, with the task or reward it acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackedAction {
    /// Activate a task (points up) or a penalty (points down).
    Activate(Task),
    /// The child asks for a reward; points unchanged.
    Request(Reward),
    /// The parent gives the reward; costs its points.
    Redeem(Reward),
    /// The pending request is withdrawn; points unchanged.
    Cancel(Reward),
}

/// Why an action is refused; nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("child has {points} points, reward costs {cost}")]
    InsufficientPoints { points: i64, cost: i64 },
    #[error("this reward is already requested for this child")]
    AlreadyRequested,
    #[error("there is no pending request for this reward")]
    NoPendingRequest,
    #[error("the change would take the child's points past ±(2^53 − 1)")]
    PointsOutOfRange,
}

/// Everything one accepted action changes, to be committed together.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The child with its new points.
    pub child: Child,
    /// The one event the action records.
    pub event: TrackingEvent,
    /// The request created (request) or resolved (redeem of a pending one, cancel).
    pub reward_request: Option<RewardRequest>,
}

/// When the action was accepted and when its record is built (clamped to be no earlier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moments {
    pub occurred_at: Timestamp,
    pub created_at: Timestamp,
}

/// The moments of a child's next event, given its last one's: never before them, so that the
/// child's events in the order (`occurred_at`, `created_at`, `id`) are the order they were
/// applied in, even when callers that raced for the child's turn stamped `occurred_at` in the
/// other order. `now` is the time the record is built.
pub fn after_last(last: Option<Moments>, occurred_at: Timestamp, now: Timestamp) -> Moments {
    let Some(last) = last else {
        return Moments {
            occurred_at,
            created_at: now,
        };
    };
    let occurred_at = occurred_at.max(last.occurred_at);
    let mut created_at = now.max(last.created_at);
    // Equal moments would leave the order to the ids, which grow only within a process: after a
    // restart with the clock behind, a new id can be smaller than the last one.
    if occurred_at == last.occurred_at && created_at == last.created_at {
        created_at = last.created_at.plus_millis(1).unwrap_or(last.created_at);
    }
    Moments {
        occurred_at,
        created_at,
    }
}

/// Applies `action` to `child`, performed by `actor`. `pending` is the child's pending request for
/// the same reward.
pub fn decide(
    child: &Child,
    action: &TrackedAction,
    pending: Option<&RewardRequest>,
    moments: Moments,
    actor: Actor,
) -> Result<Effect, Refusal> {
    let occurred_at = moments.occurred_at;
    let (delta, reward_request) = match action {
        TrackedAction::Activate(task) => (task.signed_points(), None),
        TrackedAction::Request(reward) => {
            require_points(child, reward)?;
            if pending.is_some() {
                return Err(Refusal::AlreadyRequested);
            }
            let request = RewardRequest {
                id: RewardRequestId::generate(),
                child_id: child.id,
                reward_id: reward.id,
                status: RewardRequestStatus::Pending,
                requested_at: occurred_at,
                resolved_at: None,
            };
            (0, Some(request))
        }
        TrackedAction::Redeem(reward) => {
            require_points(child, reward)?;
            let resolved =
                pending.map(|request| resolve(request, RewardRequestStatus::Redeemed, occurred_at));
            (-reward.cost, resolved)
        }
        TrackedAction::Cancel(_) => {
            let request = pending.ok_or(Refusal::NoPendingRequest)?;
            (
                0,
                Some(resolve(
                    request,
                    RewardRequestStatus::Cancelled,
                    occurred_at,
                )),
            )
        }
    };
    let points_after = apply_delta(child.points, delta).map_err(|_| Refusal::PointsOutOfRange)?;
    let event = TrackingEvent::new(TrackingEventParts {
        id: EventId::generate(),
        user_id: Some(child.user_id),
        child_id: child.id,
        entity_type: entity_type(action),
        entity_id: entity_id(action),
        action: action_kind(action),
        points_before: child.points,
        points_after,
        delta,
        occurred_at,
        created_at: moments.created_at.max(occurred_at),
        metadata: Some(metadata(action, reward_request.as_ref(), actor)),
    })
    .map_err(|_| Refusal::PointsOutOfRange)?;
    Ok(Effect {
        child: Child {
            points: points_after,
            ..child.clone()
        },
        event,
        reward_request,
    })
}

fn require_points(child: &Child, reward: &Reward) -> Result<(), Refusal> {
    if child.points < reward.cost {
        return Err(Refusal::InsufficientPoints {
            points: child.points,
            cost: reward.cost,
        });
    }
    Ok(())
}

fn resolve(request: &RewardRequest, status: RewardRequestStatus, at: Timestamp) -> RewardRequest {
    RewardRequest {
        status,
        resolved_at: Some(at),
        ..request.clone()
    }
}

fn entity_type(action: &TrackedAction) -> EntityType {
    match action {
        TrackedAction::Activate(task) => task.entity_type(),
        _ => EntityType::Reward,
    }
}

fn entity_id(action: &TrackedAction) -> crate::EntityId {
    match action {
        TrackedAction::Activate(task) => task.id.into(),
        TrackedAction::Request(reward)
        | TrackedAction::Redeem(reward)
        | TrackedAction::Cancel(reward) => reward.id.into(),
    }
}

fn action_kind(action: &TrackedAction) -> Action {
    match action {
        TrackedAction::Activate(_) => Action::Activated,
        TrackedAction::Request(_) => Action::Requested,
        TrackedAction::Redeem(_) => Action::Redeemed,
        TrackedAction::Cancel(_) => Action::Cancelled,
    }
}

/// The entity's name and size, so the history reads well after the entity is deleted, and who
/// acted.
fn metadata(
    action: &TrackedAction,
    request: Option<&RewardRequest>,
    actor: Actor,
) -> EventMetadata {
    let mut metadata = match action {
        TrackedAction::Activate(task) => EventMetadata {
            points: Some(task.points),
            is_good: Some(task.is_good),
            ..EventMetadata::named(task.name.clone(), actor)
        },
        TrackedAction::Request(reward)
        | TrackedAction::Redeem(reward)
        | TrackedAction::Cancel(reward) => EventMetadata {
            cost: Some(reward.cost),
            ..EventMetadata::named(reward.name.clone(), actor)
        },
    };
    metadata.reward_request_id = request.map(|request| request.id);
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChildId, MAX_POINTS, RewardId, TaskId, UserId};

    fn child(points: i64) -> Child {
        Child {
            id: ChildId::generate(),
            user_id: UserId::generate(),
            name: "Sam".into(),
            points,
            created_at: Timestamp::now(),
        }
    }

    fn task(points: i64, is_good: bool) -> Task {
        Task {
            id: TaskId::generate(),
            user_id: UserId::generate(),
            name: "Make bed".into(),
            points,
            is_good,
            created_at: Timestamp::now(),
        }
    }

    fn reward(cost: i64) -> Reward {
        Reward {
            id: RewardId::generate(),
            user_id: UserId::generate(),
            name: "Ice cream".into(),
            cost,
            created_at: Timestamp::now(),
        }
    }

    /// The parent's `action` on `child`, now.
    fn by_parent(
        child: &Child,
        action: &TrackedAction,
        pending: Option<&RewardRequest>,
    ) -> Result<Effect, Refusal> {
        decide(child, action, pending, now(), Actor::Parent)
    }

    /// The pending request the parent's request of `reward` for `child` makes.
    fn requested(child: &Child, reward: &Reward) -> RewardRequest {
        by_parent(child, &TrackedAction::Request(reward.clone()), None)
            .unwrap()
            .reward_request
            .unwrap()
    }

    fn now() -> Moments {
        let at = Timestamp::now();
        Moments {
            occurred_at: at,
            created_at: at,
        }
    }

    #[test]
    fn activating_a_task_adds_and_a_penalty_takes() {
        let effect = by_parent(&child(10), &TrackedAction::Activate(task(5, true)), None).unwrap();
        assert_eq!(
            (
                effect.event.points_before(),
                effect.event.points_after(),
                effect.event.delta()
            ),
            (10, 15, 5)
        );
        assert_eq!(effect.child.points, 15);
        assert_eq!(effect.event.entity_type(), EntityType::Task);
        assert_eq!(effect.event.metadata().unwrap().entity_name, "Make bed");

        let effect = by_parent(&child(2), &TrackedAction::Activate(task(5, false)), None).unwrap();
        assert_eq!(
            (effect.event.points_after(), effect.event.delta()),
            (-3, -5)
        );
        assert_eq!(effect.event.entity_type(), EntityType::Penalty);
    }

    #[test]
    fn requesting_needs_points_and_no_pending_request() {
        let sam = child(20);
        let ice_cream = reward(20);
        let effect = by_parent(&sam, &TrackedAction::Request(ice_cream.clone()), None).unwrap();
        let request = effect.reward_request.unwrap();
        assert_eq!(
            (request.status, request.resolved_at),
            (RewardRequestStatus::Pending, None)
        );
        assert_eq!(effect.event.delta(), 0);
        assert_eq!(
            by_parent(
                &sam,
                &TrackedAction::Request(ice_cream.clone()),
                Some(&request)
            ),
            Err(Refusal::AlreadyRequested)
        );
        assert_eq!(
            by_parent(&child(19), &TrackedAction::Request(ice_cream), None),
            Err(Refusal::InsufficientPoints {
                points: 19,
                cost: 20
            })
        );
    }

    #[test]
    fn redeeming_costs_points_and_fulfils_a_pending_request() {
        let sam = child(30);
        let ice_cream = reward(20);
        let pending = requested(&sam, &ice_cream);
        let effect = by_parent(
            &sam,
            &TrackedAction::Redeem(ice_cream.clone()),
            Some(&pending),
        )
        .unwrap();
        assert_eq!((effect.event.delta(), effect.child.points), (-20, 10));
        assert_eq!(
            effect.reward_request.unwrap().status,
            RewardRequestStatus::Redeemed
        );

        let without = by_parent(&sam, &TrackedAction::Redeem(ice_cream.clone()), None).unwrap();
        assert_eq!(without.reward_request, None);
        assert!(matches!(
            by_parent(&child(5), &TrackedAction::Redeem(ice_cream), None),
            Err(Refusal::InsufficientPoints { .. })
        ));
    }

    #[test]
    fn cancelling_needs_a_pending_request() {
        let sam = child(30);
        let ice_cream = reward(20);
        assert_eq!(
            by_parent(&sam, &TrackedAction::Cancel(ice_cream.clone()), None),
            Err(Refusal::NoPendingRequest)
        );
        let pending = requested(&sam, &ice_cream);
        let effect = by_parent(&sam, &TrackedAction::Cancel(ice_cream), Some(&pending)).unwrap();
        assert_eq!(
            effect.reward_request.unwrap().status,
            RewardRequestStatus::Cancelled
        );
        assert_eq!((effect.event.delta(), effect.child.points), (0, 30));
    }

    #[test]
    fn points_never_leave_the_javascript_range() {
        let result = by_parent(
            &child(MAX_POINTS - 1),
            &TrackedAction::Activate(task(5, true)),
            None,
        );
        assert_eq!(result, Err(Refusal::PointsOutOfRange));
        let result = by_parent(
            &child(-MAX_POINTS + 1),
            &TrackedAction::Activate(task(5, false)),
            None,
        );
        assert_eq!(result, Err(Refusal::PointsOutOfRange));
    }

    #[test]
    fn created_at_is_never_before_occurred_at() {
        let at = Timestamp::now();
        let moments = Moments {
            occurred_at: at,
            created_at: at.plus_millis(-5).unwrap(),
        };
        let effect = decide(
            &child(0),
            &TrackedAction::Activate(task(1, true)),
            None,
            moments,
            Actor::Parent,
        )
        .unwrap();
        assert_eq!(effect.event.created_at(), at);
    }

    #[test]
    fn the_next_moments_order_after_the_last_even_when_the_clock_is_behind() {
        let now = Timestamp::now();
        let ahead = now.plus_millis(3_600_000).unwrap();
        let last = Moments {
            occurred_at: ahead,
            created_at: ahead,
        };
        let next = after_last(Some(last), now, now);
        assert!((next.occurred_at, next.created_at) > (ahead, ahead));
        let later = now.plus_millis(10).unwrap();
        let last = Moments {
            occurred_at: now,
            created_at: now,
        };
        assert_eq!(after_last(Some(last), later, now).occurred_at, later);
        let first = after_last(None, later, now);
        assert_eq!((first.occurred_at, first.created_at), (later, now));
    }
}
