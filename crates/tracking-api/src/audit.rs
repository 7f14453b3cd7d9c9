//! The audit mirror as the tracker sees it, and the follower that keeps it in step with what is
//! committed, one family at a time, by the family's sequence.
//!
//! The audit files are their own cursor: each line carries its event's family sequence number,
//! and after a start the follower asks the sink where a family's files stand (the number of the
//! last whole line) and writes every committed event after it, in number order. A crash between a
//! commit and its line, in the middle of a line or of a roll-over only delays lines: none is lost
//! and none is written twice.
//!
//! With many servers on one store, one of them writes (the one a lock elects); the others'
//! followers stand by, writing and purging nothing. Taking over forgets every position known and
//! reads them back from the files, which the previous writer may have moved on.

use std::collections::{HashMap, HashSet, VecDeque};
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};
use tracking_model::{SequencedEvent, UserId};
use tracking_store::{
    FamilyError, FamilyRepository, SequenceRead, TrackingRepository, family_events_after,
};

use crate::AuditRole;
use crate::worker::{Stop, Worker};

/// Where a family's audit lines stand, as the sink reads it back from storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditPosition {
    /// Nothing was written for the family (or it is all gone).
    Empty,
    /// Lines were written, but the last one carries no sequence number (written before lines
    /// carried it): the family counts as written up to its present head.
    Unnumbered,
    /// Every event up to this number of the family's sequence is written.
    After(u64),
}

/// Where the tracker mirrors each committed event, one line per event (per-user rolling files in
/// the server). A failure is logged by the tracker, retried later, and never fails a mutation.
pub trait AuditSink: Send + Sync + 'static {
    /// Writes one line for `event`, carrying its family sequence number.
    fn record(&self, event: &SequencedEvent) -> Result<(), Box<dyn Error + Send + Sync>>;
    /// Writes the lines of a run of one family's events, in order; a sink may write them at once.
    /// After a failure some of them may be written: the follower reads its position back.
    fn record_all(&self, events: &[SequencedEvent]) -> Result<(), Box<dyn Error + Send + Sync>> {
        events.iter().try_for_each(|event| self.record(event))
    }
    /// Where the lines of `user`'s family stand, read back from storage; a half-written last line
    /// is discarded first.
    fn position(&self, user: UserId) -> Result<AuditPosition, Box<dyn Error + Send + Sync>>;
    /// Removes everything kept for `user`, for the user's deletion.
    fn purge_user(&self, user: UserId) -> Result<(), Box<dyn Error + Send + Sync>>;
    /// Closes whatever files it keeps open, so that the next line opens them afresh: another
    /// process may have written, rolled over or removed them (before this one takes over).
    fn release(&self) {}
    /// Claims the storage for writing, for a server sharing it with others of which one is
    /// elected to write: `Ok(true)` once this process holds the claim, `Ok(false)` while another
    /// does. It fences a writer that has lost its role without noticing yet (its connection to
    /// the election is gone, or it stalled) out of its successor's way. A sink that only one
    /// process writes has nothing to claim.
    fn claim(&self) -> Result<bool, Box<dyn Error + Send + Sync>> {
        Ok(true)
    }
    /// Gives the claim up (and closes the files), once this process stops writing.
    fn unclaim(&self) {}
}

/// An audit sink that keeps nothing, for embedders without an audit log.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _event: &SequencedEvent) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(())
    }

    fn position(&self, _user: UserId) -> Result<AuditPosition, Box<dyn Error + Send + Sync>> {
        Ok(AuditPosition::Unnumbered)
    }

    fn purge_user(&self, _user: UserId) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(())
    }
}

