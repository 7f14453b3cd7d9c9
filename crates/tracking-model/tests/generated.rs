//! Drift checks for the files generated from the Rust types: `frontend-bindings/src/models.ts`
//! and the example documents in `fixtures/`. Run with `UPDATE_GENERATED=1` to rewrite them.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tracking_model::typescript::{REGENERATE_COMMAND, models_ts};
use tracking_model::{
    Action, Actor, Child, ChildId, EntityId, EntityType, ErrorBody, ErrorCode, EventId,
    EventMetadata, ExportFormat, ExportWriter, FamilyRanking, InvalidField, Page, RewardId,
    RewardRequest, RewardRequestId, RewardRequestStatus, Standing, StreamResetReason,
    SummaryParams, SummaryScope, TaskId, Timestamp, Totals, TrackedMutation, TrackingEvent,
    TrackingEventCreated, TrackingEventParts, TrackingStreamReset, UserId, summarize,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compares `path` with `expected`; rewrites it instead when `UPDATE_GENERATED` is set.
fn ensure_file_contents(relative: &str, expected: &str) {
    let path = repo_root().join(relative);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    // Rewrite only what changed: another test of this file may be reading an unchanged file.
    if std::env::var_os("UPDATE_GENERATED").is_some() && actual != expected {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, expected).unwrap();
        return;
    }
    assert!(
        actual == expected,
        "{relative} is stale: it differs from what the Rust types generate.\nRefresh it with:\n\n    {REGENERATE_COMMAND}\n"
    );
}

fn json_text<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    text
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn id<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().unwrap()
}

const USER: &str = "01JKZ8M1C2D3E4F5G6H7J8K9MN";
const CHILD: &str = "01JKZ8N0P1Q2R3S4T5V6W7X8YZ";
const TASK: &str = "01JKZ8P9A8B7C6D5E4F3G2H1JK";
const PENALTY: &str = "01JKZ8PA0B1C2D3E4F5G6H7J8K";
const REWARD: &str = "01JKZ8PB1C2D3E4F5G6H7J8K9M";
const REQUEST: &str = "01JKZ8Q6B0C1D2E3F4G5H6J7K8";
const REWARD_COST: i64 = 10;

/// One event of each kind, a chain for one child: 10 → 15 → 12 → 12 → 2 → 2.
fn example_events() -> Vec<(&'static str, TrackingEvent)> {
    let steps = [
        (
            "task_activated",
            "01JKZ8Q4V3X9T7M2N5P6R8S0AB",
            EntityType::Task,
            TASK,
            Action::Activated,
            10,
            15,
            "Make bed",
            "18:42:15.123",
        ),
        (
            "penalty_activated",
            "01JKZ8Q5A0B1C2D3E4F5G6H7J8",
            EntityType::Penalty,
            PENALTY,
            Action::Activated,
            15,
            12,
            "Hitting sibling",
            "18:43:02.001",
        ),
        (
            "reward_requested",
            "01JKZ8Q6A0B1C2D3E4F5G6H7J8",
            EntityType::Reward,
            REWARD,
            Action::Requested,
            12,
            12,
            "Ice cream",
            "18:44:30.500",
        ),
        (
            "reward_redeemed",
            "01JKZ8Q7A0B1C2D3E4F5G6H7J8",
            EntityType::Reward,
            REWARD,
            Action::Redeemed,
            12,
            2,
            "Ice cream",
            "18:45:00.000",
        ),
        (
            "reward_cancelled",
            "01JKZ8Q8A0B1C2D3E4F5G6H7J8",
            EntityType::Reward,
            REWARD,
            Action::Cancelled,
            2,
            2,
            "Ice cream",
            "18:46:10.250",
        ),
    ];
    steps
        .into_iter()
        .map(
            |(name, event_id, entity_type, entity, action, before, after, entity_name, time)| {
                let occurred_at = at(&format!("2026-02-09T{time}Z"));
                let metadata = example_metadata(entity_type, action, after - before, entity_name);
                let event = TrackingEvent::new(TrackingEventParts {
                    id: id::<EventId>(event_id),
                    user_id: Some(id::<UserId>(USER)),
                    child_id: id::<ChildId>(CHILD),
                    entity_type,
                    entity_id: id::<EntityId>(entity),
                    action,
                    points_before: before,
                    points_after: after,
                    delta: after - before,
                    occurred_at,
                    created_at: occurred_at.plus_millis(2).unwrap(),
                    metadata: Some(metadata),
                })
                .unwrap();
                (name, event)
            },
        )
        .collect()
}

