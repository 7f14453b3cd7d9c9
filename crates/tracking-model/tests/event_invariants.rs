//! Property tests of `TrackingEvent`: every valid event survives JSON and back unchanged, and every
//! event that breaks a contract rule is refused, by the constructor and by deserialization alike.

use proptest::prelude::*;
use serde_json::json;
use tracking_model::{
    Action, Actor, Child, ChildId, EntityId, EntityType, EventId, EventMetadata, MAX_POINTS,
    ModelError, RewardId, RewardRequest, RewardRequestId, RewardRequestStatus, Timestamp,
    TrackedMutation, TrackingEvent, TrackingEventParts, UserId,
};
use ulid::Ulid;

fn any_id() -> impl Strategy<Value = Ulid> {
    any::<u128>().prop_map(Ulid::from)
}

fn any_instant() -> impl Strategy<Value = Timestamp> {
    (0_i64..=253_402_300_799_999).prop_map(|millis| Timestamp::from_unix_millis(millis).unwrap())
}

/// A kind of event and a delta that fits it.
fn kind_and_delta() -> impl Strategy<Value = (EntityType, Action, i64)> {
    prop_oneof![
        (0_i64..=1_000_000).prop_map(|d| (EntityType::Task, Action::Activated, d)),
        (0_i64..=1_000_000).prop_map(|d| (EntityType::Penalty, Action::Activated, -d)),
        Just((EntityType::Reward, Action::Requested, 0)),
        (1_i64..=1_000_000).prop_map(|d| (EntityType::Reward, Action::Redeemed, -d)),
        Just((EntityType::Reward, Action::Cancelled, 0)),
    ]
}

fn valid_parts() -> impl Strategy<Value = TrackingEventParts> {
    (
        (any_id(), proptest::option::of(any_id()), any_id(), any_id()),
        kind_and_delta(),
        -MAX_POINTS + 1_000_000..=MAX_POINTS - 1_000_000,
        any_instant(),
        0_i64..10_000,
        proptest::option::of("[a-zA-Z \"\\\\\n]{0,20}"),
    )
        .prop_map(
            |(
                (id, user, child, entity),
                (entity_type, action, delta),
                before,
                occurred_at,
                lag,
                name,
            )| {
                let created_at = occurred_at.plus_millis(lag).unwrap_or(occurred_at);
                TrackingEventParts {
                    id: EventId::from_ulid(id),
                    user_id: user.map(UserId::from_ulid),
                    child_id: ChildId::from_ulid(child),
                    entity_type,
                    entity_id: EntityId::from_ulid(entity),
                    action,
                    points_before: before,
                    points_after: before + delta,
                    delta,
                    occurred_at,
                    created_at,
                    metadata: name.map(|name| EventMetadata {
                        points: Some(delta.abs()),
                        ..EventMetadata::named(name, Actor::Parent)
                    }),
                }
            },
        )
}

/// Serializes the parts as the wire would carry them, bypassing the constructor.
fn wire_json(parts: &TrackingEventParts) -> serde_json::Value {
    json!({
        "id": parts.id, "user_id": parts.user_id, "child_id": parts.child_id,
        "entity_type": parts.entity_type, "entity_id": parts.entity_id, "action": parts.action,
        "points_before": parts.points_before, "points_after": parts.points_after, "delta": parts.delta,
        "occurred_at": parts.occurred_at, "created_at": parts.created_at, "metadata": parts.metadata,
    })
}

/// Asserts that the constructor and deserialization both refuse `parts`, and returns the reason.
fn refused(parts: TrackingEventParts) -> ModelError {
    let from_json = serde_json::from_value::<TrackingEvent>(wire_json(&parts));
    let error = TrackingEvent::new(parts).expect_err("an invalid event was built");
    let json_error = from_json
        .expect_err("an invalid event was deserialized")
        .to_string();
    assert!(
        json_error.contains(&error.to_string()),
        "{json_error} does not say {error}"
    );
    error
}

