//! Two trackers over one store and one audit directory, as two servers of which one is elected to
//! write the audit files: a tracker taking the role over writes nothing until the previous writer
//! has stood by (it may not know yet that it lost the role), then goes on from the files' last
//! line, so each event has one line whoever wrote it.

#[allow(dead_code)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::setup;
use tracking_api::{AuditRole, Tracker};
use tracking_audit::{AuditConfig, AuditLog};
use tracking_store::ActionTarget;

/// Waits until `done` holds, for at most a few seconds.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "still waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_new_writer_waits_for_the_old_one_to_let_go_and_each_event_has_one_line() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let server = || {
        let audit = AuditLog::new(AuditConfig::new(dir.path())).unwrap();
        let (family, history) = (s.family.clone(), s.history.clone());
        Tracker::with_role(family, history, Arc::new(audit), AuditRole::StandingBy)
    };
    let (old, new) = (server(), server());
    let activate = ActionTarget::Activate(s.task);
    let lines = || {
        let path = dir.path().join(tracking_audit::file_name(s.user));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .map(|line| line["family_sequence"].as_u64().unwrap())
            .collect::<Vec<u64>>()
    };

    old.take_over_audit();
    for _ in 0..3 {
        old.record(s.user, s.child, activate).await.unwrap();
    }
    wait_until("the old writer's lines", || lines().len() == 3).await;

    // The election moves on, but the old writer has not heard yet and writes on.
    new.take_over_audit();
    for _ in 0..3 {
        old.record(s.user, s.child, activate).await.unwrap();
        new.committed_elsewhere(s.user);
    }
    wait_until("the old writer's next lines", || lines().len() >= 6).await;
    assert_eq!(
        lines(),
        (1..=6).collect::<Vec<u64>>(),
        "only the old writer wrote"
    );
    assert!(
        new.audit_backlog() > 0,
        "the new writer waits for the files, owing their lines"
    );

    old.stand_by_audit();
    wait_until("the new writer catching up", || new.audit_backlog() == 0).await;
    for _ in 0..2 {
        new.record(s.user, s.child, activate).await.unwrap();
    }
    wait_until("the new writer's lines", || lines().len() >= 8).await;
    assert_eq!(old.audit_backlog(), 0, "the old writer stands by");
    new.close();
    old.close();
    assert_eq!(
        lines(),
        (1..=8).collect::<Vec<u64>>(),
        "each event once, in order"
    );
}
