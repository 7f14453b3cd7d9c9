//! Where a user's files stand after a restart: the family sequence number of the last whole line,
//! after a torn line, across a roll-over, and for files written before lines carried numbers.

mod common;

use std::fs;

use common::{numbered, read_lines};
use tracking_audit::{AuditConfig, AuditLog, LastLine, file_name};
use tracking_model::UserId;

#[test]
fn the_last_whole_line_tells_where_the_files_stand() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::generate();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    assert_eq!(log.last_line(user).unwrap(), LastLine::None);
    for n in 1..=3 {
        log.record(&numbered(user, n), n as u64).unwrap();
    }
    assert_eq!(log.last_line(user).unwrap(), LastLine::Numbered(3));

    // A crash in the middle of the next line: a new process cuts it and reports line 3.
    drop(log);
    let path = dir.path().join(file_name(user));
    let mut text = fs::read(&path).unwrap();
    text.extend_from_slice(b"{\"tracking_event_id\":\"01JK");
    fs::write(&path, &text).unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    assert_eq!(log.last_line(user).unwrap(), LastLine::Numbered(3));
    log.record(&numbered(user, 4), 4).unwrap();
    let numbers: Vec<u64> = read_lines(&path)
        .iter()
        .map(|line| line["family_sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
}

#[test]
fn an_empty_live_file_after_a_roll_over_points_at_the_rolled_one() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::generate();
    let config = AuditConfig {
        max_bytes: 1,
        ..AuditConfig::new(dir.path())
    };
    let log = AuditLog::new(config.clone()).unwrap();
    log.record(&numbered(user, 1), 7).unwrap();
    drop(log);
    let live = dir.path().join(file_name(user));
    assert!(fs::metadata(&live).map_or(true, |meta| meta.len() == 0));
    let log = AuditLog::new(config).unwrap();
    assert_eq!(log.last_line(user).unwrap(), LastLine::Numbered(7));

    // A crash between the rename and the new file: no live file at all.
    let _ = fs::remove_file(&live);
    assert_eq!(log.last_line(user).unwrap(), LastLine::Numbered(7));
}

#[test]
fn a_line_without_a_number_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::generate();
    fs::write(
        dir.path().join(file_name(user)),
        "{\"tracking_event_id\":\"01JKZ8Q4V3X9T7M2N5P6R8S0AB\"}\n",
    )
    .unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    assert_eq!(log.last_line(user).unwrap(), LastLine::Unnumbered);
}
