//! The recording pipeline: commit, move into the history, mirror to the audit log, push live.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::RwLock;
use tracking_model::{Actor, ChildId, Effect, EventId, SequencedEvent, Timestamp, UserId};
use tracking_store::{
    ActionTarget, Appended, Applied, ChildAction, FamilyError, FamilyRepository, FeedError,
    HistoryError, IdempotencyKey, Keyed, KeyedLock, Keying, RenderAnswer, SequenceRead,
    TrackingRepository,
};

use crate::LiveHub;
use crate::audit::{AuditFollower, AuditSink, PurgeError};
use crate::confirm::Confirmer;
use crate::metrics::RecordedCounters;

/// Why a tracker operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// The family store failed.
    #[error(transparent)]
    Family(#[from] FamilyError),
    /// The history failed.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// A deleted user's audit files were not removed.
    #[error(transparent)]
    Audit(#[from] PurgeError),
}

/// What one [`Tracker::catch_up`] finished.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Events moved from the outbox into the history.
    pub delivered: usize,
    /// Deleted users whose history was anonymized.
    pub anonymized: usize,
}

/// The one path every tracked mutation takes.
///
/// A mutation is committed with its event by the family store (the outbox) before anything else:
/// that is its one durable commit, and from then on it is answered as a success. The event is
/// then written into the history, where every read sees it before the answer leaves, without
/// waiting for the history's own `fdatasync`: a confirmer syncs the history for a batch of events
/// and only then confirms them in the outbox (`confirm.rs`). If the write fails the event waits in
/// the outbox until [`Tracker::catch_up`] delivers it — appends are idempotent by id, so it is
/// never lost and never doubled. The audit line and the live push never fail or slow the
/// mutation.
pub struct Tracker {
    family: Arc<dyn FamilyRepository>,
    history: Arc<dyn TrackingRepository>,
    audit: AuditFollower,
    confirmer: Confirmer,
    hub: LiveHub,
    /// Mutations hold it shared, a user's deletion exclusively while it commits, so every audit
    /// line of a deleted user is queued before its audit files are purged.
    deletions: RwLock<()>,
    /// Per child, held from the commit of an action until its event is in the history.
    children: KeyedLock<ChildId>,
    recorded: RecordedCounters,
}

/// What a tracker's audit follower does from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditRole {
    /// It writes and purges the audit files.
    Writer,
    /// It writes and purges no audit file until [`Tracker::take_over_audit`]: for a server sharing
    /// its store (and its audit files) with others, of which one writes.
    StandingBy,
}

impl Tracker {
    /// A tracker over these stores and audit sink, whose audit follower writes.
    pub fn new(
        family: Arc<dyn FamilyRepository>,
        history: Arc<dyn TrackingRepository>,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        Self::with_role(family, history, audit, AuditRole::Writer)
    }

    /// A tracker over these stores whose audit follower takes `role`.
    pub fn with_role(
        family: Arc<dyn FamilyRepository>,
        history: Arc<dyn TrackingRepository>,
        audit: Arc<dyn AuditSink>,
        role: AuditRole,
    ) -> Self {
        Self {
            audit: AuditFollower::start(
                Arc::clone(&family),
                Arc::clone(&history),
                audit,
                role == AuditRole::StandingBy,
            ),
            confirmer: Confirmer::start(Arc::clone(&family), Arc::clone(&history)),
            family,
            history,
            hub: LiveHub::new(),
            deletions: RwLock::new(()),
            children: KeyedLock::new(),
            recorded: RecordedCounters::new(),
        }
    }

    /// The same tracker pushing live events through `hub` (for its per-user stream limit).
    pub fn with_hub(mut self, hub: LiveHub) -> Self {
        self.hub = hub;
        self
    }

    /// The family store, for the records that are not tracked.
    pub fn family(&self) -> &dyn FamilyRepository {
        self.family.as_ref()
    }

    /// The history, for queries.
    pub fn history(&self) -> &dyn TrackingRepository {
        self.history.as_ref()
    }

    /// The live streams.
    pub fn hub(&self) -> &LiveHub {
        &self.hub
    }

    /// Applies one tracked action of the parent `owner` to its child and records its event.
    pub async fn record(
        &self,
        owner: UserId,
        child: ChildId,
        target: ActionTarget,
    ) -> Result<Effect, FamilyError> {
        self.record_as(Actor::Parent, owner, child, target).await
    }

    /// Applies one tracked action to `owner`'s child, performed by `actor` (the parent, or the
    /// child on its own device), and records its event; the event's metadata names the actor.
    pub async fn record_as(
        &self,
        actor: Actor,
        owner: UserId,
        child: ChildId,
        target: ActionTarget,
    ) -> Result<Effect, FamilyError> {
        let _no_deletion = self.deletions.read().await;
        // One child's events reach the history in the order they were applied.
        let _in_order = self.children.lock(child).await;
        let applied = self
            .family
            .apply(
                ChildAction {
                    owner,
                    child,
                    target,
                    actor,
                },
                Timestamp::now(),
            )
            .await?;
        self.committed(owner, &applied).await;
        Ok(applied.effect)
    }

