//! Live streams follow the family's sequence: a stream resumed from a cursor replays what its
//! caller missed, oldest first, then goes on live, with no gap and no duplicate, also while many
//! children record at once and streams reconnect at random points; a cursor that cannot be
//! resumed from starts the stream with a reset.

mod common;

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{FlakyHistory, PARENT_TOKEN, all_events, setup};
use futures_util::{Stream, StreamExt};
use proptest::prelude::*;
use tracking_api::{LiveItem, MAX_REPLAY, NoAudit, StreamOptions, Tracker, hash_token};
use tracking_model::{
    Child, ChildId, EventId, StreamResetReason, Task, TaskId, Timestamp, User, UserId,
};
use tracking_store::{
    ActionTarget, FamilyRepository, MemoryStore, SequenceRead, TrackingRepository,
};

type LiveStream = Pin<Box<dyn Stream<Item = LiveItem> + Send>>;

const WAIT: Duration = Duration::from_secs(10);

async fn open(tracker: &Arc<Tracker>, family: UserId, resume_after: Option<&str>) -> LiveStream {
    let options = StreamOptions {
        resume_after: resume_after.map(str::to_owned),
        child: None,
    };
    Box::pin(tracker.open_stream(family, options).await.unwrap())
}

async fn next(stream: &mut LiveStream) -> LiveItem {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an item arrives")
        .expect("the stream goes on")
}

/// The event id and cursor of a `tracking_event_created` item.
fn event_of(item: LiveItem) -> (EventId, String) {
    match item {
        LiveItem::Event { cursor, payload } => (payload.tracking_event_id, cursor),
        other => panic!("expected an event, got {other:?}"),
    }
}

async fn silent(stream: &mut LiveStream) -> bool {
    tokio::time::timeout(Duration::from_millis(150), stream.next())
        .await
        .is_err()
}

async fn record(tracker: &Tracker, user: UserId, child: ChildId, task: TaskId) -> EventId {
    tracker
        .record(user, child, ActionTarget::Activate(task))
        .await
        .unwrap()
        .event
        .id()
}

#[tokio::test]
async fn a_resumed_stream_replays_what_was_missed_then_goes_on_live() {
    let s = setup().await;
    let tracker = Arc::new(Tracker::new(
        s.family.clone(),
        s.history.clone(),
        Arc::new(NoAudit),
    ));
    let mut stream = open(&tracker, s.user, None).await;
    let first = record(&tracker, s.user, s.child, s.task).await;
    let second = record(&tracker, s.user, s.child, s.task).await;
    assert_eq!(event_of(next(&mut stream).await).0, first);
    let (id, cursor) = event_of(next(&mut stream).await);
    assert_eq!(id, second);
    assert!(cursor.len() <= 128 && cursor.bytes().all(|b| b.is_ascii_graphic()));
    drop(stream);

    // Missed while disconnected: one in the history, two waiting in the outbox.
    let mut missed = vec![record(&tracker, s.user, s.child, s.task).await];
    s.history.broken.store(true, Ordering::SeqCst);
    missed.push(record(&tracker, s.user, s.child, s.task).await);
    missed.push(record(&tracker, s.user, s.child, s.task).await);
    assert_eq!(tracker.backlog().await.unwrap(), 2);

    let mut stream = open(&tracker, s.user, Some(&cursor)).await;
    for &id in &missed {
        assert_eq!(event_of(next(&mut stream).await).0, id);
    }
    s.history.broken.store(false, Ordering::SeqCst);
    tracker.catch_up().await.unwrap();
    let live = record(&tracker, s.user, s.child, s.task).await;
    assert_eq!(event_of(next(&mut stream).await).0, live);
    assert!(silent(&mut stream).await, "an event came twice");

    // A stream opened without a cursor starts live.
    let mut fresh = open(&tracker, s.user, None).await;
    assert!(silent(&mut fresh).await);
    let later = record(&tracker, s.user, s.child, s.task).await;
    assert_eq!(event_of(next(&mut fresh).await).0, later);
    assert_eq!(s.history.query(&all_events()).await.unwrap().total, 7);
    tracker.close();
}

