//! The recording pipeline without HTTP: a failing history write still succeeds, and the event is
//! delivered later exactly once; the answer does not wait for the history's sync, yet every read
//! sees the event and the outbox keeps it until that sync; the periodic catch-up leaves a new
//! event to its request for one period; audit failures never fail a mutation.

mod common;

use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{FlakyHistory, all_events, setup};
use tracking_api::{AuditPosition, AuditSink, NoAudit, Tracker};
use tracking_model::{EventId, SequencedEvent, UserId};
use tracking_store::{ActionTarget, FamilyRepository, SequenceRead, TrackingRepository};

/// An audit sink that always fails, and remembers it was asked.
#[derive(Default)]
struct BrokenAudit {
    attempts: Mutex<Vec<EventId>>,
}

impl AuditSink for BrokenAudit {
    fn record(&self, event: &SequencedEvent) -> Result<(), Box<dyn Error + Send + Sync>> {
        self.attempts.lock().unwrap().push(event.event.id());
        Err("audit disk full".into())
    }
    fn position(&self, _user: UserId) -> Result<AuditPosition, Box<dyn Error + Send + Sync>> {
        Ok(AuditPosition::Empty)
    }
    fn purge_user(&self, _user: UserId) -> Result<(), Box<dyn Error + Send + Sync>> {
        Err("audit disk full".into())
    }
}

#[tokio::test]
async fn a_failed_history_write_still_succeeds_and_is_delivered_later_exactly_once() {
    let s = setup().await;
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), Arc::new(NoAudit));
    s.history.broken.store(true, Ordering::SeqCst);

    let first = tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .expect("the mutation succeeds");
    let second = tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .unwrap();
    assert_eq!(second.event.points_before(), first.event.points_after());
    assert_eq!(tracker.backlog().await.unwrap(), 2);
    assert_eq!(s.history.query(&all_events()).await.unwrap().total, 0);
    assert!(
        tracker.catch_up().await.is_err(),
        "catch-up reports the still-broken history"
    );
    assert_eq!(tracker.backlog().await.unwrap(), 2);

    s.history.broken.store(false, Ordering::SeqCst);
    let done = tracker.catch_up().await.unwrap();
    assert_eq!(done.delivered, 2);
    assert_eq!(tracker.backlog().await.unwrap(), 0);
    let page = s.history.query(&all_events()).await.unwrap();
    assert_eq!(page.items, vec![first.event, second.event]);

    assert_eq!(tracker.catch_up().await.unwrap().delivered, 0);
    assert_eq!(
        s.history.appends.load(Ordering::SeqCst),
        2,
        "an event was written twice"
    );
    tracker.close();
}

/// Lets every sync `history` holds back return.
fn release_syncs(history: &FlakyHistory) {
    history.holding_syncs.store(false, Ordering::SeqCst);
    history.released.notify_waiters();
}

/// Bounds a wait that only a bug makes endless.
const HANG: Duration = Duration::from_secs(30);

/// Polls `done` until it holds; panics with `what` if it never does.
async fn eventually<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + HANG;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn an_answered_event_is_read_at_once_and_confirmed_only_after_the_history_sync() {
    let s = setup().await;
    s.history.holding_syncs.store(true, Ordering::SeqCst);
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), Arc::new(NoAudit));

    let effect = tokio::time::timeout(
        HANG,
        tracker.record(s.user, s.child, ActionTarget::Activate(s.task)),
    )
    .await
    .expect("the answer does not wait for the history's sync")
    .unwrap();
    let id = effect.event.id();

    // Read-your-writes: every read after the answer sees the event, before the history's sync.
    let page = tracker.history().query(&all_events()).await.unwrap();
    assert_eq!(page.items, vec![effect.event.clone()]);
    assert_eq!(tracker.history().get(id).await.unwrap(), effect.event);
    let feed = tracker
        .family_events_after(SequenceRead {
            family: s.user,
            after: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!((feed[0].sequence, feed[0].event.id()), (1, id));

    // The confirmer waits for the sync; until it returns the event stays in the outbox (not
    // counted as backlog: it is in the history), and the catch-up leaves it to the confirmer
    // rather than writing it again.
    eventually("the confirmer syncs the history", || async {
        s.history.syncs_started.load(Ordering::SeqCst) > 0
    })
    .await;
    let outbox = s.family.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].event.id(), id);
    assert_eq!(tracker.backlog().await.unwrap(), 0);
    assert_eq!(tracker.catch_up().await.unwrap().delivered, 0);
    assert_eq!(s.family.outbox_len().await.unwrap(), 1);

    release_syncs(&s.history);
    eventually(
        "the event is confirmed once the history is synced",
        || async { s.family.outbox_len().await.unwrap() == 0 },
    )
    .await;
    assert_eq!(s.history.appends.load(Ordering::SeqCst), 1);
    tracker.close();
}