impl AuditSink for tracking_audit::AuditLog {
    fn record(&self, event: &SequencedEvent) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(tracking_audit::AuditLog::record(
            self,
            &event.event,
            event.sequence,
        )?)
    }

    fn record_all(&self, events: &[SequencedEvent]) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(tracking_audit::AuditLog::record_all(
            self,
            events.iter().map(|event| (&event.event, event.sequence)),
        )?)
    }

    fn position(&self, user: UserId) -> Result<AuditPosition, Box<dyn Error + Send + Sync>> {
        Ok(match self.last_line(user)? {
            tracking_audit::LastLine::None => AuditPosition::Empty,
            tracking_audit::LastLine::Unnumbered => AuditPosition::Unnumbered,
            tracking_audit::LastLine::Numbered(sequence) => AuditPosition::After(sequence),
        })
    }

    fn purge_user(&self, user: UserId) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(tracking_audit::AuditLog::purge_user(self, user)?)
    }

    fn release(&self) {
        self.close_all();
    }

    fn claim(&self) -> Result<bool, Box<dyn Error + Send + Sync>> {
        Ok(self.try_claim()?)
    }

    fn unclaim(&self) {
        self.close_all();
        self.release_claim();
    }
}

/// Why a user's audit files were not removed.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("audit files not removed: {0}")]
    Sink(#[source] Box<dyn Error + Send + Sync>),
    #[error("audit files not removed: the audit log is closed")]
    Closed,
    #[error("audit files not removed here: another server writes them")]
    StandingBy,
}

/// Events read from the store and written at a time, per family.
const BATCH: usize = 256;

/// How long the follower lets events gather after a wake-up before it reads them: one wake-up
/// of its thread, one read of the store and one write per family then serve every event
/// committed meanwhile, and a line lags its commit by about this much.
const GATHER: Duration = Duration::from_millis(20);

/// How long a follower taking over waits before it tries the sink's claim again, while the
/// previous writer still holds it.
const CLAIM_RETRY: Duration = Duration::from_millis(100);

/// How far one family's lines are.
#[derive(Debug, Clone, Copy, Default)]
struct Family {
    /// The highest number known committed.
    head: u64,
    /// The highest number written; `None` until read back from the sink after a start.
    written: Option<u64>,
}

impl Family {
    fn lag(self) -> u64 {
        self.head.saturating_sub(self.written.unwrap_or(0))
    }
}

/// What the follower knows and what it is asked to do, behind one lock.
#[derive(Default)]
struct Progress {
    families: HashMap<UserId, Family>,
    /// The sum of every family's lag, kept as families change, so that the backlog costs O(1).
    lag: u64,
    /// Families that may have lines to write, in the order they were marked.
    dirty: VecDeque<UserId>,
    marked: HashSet<UserId>,
    /// Deleted users whose files are gone: never written again.
    purged: HashSet<UserId>,
    purges: Vec<(UserId, oneshot::Sender<Result<(), PurgeError>>)>,
    /// Set until every user of the store has been registered after the start.
    scanning: bool,
    /// Every user is to be registered again (commits may have gone unheard, or this follower
    /// took over the writing).
    rescan: bool,
    /// The last registration failed; [`AuditFollower::retry`] asks for it again.
    rescan_failed: bool,
    /// Another server writes the files: nothing is written or purged here.
    standing_by: bool,
    /// This follower holds the sink's claim (one that is not elected always does).
    claimed: bool,
    /// Taking over: the claim is to be taken before anything is read back or written.
    claiming: bool,
    /// This take-over found the claim held by another process (logged once).
    claim_waited: bool,
    /// Counts the changes of role, so that a family's reading begun before one writes nothing
    /// after it.
    role_changes: u64,
    closing: bool,
}

impl Progress {
    fn update(&mut self, user: UserId, change: impl FnOnce(&mut Family)) {
        let family = self.families.entry(user).or_default();
        let before = family.lag();
        change(family);
        let after = family.lag();
        self.lag = self.lag - before + after;
    }

    /// Queues `user`'s family; whether it was not queued yet.
    fn mark(&mut self, user: UserId) -> bool {
        let queued = !self.purged.contains(&user) && self.marked.insert(user);
        if queued {
            self.dirty.push_back(user);
        }
        queued
    }

    /// Takes `role` from now on: see [`AuditFollower::take_over`] and
    /// [`AuditFollower::stand_by`].
    fn change_role(&mut self, role: AuditRole) {
        let writing = role == AuditRole::Writer;
        self.standing_by = !writing;
        self.claiming = writing;
        self.role_changes += 1;
        if writing {
            self.claim_waited = false;
            self.families.clear();
            self.lag = 0;
            self.dirty.clear();
            self.marked.clear();
            self.scanning = true;
            self.rescan = true;
        }
    }