    /// What follows a tracked mutation's commit: counted, audited, delivered, and the owner's
    /// streams woken.
    async fn committed(&self, owner: UserId, applied: &Applied) {
        self.recorded.count(&applied.effect.event);
        self.audit.committed(owner, applied.sequence);
        let recorded = SequencedEvent {
            sequence: applied.sequence,
            event: applied.effect.event.clone(),
        };
        self.deliver(&recorded).await;
        // Woken once the event is in the history (unless that failed), so that a client that
        // refetches the history when the event arrives finds it there.
        self.hub.wake(owner);
    }

    /// [`Tracker::record_as`] under an idempotency key: a repeat of the key's request replays its
    /// first answer and records nothing; otherwise the key and the answer `render` makes commit
    /// together with the action (see [`FamilyRepository::apply_keyed`]).
    pub async fn record_keyed(
        &self,
        actor: Actor,
        owner: UserId,
        child: ChildId,
        target: ActionTarget,
        key: &IdempotencyKey,
        render: RenderAnswer<Effect>,
    ) -> Result<Keyed<Effect>, FamilyError> {
        let _no_deletion = self.deletions.read().await;
        let _in_order = self.children.lock(child).await;
        let render: RenderAnswer<Applied> =
            Arc::new(move |done: Result<&Applied, &FamilyError>| {
                render(done.map(|applied| &applied.effect))
            });
        let keyed = (self.family)
            .apply_keyed(
                ChildAction {
                    owner,
                    child,
                    target,
                    actor,
                },
                Keying { key, render },
            )
            .await?;
        Ok(match keyed {
            Keyed::Fresh(applied) => {
                self.committed(owner, &applied).await;
                Keyed::Fresh(applied.effect)
            }
            Keyed::Replayed(answer) => Keyed::Replayed(answer),
            Keyed::Reused => Keyed::Reused,
        })
    }

    /// Deletes a user and its family; its history is anonymized and its audit files removed.
    ///
    /// Once the family store has committed the deletion this succeeds: if the history cannot be
    /// anonymized now, [`Tracker::catch_up`] finishes it later. Mutations wait only while the
    /// deletion commits, so that every audit line of the user is queued before its files go;
    /// after that no event of the user can appear, and a late redelivery of an old one is a
    /// no-op because appends are idempotent by id.
    pub async fn delete_user(&self, user: UserId) -> Result<(), FamilyError> {
        {
            let _no_mutation = self.deletions.write().await;
            self.family.delete_user(user).await?;
        }
        self.hub.disconnect(user);
        if let Err(error) = self.catch_up().await {
            log::error!("history of deleted user {user} not anonymized yet, will retry: {error}");
        }
        Ok(())
    }

    /// Delivers every event waiting in the outbox, then anonymizes the history of deleted users.
    /// Events written into the history whose confirmation waits for its next sync are the
    /// confirmer's, and left to it.
    pub async fn catch_up(&self) -> Result<CatchUp, TrackerError> {
        self.catch_up_settled(None).await
    }

