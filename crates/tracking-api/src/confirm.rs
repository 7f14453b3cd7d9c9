//! Confirming outbox events once the history has them on disk, in batches, off the request path.
//!
//! A mutation's event is durable in the outbox as soon as the family store commits it, so the
//! tracker writes it into the history without waiting for the history's `fdatasync`
//! ([`TrackingRepository::append_unsynced`]: every read sees it at once) and answers. The
//! confirmer then takes every event written since its last round, makes the history durable
//! with one [`TrackingRepository::sync`], and only then confirms them in the outbox. A crash
//! before the confirmation leaves them in the outbox: the next start finds them in the history,
//! or delivers them again if the history lost them (appends are idempotent by id).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tracking_model::EventId;
use tracking_store::{FamilyRepository, TrackingRepository};

use crate::worker::{Stop, Worker};

/// Syncs the history and confirms the events written into it, from a thread of its own.
pub(crate) struct Confirmer {
    shared: Arc<Shared>,
    worker: Worker<Shared>,
}

/// How long the confirmer lets events gather before each round: one `fdatasync` of the history
/// then covers every event written meanwhile, and the history's syncs stay rare beside the
/// journal's, whose latency the requests wait for (at load about 40 a second rather than 200:
/// they share the disk). Nothing waits for a confirmation; a crash before it only redelivers.
const GATHER: Duration = Duration::from_millis(20);

/// What waits for confirmation, behind one lock.
#[derive(Default)]
struct Pending {
    /// Written into the history since the last round began, in write order.
    waiting: Vec<EventId>,
    /// Every event not yet confirmed: waiting, or in the round running now.
    unconfirmed: HashSet<EventId>,
    closing: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Notify,
    family: Arc<dyn FamilyRepository>,
    history: Arc<dyn TrackingRepository>,
}

impl Stop for Shared {
    fn stop(&self) {
        self.pending.lock().closing = true;
        self.wake.notify_one();
    }
}

impl Confirmer {
    /// Starts the confirmer's thread.
    pub(crate) fn start(
        family: Arc<dyn FamilyRepository>,
        history: Arc<dyn TrackingRepository>,
    ) -> Self {
        let shared = Arc::new(Shared {
            pending: Mutex::default(),
            wake: Notify::new(),
            family,
            history,
        });
        let worker = Worker::spawn(
            "history-confirm",
            Arc::clone(&shared),
            |shared| async move {
                run(&shared).await;
            },
        );
        Self { shared, worker }
    }

    /// Confirms `id` once a sync of the history that began after this call has returned;
    /// returns at once.
    pub(crate) fn written(&self, id: EventId) {
        let mut pending = self.shared.pending.lock();
        let idle = pending.waiting.is_empty();
        pending.waiting.push(id);
        pending.unconfirmed.insert(id);
        drop(pending);
        // A round running now takes the rest when it is done; only an idle thread needs waking.
        if idle {
            self.shared.wake.notify_one();
        }
    }

    /// Whether the confirmer will confirm `id` (unless the history's sync fails).
    pub(crate) fn is_pending(&self, id: EventId) -> bool {
        self.shared.pending.lock().unconfirmed.contains(&id)
    }

    /// How many events wait for the confirmer.
    pub(crate) fn pending(&self) -> u64 {
        self.shared.pending.lock().unconfirmed.len() as u64
    }

    /// Syncs and confirms everything written so far, then stops the thread.
    pub(crate) fn close(&self) {
        self.worker.close();
    }
}

async fn run(shared: &Shared) {
    loop {
        let (waiting, closing) = {
            let pending = shared.pending.lock();
            (!pending.waiting.is_empty(), pending.closing)
        };
        if !waiting {
            if closing {
                return;
            }
            shared.wake.notified().await;
            continue;
        }
        if !closing {
            tokio::time::sleep(GATHER).await;
        }
        let batch = std::mem::take(&mut shared.pending.lock().waiting);
        confirm(shared, &batch).await;
        let mut pending = shared.pending.lock();
        for id in &batch {
            pending.unconfirmed.remove(id);
        }
    }
}

/// One round: the history made durable, then the batch confirmed. Events of a failed round stay
/// in the outbox for the tracker's catch-up.
async fn confirm(shared: &Shared, batch: &[EventId]) {
    if let Err(error) = shared.history.sync().await {
        log::error!(
            "{} tracking events kept in the outbox, syncing the history failed: {error}",
            batch.len()
        );
        return;
    }
    if let Err(error) = shared.family.confirm_delivered(batch).await {
        log::warn!(
            "delivery of {} tracking events not confirmed, will redeliver: {error}",
            batch.len()
        );
    }
}