    fn forget(&mut self, user: UserId) {
        if let Some(family) = self.families.remove(&user) {
            self.lag -= family.lag();
        }
        self.marked.remove(&user);
        self.dirty.retain(|&other| other != user);
        self.purged.insert(user);
    }
}

struct Shared {
    progress: Mutex<Progress>,
    wake: Notify,
    family: Arc<dyn FamilyRepository>,
    history: Arc<dyn TrackingRepository>,
    sink: Arc<dyn AuditSink>,
}

impl Shared {
    /// Changes what the follower knows or is asked to do, and wakes it.
    fn wake_after(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.progress.lock());
        self.wake.notify_one();
    }
}

impl Stop for Shared {
    fn stop(&self) {
        self.wake_after(|progress| progress.closing = true);
    }
}

/// Follows every family's committed events into an [`AuditSink`] from a thread of its own, so a
/// slow disk never slows a mutation.
pub(crate) struct AuditFollower {
    shared: Arc<Shared>,
    worker: Worker<Shared>,
}

impl AuditFollower {
    /// Starts the follower: unless `standing_by`, it registers every user of the store, then
    /// writes whatever each family's files lack.
    pub(crate) fn start(
        family: Arc<dyn FamilyRepository>,
        history: Arc<dyn TrackingRepository>,
        sink: Arc<dyn AuditSink>,
        standing_by: bool,
    ) -> Self {
        let shared = Arc::new(Shared {
            progress: Mutex::new(Progress {
                scanning: !standing_by,
                standing_by,
                claimed: !standing_by,
                ..Progress::default()
            }),
            wake: Notify::new(),
            family,
            history,
            sink,
        });
        let worker = Worker::spawn("audit-follower", Arc::clone(&shared), |shared| async move {
            run(&shared).await;
        });
        Self { shared, worker }
    }

    /// Tells the follower that `user`'s family committed event number `sequence`; returns at once.
    pub(crate) fn committed(&self, user: UserId, sequence: u64) {
        let mut progress = self.shared.progress.lock();
        if progress.purged.contains(&user) {
            return;
        }
        progress.update(user, |family| family.head = family.head.max(sequence));
        let queued = progress.mark(user);
        drop(progress);
        // A family queued already is read again before the follower waits: no wake-up needed.
        if queued {
            self.shared.wake.notify_one();
        }
    }

    /// Tells the follower that `user`'s family may have committed events it was not told of
    /// (committed by another server); returns at once.
    pub(crate) fn noticed(&self, user: UserId) {
        let mut progress = self.shared.progress.lock();
        if progress.standing_by || progress.purged.contains(&user) {
            return;
        }
        let queued = progress.mark(user);
        drop(progress);
        if queued {
            self.shared.wake.notify_one();
        }
    }

    /// Registers every user again and writes what their files lack: for commits that may have
    /// gone unheard.
    pub(crate) fn rescan(&self) {
        self.shared.wake_after(|progress| progress.rescan = true);
    }

    /// Stops writing and purging: another server writes the files from now on. The follower
    /// gives the sink's claim up as soon as the line it may be writing is done.
    pub(crate) fn stand_by(&self) {
        self.shared
            .wake_after(|progress| progress.change_role(AuditRole::StandingBy));
    }

    /// Starts writing, from where the files stand: first the sink's claim is taken (waiting for
    /// a previous writer that has not stood by yet), then every position known is forgotten
    /// (another server may have written since) and read back, for every user of the store.
    pub(crate) fn take_over(&self) {
        self.shared
            .wake_after(|progress| progress.change_role(AuditRole::Writer));
    }

