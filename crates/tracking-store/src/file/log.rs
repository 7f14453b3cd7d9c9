//! An append-only file of lines with group commit: writers append under a short lock, and one
//! syncer thread makes every append written so far durable with a single `fdatasync`.
//!
//! Each append carries an item of type `T` (an index entry, a journal change) that is *published*
//! (made visible in memory) only once its line is durable, in the order the lines were written.
//! In [`SyncMode::Interval`] items are published at once and the syncer only syncs on a timer.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// When an append is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncMode {
    /// After `fdatasync`; concurrent appends share one.
    Durable,
    /// After the write reaches the operating system; `fdatasync` runs on this interval.
    Interval(Duration),
}

/// Publishes items, in write order, once their lines are durable.
pub(crate) type Publish<T> = Box<dyn Fn(Vec<T>) + Send + Sync>;
/// Runs on the syncer thread after a round, with nothing staged; may rewrite the file.
pub(crate) type Maintain<T> = Box<dyn Fn(&mut LogState<T>) + Send + Sync>;

/// The mutable side of a log, behind its lock.
#[derive(Debug)]
pub(crate) struct LogState<T> {
    file: Arc<File>,
    path: PathBuf,
    /// The length of the file: where the next line lands.
    pub(crate) len: u64,
    synced_len: u64,
    /// Written but not yet durable, in write order.
    pub(crate) staged: Vec<T>,
    /// Set after a failed `fdatasync` or a failed clean-up: the log refuses every later write.
    failed: Option<String>,
    /// A counter the owner may use to number its lines.
    pub(crate) seq: u64,
}

impl<T> LogState<T> {
    /// The file, for reads and for `set_len`.
    pub(crate) fn file(&self) -> &Arc<File> {
        &self.file
    }

    /// Puts another file in place of the current one; `len` bytes of it are durable already.
    pub(crate) fn replace_file(&mut self, file: File, len: u64) {
        self.file = Arc::new(file);
        self.len = len;
        self.synced_len = len;
    }

    /// Records that the file was cut to `len` bytes and synced.
    pub(crate) fn truncated(&mut self, len: u64) {
        self.len = len;
        self.synced_len = len;
    }

    /// Refuses every later write with `reason`.
    pub(crate) fn fail(&mut self, reason: String) {
        log::error!("{}: {reason}", self.path.display());
        self.failed = Some(reason);
    }

    fn check(&self) -> io::Result<()> {
        match &self.failed {
            Some(reason) => Err(io::Error::other(format!(
                "{} is unusable until the store is reopened: {reason}",
                self.path.display()
            ))),
            None => Ok(()),
        }
    }
}

struct Shared<T> {
    state: Mutex<LogState<T>>,
    /// Held by a sync round from taking the staged items until publishing them, and by anyone
    /// who replaces the file, so that no staged item's offset goes stale unseen.
    round: Mutex<()>,
    publish: Publish<T>,
    maintain: Option<Maintain<T>>,
    mode: SyncMode,
}

/// A writer waiting for the next sync round.
type Request = oneshot::Sender<Result<(), String>>;

/// An append-only file of lines and the syncer thread that makes them durable.
pub(crate) struct Log<T: Send + 'static> {
    shared: Arc<Shared<T>>,
    requests: Mutex<Option<mpsc::Sender<Request>>>,
    syncer: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> std::fmt::Debug for Log<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("mode", &self.shared.mode)
            .finish_non_exhaustive()
    }
}

/// What an append writes: its line (with the final newline) and the item to publish.
pub(crate) type Prepared<T> = Option<(Vec<u8>, T)>;

/// How long an append waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Until the line is durable (in [`SyncMode::Durable`]).
    Durable,
    /// Publishes at once and leaves the sync to the next round; for records whose loss on a
    /// crash is harmless.
    Lazy,
}

