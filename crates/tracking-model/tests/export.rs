//! Export round trips: CSV written one event at a time parses back (with the `csv` crate) into
//! the same events, whatever the names hold; NDJSON lines parse back too.

mod support;

use proptest::prelude::*;
use serde_json::json;
use support::{at, event};
use tracking_model::{
    Action, Actor, CSV_HEADER, ChildId, EntityType, ExportFormat, ExportWriter, TrackingEvent,
    TrackingEventParts,
};

const NAMES: [&str; 12] = [
    "He said \"hi\"",
    "a, b, c",
    "line one\nline two\r\nline three",
    "Zoë's 🍦 — 日本語",
    "=HYPERLINK(\"http://example.com\",\"x\")",
    "-2+3",
    "+1",
    "@SUM(A1:A9)",
    "\tindented",
    "\rreturn",
    "'quoted",
    "",
];

/// The inverse of the export's formula guard, for cells that are not numbers.
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

fn parse_back(bytes: &[u8]) -> Vec<TrackingEvent> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte order mark first");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers, CSV_HEADER);
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            assert_eq!(record.len(), CSV_HEADER.len());
            let text = |index: usize| unguard(&record[index]).to_owned();
            let number = |index: usize| record[index].parse::<i64>().unwrap();
            let user = text(1);
            let metadata = text(11);
            TrackingEvent::new(TrackingEventParts {
                id: text(0).parse().unwrap(),
                user_id: (!user.is_empty()).then(|| user.parse().unwrap()),
                child_id: text(2).parse().unwrap(),
                entity_type: serde_json::from_value(json!(text(3))).unwrap(),
                entity_id: text(4).parse().unwrap(),
                action: serde_json::from_value(json!(text(5))).unwrap(),
                points_before: number(6),
                points_after: number(7),
                delta: number(8),
                occurred_at: at(&text(9)),
                created_at: at(&text(10)),
                metadata: (!metadata.is_empty()).then(|| serde_json::from_str(&metadata).unwrap()),
            })
            .unwrap()
        })
        .collect()
}

/// One event per name, of every kind, some with a deleted user or no metadata, some with the name
/// as a metadata key too.
fn tricky_events() -> Vec<TrackingEvent> {
    let child = ChildId::generate();
    let kinds = [
        (EntityType::Task, Action::Activated, 5),
        (EntityType::Penalty, Action::Activated, -3),
        (EntityType::Reward, Action::Requested, 0),
        (EntityType::Reward, Action::Redeemed, -7),
        (EntityType::Reward, Action::Cancelled, 0),
    ];
    NAMES
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let (entity_type, action, delta) = kinds[index % kinds.len()];
            let occurred_at = at("2026-02-09T18:00:00Z")
                .plus_millis(index as i64)
                .unwrap();
            let mut parts =
                event(child, entity_type, action, delta, occurred_at, name).into_parts();
            match index % 3 {
                0 => parts.user_id = None,
                1 => {
                    let metadata = parts.metadata.as_mut().unwrap();
                    metadata.actor = Actor::Child;
                    metadata.entity_name.push_str(name);
                }
                _ if index == NAMES.len() - 1 => parts.metadata = None,
                _ => {}
            }
            TrackingEvent::new(parts).unwrap()
        })
        .collect()
}

#[test]
fn csv_round_trips_names_with_quotes_commas_newlines_and_formulas() {
    let events = tricky_events();
    let mut export = ExportWriter::new(ExportFormat::Csv, Vec::new()).unwrap();
    let mut sizes = vec![export.get_mut().len()];
    for event in &events {
        export.write_event(event).unwrap();
        sizes.push(export.get_mut().len());
    }
    // Streaming: every event reaches the sink as it is written.
    assert!(sizes.windows(2).all(|pair| pair[0] < pair[1]), "{sizes:?}");
    let bytes = export.into_inner();
    assert_eq!(parse_back(&bytes), events);
}

#[test]
fn csv_rows_follow_rfc_4180_and_keep_numbers_plain() {
    let child = ChildId::generate();
    let penalty = event(
        child,
        EntityType::Penalty,
        Action::Activated,
        -3,
        at("2026-02-09T18:00:00Z"),
        "=cmd|' /C calc'!A0",
    )
    .anonymized();
    let mut bytes = Vec::new();
    tracking_model::write_csv_row(&mut bytes, &penalty).unwrap();
    let row = String::from_utf8(bytes).unwrap();
    let expected = format!(
        "{},,{},penalty,{},activated,100,97,-3,2026-02-09T18:00:00.000Z,2026-02-09T18:00:00.000Z,\"{{\"\"actor\"\":\"\"parent\"\",\"\"entity_name\"\":\"\"=cmd|' /C calc'!A0\"\"}}\"\r\n",
        penalty.id(),
        penalty.child_id(),
        penalty.entity_id(),
    );
    assert_eq!(row, expected);

    let mut header = Vec::new();
    tracking_model::write_csv_header(&mut header).unwrap();
    assert_eq!(
        String::from_utf8(header).unwrap(),
        "\u{feff}id,user_id,child_id,entity_type,entity_id,action,points_before,points_after,delta,occurred_at,created_at,metadata\r\n"
    );
}

#[test]
fn ndjson_is_one_event_per_line() {
    let events = tricky_events();
    let mut export = ExportWriter::new(ExportFormat::Ndjson, Vec::new()).unwrap();
    assert!(export.get_mut().is_empty(), "no preamble");
    for event in &events {
        export.write_event(event).unwrap();
    }
    let text = String::from_utf8(export.into_inner()).unwrap();
    assert!(text.ends_with('\n'));
    let parsed: Vec<TrackingEvent> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(parsed, events);
}

proptest! {
    #[test]
    fn csv_round_trips_any_name(
        names in prop::collection::vec("[=+@\t\r-]?[a-zA-Z0-9ëß日🍦\"',;\n\r\t =+-]{0,16}", 1..8),
    ) {
        let child = ChildId::generate();
        let events: Vec<TrackingEvent> = names
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let occurred_at = at("2026-02-09T18:00:00Z").plus_millis(index as i64).unwrap();
                let mut parts = event(child, EntityType::Task, Action::Activated, 2, occurred_at, name)
                    .into_parts();
                parts.metadata.as_mut().unwrap().entity_name.push_str(name);
                TrackingEvent::new(parts).unwrap()
            })
            .collect();
        let mut export = ExportWriter::new(ExportFormat::Csv, Vec::new()).unwrap();
        for event in &events {
            export.write_event(event).unwrap();
        }
        prop_assert_eq!(parse_back(&export.into_inner()), events);
    }
}
