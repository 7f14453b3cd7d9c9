//! Helpers shared by the test binaries: events of every kind, and reading files back.

#![allow(dead_code, unused_imports)]

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use tracking_audit::{AuditConfig, AuditLog};
use tracking_model::test_support::EventBuilder;
use tracking_model::{Action, EntityType, TrackingEvent, UserId};

pub use tracking_model::test_support::KINDS;

/// A valid event of `user` with the given kind; `points_before` tells events apart.
pub fn event(
    user: Option<UserId>,
    entity_type: EntityType,
    action: Action,
    delta: i64,
    points_before: i64,
) -> TrackingEvent {
    let metadata = json!({ "entity_name": "Make bed", "actor": "parent", "points": delta.abs() });
    EventBuilder::new()
        .user(user)
        .action(entity_type, action, delta)
        .points_before(points_before)
        .metadata(serde_json::from_value(metadata).ok())
        .build()
}

/// A task activation of `user` worth 1 point, starting at `points_before`.
pub fn numbered(user: UserId, points_before: i64) -> TrackingEvent {
    event(
        Some(user),
        EntityType::Task,
        Action::Activated,
        1,
        points_before,
    )
}

/// A log in `dir` whose every line passes the size limit, so each one is rolled away as soon as
/// it is written, keeping `backups` rolled files.
pub fn rolling_every_line(dir: &Path, backups: u32) -> AuditLog {
    AuditLog::new(AuditConfig {
        max_bytes: 1,
        backups,
        ..AuditConfig::new(dir)
    })
    .unwrap()
}

/// The lines of the file at `path`, each parsed as JSON; an absent file has none.
pub fn read_lines(path: &Path) -> Vec<Value> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => panic!("cannot read {}: {err}", path.display()),
    };
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} does not end with a newline",
        path.display()
    );
    text.lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("line {line:?} is not JSON: {err}"))
        })
        .collect()
}

/// The `points_before` of every line of the file at `path`.
pub fn numbers(path: &Path) -> Vec<i64> {
    read_lines(path)
        .iter()
        .map(|line| line["points_before"].as_i64().unwrap())
        .collect()
}

/// The names of the files in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// How many file descriptors of this process point into `dir`, on Linux.
pub fn fds_into(dir: &Path) -> usize {
    let dir = dir.canonicalize().unwrap();
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .count()
}
