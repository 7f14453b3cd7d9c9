//! Purging a deleted user's files removes every one of them and nothing else.

mod common;

use common::{names, numbered, numbers, rolling_every_line};
use tracking_audit::{AuditConfig, AuditLog, file_name};
use tracking_model::UserId;

#[test]
fn purge_removes_the_live_and_every_rolled_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = rolling_every_line(dir.path(), 3);
    let (gone, stays) = (UserId::generate(), UserId::generate());
    for n in 0..5 {
        log.record(&numbered(gone, n), 0).unwrap();
        log.record(&numbered(stays, n), 0).unwrap();
    }
    // Leave a live file too, and a backup beyond today's count from an earlier configuration.
    let bigger = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    bigger.record(&numbered(gone, 9), 0).unwrap();
    drop(bigger);
    std::fs::write(dir.path().join(format!("{}.7", file_name(gone))), "{}\n").unwrap();
    assert_eq!(names(dir.path()).len(), 8);

    log.purge_user(gone).unwrap();

    let left = names(dir.path());
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|name| name.starts_with(&file_name(stays))));
    // Only the purged user's appender is gone.
    assert_eq!(log.open_files(), 1);
}

#[test]
fn purge_closes_an_open_file_and_a_later_line_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    log.record(&numbered(user, 1), 0).unwrap();
    assert_eq!(log.open_files(), 1);
    assert_eq!(common::fds_into(dir.path()), 1);

    log.purge_user(user).unwrap();
    assert!(names(dir.path()).is_empty());
    assert_eq!(log.open_files(), 0);
    assert_eq!(common::fds_into(dir.path()), 0);

    log.record(&numbered(user, 2), 0).unwrap();
    assert_eq!(numbers(&log.file_path(user)), [2]);
}

#[test]
fn purging_a_user_without_files_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    log.purge_user(UserId::generate()).unwrap();
    std::fs::remove_dir(dir.path()).unwrap();
    log.purge_user(UserId::generate()).unwrap();
}