proptest! {
    #[test]
    fn every_valid_event_round_trips_through_json(parts in valid_parts()) {
        let event = TrackingEvent::new(parts.clone()).unwrap();
        let text = serde_json::to_string(&event).unwrap();
        let back: TrackingEvent = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &event);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
        prop_assert_eq!(back.into_parts(), parts);
    }

    #[test]
    fn the_written_json_is_what_serializing_writes_and_clones_share_it(parts in valid_parts()) {
        let event = TrackingEvent::new(parts).unwrap();
        let expected = serde_json::to_string(&event).unwrap();
        let written = event.json().unwrap();
        prop_assert_eq!(written, expected.as_str());
        let clone = event.clone();
        prop_assert!(std::ptr::eq(clone.json().unwrap(), written));
        let body = serde_json::to_string(event.body()).unwrap();
        prop_assert_eq!(event.body_json().unwrap(), &body[1..body.len() - 1]);
        let anonymized = event.clone().anonymized();
        let expected = serde_json::to_string(&anonymized).unwrap();
        prop_assert_eq!(anonymized.json().unwrap(), expected.as_str());
        prop_assert_eq!(&anonymized, &event.clone().anonymized());
    }

    #[test]
    fn a_tracked_mutations_json_is_what_serializing_writes(
        parts in valid_parts(),
        name in "[a-zA-Z \"\\\\\n\u{2028}]{0,12}",
        pending in any::<bool>(),
    ) {
        let event = TrackingEvent::new(parts).unwrap();
        let child = Child {
            id: event.child_id(),
            user_id: UserId::generate(),
            name,
            points: event.points_after(),
            created_at: event.created_at(),
        };
        let reward_request = pending.then(|| RewardRequest {
            id: RewardRequestId::generate(),
            child_id: event.child_id(),
            reward_id: RewardId::generate(),
            status: RewardRequestStatus::Pending,
            requested_at: event.occurred_at(),
            resolved_at: None,
        });
        let mutation = TrackedMutation { child, tracking_event: event, reward_request };
        prop_assert_eq!(mutation.json().unwrap(), serde_json::to_string(&mutation).unwrap());
    }

    #[test]
    fn a_delta_that_disagrees_with_the_points_is_refused(parts in valid_parts(), off in 1_i64..1000) {
        let error = refused(TrackingEventParts { delta: parts.delta + off, ..parts });
        let inconsistent = matches!(error, ModelError::InconsistentDelta { .. });
        prop_assert!(inconsistent, "{:?}", error);
    }

    #[test]
    fn an_action_that_does_not_fit_the_entity_is_refused(parts in valid_parts()) {
        let action = match parts.entity_type {
            EntityType::Task | EntityType::Penalty => Action::Redeemed,
            EntityType::Reward => Action::Activated,
        };
        let error = refused(TrackingEventParts { action, ..parts });
        let mismatch = matches!(error, ModelError::ActionMismatch { .. } | ModelError::DeltaSign { .. });
        prop_assert!(mismatch, "{:?}", error);
    }

    #[test]
    fn a_delta_of_the_wrong_sign_is_refused(parts in valid_parts(), size in 1_i64..1_000_000) {
        let delta = match (parts.entity_type, parts.action) {
            (EntityType::Task, _) => -size,
            (EntityType::Reward, Action::Redeemed) => size - 1,
            _ => size,
        };
        let points_after = parts.points_before + delta;
        let error = refused(TrackingEventParts { delta, points_after, ..parts });
        let sign = matches!(error, ModelError::DeltaSign { .. });
        prop_assert!(sign, "{:?}", error);
    }

    #[test]
    fn created_before_occurred_is_refused(parts in valid_parts(), early in 1_i64..1_000_000) {
        let Ok(created_at) = parts.occurred_at.plus_millis(-early) else { return Ok(()) };
        let error = refused(TrackingEventParts { created_at, ..parts });
        prop_assert_eq!(error, ModelError::CreatedBeforeOccurred);
    }

    #[test]
    fn points_beyond_the_javascript_range_are_refused(parts in valid_parts(), beyond in 1_i64..1_000_000) {
        let points_before = MAX_POINTS + beyond;
        let points_after = points_before + parts.delta;
        let error = refused(TrackingEventParts { points_before, points_after, ..parts });
        let range = matches!(error, ModelError::OutOfRange { .. });
        prop_assert!(range, "{:?}", error);
    }
}

#[test]
fn unknown_fields_and_non_object_metadata_are_refused() {
    let event = serde_json::to_value(sample()).unwrap();
    let mut extra = event.clone();
    extra["colour"] = json!("red");
    assert!(serde_json::from_value::<TrackingEvent>(extra).is_err());
    let mut list = event.clone();
    list["metadata"] = json!([1, 2]);
    assert!(serde_json::from_value::<TrackingEvent>(list).is_err());
    let mut huge = event;
    huge["metadata"] = json!({"entity_name": "x", "points": 9_007_199_254_740_992_u64});
    assert!(serde_json::from_value::<TrackingEvent>(huge).is_err());
}

#[test]
fn anonymizing_clears_only_the_user() {
    let event = sample();
    let anonymous = event.clone().anonymized();
    assert_eq!(anonymous.user_id(), None);
    assert_eq!(
        TrackingEventParts {
            user_id: event.user_id(),
            ..anonymous.into_parts()
        },
        event.into_parts()
    );
}

#[test]
fn a_version_one_event_without_an_actor_reads_as_made_by_the_parent() {
    let line = r#"{"id":"01JKZ8Q4V3X9T7M2N5P6R8S0AB","user_id":"01JKZ8M1C2D3E4F5G6H7J8K9MN","child_id":"01JKZ8N0P1Q2R3S4T5V6W7X8YZ","entity_type":"task","entity_id":"01JKZ8P9A8B7C6D5E4F3G2H1JK","action":"activated","points_before":10,"points_after":15,"delta":5,"occurred_at":"2026-02-09T18:42:15.123Z","created_at":"2026-02-09T18:42:15.125Z","metadata":{"entity_name":"Make bed","is_good":true,"points":5}}"#;
    let event: TrackingEvent = serde_json::from_str(line).unwrap();
    let metadata = event.metadata().unwrap();
    assert_eq!(metadata.actor, Actor::Parent);
    assert_eq!(metadata.entity_name, "Make bed");
    assert_eq!((metadata.points, metadata.is_good), (Some(5), Some(true)));
    let written = serde_json::to_value(&event).unwrap();
    assert_eq!(written["metadata"]["actor"], "parent");
}

fn sample() -> TrackingEvent {
    let now = Timestamp::now();
    TrackingEvent::new(TrackingEventParts {
        id: EventId::generate(),
        user_id: Some(UserId::generate()),
        child_id: ChildId::generate(),
        entity_type: EntityType::Task,
        entity_id: EntityId::generate(),
        action: Action::Activated,
        points_before: 10,
        points_after: 15,
        delta: 5,
        occurred_at: now,
        created_at: now,
        metadata: None,
    })
    .unwrap()
}