/// What the server records: the entity's size, the request a reward event touches, and who acted
/// (the child asks for and withdraws its reward on its own device, the parent does the rest).
fn example_metadata(
    entity_type: EntityType,
    action: Action,
    delta: i64,
    entity_name: &str,
) -> EventMetadata {
    let actor = match action {
        Action::Requested | Action::Cancelled => Actor::Child,
        Action::Activated | Action::Redeemed => Actor::Parent,
    };
    let named = EventMetadata::named(entity_name, actor);
    match entity_type {
        EntityType::Task | EntityType::Penalty => EventMetadata {
            points: Some(delta.abs()),
            is_good: Some(entity_type == EntityType::Task),
            ..named
        },
        EntityType::Reward => EventMetadata {
            cost: Some(REWARD_COST),
            reward_request_id: Some(id(REQUEST)),
            ..named
        },
    }
}

#[test]
fn models_ts_is_fresh() {
    ensure_file_contents("frontend-bindings/src/models.ts", &models_ts());
}

#[test]
fn fixtures_are_fresh() {
    let events = example_events();
    for (name, event) in &events {
        ensure_file_contents(&format!("fixtures/events/{name}.json"), &json_text(event));
    }
    let all: Vec<TrackingEvent> = events.iter().map(|(_, event)| event.clone()).collect();
    let page = Page {
        items: all[..2].to_vec(),
        total: all.len() as u64,
        limit: 2,
        offset: 0,
    };
    ensure_file_contents("fixtures/page.json", &json_text(&page));
    ensure_file_contents(
        "fixtures/sse_tracking_event_created.json",
        &json_text(&TrackingEventCreated::from(&all[0])),
    );
    ensure_file_contents(
        "fixtures/sse_tracking_stream_reset.json",
        &json_text(&TrackingStreamReset {
            reason: StreamResetReason::TooFarBehind,
        }),
    );

    let redeemed = &all[3];
    let mutation = TrackedMutation {
        child: Child {
            id: redeemed.child_id(),
            user_id: id(USER),
            name: "Sam".into(),
            points: redeemed.points_after(),
            created_at: at("2026-02-01T08:00:00.000Z"),
        },
        tracking_event: redeemed.clone(),
        reward_request: Some(RewardRequest {
            id: id::<RewardRequestId>(REQUEST),
            child_id: redeemed.child_id(),
            reward_id: id::<RewardId>(REWARD),
            status: RewardRequestStatus::Redeemed,
            requested_at: all[2].occurred_at(),
            resolved_at: Some(redeemed.occurred_at()),
        }),
    };
    ensure_file_contents("fixtures/tracked_mutation.json", &json_text(&mutation));
    ensure_file_contents(
        "fixtures/error_insufficient_points.json",
        &json_text(&ErrorBody::new(
            ErrorCode::InsufficientPoints,
            "child has 3 points, reward costs 10",
        )),
    );
    ensure_file_contents(
        "fixtures/error_invalid_request.json",
        &json_text(&ErrorBody::from(InvalidField::new(
            "limit",
            "must be an integer from 1 to 500",
        ))),
    );
    let _ = id::<TaskId>(TASK);
}

/// A task activated for another child of the family.
fn other_child_task(child: &str, event: &str, delta: i64, time: &str) -> TrackingEvent {
    let occurred_at = at(time);
    TrackingEvent::new(TrackingEventParts {
        id: id(event),
        user_id: Some(id(USER)),
        child_id: id(child),
        entity_type: EntityType::Task,
        entity_id: id(TASK),
        action: Action::Activated,
        points_before: 0,
        points_after: delta,
        delta,
        occurred_at,
        created_at: occurred_at,
        metadata: None,
    })
    .unwrap()
}

