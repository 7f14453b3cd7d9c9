//! Each event becomes one JSON line with every field of the contract, in its user's own file.

mod common;

use std::fs;

use common::{KINDS, event, read_lines};
use serde_json::{Value, json};
use tracking_audit::{AuditConfig, AuditLog, file_name};
use tracking_model::test_support::EventBuilder;
use tracking_model::{Action, EntityType, TrackingEvent, UserId};

#[test]
fn every_action_gives_one_line_with_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    let events: Vec<TrackingEvent> = KINDS
        .iter()
        .enumerate()
        .map(|(n, &(entity_type, action, delta))| {
            event(Some(user), entity_type, action, delta, 100 + n as i64)
        })
        .collect();
    for (n, event) in events.iter().enumerate() {
        log.record(event, 41 + n as u64).unwrap();
    }

    let path = dir.path().join(format!("tracking_user_{user}.log"));
    assert_eq!(log.file_path(user), path);
    let lines = read_lines(&path);
    assert_eq!(lines.len(), events.len());
    for (n, (line, event)) in lines.iter().zip(&events).enumerate() {
        let expected = json!({
            "tracking_event_id": event.id().to_string(),
            "user_id": user.to_string(),
            "child_id": event.child_id().to_string(),
            "entity_type": event.entity_type().as_str(),
            "entity_id": event.entity_id().to_string(),
            "action": event.action().as_str(),
            "points_before": event.points_before(),
            "points_after": event.points_after(),
            "delta": event.delta(),
            "occurred_at": "2026-02-09T18:42:15.123Z",
            "created_at": "2026-02-09T18:42:15.125Z",
            "metadata": { "entity_name": "Make bed", "actor": "parent", "points": event.delta().abs() },
            "family_sequence": 41 + n,
        });
        assert_eq!(line, &expected);
    }
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "activated",
            "activated",
            "requested",
            "redeemed",
            "cancelled"
        ]
    );
}

#[test]
fn a_line_is_exactly_the_json_object_and_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    let event = event(Some(user), EntityType::Task, Action::Activated, 5, 10);
    log.record(&event, 0).unwrap();
    let text = fs::read_to_string(log.file_path(user)).unwrap();
    let body = text
        .strip_suffix('\n')
        .expect("the line ends with a newline");
    assert!(!body.contains('\n'));
    assert!(body.starts_with("{\"tracking_event_id\":\""), "{body}");
    assert!(body.ends_with('}'), "{body}");
}

#[test]
fn names_from_users_cannot_break_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    let nasty = "Make bed\n{\"forged\":true}\r\n\u{2028}\"}";
    let event = EventBuilder::new()
        .user(user)
        .points_before(10)
        .metadata(serde_json::from_value(json!({ "entity_name": nasty })).ok())
        .build();
    log.record(&event, 0).unwrap();

    let lines = read_lines(&log.file_path(user));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["metadata"]["entity_name"], Value::from(nasty));
}

#[test]
fn an_event_without_metadata_writes_null() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    let event = EventBuilder::new()
        .user(user)
        .action(EntityType::Reward, Action::Requested, 0)
        .points_before(7)
        .metadata(None)
        .build();
    log.record(&event, 0).unwrap();
    assert_eq!(read_lines(&log.file_path(user))[0]["metadata"], Value::Null);
}

#[test]
fn each_user_has_a_file_from_the_first_event_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let (alex, sam) = (UserId::generate(), UserId::generate());
    assert!(common::names(dir.path()).is_empty());

    log.record(&common::numbered(alex, 1), 0).unwrap();
    assert_eq!(common::names(dir.path()), [file_name(alex)]);
    log.record(&common::numbered(sam, 2), 0).unwrap();
    log.record(&common::numbered(alex, 3), 0).unwrap();

    assert_eq!(common::numbers(&log.file_path(alex)), [1, 3]);
    assert_eq!(common::numbers(&log.file_path(sam)), [2]);
    for line in read_lines(&log.file_path(sam)) {
        assert_eq!(line["user_id"], Value::from(sam.to_string()));
    }
}

#[test]
fn an_event_without_a_user_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    let anonymous = common::numbered(user, 1).anonymized();
    log.record(&anonymous, 0).unwrap();
    assert!(common::names(dir.path()).is_empty());
    assert_eq!(log.open_files(), 0);
}

#[test]
fn a_missing_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("logs");
    let log = AuditLog::new(AuditConfig::new(&nested)).unwrap();
    assert!(nested.is_dir());

    // Also when it disappears while the server runs.
    fs::remove_dir_all(dir.path().join("a")).unwrap();
    let user = UserId::generate();
    log.record(&common::numbered(user, 1), 0).unwrap();
    assert_eq!(common::numbers(&log.file_path(user)), [1]);
}

#[test]
fn an_audit_log_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<AuditLog>();
}
