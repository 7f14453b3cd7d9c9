//! Threads writing at once: lines stay whole, none is lost or written twice.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use common::{names, numbered, read_lines};
use serde_json::json;
use tracking_audit::{AuditConfig, AuditLog};
use tracking_model::test_support::EventBuilder;
use tracking_model::{Action, EntityType, TrackingEvent, UserId};

const THREADS: i64 = 8;
const LINES: i64 = 300;

/// An event with an entity name long enough that one line outgrows log4rs's 1 KiB buffer.
fn long_event(user: UserId, number: i64) -> TrackingEvent {
    let name = format!("{number:06}-").repeat(400);
    EventBuilder::new()
        .user(user)
        .action(EntityType::Task, Action::Activated, 1)
        .points_before(number)
        .metadata(serde_json::from_value(json!({ "entity_name": name })).ok())
        .build()
}

#[test]
fn concurrent_lines_of_one_user_stay_whole() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(AuditLog::new(AuditConfig::new(dir.path())).unwrap());
    let user = UserId::generate();
    let writers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for n in 0..LINES {
                    log.record(&long_event(user, thread * LINES + n), 0)
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }

    let lines = read_lines(&log.file_path(user));
    assert_eq!(lines.len() as i64, THREADS * LINES);
    let mut seen = HashSet::new();
    for line in &lines {
        let number = line["points_before"].as_i64().unwrap();
        let name = line["metadata"]["entity_name"].as_str().unwrap();
        assert_eq!(name, format!("{number:06}-").repeat(400));
        assert!(seen.insert(number), "line {number} written twice");
    }
    // Each thread's own lines keep their order.
    for thread in 0..THREADS {
        let own: Vec<i64> = lines
            .iter()
            .map(|line| line["points_before"].as_i64().unwrap())
            .filter(|number| number / LINES == thread)
            .collect();
        assert!(own.windows(2).all(|pair| pair[0] < pair[1]));
    }
}

#[test]
fn concurrent_users_crowding_a_tiny_bound_lose_nothing() {
    // Four users per thread, eight threads, two open files: slots are evicted constantly, also
    // while other threads wait for them.
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(
        AuditLog::new(AuditConfig {
            max_open_files: 2,
            max_bytes: 4096,
            backups: 1_000,
            ..AuditConfig::new(dir.path())
        })
        .unwrap(),
    );
    let users: Arc<Vec<UserId>> = Arc::new((0..6).map(|_| UserId::generate()).collect());
    let writers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (log, users) = (Arc::clone(&log), Arc::clone(&users));
            thread::spawn(move || {
                for n in 0..LINES {
                    let user = users[((thread + n) % 6) as usize];
                    log.record(&numbered(user, thread * LINES + n), 0).unwrap();
                    assert!(log.open_files() <= 2);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }

    let mut seen = HashSet::new();
    for name in names(dir.path()) {
        let lines = read_lines(&dir.path().join(&name));
        for line in lines {
            let number = line["points_before"].as_i64().unwrap();
            let user = users[((number / LINES + number % LINES) % 6) as usize];
            assert!(
                name.starts_with(&format!("tracking_user_{user}.log")),
                "{name}"
            );
            assert!(seen.insert(number), "line {number} written twice");
        }
    }
    assert_eq!(seen.len() as i64, THREADS * LINES);
}