#[test]
fn summary_fixtures_are_fresh() {
    let events: Vec<TrackingEvent> = example_events().into_iter().map(|(_, e)| e).collect();
    let params = SummaryParams::from_pairs(
        [
            ("from", "2026-02-01"),
            ("to", "2026-03-01"),
            ("tz", "America/Los_Angeles"),
            ("bucket", "day"),
        ],
        SummaryScope::Child,
    )
    .unwrap();
    let sam = id::<ChildId>(CHILD);
    let summary = summarize(sam, 2, &params, &events).unwrap();
    ensure_file_contents("fixtures/child_summary.json", &json_text(&summary));

    const ROBIN: &str = "01JKZ8N1A2B3C4D5E6F7G8H9JK";
    const ZOE: &str = "01JKZ8N2A2B3C4D5E6F7G8H9JK";
    let robin = [other_child_task(
        ROBIN,
        "01JKZ8Q9A0B1C2D3E4F5G6H7J8",
        5,
        "2026-02-09T17:00:00.000Z",
    )];
    let ranking = FamilyRanking::rank([
        Standing {
            child_id: id(ZOE),
            name: "Zoë".into(),
            points: 0,
            totals: Totals::ZERO,
        },
        Standing {
            child_id: id(ROBIN),
            name: "Robin".into(),
            points: 5,
            totals: Totals::of_events(&robin),
        },
        Standing {
            child_id: sam,
            name: "Sam".into(),
            points: summary.points,
            totals: summary.totals,
        },
    ]);
    ensure_file_contents("fixtures/family_ranking.json", &json_text(&ranking));
}

#[test]
fn fixtures_parse_back_into_the_same_values() {
    for (name, event) in example_events() {
        let text =
            std::fs::read_to_string(repo_root().join(format!("fixtures/events/{name}.json")))
                .unwrap();
        assert_eq!(
            serde_json::from_str::<TrackingEvent>(&text).unwrap(),
            event,
            "{name}"
        );
    }
}

/// The example events, then two whose names need quoting or guarding in a spreadsheet.
fn export_events() -> Vec<TrackingEvent> {
    let mut events: Vec<TrackingEvent> = example_events().into_iter().map(|(_, e)| e).collect();
    let tricky = [
        (
            "01JKZ8QAA0B1C2D3E4F5G6H7J8",
            EntityType::Task,
            Action::Activated,
            2,
            "Tidy \"Lego\" room, then\nfeed the cat — Zoë's idea",
        ),
        (
            "01JKZ8QBA0B1C2D3E4F5G6H7J8",
            EntityType::Penalty,
            Action::Activated,
            -1,
            "=HYPERLINK(\"http://example.com\")",
        ),
    ];
    let mut points = events.last().unwrap().points_after();
    for (index, (event_id, entity_type, action, delta, name)) in tricky.into_iter().enumerate() {
        let occurred_at = at("2026-02-10T07:30:00.000Z")
            .plus_millis(index as i64 * 60_000)
            .unwrap();
        let metadata = example_metadata(entity_type, action, delta, name);
        events.push(
            TrackingEvent::new(TrackingEventParts {
                id: id(event_id),
                user_id: (index == 0).then(|| id(USER)),
                child_id: id(CHILD),
                entity_type,
                entity_id: id(if entity_type == EntityType::Task {
                    TASK
                } else {
                    PENALTY
                }),
                action,
                points_before: points,
                points_after: points + delta,
                delta,
                occurred_at,
                created_at: occurred_at.plus_millis(1).unwrap(),
                metadata: Some(metadata),
            })
            .unwrap(),
        );
        points += delta;
    }
    events
}

#[test]
fn export_fixtures_are_fresh() {
    let events = export_events();
    for format in ExportFormat::ALL {
        let mut export = ExportWriter::new(format, Vec::new()).unwrap();
        for event in &events {
            export.write_event(event).unwrap();
        }
        let text = String::from_utf8(export.into_inner()).unwrap();
        ensure_file_contents(&format!("fixtures/export.{format}"), &text);
    }
}
