//! Crash recovery of the file store: a file cut at every byte of its last record, damaged
//! lines, zeros after the lines or between them, a crash between a snapshot and the journal's
//! cut, and the directory lock.

mod common;

use std::path::Path;

use common::{at, child, event, task, token, user};
use tracking_model::{Actor, ChildId, TrackingEvent, TrackingQuery, UserId};
use tracking_store::{
    ActionTarget, ChildAction, FamilyRepository, FileStore, FileStoreOptions, HISTORY_FILE,
    JOURNAL_FILE, OpenError, SNAPSHOT_FILE, TrackingRepository,
};

fn open(dir: &Path) -> FileStore {
    FileStore::open(dir, FileStoreOptions::default()).unwrap()
}

/// The offset where the last line of `bytes` starts.
fn last_line_start(bytes: &[u8]) -> usize {
    assert_eq!(bytes.last(), Some(&b'\n'));
    bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |newline| newline + 1)
}

#[tokio::test]
async fn cutting_the_history_anywhere_in_its_last_record_loses_only_that_record() {
    let source = tempfile::tempdir().unwrap();
    let (owner, kid) = (UserId::generate(), ChildId::generate());
    let events: Vec<_> = (0..3)
        .map(|step| event(Some(owner), kid, 0, at(step), 0))
        .collect();
    {
        let store = open(source.path());
        for event in &events {
            store.append(&common::numbered(event)).await.unwrap();
        }
    }
    let bytes = std::fs::read(source.path().join(HISTORY_FILE)).unwrap();
    let start = last_line_start(&bytes);
    for cut in start..=bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(HISTORY_FILE), &bytes[..cut]).unwrap();
        let store = open(dir.path());
        let page = store.query(&TrackingQuery::default()).await.unwrap();
        let report = store.open_report();
        if cut == bytes.len() {
            assert_eq!(page.items, events, "cut at {cut}");
            assert!(report.torn.is_empty());
            continue;
        }
        assert_eq!(page.items, events[..2], "cut at {cut}");
        if cut == start {
            assert!(report.torn.is_empty(), "cut at {cut}");
        } else {
            let torn = &report.torn[0];
            assert_eq!(
                (torn.line, torn.bytes),
                (3, (cut - start) as u64),
                "cut at {cut}"
            );
            assert!(torn.file.ends_with(HISTORY_FILE));
        }
        let len = std::fs::metadata(dir.path().join(HISTORY_FILE))
            .unwrap()
            .len();
        assert_eq!(
            len, start as u64,
            "cut at {cut}: the torn bytes stay on disk"
        );
        if cut % 16 == 0 {
            // The next append lands on a clean line and survives a reopen.
            store.append(&common::numbered(&events[2])).await.unwrap();
            drop(store);
            let store = open(dir.path());
            assert!(store.open_report().torn.is_empty());
            let page = store.query(&TrackingQuery::default()).await.unwrap();
            assert_eq!(page.items, events, "cut at {cut}");
        }
    }
}

#[tokio::test]
async fn cutting_the_journal_anywhere_in_its_last_record_loses_only_that_mutation() {
    let source = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    {
        let store = open(source.path());
        store.create_user(&alex, &token(1)).await.unwrap();
        store.create_child(&kim).await.unwrap();
        store.create_task(&bed).await.unwrap();
        for step in 0..2 {
            store
                .apply(
                    ChildAction {
                        owner: alex.id,
                        child: kim.id,
                        target: ActionTarget::Activate(bed.id),
                        actor: Actor::Parent,
                    },
                    at(step),
                )
                .await
                .unwrap();
        }
    }
    let bytes = std::fs::read(source.path().join(JOURNAL_FILE)).unwrap();
    let start = last_line_start(&bytes);
    for cut in start..=bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(JOURNAL_FILE), &bytes[..cut]).unwrap();
        let store = open(dir.path());
        let whole = cut == bytes.len();
        let points = store.get_child(alex.id, kim.id).await.unwrap().points;
        let outbox = store.outbox().await.unwrap();
        // The points change and its event commit together or not at all.
        assert_eq!(points, if whole { 10 } else { 5 }, "cut at {cut}");
        assert_eq!(outbox.len(), if whole { 2 } else { 1 }, "cut at {cut}");
        assert_eq!(outbox.last().unwrap().event.points_after(), points);
        assert_eq!(
            store.open_report().torn.len(),
            usize::from(!whole && cut != start),
            "cut at {cut}"
        );
        if cut % 32 == 0 {
            let effect = store
                .apply(
                    ChildAction {
                        owner: alex.id,
                        child: kim.id,
                        target: ActionTarget::Activate(bed.id),
                        actor: Actor::Parent,
                    },
                    at(9),
                )
                .await
                .unwrap();
            assert_eq!(effect.effect.event.points_before(), points);
            drop(store);
            let store = open(dir.path());
            assert_eq!(
                store.get_child(alex.id, kim.id).await.unwrap().points,
                points + 5
            );
        }
    }
}

