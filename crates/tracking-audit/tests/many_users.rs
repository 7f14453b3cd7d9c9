//! Thousands of users with a small bound on open files: every line lands, few files stay open.

mod common;

use std::collections::HashMap;

use common::{fds_into, names, numbered, numbers};
use tracking_audit::{AuditConfig, AuditLog, file_name};
use tracking_model::UserId;

const USERS: usize = 2_000;
const ROUNDS: i64 = 3;
const BOUND: usize = 8;

#[test]
fn two_thousand_users_with_eight_open_files() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig {
        max_open_files: BOUND,
        ..AuditConfig::new(dir.path())
    })
    .unwrap();
    let users: Vec<UserId> = (0..USERS).map(|_| UserId::generate()).collect();
    let before = fds_into(dir.path());
    assert_eq!(before, 0);

    let mut most_open = 0;
    for round in 0..ROUNDS {
        for (n, &user) in users.iter().enumerate() {
            log.record(&numbered(user, round), 0).unwrap();
            if n % 97 == 0 {
                assert!(log.open_files() <= BOUND, "{} open", log.open_files());
                let fds = fds_into(dir.path());
                assert!(fds <= BOUND, "{fds} descriptors into the log directory");
                most_open = most_open.max(fds);
            }
        }
    }
    // The bound is used, not merely respected by having nothing open.
    assert_eq!(most_open, BOUND);
    assert_eq!(log.open_files(), BOUND);

    let files = names(dir.path());
    assert_eq!(files.len(), USERS);
    let expected: Vec<i64> = (0..ROUNDS).collect();
    for &user in &users {
        assert_eq!(numbers(&log.file_path(user)), expected, "{user}");
    }
    let mut per_user: HashMap<String, usize> = HashMap::new();
    for user in &users {
        *per_user.entry(file_name(*user)).or_default() += 1;
    }
    assert!(files.iter().all(|name| per_user.get(name) == Some(&1)));

    log.close_all();
    assert_eq!(log.open_files(), 0);
    assert_eq!(fds_into(dir.path()), 0);
    drop(log);
    assert_eq!(fds_into(dir.path()), 0);
}

#[test]
fn recently_written_files_stay_open() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig {
        max_open_files: 2,
        ..AuditConfig::new(dir.path())
    })
    .unwrap();
    let (a, b, c) = (UserId::generate(), UserId::generate(), UserId::generate());
    log.record(&numbered(a, 1), 0).unwrap();
    log.record(&numbered(b, 1), 0).unwrap();
    log.record(&numbered(a, 2), 0).unwrap();
    // Now b is the least recently written, so c's file closes b's.
    log.record(&numbered(c, 1), 0).unwrap();
    assert_eq!(log.open_files(), 2);
    let open: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| Some(target.file_name()?.to_str()?.to_owned()))
        .collect();
    assert!(open.contains(&file_name(a)));
    assert!(open.contains(&file_name(c)));
    assert!(!open.contains(&file_name(b)));
}