    /// [`Tracker::catch_up`], delivering only the events `earlier` holds, when given: an event
    /// seen for the first time may have just committed, and its request delivers it itself.
    /// `earlier` then holds the events waiting now.
    async fn catch_up_settled(
        &self,
        earlier: Option<&mut HashSet<EventId>>,
    ) -> Result<CatchUp, TrackerError> {
        let mut waiting: Vec<SequencedEvent> = self
            .family
            .outbox()
            .await?
            .into_iter()
            .filter(|recorded| !self.confirmer.is_pending(recorded.event.id()))
            .collect();
        if let Some(earlier) = earlier {
            let now: HashSet<EventId> =
                waiting.iter().map(|recorded| recorded.event.id()).collect();
            waiting.retain(|recorded| earlier.contains(&recorded.event.id()));
            *earlier = now;
        }
        let mut delivered: Vec<EventId> = Vec::with_capacity(waiting.len());
        let mut failure = None;
        for recorded in &waiting {
            if let Some(family) = recorded.event.user_id() {
                self.audit.committed(family, recorded.sequence);
            }
            match self.history.append(recorded).await {
                Ok(()) => delivered.push(recorded.event.id()),
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        // The requests that committed these may have stopped before waking their streams; the
        // streams read the outbox too, so even an event the history refused reaches them.
        let families: HashSet<UserId> = waiting
            .iter()
            .filter_map(|recorded| recorded.event.user_id())
            .collect();
        for family in families {
            self.hub.wake(family);
        }
        self.family.confirm_delivered(&delivered).await?;
        if let Some(error) = failure {
            return Err(error.into());
        }
        let users = self.family.users_to_anonymize().await?;
        let mut anonymized = 0;
        let mut first_failure = None;
        for &user in &users {
            match self.erase(user).await {
                Ok(()) => anonymized += 1,
                Err(error) => {
                    log::warn!("erasing deleted user {user} failed, will retry: {error}");
                    first_failure.get_or_insert(error);
                }
            }
        }
        match first_failure {
            Some(error) => Err(error),
            None => Ok(CatchUp {
                delivered: delivered.len(),
                anonymized,
            }),
        }
    }

    /// Anonymizes a deleted user's history and removes its audit files; confirmed only when both
    /// succeeded, so a failure is retried by the next catch-up.
    async fn erase(&self, user: UserId) -> Result<(), TrackerError> {
        let changed = self.history.anonymize_user(user).await?;
        self.audit.purge(user).await?;
        self.family.user_anonymized(user).await?;
        log::info!("history of deleted user {user} anonymized ({changed} events)");
        Ok(())
    }

    /// Runs [`Tracker::catch_up`] every `period` while there is work, for as long as the tracker
    /// lives; an event is delivered there only once it has waited a whole period, as one that
    /// has just committed is on its way to the history with its request.
    pub fn spawn_catch_up(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let tracker = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            let mut earlier = HashSet::new();
            loop {
                ticks.tick().await;
                let Some(tracker) = tracker.upgrade() else {
                    return;
                };
                tracker.audit.retry();
                if tracker.has_work().await {
                    match tracker.catch_up_settled(Some(&mut earlier)).await {
                        Ok(done) if done != CatchUp::default() => log::info!("caught up: {done:?}"),
                        Ok(_) => {}
                        Err(error) => log::warn!("catch-up failed, will retry: {error}"),
                    }
                }
            }
        })
    }

    /// Another server committed an event of `family`: its streams here read on, and its audit
    /// lines are written if this server writes them.
    pub fn committed_elsewhere(&self, family: UserId) {
        self.audit.noticed(family);
        self.hub.wake(family);
    }

    /// Another server deleted `user`: its streams here end, as they do where it was deleted.
    pub fn deleted_elsewhere(&self, user: UserId) {
        self.hub.disconnect(user);
    }

    /// Commits on other servers may have gone unheard: every stream reads on, and every family's
    /// audit lines are checked.
    pub fn missed_commits(&self) {
        self.audit.rescan();
        self.hub.wake_all();
    }

    /// This server now writes the audit files, from where they stand.
    pub fn take_over_audit(&self) {
        self.audit.take_over();
    }

    /// Another server writes the audit files from now on.
    pub fn stand_by_audit(&self) {
        self.audit.stand_by();
    }

    /// Tracking events committed but not yet in the history. An event written into the history
    /// and waiting for its next sync to be confirmed does not count: every read sees it already.
    pub async fn backlog(&self) -> Result<u64, FamilyError> {
        let outbox = self.family.outbox_len().await?;
        Ok(outbox.saturating_sub(self.confirmer.pending()))
    }

    /// Committed events not yet known to be in the audit files.
    pub fn audit_backlog(&self) -> u64 {
        self.audit.backlog()
    }

    /// Confirms every event written into the history, writes every audit line still missing, and
    /// stops both threads.
    pub fn close(&self) {
        self.confirmer.close();
        self.audit.close();
    }

    async fn has_work(&self) -> bool {
        let backlog = self.backlog().await.unwrap_or(1);
        let deleted = self
            .family
            .users_to_anonymize()
            .await
            .map(|users| users.len())
            .unwrap_or(1);
        backlog > 0 || deleted > 0
    }

    /// The family's committed events `read` asks for, oldest first, without a gap: see
    /// [`tracking_store::family_events_after`].
    pub async fn family_events_after(
        &self,
        read: SequenceRead,
    ) -> Result<Vec<SequencedEvent>, FeedError> {
        tracking_store::family_events_after(self.family.as_ref(), self.history.as_ref(), read).await
    }

    /// Writes the event into the history, where every read sees it from now on; its confirmation
    /// in the outbox follows once the history has it on disk.
    async fn deliver(&self, recorded: &SequencedEvent) {
        let id = recorded.event.id();
        match self.history.append_unsynced(recorded).await {
            Ok(Appended::Visible) => self.confirmer.written(id),
            Ok(Appended::Durable) => {
                if let Err(error) = self.family.confirm_delivered(&[id]).await {
                    log::warn!(
                        "delivery of tracking event {id} not confirmed, will redeliver: {error}"
                    );
                }
            }
            Err(error) => {
                log::error!(
                    "tracking event {id} kept in the outbox, history write failed: {error}"
                );
            }
        }
    }
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("hub", &self.hub)
            .finish_non_exhaustive()
    }
}
