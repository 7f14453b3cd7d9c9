//! Concurrency of the file store: many writers on one child, children in parallel, delivery
//! racing with mutations, and appends racing with an anonymization.

mod common;

use std::sync::Arc;

use common::{at, child, event, task, token, user};
use tracking_model::{Actor, ChildId, TrackingEvent, TrackingQuery, UserId};
use tracking_store::{
    ActionTarget, ChildAction, FamilyRepository, FileStore, FileStoreOptions, TrackingRepository,
};

fn open(dir: &std::path::Path) -> Arc<FileStore> {
    Arc::new(FileStore::open(dir, FileStoreOptions::default()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_on_one_child_keep_the_points_chain_while_events_are_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let alex = user("Alex");
    store.create_user(&alex, &token(1)).await.unwrap();
    let kids = [
        child(alex.id, "Kim", 0),
        child(alex.id, "Lee", 0),
        child(alex.id, "Max", 0),
    ];
    for kid in &kids {
        store.create_child(kid).await.unwrap();
    }
    let tasks = [task(alex.id, 7, true), task(alex.id, 3, false)];
    for task in &tasks {
        store.create_task(task).await.unwrap();
    }
    let writers: Vec<_> = (0..64_usize)
        .map(|writer| {
            let store = Arc::clone(&store);
            let owner = alex.id;
            // Most writers share the first child; the rest spread over the others.
            let kid = if writer < 48 {
                kids[0].id
            } else {
                kids[1 + writer % 2].id
            };
            let task_ids = [tasks[0].id, tasks[1].id];
            tokio::spawn(async move {
                for step in 0..10 {
                    let target = ActionTarget::Activate(task_ids[(writer + step) % 2]);
                    let effect = store
                        .apply(
                            ChildAction {
                                owner,
                                child: kid,
                                target,
                                actor: Actor::Parent,
                            },
                            at(((writer * 31 + step * 17) % 97) as i64),
                        )
                        .await
                        .unwrap();
                    // The service's part: move the event to the history, then confirm.
                    store.append(&common::recorded(&effect)).await.unwrap();
                    store
                        .confirm_delivered(&[effect.effect.event.id()])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    drop(Arc::into_inner(store).unwrap());
    let store = open(dir.path());
    assert_eq!(store.outbox_len().await.unwrap(), 0);
    let mut counted = 0;
    for kid in &kids {
        let page = store
            .query(&TrackingQuery {
                child_id: Some(kid.id),
                limit: Some(500),
                ..TrackingQuery::default()
            })
            .await
            .unwrap();
        counted += page.total;
        let mut points = 0;
        for event in &page.items {
            assert_eq!(event.points_before(), points, "{event:?}");
            points = event.points_after();
        }
        assert_eq!(
            store.get_child(alex.id, kid.id).await.unwrap().points,
            points
        );
    }
    assert_eq!(counted, 640);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_racing_with_an_anonymization_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (gone, stays) = (UserId::generate(), UserId::generate());
    let kid = ChildId::generate();
    let before: Vec<TrackingEvent> = (0..2000)
        .map(|step| {
            event(
                Some(if step % 2 == 0 { gone } else { stays }),
                kid,
                0,
                at(step),
                0,
            )
        })
        .collect();
    for event in &before {
        store.append(&common::numbered(event)).await.unwrap();
    }
    let racing: Vec<TrackingEvent> = (0..400)
        .map(|step| {
            event(
                Some(if step % 2 == 0 { gone } else { stays }),
                kid,
                2,
                at(5000 + step),
                0,
            )
        })
        .collect();
    let appenders: Vec<_> = racing
        .chunks(50)
        .map(|chunk| {
            let store = Arc::clone(&store);
            let chunk = chunk.to_vec();
            tokio::spawn(async move {
                for event in &chunk {
                    store.append(&common::numbered(event)).await.unwrap();
                }
            })
        })
        .collect();
    let anonymized = store.anonymize_user(gone).await.unwrap();
    for appender in appenders {
        appender.await.unwrap();
    }
    assert!(anonymized >= 1000, "{anonymized}");
    check(&store, gone, &before, &racing).await;
    drop(Arc::into_inner(store).unwrap());
    check(&open(dir.path()), gone, &before, &racing).await;
}

/// Every event is stored, those of `gone` from before the rewrite anonymized.
async fn check(
    store: &FileStore,
    gone: UserId,
    before: &[TrackingEvent],
    racing: &[TrackingEvent],
) {
    for event in before {
        let stored = store.get(event.id()).await.unwrap();
        let expected = if event.user_id() == Some(gone) {
            event.clone().anonymized()
        } else {
            event.clone()
        };
        assert_eq!(stored, expected);
    }
    for event in racing {
        let stored = store.get(event.id()).await.unwrap();
        // A racing event of the deleted user is either already anonymized or still to be.
        assert_eq!(stored.clone().anonymized(), event.clone().anonymized());
    }
    let all = store.query(&TrackingQuery::default()).await.unwrap();
    assert_eq!(all.total, 2400);
}

/// The service delivers an event right after its mutation while a catch-up may deliver the same
/// event from the outbox: however the appends interleave with the sync rounds, the file holds the
/// event once, and anonymizing afterwards still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_event_appended_concurrently_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let owner = UserId::generate();
    let kid = ChildId::generate();
    let events: Vec<TrackingEvent> = (0..200)
        .map(|i| event(Some(owner), kid, 0, at(i), 0))
        .collect();
    for event in &events {
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let (store, event) = (Arc::clone(&store), event.clone());
                tokio::spawn(async move { store.append(&common::numbered(&event)).await.unwrap() })
            })
            .collect();
        for racer in racers {
            racer.await.unwrap();
        }
    }
    let text = std::fs::read_to_string(dir.path().join(tracking_store::HISTORY_FILE)).unwrap();
    // The open store's file ends with the zeros it preallocated.
    assert_eq!(
        text.trim_end_matches('\0').lines().count(),
        events.len(),
        "an event was written more than once"
    );
    assert_eq!(
        store.anonymize_user(owner).await.unwrap(),
        events.len() as u64
    );
}
