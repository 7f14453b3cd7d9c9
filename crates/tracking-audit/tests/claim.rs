//! The directory's writer claim: one holder at a time among the logs (and processes) sharing a
//! directory, given up by release or by dropping the log.

use tracking_audit::{AuditConfig, AuditLog};

fn log_in(dir: &std::path::Path) -> AuditLog {
    AuditLog::new(AuditConfig::new(dir)).unwrap()
}

#[test]
fn one_log_holds_the_claim_until_it_lets_go() {
    let dir = tempfile::tempdir().unwrap();
    let first = log_in(dir.path());
    let second = log_in(dir.path());

    assert!(first.try_claim().unwrap(), "a free directory is claimed");
    assert!(
        first.try_claim().unwrap(),
        "claiming again while holding it"
    );
    assert!(!second.try_claim().unwrap(), "held by the first log");

    first.release_claim();
    assert!(second.try_claim().unwrap(), "released by the first log");
    assert!(!first.try_claim().unwrap(), "now held by the second");

    drop(second);
    assert!(first.try_claim().unwrap(), "a dropped log holds nothing");
}