    /// Tries again every family whose lines lag behind (after a failed write or read), and the
    /// registration of every user if it failed.
    pub(crate) fn retry(&self) {
        let mut progress = self.shared.progress.lock();
        if progress.rescan_failed {
            progress.rescan_failed = false;
            progress.rescan = true;
            drop(progress);
            self.shared.wake.notify_one();
            return;
        }
        let lagging: Vec<UserId> = progress
            .families
            .iter()
            .filter(|(_, family)| family.lag() > 0)
            .map(|(&user, _)| user)
            .collect();
        if lagging.is_empty() {
            return;
        }
        for user in lagging {
            progress.mark(user);
        }
        drop(progress);
        self.shared.wake.notify_one();
    }

    /// Committed events not yet known to be in the audit files: every event of a family whose
    /// files have not been read back since the start counts.
    pub(crate) fn backlog(&self) -> u64 {
        let progress = self.shared.progress.lock();
        if progress.standing_by {
            // This server owes no lines: the writer does.
            return 0;
        }
        progress.lag + u64::from(progress.scanning)
    }

    /// Removes the user's audit files once the lines being written are done, and writes none of
    /// the user's lines again.
    pub(crate) async fn purge(&self, user: UserId) -> Result<(), PurgeError> {
        let (done, wait) = oneshot::channel();
        {
            let mut progress = self.shared.progress.lock();
            if progress.closing {
                return Err(PurgeError::Closed);
            }
            if progress.standing_by {
                return Err(PurgeError::StandingBy);
            }
            progress.purges.push((user, done));
        }
        self.shared.wake.notify_one();
        wait.await.unwrap_or(Err(PurgeError::Closed))
    }

    /// Writes what every marked family lacks, then stops the thread.
    pub(crate) fn close(&self) {
        self.worker.close();
    }
}

/// What the follower does next.
enum Next {
    Unclaim,
    Claim,
    Purge(UserId, oneshot::Sender<Result<(), PurgeError>>),
    Rescan,
    Family(UserId),
    Wait,
    Stop,
}

async fn run(shared: &Shared) {
    let standing_by = shared.progress.lock().standing_by;
    if !standing_by && let Err(error) = scan(shared).await {
        log::error!(
            "audit follower: listing the users failed, lines wait for the next try: {error}"
        );
    }
    shared.progress.lock().scanning = false;
    loop {
        let next = {
            let mut progress = shared.progress.lock();
            if progress.standing_by {
                // Nothing to write here; a take-over registers every user again.
                progress.dirty.clear();
                progress.marked.clear();
                progress.rescan = false;
            }
            if progress.standing_by && progress.claimed {
                Next::Unclaim
            } else if progress.claiming {
                Next::Claim
            } else if let Some((user, done)) = progress.purges.pop() {
                Next::Purge(user, done)
            } else if progress.rescan {
                progress.rescan = false;
                Next::Rescan
            } else if let Some(user) = progress.dirty.pop_front() {
                progress.marked.remove(&user);
                Next::Family(user)
            } else if progress.closing {
                Next::Stop
            } else {
                Next::Wait
            }
        };
        match next {
            Next::Unclaim => {
                shared.sink.unclaim();
                shared.progress.lock().claimed = false;
            }
            Next::Claim => claim(shared).await,
            Next::Purge(user, done) => {
                if shared.progress.lock().standing_by {
                    let _ = done.send(Err(PurgeError::StandingBy));
                    continue;
                }
                shared.progress.lock().forget(user);
                let purged = shared.sink.purge_user(user).map_err(PurgeError::Sink);
                let _ = done.send(purged);
            }
            Next::Rescan => {
                shared.sink.release();
                let scanned = scan(shared).await;
                let mut progress = shared.progress.lock();
                progress.scanning = false;
                if let Err(error) = scanned {
                    log::warn!("audit follower: listing the users failed, will retry: {error}");
                    progress.rescan_failed = true;
                }
            }
            Next::Family(user) => follow(shared, user).await,
            Next::Wait => {
                shared.wake.notified().await;
                tokio::time::sleep(GATHER).await;
            }
            Next::Stop => {
                let mut progress = shared.progress.lock();
                if progress.claimed {
                    // Another server (or tracker) may take the files over from here.
                    shared.sink.unclaim();
                    progress.claimed = false;
                }
                for (_, done) in progress.purges.drain(..) {
                    let _ = done.send(Err(PurgeError::Closed));
                }
                return;
            }
        }
    }
}