/// The periodic catch-up (paused time: its ticks come when the test sleeps) first only notes an
/// event it finds waiting, which may be one whose request is still on its way to the history, and
/// delivers it at the next tick.
#[tokio::test(start_paused = true)]
async fn the_periodic_catch_up_delivers_an_event_once_it_has_waited_a_whole_period() {
    let s = setup().await;
    let tracker = Arc::new(Tracker::new(
        s.family.clone(),
        s.history.clone(),
        Arc::new(NoAudit),
    ));
    s.history.broken.store(true, Ordering::SeqCst);
    tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .unwrap();
    s.history.broken.store(false, Ordering::SeqCst);
    assert_eq!(tracker.backlog().await.unwrap(), 1);

    let period = Duration::from_secs(10);
    let catch_up = tracker.spawn_catch_up(period);
    tokio::time::sleep(period / 2).await;
    assert_eq!(
        tracker.backlog().await.unwrap(),
        1,
        "delivered at the first tick that saw it"
    );
    assert_eq!(s.history.appends.load(Ordering::SeqCst), 0);

    tokio::time::sleep(period).await;
    assert_eq!(tracker.backlog().await.unwrap(), 0);
    assert_eq!(s.history.appends.load(Ordering::SeqCst), 1);
    catch_up.abort();
    tracker.close();
}

#[tokio::test]
async fn closing_confirms_what_was_written() {
    let s = setup().await;
    s.history.holding_syncs.store(true, Ordering::SeqCst);
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), Arc::new(NoAudit));
    for _ in 0..3 {
        tracker
            .record(s.user, s.child, ActionTarget::Activate(s.task))
            .await
            .unwrap();
    }
    assert_eq!(s.family.outbox_len().await.unwrap(), 3);
    release_syncs(&s.history);
    tracker.close();
    assert_eq!(s.family.outbox_len().await.unwrap(), 0);
    assert_eq!(s.history.query(&all_events()).await.unwrap().total, 3);
}

#[tokio::test]
async fn a_redelivered_event_is_stored_once() {
    let s = setup().await;
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), Arc::new(NoAudit));
    let effect = tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .unwrap();
    let again = SequencedEvent {
        sequence: 1,
        event: effect.event,
    };
    s.history.append(&again).await.unwrap();
    assert_eq!(s.history.query(&all_events()).await.unwrap().total, 1);
    tracker.close();
}

#[tokio::test]
async fn a_failing_audit_log_never_fails_a_mutation() {
    let s = setup().await;
    let audit = Arc::new(BrokenAudit::default());
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), audit.clone());
    let effect = tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .expect("the mutation succeeds");
    tracker.close();
    let attempts = audit.attempts.lock().unwrap().clone();
    assert!(!attempts.is_empty());
    assert!(attempts.iter().all(|&id| id == effect.event.id()));
    assert_eq!(tracker.audit_backlog(), 1, "the line is still owed");
    assert_eq!(s.history.query(&all_events()).await.unwrap().total, 1);
}

#[tokio::test]
async fn a_deletion_with_a_broken_history_is_finished_by_catch_up() {
    let s = setup().await;
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), Arc::new(NoAudit));
    tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .unwrap();
    s.history.broken.store(true, Ordering::SeqCst);
    tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .unwrap();

    tracker
        .delete_user(s.user)
        .await
        .expect("the deletion is committed");
    assert_eq!(s.family.users_to_anonymize().await.unwrap(), vec![s.user]);

    s.history.broken.store(false, Ordering::SeqCst);
    let done = tracker.catch_up().await.unwrap();
    assert_eq!((done.delivered, done.anonymized), (1, 1));
    let page = s.history.query(&all_events()).await.unwrap();
    assert_eq!(page.total, 2);
    assert!(page.items.iter().all(|event| event.user_id().is_none()));
    assert!(s.family.users_to_anonymize().await.unwrap().is_empty());
    tracker.close();
}

/// An audit sink whose purge fails until `healed` is set.
#[derive(Default)]
struct StubbornPurge {
    healed: AtomicBool,
    purges: AtomicUsize,
}

impl AuditSink for StubbornPurge {
    fn record(&self, _event: &SequencedEvent) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(())
    }
    fn position(&self, _user: UserId) -> Result<AuditPosition, Box<dyn Error + Send + Sync>> {
        Ok(AuditPosition::Empty)
    }
    fn purge_user(&self, _user: UserId) -> Result<(), Box<dyn Error + Send + Sync>> {
        self.purges.fetch_add(1, Ordering::SeqCst);
        if self.healed.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("permission denied".into())
        }
    }
}

#[tokio::test]
async fn a_failed_audit_purge_keeps_the_user_for_the_next_catch_up() {
    let s = setup().await;
    let audit = Arc::new(StubbornPurge::default());
    let tracker = Tracker::new(s.family.clone(), s.history.clone(), audit.clone());
    tracker
        .record(s.user, s.child, ActionTarget::Activate(s.task))
        .await
        .unwrap();
    tracker
        .delete_user(s.user)
        .await
        .expect("the deletion is committed");
    assert_eq!(
        s.family.users_to_anonymize().await.unwrap(),
        vec![s.user],
        "confirmed despite the failed purge"
    );
    assert!(tracker.catch_up().await.is_err());

    audit.healed.store(true, Ordering::SeqCst);
    assert_eq!(tracker.catch_up().await.unwrap().anonymized, 1);
    assert!(s.family.users_to_anonymize().await.unwrap().is_empty());
    assert_eq!(audit.purges.load(Ordering::SeqCst), 3);
    tracker.close();
}
