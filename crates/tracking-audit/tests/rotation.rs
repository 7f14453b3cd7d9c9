//! Files roll over by size to `.log.1` … `.log.N`, the oldest dropped, also across reopening.

mod common;

use std::path::{Path, PathBuf};

use common::{names, numbered, numbers, rolling_every_line};
use tracking_audit::{AuditConfig, AuditLog, file_name};
use tracking_model::UserId;

/// The length of one line of [`numbered`] with a three-digit `points_before`, newline included.
fn line_len() -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    log.record(&numbered(user, 100), 0).unwrap();
    std::fs::metadata(log.file_path(user)).unwrap().len()
}

/// A log in `dir` whose files roll once they pass two and a half lines: three lines a file.
fn three_lines_a_file(dir: &Path, backups: u32, max_open_files: usize) -> AuditLog {
    AuditLog::new(AuditConfig {
        max_bytes: line_len() * 5 / 2,
        backups,
        max_open_files,
        ..AuditConfig::new(dir)
    })
    .unwrap()
}

fn rolled(log: &AuditLog, user: UserId, n: u32) -> PathBuf {
    let mut path = log.file_path(user).into_os_string();
    path.push(format!(".{n}"));
    path.into()
}

#[test]
fn lines_move_from_log_to_log_1_and_on_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let log = rolling_every_line(dir.path(), 3);
    let user = UserId::generate();
    let base = file_name(user);

    for k in 1..=7_i64 {
        log.record(&numbered(user, 100 + k), 0).unwrap();
        // Every line passes the limit, so each one is rolled away as soon as it is written.
        let expected: Vec<String> = (1..=k.min(3)).map(|n| format!("{base}.{n}")).collect();
        assert_eq!(names(dir.path()), expected, "after line {k}");
        for n in 1..=k.min(3) {
            assert_eq!(numbers(&rolled(&log, user, n as u32)), [100 + k - n + 1]);
        }
    }
}

#[test]
fn rotation_keeps_exactly_n_backups_and_drops_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let log = three_lines_a_file(dir.path(), 2, 8);
    let user = UserId::generate();
    for n in 1..=10 {
        log.record(&numbered(user, 100 + n), 0).unwrap();
    }
    let base = file_name(user);
    assert_eq!(
        names(dir.path()),
        [base.clone(), format!("{base}.1"), format!("{base}.2")]
    );
    assert_eq!(numbers(&log.file_path(user)), [110]);
    assert_eq!(numbers(&rolled(&log, user, 1)), [107, 108, 109]);
    assert_eq!(numbers(&rolled(&log, user, 2)), [104, 105, 106]);
}

#[test]
fn a_reopened_file_rolls_at_the_same_size() {
    // With one open file for two users, every line closes the other user's file and reopens its
    // own; the files must roll exactly where they would if they had stayed open.
    let dir = tempfile::tempdir().unwrap();
    let log = three_lines_a_file(dir.path(), 2, 1);
    let (alex, sam) = (UserId::generate(), UserId::generate());
    for n in 1..=10 {
        log.record(&numbered(alex, 100 + n), 0).unwrap();
        log.record(&numbered(sam, 200 + n), 0).unwrap();
        assert_eq!(log.open_files(), 1);
    }
    assert_eq!(numbers(&log.file_path(alex)), [110]);
    assert_eq!(numbers(&rolled(&log, alex, 1)), [107, 108, 109]);
    assert_eq!(numbers(&rolled(&log, alex, 2)), [104, 105, 106]);
    assert_eq!(numbers(&log.file_path(sam)), [210]);
    assert_eq!(numbers(&rolled(&log, sam, 1)), [207, 208, 209]);
    assert_eq!(numbers(&rolled(&log, sam, 2)), [204, 205, 206]);
    assert_eq!(names(dir.path()).len(), 6);
}

#[test]
fn a_restart_goes_on_counting_the_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::generate();
    {
        let log = three_lines_a_file(dir.path(), 2, 8);
        log.record(&numbered(user, 101), 0).unwrap();
        log.record(&numbered(user, 102), 0).unwrap();
    }
    let log = three_lines_a_file(dir.path(), 2, 8);
    log.record(&numbered(user, 103), 0).unwrap();
    log.record(&numbered(user, 104), 0).unwrap();
    assert_eq!(numbers(&rolled(&log, user, 1)), [101, 102, 103]);
    assert_eq!(numbers(&log.file_path(user)), [104]);
}

#[test]
fn with_no_backups_a_full_file_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let log = three_lines_a_file(dir.path(), 0, 8);
    let user = UserId::generate();
    for n in 1..=3 {
        log.record(&numbered(user, 100 + n), 0).unwrap();
    }
    assert!(names(dir.path()).is_empty());
    log.record(&numbered(user, 104), 0).unwrap();
    assert_eq!(names(dir.path()), [file_name(user)]);
    assert_eq!(numbers(&log.file_path(user)), [104]);
}

#[test]
fn the_defaults_are_the_servers() {
    let config = AuditConfig::default();
    assert_eq!(config.dir, Path::new("logs"));
    assert_eq!(config.max_bytes, 10 * 1024 * 1024);
    assert_eq!(config.backups, 5);
    assert_eq!(config.max_open_files, 256);
}