/// Another family with one child and one task, in the same store.
async fn second_family(family: &MemoryStore, token: &str) -> (UserId, ChildId, TaskId) {
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        name: "Blair".into(),
        created_at: now,
    };
    family.create_user(&user, &hash_token(token)).await.unwrap();
    let child = Child {
        id: ChildId::generate(),
        user_id: user.id,
        name: "Kim".into(),
        points: 0,
        created_at: now,
    };
    family.create_child(&child).await.unwrap();
    let task = Task {
        id: TaskId::generate(),
        user_id: user.id,
        name: "Dishes".into(),
        points: 1,
        is_good: true,
        created_at: now,
    };
    family.create_task(&task).await.unwrap();
    (user.id, child.id, task.id)
}

#[tokio::test]
async fn a_cursor_that_cannot_be_resumed_from_resets_the_stream() {
    let s = setup().await;
    let tracker = Arc::new(Tracker::new(
        s.family.clone(),
        s.history.clone(),
        Arc::new(NoAudit),
    ));
    let (blair, kim, dishes) = second_family(&s.family, "blair-token").await;
    let mut blairs = open(&tracker, blair, None).await;
    record(&tracker, blair, kim, dishes).await;
    let (_, blairs_cursor) = event_of(next(&mut blairs).await);

    record(&tracker, s.user, s.child, s.task).await;
    let mut mine = open(&tracker, s.user, Some(&blairs_cursor)).await;
    let unknown = ["c1", "01JKZ8Q4V3X9T7M2N5P6R8S0AB", &blairs_cursor];
    for cursor in unknown {
        let mut stream = open(&tracker, s.user, Some(cursor)).await;
        let LiveItem::Reset { reason, cursor } = next(&mut stream).await else {
            panic!("no reset for {cursor:?}");
        };
        assert_eq!(reason, StreamResetReason::UnknownCursor);
        // The reset's cursor stands where the stream starts: resuming from it replays nothing
        // of the past, and everything after.
        let mut resumed = open(&tracker, s.user, Some(&cursor)).await;
        assert!(silent(&mut resumed).await);
        let live = record(&tracker, s.user, s.child, s.task).await;
        assert_eq!(event_of(next(&mut resumed).await).0, live);
        assert_eq!(event_of(next(&mut stream).await).0, live);
    }
    let LiveItem::Reset { reason, .. } = next(&mut mine).await else {
        panic!("another family's cursor resumed");
    };
    assert_eq!(reason, StreamResetReason::UnknownCursor);
    tracker.close();
}

#[tokio::test]
async fn a_cursor_too_far_behind_resets_the_stream() {
    let s = setup().await;
    let tracker = Arc::new(Tracker::new(
        s.family.clone(),
        s.history.clone(),
        Arc::new(NoAudit),
    ));
    let mut stream = open(&tracker, s.user, None).await;
    record(&tracker, s.user, s.child, s.task).await;
    let (_, oldest) = event_of(next(&mut stream).await);
    drop(stream);
    // Exactly the most a stream replays: it resumes.
    for _ in 0..MAX_REPLAY {
        record(&tracker, s.user, s.child, s.task).await;
    }
    let mut stream = open(&tracker, s.user, Some(&oldest)).await;
    assert!(matches!(next(&mut stream).await, LiveItem::Event { .. }));
    drop(stream);
    // One more and it is too far behind.
    record(&tracker, s.user, s.child, s.task).await;
    let mut stream = open(&tracker, s.user, Some(&oldest)).await;
    let LiveItem::Reset { reason, .. } = next(&mut stream).await else {
        panic!("a stream replayed more than {MAX_REPLAY} events");
    };
    assert_eq!(reason, StreamResetReason::TooFarBehind);
    let live = record(&tracker, s.user, s.child, s.task).await;
    assert_eq!(event_of(next(&mut stream).await).0, live);
    tracker.close();
}