#[tokio::test]
async fn a_damaged_line_before_the_last_stops_the_open_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (owner, kid) = (UserId::generate(), ChildId::generate());
    let alex = user("Alex");
    {
        let store = open(dir.path());
        for step in 0..3 {
            store
                .append(&common::numbered(&event(Some(owner), kid, 2, at(step), 0)))
                .await
                .unwrap();
        }
        store.create_user(&alex, &token(1)).await.unwrap();
        store.create_child(&child(alex.id, "Kim", 0)).await.unwrap();
        store.create_child(&child(alex.id, "Lee", 0)).await.unwrap();
    }
    for file in [HISTORY_FILE, JOURNAL_FILE] {
        let path = dir.path().join(file);
        let original = std::fs::read(&path).unwrap();
        let second_line = original.iter().position(|&byte| byte == b'\n').unwrap() + 1;
        let mut damaged = original.clone();
        damaged[second_line + 5] = b'#';
        std::fs::write(&path, &damaged).unwrap();
        let err = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap_err();
        match &err {
            OpenError::Corrupt {
                file: named, line, ..
            } => {
                assert!(named.ends_with(file), "{err}");
                assert_eq!(*line, 2, "{err}");
            }
            other => panic!("expected corruption, got {other}"),
        }
        assert!(
            err.to_string().contains(&format!("{file}, line 2")),
            "{err}"
        );
        // Nothing was cut off.
        assert_eq!(std::fs::read(&path).unwrap(), damaged);
        std::fs::write(&path, &original).unwrap();
    }
    assert_eq!(open(dir.path()).open_report().history_events, 3);
}

#[tokio::test]
async fn a_tail_of_zeros_is_cut_without_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let kept = event(None, ChildId::generate(), 4, at(0), 0);
    open(dir.path())
        .append(&common::numbered(&kept))
        .await
        .unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len() as u64;
    // What a log preallocated, or what some file systems leave after a crash.
    bytes.extend_from_slice(&[0; 700]);
    std::fs::write(&path, &bytes).unwrap();
    let store = open(dir.path());
    assert!(store.open_report().torn.is_empty());
    assert_eq!(store.get(kept.id()).await.unwrap(), kept);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}

#[tokio::test]
async fn lines_after_a_hole_of_zeros_are_cut_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let kid = ChildId::generate();
    let events: Vec<TrackingEvent> = (0..3)
        .map(|step| event(None, kid, 4, at(step), 0))
        .collect();
    {
        let store = open(dir.path());
        for event in &events {
            store.append(&common::numbered(event)).await.unwrap();
        }
    }
    // A power loss wrote the third line's page but not the second's: zeros in between.
    let path = dir.path().join(HISTORY_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let second = bytes.iter().position(|&byte| byte == b'\n').unwrap() + 1;
    let third = second
        + bytes[second..]
            .iter()
            .position(|&byte| byte == b'\n')
            .unwrap()
        + 1;
    bytes[second..third].fill(0);
    std::fs::write(&path, &bytes).unwrap();
    let store = open(dir.path());
    let torn = &store.open_report().torn[0];
    assert_eq!((torn.line, torn.bytes), (2, (bytes.len() - second) as u64));
    let page = store.query(&TrackingQuery::default()).await.unwrap();
    assert_eq!(page.items, events[..1]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), second as u64);
}

/// While the store is open its logs end with zeros they preallocated; closing cuts them.
#[tokio::test]
async fn an_open_log_is_zero_filled_ahead_and_closing_cuts_the_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let kid = ChildId::generate();
    let store = open(dir.path());
    let first = event(None, kid, 4, at(0), 0);
    store.append(&common::numbered(&first)).await.unwrap();
    // After the round that synced the first line the log zero-fills ahead of its lines, before
    // the round that syncs the second.
    let second = event(None, kid, 4, at(1), 0);
    store.append(&common::numbered(&second)).await.unwrap();
    let path = dir.path().join(HISTORY_FILE);
    let bytes = std::fs::read(&path).unwrap();
    let lines = bytes.iter().rposition(|&byte| byte == b'\n').unwrap() + 1;
    assert!(bytes.len() > lines, "no zeros ahead of the lines");
    assert!(bytes[lines..].iter().all(|&byte| byte == 0));
    assert_eq!(
        bytes[..lines].iter().filter(|&&byte| byte == b'\n').count(),
        2
    );
    store.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes[..lines]);
    drop(store);
    let store = open(dir.path());
    assert!(store.open_report().torn.is_empty());
    let page = store.query(&TrackingQuery::default()).await.unwrap();
    assert_eq!(page.items, vec![first, second]);
}