impl<T: Send + 'static> Log<T> {
    /// Takes over `file` (opened for appending, `len` bytes long, all of them durable).
    pub(crate) fn start(
        file: File,
        path: PathBuf,
        len: u64,
        seq: u64,
        mode: SyncMode,
        publish: Publish<T>,
        maintain: Option<Maintain<T>>,
    ) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(LogState {
                file: Arc::new(file),
                path: path.clone(),
                len,
                synced_len: len,
                staged: Vec::new(),
                failed: None,
                seq,
            }),
            round: Mutex::new(()),
            publish,
            maintain,
            mode,
        });
        let (sender, receiver) = mpsc::channel();
        let name = format!(
            "sync {}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let syncer = std::thread::Builder::new().name(name).spawn({
            let shared = Arc::clone(&shared);
            move || run_syncer(&shared, &receiver)
        })?;
        Ok(Self {
            shared,
            requests: Mutex::new(Some(sender)),
            syncer: Some(syncer),
        })
    }

    /// Locks the state, for reads and for replacing the file.
    pub(crate) fn state(&self) -> MutexGuard<'_, LogState<T>> {
        self.shared.state.lock()
    }

    /// Locks out sync rounds, for replacing the file; take it before [`Self::state`].
    pub(crate) fn exclusive(&self) -> MutexGuard<'_, ()> {
        self.shared.round.lock()
    }

    /// Runs `prepare` under the lock and appends the line it returns. Returns once the line is
    /// durable (or at once, per `wait` and the mode) and its item published. When `prepare`
    /// returns nothing, waits until everything staged so far is durable.
    pub(crate) async fn append(
        &self,
        wait: Wait,
        prepare: impl FnOnce(&mut LogState<T>) -> io::Result<Prepared<T>>,
    ) -> io::Result<()> {
        let must_wait = {
            let mut state = self.state();
            state.check()?;
            match prepare(&mut state)? {
                Some((line, item)) => {
                    write_line(&mut state, &line)?;
                    if wait == Wait::Lazy || self.shared.mode != SyncMode::Durable {
                        (self.shared.publish)(vec![item]);
                        false
                    } else {
                        state.staged.push(item);
                        true
                    }
                }
                None => !state.staged.is_empty() && self.shared.mode == SyncMode::Durable,
            }
        };
        if !must_wait {
            // A lazy line rides on the next round that someone waits for (or on closing): a
            // round of its own would cost an `fdatasync` for a record whose loss is harmless.
            return Ok(());
        }
        let (sender, receiver) = oneshot::channel();
        if !self.send(sender) {
            return Err(io::Error::other("the store is closing"));
        }
        match receiver.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(io::Error::other(reason)),
            Err(_) => Err(io::Error::other("the syncer thread stopped")),
        }
    }

    fn send(&self, request: Request) -> bool {
        self.requests
            .lock()
            .as_ref()
            .is_some_and(|sender| sender.send(request).is_ok())
    }
}

impl<T: Send + 'static> Drop for Log<T> {
    fn drop(&mut self) {
        self.requests.lock().take();
        if let Some(syncer) = self.syncer.take() {
            let _ = syncer.join();
        }
    }
}

/// Appends `line`; on failure cuts the file back so that no partial line stays in the middle.
fn write_line<T>(state: &mut LogState<T>, line: &[u8]) -> io::Result<()> {
    match (&*state.file).write_all(line) {
        Ok(()) => {
            state.len += line.len() as u64;
            Ok(())
        }
        Err(err) => {
            if let Err(cut) = state.file.set_len(state.len) {
                state.fail(format!(
                    "a write failed ({err}) and cutting it off failed ({cut})"
                ));
            }
            Err(err)
        }
    }
}

fn run_syncer<T>(shared: &Shared<T>, receiver: &mpsc::Receiver<Request>) {
    let tick = match shared.mode {
        SyncMode::Durable => None,
        SyncMode::Interval(every) => Some(every),
    };
    loop {
        let first = match tick {
            None => wait_briefly(receiver)
                .map(Ok)
                .unwrap_or_else(|| receiver.recv().map_err(|_| RecvTimeoutError::Disconnected)),
            Some(every) => receiver.recv_timeout(every),
        };
        let mut waiters = Vec::new();
        let closing = match first {
            Ok(request) => {
                waiters.push(request);
                loop {
                    match receiver.try_recv() {
                        Ok(request) => waiters.push(request),
                        Err(mpsc::TryRecvError::Empty) => break false,
                        Err(mpsc::TryRecvError::Disconnected) => break true,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        let outcome = sync_round(shared);
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
        if closing {
            return;
        }
    }
}

/// Polls for a request for a few tens of microseconds before the syncer goes to sleep: a lone
/// writer that appends again right after its acknowledgement then finds the syncer awake, which
/// saves a thread wake-up on every durable append.
fn wait_briefly(receiver: &mpsc::Receiver<Request>) -> Option<Request> {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_micros(60) {
        match receiver.try_recv() {
            Ok(request) => return Some(request),
            Err(mpsc::TryRecvError::Empty) => std::thread::yield_now(),
            Err(mpsc::TryRecvError::Disconnected) => return None,
        }
    }
    None
}

/// Makes everything written so far durable, publishes what was staged, then maintains.
///
/// Staged items leave `staged` only as they are published, both under the state lock: an append
/// that checks for an item (say, an event id) always finds it in one place or the other.
fn sync_round<T>(shared: &Shared<T>) -> Result<(), String> {
    let _round = shared.round.lock();
    let (file, len, count) = {
        let state = shared.state.lock();
        if let Some(reason) = &state.failed {
            return Err(reason.clone());
        }
        let unsynced = state.len > state.synced_len;
        if !unsynced && state.staged.is_empty() {
            return Ok(());
        }
        (
            unsynced.then(|| Arc::clone(&state.file)),
            state.len,
            state.staged.len(),
        )
    };
    if let Some(Err(err)) = file.map(|file| file.sync_data()) {
        let reason = format!("fdatasync failed: {err}");
        shared.state.lock().fail(reason.clone());
        return Err(reason);
    }
    let mut state = shared.state.lock();
    state.synced_len = state.synced_len.max(len);
    if count > 0 {
        let items: Vec<T> = state.staged.drain(..count).collect();
        (shared.publish)(items);
    }
    if let Some(maintain) = &shared.maintain
        && state.staged.is_empty()
        && state.failed.is_none()
    {
        maintain(&mut state);
    }
    Ok(())
}
