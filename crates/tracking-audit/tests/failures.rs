//! Failures come back as errors, never as panics, and the log recovers once the cause is gone.

mod common;

use std::error::Error;
use std::fs;

use common::{numbered, numbers, rolling_every_line};
use tracking_audit::{AuditConfig, AuditError, AuditLog, FileOperation, file_name};
use tracking_model::UserId;

/// Error messages start lowercase and end without a period.
fn assert_styled(err: &AuditError) {
    let message = err.to_string();
    assert!(message.starts_with(char::is_lowercase), "{message}");
    assert!(!message.ends_with('.'), "{message}");
}

/// The error is about a file or directory, and names what was being done to it.
fn assert_operation(err: &AuditError, expected: FileOperation) {
    assert!(
        matches!(err, AuditError::File { operation, .. } if *operation == expected),
        "{err:?}"
    );
}

#[test]
fn a_directory_that_cannot_be_created_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    fs::write(&file, "not a directory").unwrap();
    let err = AuditLog::new(AuditConfig::new(file.join("logs"))).unwrap_err();
    assert_operation(&err, FileOperation::CreateDir);
    assert!(err.to_string().contains("plain-file"), "{err}");
    assert!(err.source().is_some());
    assert_styled(&err);

    // A regular file where the directory should be.
    let err = AuditLog::new(AuditConfig::new(&file)).unwrap_err();
    assert_operation(&err, FileOperation::CreateDir);
}

#[test]
fn a_directory_lost_while_running_is_an_error_until_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let log = AuditLog::new(AuditConfig::new(&logs)).unwrap();
    let user = UserId::generate();
    fs::remove_dir(&logs).unwrap();
    fs::write(&logs, "in the way").unwrap();

    for n in 0..3 {
        let err = log.record(&numbered(user, n), 0).unwrap_err();
        assert_operation(&err, FileOperation::CreateDir);
        assert_styled(&err);
    }
    assert_eq!(log.open_files(), 0);

    fs::remove_file(&logs).unwrap();
    log.record(&numbered(user, 3), 0).unwrap();
    assert_eq!(numbers(&log.file_path(user)), [3]);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let user = UserId::generate();
    // Every write to /dev/full fails with "no space left on device".
    std::os::unix::fs::symlink("/dev/full", log.file_path(user)).unwrap();

    for n in 0..3 {
        let err = log.record(&numbered(user, n), 0).unwrap_err();
        let AuditError::File {
            operation: FileOperation::Write,
            path,
            source,
        } = &err
        else {
            panic!("expected a write error, got {err:?}");
        };
        assert_eq!(path, &log.file_path(user));
        assert_eq!(source.kind(), std::io::ErrorKind::StorageFull, "{source}");
        assert_styled(&err);
        // The failed file is closed, to be opened afresh by the next line.
        assert_eq!(log.open_files(), 0);
    }
}

#[test]
fn a_failed_rollover_is_an_error_and_keeps_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = rolling_every_line(dir.path(), 1);
    let user = UserId::generate();
    // A directory where the only backup should go makes every rollover fail.
    let blocker = dir.path().join(format!("{}.1", file_name(user)));
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), "").unwrap();

    for n in 0..3 {
        let err = log.record(&numbered(user, n), 0).unwrap_err();
        assert_operation(&err, FileOperation::Write);
        assert_styled(&err);
    }
    assert_eq!(numbers(&log.file_path(user)), [0, 1, 2]);

    fs::remove_dir_all(&blocker).unwrap();
    log.record(&numbered(user, 3), 0).unwrap();
    assert_eq!(numbers(&blocker), [0, 1, 2, 3]);
}

#[test]
fn a_torn_last_line_is_cut_before_the_next_line() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::generate();
    let path = dir.path().join(file_name(user));
    fs::write(&path, "{\"tracking_event_id\":\"01JK").unwrap();

    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    log.record(&numbered(user, 1), 1).unwrap();

    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["points_before"], 1);
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let no_files = AuditConfig {
        max_open_files: 0,
        ..AuditConfig::new(dir.path())
    };
    for config in [
        no_files,
        AuditConfig::new(dir.path().join("a{}b")),
        AuditConfig::new(dir.path().join("$ENV{HOME}")),
    ] {
        let err = AuditLog::new(config).unwrap_err();
        assert!(matches!(err, AuditError::Config { .. }), "{err:?}");
        assert_styled(&err);
    }
}
