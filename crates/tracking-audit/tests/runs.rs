//! Runs of events written at once (`record_all`): each user's lines land in its own file, whole
//! and in order, and the files resume from the run's last line.

mod common;

use common::{numbered, read_lines};
use tracking_audit::{AuditConfig, AuditLog, LastLine, file_name};
use tracking_model::UserId;

fn sequences(path: &std::path::Path) -> Vec<u64> {
    read_lines(path)
        .iter()
        .map(|line| line["family_sequence"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_run_of_two_users_goes_to_each_users_file_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (alex, sam) = (UserId::generate(), UserId::generate());
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    let events = [
        (numbered(alex, 1), 1),
        (numbered(alex, 2), 2),
        (numbered(sam, 1), 1),
        (numbered(alex, 3), 3),
        (numbered(sam, 2), 2),
    ];
    log.record_all(events.iter().map(|(event, number)| (event, *number)))
        .unwrap();
    assert_eq!(sequences(&dir.path().join(file_name(alex))), [1, 2, 3]);
    assert_eq!(sequences(&dir.path().join(file_name(sam))), [1, 2]);
    assert_eq!(log.last_line(alex).unwrap(), LastLine::Numbered(3));
    assert_eq!(log.last_line(sam).unwrap(), LastLine::Numbered(2));
}

#[test]
fn runs_roll_over_between_writes_and_keep_every_line_whole() {
    let dir = tempfile::tempdir().unwrap();
    let user = UserId::generate();
    let config = AuditConfig {
        max_bytes: 1,
        backups: 5,
        ..AuditConfig::new(dir.path())
    };
    let log = AuditLog::new(config).unwrap();
    let first: Vec<_> = (1..=3).map(|n| (numbered(user, n), n as u64)).collect();
    let second: Vec<_> = (4..=5).map(|n| (numbered(user, n), n as u64)).collect();
    for run in [&first, &second] {
        log.record_all(run.iter().map(|(event, number)| (event, *number)))
            .unwrap();
    }
    // Each run was one write, so each rolled file holds one whole run.
    let rolled = |n: u32| dir.path().join(format!("{}.{n}", file_name(user)));
    assert_eq!(sequences(&rolled(2)), [1, 2, 3]);
    assert_eq!(sequences(&rolled(1)), [4, 5]);
    assert_eq!(log.last_line(user).unwrap(), LastLine::Numbered(5));
}

#[test]
fn an_empty_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
    log.record_all([]).unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
