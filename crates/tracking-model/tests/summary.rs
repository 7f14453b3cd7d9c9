//! Summaries of small known histories: totals, `good_share`, buckets across a daylight saving
//! change, and the JSON shape of the contract.

mod support;

use serde_json::json;
use support::{at, penalty, reward, task};
use tracking_model::{
    Action, ChildId, SummaryParams, SummaryScope, Totals, TrackingEvent, summarize,
};

fn params(pairs: &[(&str, &str)]) -> SummaryParams {
    SummaryParams::from_pairs(pairs.iter().copied(), SummaryScope::Child).unwrap()
}

/// Sunday 2026-03-08 in Los Angeles lasts 23 hours; the events straddle its edges.
fn history(child: ChildId) -> Vec<TrackingEvent> {
    vec![
        task(child, 10, "2026-03-08T07:59:59.999Z"), // Sat 7 Mar 23:59:59.999 PST
        task(child, 5, "2026-03-08T08:00:00.000Z"),  // Sun 8 Mar 00:00 PST
        penalty(child, 3, "2026-03-09T06:59:59.999Z"), // Sun 8 Mar 23:59:59.999 PDT
        reward(child, Action::Requested, 0, "2026-03-09T07:00:00.000Z"), // Mon 9 Mar 00:00 PDT
        reward(child, Action::Redeemed, 8, "2026-03-09T18:00:00.000Z"),
        reward(child, Action::Cancelled, 0, "2026-03-10T18:00:00.000Z"),
        task(ChildId::generate(), 99, "2026-03-08T12:00:00.000Z"), // another child
    ]
}

#[test]
fn totals_follow_the_contract_definitions() {
    let child = ChildId::generate();
    let events = history(child);
    let summary = summarize(child, 12, &params(&[]), &events).unwrap();
    assert_eq!(
        summary.totals,
        Totals {
            earned: 15,
            lost: 3,
            spent: 8,
            tasks_activated: 2,
            penalties_activated: 1,
            rewards_requested: 1,
            rewards_redeemed: 1,
            rewards_cancelled: 1,
        }
    );
    assert_eq!(summary.good_share, Some(15.0 / 18.0));
    assert_eq!(summary.buckets, None);
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["tz"], "UTC");
    assert_eq!(json["from"], serde_json::Value::Null);
    assert!(json.get("buckets").is_none(), "buckets without bucket");
}

#[test]
fn days_in_los_angeles_cut_at_its_midnight_across_the_spring_change() {
    let child = ChildId::generate();
    let events = history(child);
    let summary = summarize(
        child,
        12,
        &params(&[
            ("tz", "America/Los_Angeles"),
            ("bucket", "day"),
            ("from", "2026-03-07"),
            ("to", "2026-03-10"),
        ]),
        &events,
    )
    .unwrap();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(
        json,
        json!({
            "child_id": child.to_string(),
            "points": 12,
            "from": "2026-03-07T08:00:00.000Z",
            "to": "2026-03-10T07:00:00.000Z",
            "tz": "America/Los_Angeles",
            "totals": {"earned": 15, "lost": 3, "spent": 8,
                       "tasks_activated": 2, "penalties_activated": 1,
                       "rewards_requested": 1, "rewards_redeemed": 1, "rewards_cancelled": 0},
            "good_share": 15.0 / 18.0,
            "buckets": [
                {"start": "2026-03-07T08:00:00.000Z", "earned": 10, "lost": 0, "spent": 0},
                {"start": "2026-03-08T08:00:00.000Z", "earned": 5, "lost": 3, "spent": 0},
                {"start": "2026-03-09T07:00:00.000Z", "earned": 0, "lost": 0, "spent": 8},
            ],
        })
    );
}

#[test]
fn a_period_with_only_requests_is_still_listed() {
    let child = ChildId::generate();
    let events = [reward(child, Action::Requested, 0, "2026-02-10T10:00:00Z")];
    let summary = summarize(child, 0, &params(&[("bucket", "week")]), &events).unwrap();
    let buckets = summary.buckets.unwrap();
    assert_eq!(buckets.len(), 1);
    assert_eq!(buckets[0].start, at("2026-02-09T00:00:00Z"));
    assert_eq!(
        (buckets[0].earned, buckets[0].lost, buckets[0].spent),
        (0, 0, 0)
    );
}

#[test]
fn good_share_is_null_without_earned_or_lost() {
    let child = ChildId::generate();
    let none: [TrackingEvent; 0] = [];
    let empty = summarize(child, 0, &params(&[("bucket", "month")]), &none).unwrap();
    assert_eq!(empty.good_share, None);
    assert_eq!(empty.buckets, Some(vec![]));
    let json = serde_json::to_value(&empty).unwrap();
    assert_eq!(json["good_share"], serde_json::Value::Null);
    assert_eq!(json["buckets"], json!([]));

    let rewards_only = [reward(child, Action::Redeemed, 4, "2026-02-10T10:00:00Z")];
    let summary = summarize(child, 0, &params(&[]), &rewards_only).unwrap();
    assert_eq!(summary.totals.spent, 4);
    assert_eq!(summary.good_share, None);

    let zero_point_task = [task(child, 0, "2026-02-10T10:00:00Z")];
    let summary = summarize(child, 0, &params(&[]), &zero_point_task).unwrap();
    assert_eq!(summary.totals.tasks_activated, 1);
    assert_eq!(summary.good_share, None);

    let only_lost = [penalty(child, 2, "2026-02-10T10:00:00Z")];
    let summary = summarize(child, 0, &params(&[]), &only_lost).unwrap();
    assert_eq!(summary.good_share, Some(0.0));
}

#[test]
fn running_totals_subtract_to_the_totals_of_a_range() {
    let child = ChildId::generate();
    let events = history(child);
    let mut running = vec![Totals::ZERO];
    for event in &events {
        let mut next = *running.last().unwrap();
        next.record(event);
        running.push(next);
    }
    assert_eq!(
        running[5].since(running[1]),
        Totals::of_events(&events[1..5])
    );
    assert_eq!(running[5] - running[5], Totals::ZERO);
    assert_eq!(
        running[2] + running[3].since(running[2]),
        running[3],
        "since is the inverse of combine"
    );
}

#[test]
fn a_summary_deserializes_back_and_refuses_unknown_fields() {
    let child = ChildId::generate();
    let events = history(child);
    let summary = summarize(child, 3, &params(&[("bucket", "day")]), &events).unwrap();
    let text = serde_json::to_string(&summary).unwrap();
    assert_eq!(
        serde_json::from_str::<tracking_model::ChildSummary>(&text).unwrap(),
        summary
    );
    let mut json = serde_json::to_value(&summary).unwrap();
    json["extra"] = json!(1);
    assert!(serde_json::from_value::<tracking_model::ChildSummary>(json).is_err());
}
