//! The audit mirror as the tracker sees it, and the worker thread that keeps it off the request path.

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use tracking_model::{TrackingEvent, UserId};

/// Where the tracker mirrors each recorded event, one line per event (per-user rolling files in
/// the server). A failure is logged by the tracker and never fails a mutation.
pub trait AuditSink: Send + Sync + 'static {
    /// Writes one line for `event`.
    fn record(&self, event: &TrackingEvent) -> Result<(), Box<dyn Error + Send + Sync>>;
    /// Removes everything kept for `user`, for the user's deletion.
    fn purge_user(&self, user: UserId) -> Result<(), Box<dyn Error + Send + Sync>>;
}

/// An audit sink that keeps nothing, for embedders without an audit log.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _event: &TrackingEvent) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(())
    }

    fn purge_user(&self, _user: UserId) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(())
    }
}

impl AuditSink for tracking_audit::AuditLog {
    fn record(&self, event: &TrackingEvent) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(tracking_audit::AuditLog::record(self, event)?)
    }

    fn purge_user(&self, user: UserId) -> Result<(), Box<dyn Error + Send + Sync>> {
        Ok(tracking_audit::AuditLog::purge_user(self, user)?)
    }
}

/// Why a user's audit files were not removed.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("audit files not removed: {0}")]
    Sink(#[source] Box<dyn Error + Send + Sync>),
    #[error("audit files not removed: the audit log is closed")]
    Closed,
}

enum Job {
    Record(TrackingEvent),
    Purge(UserId, tokio::sync::oneshot::Sender<Result<(), PurgeError>>),
}

/// Feeds an [`AuditSink`] from one thread, in order, so a slow disk never slows a mutation.
pub(crate) struct AuditWorker {
    jobs: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Jobs sent and not yet done.
    queued: Arc<AtomicUsize>,
}

impl AuditWorker {
    pub(crate) fn start(sink: Arc<dyn AuditSink>) -> Self {
        let (jobs, receiver) = mpsc::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn({
                let queued = Arc::clone(&queued);
                move || run(sink.as_ref(), receiver, &queued)
            })
            .expect("the audit thread starts");
        Self {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
            queued,
        }
    }

    /// Queues one line; returns at once.
    pub(crate) fn record(&self, event: TrackingEvent) {
        self.send(Job::Record(event));
    }

    /// Removes the user's audit files after every line queued before it is written.
    pub(crate) async fn purge(&self, user: UserId) -> Result<(), PurgeError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.send(Job::Purge(user, done));
        wait.await.unwrap_or(Err(PurgeError::Closed))
    }

    /// Writes every queued line, then stops the thread.
    pub(crate) fn close(&self) {
        drop(self.jobs.lock().take());
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }

    /// Jobs queued and not yet done.
    pub(crate) fn backlog(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    fn send(&self, job: Job) {
        self.queued.fetch_add(1, Ordering::Relaxed);
        let sent = self.jobs.lock().as_ref().map(|jobs| jobs.send(job).is_ok());
        if sent != Some(true) {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            log::error!("audit log is closed; a line was not written");
        }
    }
}

impl std::fmt::Debug for AuditWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditWorker")
    }
}

impl Drop for AuditWorker {
    fn drop(&mut self) {
        self.close();
    }
}

/// While lines keep coming, the audit thread drains its queue on this tick instead of being woken
/// for every line: a wake-up per mutation costs more than the line.
const DRAIN_EVERY: Duration = Duration::from_millis(2);
/// Empty ticks after which the thread blocks until the next line.
const IDLE_TICKS_BEFORE_PARKING: u32 = 50;

fn run(sink: &dyn AuditSink, jobs: Receiver<Job>, queued: &AtomicUsize) {
    let mut idle_ticks = 0;
    loop {
        let job = if idle_ticks >= IDLE_TICKS_BEFORE_PARKING {
            match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        } else {
            match jobs.try_recv() {
                Ok(job) => job,
                Err(TryRecvError::Empty) => {
                    idle_ticks += 1;
                    std::thread::sleep(DRAIN_EVERY);
                    continue;
                }
                Err(TryRecvError::Disconnected) => return,
            }
        };
        idle_ticks = 0;
        match job {
            Job::Record(event) => {
                if let Err(error) = sink.record(&event) {
                    log::error!(
                        "audit line for tracking event {} not written: {error}",
                        event.id()
                    );
                }
            }
            Job::Purge(user, done) => {
                let _ = done.send(sink.purge_user(user).map_err(PurgeError::Sink));
            }
        }
        queued.fetch_sub(1, Ordering::Relaxed);
    }
}