/// One run of the property: `children` children per family record `per_child` events each, all
/// at once, while each family's stream is dropped and resumed after every `cuts[i]` events.
async fn streams_under_load(children: usize, per_child: usize, cuts: Vec<usize>, broken: bool) {
    let family = Arc::new(MemoryStore::new());
    let history = Arc::new(FlakyHistory::default());
    let tracker = Arc::new(Tracker::new(
        family.clone(),
        history.clone(),
        Arc::new(NoAudit),
    ));
    let mut families = Vec::new();
    for n in 0..2 {
        let (user, first, task) = second_family(&family, &format!("{PARENT_TOKEN}-{n}")).await;
        let mut kids = vec![first];
        for _ in 1..children {
            let child = Child {
                id: ChildId::generate(),
                user_id: user,
                name: "Kid".into(),
                points: 0,
                created_at: Timestamp::now(),
            };
            family.create_child(&child).await.unwrap();
            kids.push(child.id);
        }
        families.push((user, kids, task));
    }
    // Each family's stream, opened before anything is recorded.
    let mut readers = Vec::new();
    for (user, _, _) in &families {
        let tracker = Arc::clone(&tracker);
        let user = *user;
        let cuts = cuts.clone();
        let expected = children * per_child;
        let first = open(&tracker, user, None).await;
        readers.push(tokio::spawn(async move {
            let mut stream = first;
            let mut received: Vec<EventId> = Vec::new();
            let mut cursor: String;
            let mut since_cut = 0;
            let mut cut = 0;
            while received.len() < expected {
                let (id, at) = event_of(next(&mut stream).await);
                received.push(id);
                cursor = at;
                since_cut += 1;
                if since_cut == cuts[cut % cuts.len()] {
                    // The connection drops; the client comes back with its last cursor.
                    since_cut = 0;
                    cut += 1;
                    drop(stream);
                    tokio::task::yield_now().await;
                    stream = open(&tracker, user, Some(&cursor)).await;
                }
            }
            assert!(silent(&mut stream).await, "more events than were recorded");
            received
        }));
    }
    let mut writers = Vec::new();
    for (user, kids, task) in &families {
        for &kid in kids {
            let (tracker, history) = (Arc::clone(&tracker), Arc::clone(&history));
            let (user, task) = (*user, *task);
            writers.push(tokio::spawn(async move {
                let mut recorded = Vec::new();
                for step in 0..per_child {
                    if broken {
                        history.broken.store(step % 3 == 1, Ordering::SeqCst);
                    }
                    recorded.push((user, record(&tracker, user, kid, task).await));
                    tokio::task::yield_now().await;
                }
                recorded
            }));
        }
    }
    let mut recorded: Vec<(UserId, EventId)> = Vec::new();
    for writer in writers {
        recorded.extend(writer.await.unwrap());
    }
    history.broken.store(false, Ordering::SeqCst);
    tracker.catch_up().await.unwrap();
    for ((user, _, _), reader) in families.iter().zip(readers) {
        let received = reader.await.unwrap();
        let unique: HashSet<EventId> = received.iter().copied().collect();
        assert_eq!(unique.len(), received.len(), "an event came twice");
        let mine: HashSet<EventId> = recorded
            .iter()
            .filter(|(owner, _)| owner == user)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(unique, mine);
        // In the family's sequence order, whatever order the commits finished in.
        let in_order: Vec<EventId> = tracker
            .family_events_after(SequenceRead {
                family: *user,
                after: 0,
                limit: 10_000,
            })
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.event.id())
            .collect();
        assert_eq!(received, in_order);
    }
    tracker.close();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn every_stream_gets_its_familys_events_once_in_order_across_reconnects(
        children in 2_usize..5,
        per_child in 3_usize..12,
        cuts in proptest::collection::vec(1_usize..6, 1..5),
        broken in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(streams_under_load(children, per_child, cuts, broken));
    }
}