/// Tries to take the sink's claim once; waits a little before the next try when another
/// process still holds it. What is read back and written after the claim sees every line of
/// the previous writer.
async fn claim(shared: &Shared) {
    match shared.sink.claim() {
        Ok(true) => {
            let mut progress = shared.progress.lock();
            progress.claiming = false;
            // If the role was lost meanwhile, the claim is given up next.
            progress.claimed = true;
        }
        Ok(false) => {
            let first = !std::mem::replace(&mut shared.progress.lock().claim_waited, true);
            if first {
                log::info!(
                    "audit follower: waiting for the previous writer to let go of the files"
                );
            }
            tokio::time::sleep(CLAIM_RETRY).await;
        }
        Err(error) => {
            log::warn!("audit follower: cannot claim the audit files, trying again: {error}");
            tokio::time::sleep(CLAIM_RETRY).await;
        }
    }
}

/// Registers every user's family head and marks it, so that lines a crash kept from being
/// written are written now.
async fn scan(shared: &Shared) -> Result<(), FamilyError> {
    let users = shared.family.list_users().await?;
    for user in users {
        let head = shared.family.family_sequence(user.id).await?;
        let mut progress = shared.progress.lock();
        progress.update(user.id, |family| family.head = family.head.max(head));
        if head > 0 {
            progress.mark(user.id);
        }
    }
    Ok(())
}

/// Writes every committed event of `user`'s family after the last one in its files.
async fn follow(shared: &Shared, user: UserId) {
    let (known, role) = {
        let progress = shared.progress.lock();
        if progress.standing_by || !progress.claimed {
            return;
        }
        (progress.families.get(&user).copied(), progress.role_changes)
    };
    let mut written = match known.and_then(|family| family.written) {
        Some(written) => written,
        None => match read_back(shared, user).await {
            Some(written) => written,
            None => return,
        },
    };
    loop {
        // A deleted family's lines are purged and never written again.
        match shared.family.get_user(user).await {
            Ok(_) => {}
            Err(FamilyError::NotFound) => {
                shared.progress.lock().forget(user);
                return;
            }
            Err(error) => {
                log::warn!("audit lines of user {user} wait: {error}");
                return;
            }
        }
        let events = match family_events_after(
            shared.family.as_ref(),
            shared.history.as_ref(),
            SequenceRead {
                family: user,
                after: written,
                limit: BATCH,
            },
        )
        .await
        {
            Ok(events) => events,
            Err(error) => {
                log::warn!("audit lines of user {user} wait, reading its events failed: {error}");
                return;
            }
        };
        let read = events.len();
        let Some(last) = events.last() else {
            return;
        };
        {
            let progress = shared.progress.lock();
            if progress.purged.contains(&user) || progress.role_changes != role {
                return;
            }
        }
        if let Err(error) = shared.sink.record_all(&events) {
            log::error!(
                "audit lines of user {user} after its event {written} not written yet: {error}"
            );
            // Some of the lines may be in the files: the next round reads back where they stand.
            shared
                .progress
                .lock()
                .update(user, |family| family.written = None);
            return;
        }
        written = last.sequence;
        shared.progress.lock().update(user, |family| {
            family.written = Some(written);
            family.head = family.head.max(written);
        });
        if read < BATCH {
            return;
        }
    }
}

/// Reads back where `user`'s files stand; `None` (logged) when they cannot be read.
async fn read_back(shared: &Shared, user: UserId) -> Option<u64> {
    let written = match shared.sink.position(user) {
        Ok(AuditPosition::Empty) => 0,
        Ok(AuditPosition::After(sequence)) => sequence,
        Ok(AuditPosition::Unnumbered) => match shared.family.family_sequence(user).await {
            Ok(head) => head,
            Err(error) => {
                log::warn!("audit lines of user {user} wait: {error}");
                return None;
            }
        },
        Err(error) => {
            log::error!("audit files of user {user} cannot be read back, lines wait: {error}");
            return None;
        }
    };
    shared.progress.lock().update(user, |family| {
        family.written = Some(written);
        family.head = family.head.max(written);
    });
    Some(written)
}