#[tokio::test]
async fn a_crash_between_snapshot_and_journal_cut_replays_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    let never = FileStoreOptions {
        compact_after_bytes: u64::MAX,
        ..FileStoreOptions::default()
    };
    {
        let store = FileStore::open(dir.path(), never.clone()).unwrap();
        store.create_user(&alex, &token(1)).await.unwrap();
        store.create_child(&kim).await.unwrap();
        store.create_task(&bed).await.unwrap();
        store
            .apply(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target: ActionTarget::Activate(bed.id),
                    actor: Actor::Parent,
                },
                at(0),
            )
            .await
            .unwrap();
    }
    let journal = dir.path().join(JOURNAL_FILE);
    let before = std::fs::read(&journal).unwrap();
    {
        let always = FileStoreOptions {
            compact_after_bytes: 1,
            ..FileStoreOptions::default()
        };
        let store = FileStore::open(dir.path(), always).unwrap();
        store
            .apply(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target: ActionTarget::Activate(bed.id),
                    actor: Actor::Parent,
                },
                at(1),
            )
            .await
            .unwrap();
    }
    assert!(dir.path().join(SNAPSHOT_FILE).exists());
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
    // As if the process died after the snapshot's rename and before the journal's cut.
    std::fs::write(&journal, &before).unwrap();
    let store = FileStore::open(dir.path(), never).unwrap();
    assert_eq!(store.get_child(alex.id, kim.id).await.unwrap().points, 10);
    assert_eq!(store.outbox_len().await.unwrap(), 2);
    let effect = store
        .apply(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target: ActionTarget::Activate(bed.id),
                actor: Actor::Parent,
            },
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(effect.effect.event.points_before(), 10);
}

#[tokio::test]
async fn outbox_events_found_in_the_history_are_not_delivered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    {
        let store = open(dir.path());
        store.create_user(&alex, &token(1)).await.unwrap();
        store.create_child(&kim).await.unwrap();
        store.create_task(&bed).await.unwrap();
        for step in 0..3 {
            store
                .apply(
                    ChildAction {
                        owner: alex.id,
                        child: kim.id,
                        target: ActionTarget::Activate(bed.id),
                        actor: Actor::Parent,
                    },
                    at(step),
                )
                .await
                .unwrap();
        }
        // Delivered, but the confirmation is lost in a crash.
        let first = store.outbox().await.unwrap().remove(0);
        store.append(&first).await.unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.open_report().delivered_unconfirmed, 1);
    assert_eq!(store.outbox_len().await.unwrap(), 2);
}

#[test]
fn a_second_store_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let err = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap_err();
    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
    assert!(
        err.to_string().contains("in use by another process"),
        "{err}"
    );
    drop(first);
    FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
}

/// A file that holds an event twice (left by an older version) opens, answers once, and loses the
/// repeat when the next anonymization rewrites it.
#[tokio::test]
async fn a_repeated_line_is_skipped_and_dropped_by_the_next_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let owner = UserId::generate();
    let kid = ChildId::generate();
    let events = [
        event(Some(owner), kid, 0, at(1), 0),
        event(Some(owner), kid, 0, at(2), 0),
    ];
    {
        let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
        for event in &events {
            store.append(&common::numbered(event)).await.unwrap();
        }
    }
    let path = dir.path().join(HISTORY_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().next().unwrap().to_owned();
    std::fs::write(&path, format!("{first}\n{text}")).unwrap();

    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let query = TrackingQuery {
        limit: Some(500),
        ..TrackingQuery::default()
    };
    assert_eq!(store.query(&query).await.unwrap().total, 2);
    assert_eq!(store.anonymize_user(owner).await.unwrap(), 2);
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert_eq!(rewritten.lines().count(), 2);
    let page = store.query(&query).await.unwrap();
    assert!(page.items.iter().all(|event| event.user_id().is_none()));
    assert_eq!(
        page.items.iter().map(TrackingEvent::id).collect::<Vec<_>>(),
        events.iter().map(TrackingEvent::id).collect::<Vec<_>>()
    );
}

/// An anonymization that fails (here: the disk is full) changes nothing, and the next one works
/// without a reopen.
#[tokio::test]
async fn a_failed_anonymization_can_be_retried_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let owner = UserId::generate();
    let kid = ChildId::generate();
    let store = open(dir.path());
    for i in 0..25 {
        store
            .append(&common::numbered(&event(Some(owner), kid, 0, at(i), 0)))
            .await
            .unwrap();
    }
    let temporary = dir.path().join(format!("{HISTORY_FILE}.tmp"));
    std::os::unix::fs::symlink("/dev/full", &temporary).unwrap();
    assert!(store.anonymize_user(owner).await.is_err());
    std::fs::remove_file(&temporary).unwrap();
    let query = TrackingQuery {
        limit: Some(500),
        ..TrackingQuery::default()
    };
    assert!(
        store
            .query(&query)
            .await
            .unwrap()
            .items
            .iter()
            .all(|e| e.user_id() == Some(owner))
    );

    assert_eq!(store.anonymize_user(owner).await.unwrap(), 25);
    store
        .append(&common::numbered(&event(Some(owner), kid, 0, at(99), 0)))
        .await
        .unwrap();
    drop(store);
    let store = open(dir.path());
    let page = store.query(&query).await.unwrap();
    assert_eq!(page.total, 26, "an append after the rewrite was lost");
    assert_eq!(
        page.items.iter().filter(|e| e.user_id().is_none()).count(),
        25
    );
}
