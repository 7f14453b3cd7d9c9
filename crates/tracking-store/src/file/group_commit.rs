//! An append-only file of lines with group commit: writers append under a short lock, and one
//! syncer thread makes every append written so far durable with a single `fdatasync`.
//!
//! Each append carries an item of type `T` (an index entry, a journal change) that is *published*
//! (made visible in memory) only once its line is durable, in the order the lines were written.
//! In [`Durability::Interval`] items are published at once and the syncer only syncs on a timer.
//!
//! The file grows ahead of its lines in zero-filled steps ([`PREALLOCATE`]): a line overwrites
//! bytes that are allocated and on disk already, so its `fdatasync` writes the data alone and no
//! new file size (which ext4 commits through its journal, costing more than the data). The zero
//! tail is cut when the log closes, and on open ([`super::lines`]).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use tokio::sync::oneshot;

use super::Durability;
use crate::metrics::LogMetrics;
use crate::{FamilyError, HistoryError};

/// How far ahead of its lines a log's file is zero-filled, in bytes: a step costs one larger
/// `fdatasync` (these zeros and the new size) per this many bytes of lines, about 2,600 events.
pub(crate) const PREALLOCATE: u64 = 1 << 20;

/// How long a round waits at most for more writers before its `fdatasync` when the round before
/// carried at least [`COMMIT_SIBLINGS`] of them (PostgreSQL's `commit_delay` and
/// `commit_siblings`): under load a round then commits more lines for one `fdatasync`, which
/// costs more CPU than the wait costs latency; a lone writer never waits. The wait ends early
/// once as many writers have come as the round before carried ([`gather`]).
const COMMIT_DELAY: Duration = Duration::from_micros(200);
/// See [`COMMIT_DELAY`].
const COMMIT_SIBLINGS: usize = 4;

/// The most lines a log writes behind ([`LogConfig::write_behind`]) before an append writes them
/// itself: lines nobody waits for would otherwise gather without end. So at most twice this many
/// lines are out of the file at once (one round's being written, the next ones gathering).
pub(crate) const BEHIND_LINES: u64 = 1024;

/// Why a log refuses every write until the store is reopened: the kernel may have dropped
/// unwritten pages, or the file on disk may not be the one in use, so a retry could acknowledge
/// data that is not on disk.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Broken {
    #[error("fdatasync failed: {0}")]
    Sync(Arc<io::Error>),
    /// A write failed, and cutting its partial line off failed too.
    #[error("cutting off a failed write failed: {0}")]
    CutOff(Arc<io::Error>),
    #[error("syncing the directory after a rewrite failed: {0}")]
    Rename(Arc<io::Error>),
    /// Writing a round's lines failed ([`LogConfig::write_behind`]).
    #[error("writing the lines of a sync round failed: {0}")]
    Write(Arc<io::Error>),
}

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppendError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{} is unusable until the store is reopened: {reason}", .path.display())]
    Unusable { path: PathBuf, reason: Broken },
    /// The sync round this append waited for failed.
    #[error(transparent)]
    Round(Broken),
    #[error("the store is closing")]
    Closing,
    /// The owner closed the store ([`Log::close`]).
    #[error("the store is closed")]
    Closed,
    #[error("the syncer thread stopped")]
    SyncerStopped,
}

impl From<AppendError> for io::Error {
    fn from(err: AppendError) -> Self {
        match err {
            AppendError::Io(err) => err,
            other => io::Error::other(other),
        }
    }
}

impl From<AppendError> for FamilyError {
    fn from(err: AppendError) -> Self {
        Self::Io(err.into())
    }
}

impl From<AppendError> for HistoryError {
    fn from(err: AppendError) -> Self {
        Self::Io(err.into())
    }
}

/// Publishes items, in write order, once their lines are durable.
pub(crate) type Publish<T> = Box<dyn Fn(Vec<T>) + Send + Sync>;
/// Runs on the syncer thread after a round, with nothing staged; may rewrite the file.
pub(crate) type Maintain<T> = Box<dyn Fn(&mut LogState<T>) + Send + Sync>;
/// Runs on the syncer thread after each round, its waiters answered, holding no lock of the log.
pub(crate) type AfterRound = Box<dyn Fn() + Send + Sync>;

/// The mutable side of a log, behind its lock.
#[derive(Debug)]
pub(crate) struct LogState<T> {
    file: Arc<File>,
    path: PathBuf,
    /// The length of the file: where the next line lands.
    pub(crate) len: u64,
    synced_len: u64,
    /// The length of the file on disk: the lines, then zeros up to here.
    allocated: u64,
    /// Lines written since the last `fdatasync`, for the group-commit size.
    unsynced_lines: u64,
    /// With [`LogConfig::write_behind`]: the lines not in the file yet, the last bytes up to
    /// `len`, which the next round writes.
    behind: Option<Vec<u8>>,
    /// How many lines `behind` holds.
    behind_lines: u64,
    /// The buffer of the lines written last, emptied, for `behind` to take next: a round's lines
    /// are gathered without growing a new buffer from nothing each time.
    spare: Vec<u8>,
    /// Written but not yet durable, in write order.
    pub(crate) staged: Vec<T>,
    /// Set after a failed `fdatasync` or a failed clean-up: the log refuses every later write.
    failed: Option<Broken>,
    /// Set by [`Log::close`]: the log refuses every later write.
    closed: bool,
    /// A counter the owner may use to number its lines.
    pub(crate) seq: u64,
}

impl<T> LogState<T> {
    /// The file, for reads and for `set_len`.
    pub(crate) fn file(&self) -> &Arc<File> {
        &self.file
    }

    /// Puts another file in place of the current one, whose `len` bytes are durable already;
    /// returns the replaced one.
    pub(crate) fn replace_file(&mut self, file: File, len: u64) -> Arc<File> {
        self.len = len;
        self.synced_len = len;
        self.allocated = len;
        self.unsynced_lines = 0;
        std::mem::replace(&mut self.file, Arc::new(file))
    }

    /// Zero-fills the next [`PREALLOCATE`] bytes of the file once fewer than half of them are
    /// left ahead of the lines. The zeros need no sync of their own: the next round's
    /// `fdatasync` takes them and the new size along, once per step.
    fn preallocate(&mut self) -> io::Result<()> {
        if self.allocated >= self.len + PREALLOCATE / 2 {
            return Ok(());
        }
        let from = self.allocated.max(self.len);
        self.file
            .write_all_at(&vec![0; PREALLOCATE as usize], from)?;
        self.allocated = from + PREALLOCATE;
        Ok(())
    }

    /// Cuts the zeros after the lines, so that a closed log's file ends with its last line.
    fn trim(&mut self) -> io::Result<()> {
        if self.allocated > self.len {
            self.file.set_len(self.len)?;
            self.file.sync_all()?;
            self.allocated = self.len;
        }
        Ok(())
    }

    /// Writes the lines waiting in memory ([`LogConfig::write_behind`]) into the file now; a
    /// failure refuses every later write, as a failed round's does.
    pub(crate) fn write_behind(&mut self) -> io::Result<()> {
        let Some(lines) = self.take_behind() else {
            return Ok(());
        };
        let written = self
            .file
            .write_all_at(&lines, self.len - lines.len() as u64);
        self.keep_spare(lines);
        written.map_err(|err| {
            let reason = Broken::Write(Arc::new(err));
            self.fail(reason.clone());
            io::Error::other(reason)
        })
    }

    /// Takes the lines waiting in memory to write them, leaving the spare buffer in their place;
    /// `None` when no line waits.
    fn take_behind(&mut self) -> Option<Vec<u8>> {
        let behind = self.behind.as_mut().filter(|behind| !behind.is_empty())?;
        let lines = std::mem::replace(behind, std::mem::take(&mut self.spare));
        self.behind_lines = 0;
        Some(lines)
    }

    /// Keeps a buffer of lines once written, emptied, for the next [`Self::take_behind`].
    fn keep_spare(&mut self, mut written: Vec<u8>) {
        written.clear();
        self.spare = written;
    }

    /// Whether lines were written since the last `fdatasync`, or wait for it to be published.
    fn unsynced(&self) -> bool {
        self.len > self.synced_len || !self.staged.is_empty()
    }

    /// Whether the log refuses writes after a failure (closing does not count).
    pub(crate) fn is_broken(&self) -> bool {
        self.failed.is_some()
    }

    /// Refuses every later write with `reason`.
    pub(crate) fn fail(&mut self, reason: Broken) {
        log::error!("{}: {reason}", self.path.display());
        self.failed = Some(reason);
    }

    /// Fails once the log refuses writes: closed, or broken.
    pub(crate) fn check(&self) -> Result<(), AppendError> {
        if self.closed {
            return Err(AppendError::Closed);
        }
        match &self.failed {
            Some(reason) => Err(AppendError::Unusable {
                path: self.path.clone(),
                reason: reason.clone(),
            }),
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
    after_round: Option<AfterRound>,
    durability: Durability,
    metrics: LogMetrics,
}

/// A writer waiting for the next sync round.
type Waiter = oneshot::Sender<Result<(), Broken>>;

/// An append-only file of lines and the syncer thread that makes them durable.
pub(crate) struct Log<T: Send + 'static> {
    shared: Arc<Shared<T>>,
    requests: Mutex<Option<mpsc::Sender<Waiter>>>,
    syncer: Mutex<Option<JoinHandle<()>>>,
}

impl<T: Send + 'static> std::fmt::Debug for Log<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("durability", &self.shared.durability)
            .finish_non_exhaustive()
    }
}

/// What an append writes: its line (with the final newline) and the item to publish.
pub(crate) type Prepared<T> = Option<(Vec<u8>, T)>;

/// How long an append waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Until the line is durable (in [`Durability::Durable`]).
    Durable,
    /// Publishes at once and leaves the sync to the next round; for records whose loss on a
    /// crash is harmless, or that are durable elsewhere already (an event in the outbox).
    Lazy,
}

/// What [`Log::start`] takes over: a file of lines and what to do with their items.
pub(crate) struct LogConfig<T> {
    /// The `log` label of its metrics.
    pub(crate) name: &'static str,
    /// The file, opened for appending; its first `len` bytes are whole lines, all durable.
    pub(crate) file: File,
    pub(crate) path: PathBuf,
    pub(crate) len: u64,
    /// The first value of [`LogState::seq`].
    pub(crate) seq: u64,
    /// Whether lines wait in memory for the syncer, which writes a round's lines with one
    /// `pwrite` before its `fdatasync`, instead of one `pwrite` per line (at most
    /// [`BEHIND_LINES`] of them: then an append writes them). For a file that nobody reads while
    /// the log runs (the journal), or whose readers take a line not yet in the file from memory
    /// (the history's latest events). Only in [`Durability::Durable`], where a line is
    /// acknowledged once durable: a line waiting there is lost with the process, which only a
    /// lazy line ([`Wait::Lazy`]) may be.
    pub(crate) write_behind: bool,
    pub(crate) durability: Durability,
    pub(crate) publish: Publish<T>,
    pub(crate) maintain: Option<Maintain<T>>,
    /// Work the owner leaves to the syncer thread between rounds, off its writers' path.
    pub(crate) after_round: Option<AfterRound>,
}

impl<T: Send + 'static> Log<T> {
    /// Takes over the file and starts its syncer thread.
    pub(crate) fn start(config: LogConfig<T>) -> io::Result<Self> {
        let LogConfig {
            name,
            file,
            path,
            len,
            seq,
            write_behind,
            durability,
            publish,
            maintain,
            after_round,
        } = config;
        let shared = Arc::new(Shared {
            state: Mutex::new(LogState {
                file: Arc::new(file),
                path: path.clone(),
                len,
                synced_len: len,
                allocated: len,
                unsynced_lines: 0,
                behind: (write_behind && durability == Durability::Durable).then(Vec::new),
                behind_lines: 0,
                spare: Vec::new(),
                staged: Vec::new(),
                failed: None,
                closed: false,
                seq,
            }),
            round: Mutex::new(()),
            publish,
            maintain,
            after_round,
            durability,
            metrics: LogMetrics::new(name),
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
            syncer: Mutex::new(Some(syncer)),
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
    /// returns nothing, waits (per `wait` and the mode) until every line written so far is
    /// durable.
    pub(crate) async fn append(
        &self,
        wait: Wait,
        prepare: impl FnOnce(&mut LogState<T>) -> io::Result<Prepared<T>>,
    ) -> Result<(), AppendError> {
        self.append_or_undo(wait, prepare, drop).await
    }

    /// [`Self::append`], calling `undo` with the item, still under the lock, when its line could
    /// not be written: whatever `prepare` reserved for it can be given back before anyone else
    /// reserves more.
    pub(crate) async fn append_or_undo(
        &self,
        wait: Wait,
        prepare: impl FnOnce(&mut LogState<T>) -> io::Result<Prepared<T>>,
        undo: impl FnOnce(T),
    ) -> Result<(), AppendError> {
        let started = Instant::now();
        // Whether to wait for a round, and whether that round commits a line of this append.
        let (must_wait, committing) = {
            let mut state = self.state();
            state.check()?;
            match prepare(&mut state)? {
                Some((line, item)) => {
                    if let Err(err) = write_line(&mut state, &line) {
                        undo(item);
                        return Err(err.into());
                    }
                    if wait == Wait::Lazy || self.shared.durability != Durability::Durable {
                        (self.shared.publish)(vec![item]);
                        self.shared.metrics.commit.record(started.elapsed());
                        (false, false)
                    } else {
                        state.staged.push(item);
                        (true, true)
                    }
                }
                None => {
                    let wait_for_others = wait == Wait::Durable
                        && self.shared.durability == Durability::Durable
                        && state.unsynced();
                    (wait_for_others, false)
                }
            }
        };
        if !must_wait {
            // A lazy line rides on the next round that someone waits for (or on closing): a
            // round of its own would cost an `fdatasync` for a record whose loss is harmless.
            return Ok(());
        }
        let (sender, receiver) = oneshot::channel();
        if !self.send(sender) {
            return Err(AppendError::Closing);
        }
        match receiver.await {
            Ok(Ok(())) => {
                if committing {
                    self.shared.metrics.commit.record(started.elapsed());
                }
                Ok(())
            }
            Ok(Err(reason)) => Err(AppendError::Round(reason)),
            Err(_) => Err(AppendError::SyncerStopped),
        }
    }

    /// Refuses every later append, makes every line written so far durable and stops the syncer
    /// thread; an error says the log broke (now or earlier). Blocks while the last round runs.
    pub(crate) fn close(&self) -> io::Result<()> {
        self.state().closed = true;
        self.requests.lock().take();
        if let Some(syncer) = self.syncer.lock().take() {
            let _ = syncer.join();
        }
        match &self.state().failed {
            Some(reason) => Err(io::Error::other(reason.clone())),
            None => Ok(()),
        }
    }

    fn send(&self, request: Waiter) -> bool {
        self.requests
            .lock()
            .as_ref()
            .is_some_and(|sender| sender.send(request).is_ok())
    }
}

impl<T: Send + 'static> Drop for Log<T> {
    fn drop(&mut self) {
        self.requests.lock().take();
        if let Some(syncer) = self.syncer.lock().take() {
            let _ = syncer.join();
        }
    }
}

/// Writes `line` after the last one (over the zeros, if any), or leaves it to the next round
/// ([`LogConfig::write_behind`]); on failure cuts the file back so that no partial line stays in
/// the middle.
fn write_line<T>(state: &mut LogState<T>, line: &[u8]) -> io::Result<()> {
    if state.behind_lines >= BEHIND_LINES {
        state.write_behind()?;
    }
    let written = match &mut state.behind {
        Some(behind) => {
            behind.extend_from_slice(line);
            state.behind_lines += 1;
            Ok(())
        }
        None => state.file.write_all_at(line, state.len),
    };
    match written {
        Ok(()) => {
            state.len += line.len() as u64;
            state.allocated = state.allocated.max(state.len);
            state.unsynced_lines += 1;
            Ok(())
        }
        Err(err) => {
            match state.file.set_len(state.len) {
                Ok(()) => state.allocated = state.len,
                Err(cut) => state.fail(Broken::CutOff(Arc::new(cut))),
            }
            Err(err)
        }
    }
}

fn run_syncer<T>(shared: &Shared<T>, receiver: &mpsc::Receiver<Waiter>) {
    let tick = match shared.durability {
        Durability::Durable => None,
        Durability::Interval(every) => Some(every),
    };
    let mut last_round = 0;
    loop {
        let first = match tick {
            None if last_round <= 1 => wait_briefly(receiver)
                .map(Ok)
                .unwrap_or_else(|| receiver.recv().map_err(|_| RecvTimeoutError::Disconnected)),
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(every) => receiver.recv_timeout(every),
        };
        let mut waiters = Vec::new();
        let closing = match first {
            Ok(request) => {
                waiters.push(request);
                if tick.is_none() && last_round >= COMMIT_SIBLINGS {
                    gather(receiver, &mut waiters, last_round)
                } else {
                    drain(receiver, &mut waiters)
                }
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        last_round = waiters.len();
        let outcome = sync_round(shared);
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
        if closing {
            trim(shared);
            return;
        }
        // After the waiters are answered: they do not wait for the zeros.
        preallocate(shared);
        if let Some(after_round) = &shared.after_round {
            after_round();
        }
    }
}

/// Takes every request waiting in the channel; true once the channel is closed.
fn drain(receiver: &mpsc::Receiver<Waiter>, waiters: &mut Vec<Waiter>) -> bool {
    loop {
        match receiver.try_recv() {
            Ok(request) => waiters.push(request),
            Err(mpsc::TryRecvError::Empty) => return false,
            Err(mpsc::TryRecvError::Disconnected) => return true,
        }
    }
}

/// Waits up to [`COMMIT_DELAY`] for more writers to join the round, and no longer once as many
/// as `expected` (the round before's) are in; true once the channel is closed. It polls, yielding
/// the core between polls, rather than sleeping: this VM's timers stretch a 200 µs sleep to
/// 0.3–0.7 ms, and a yield hands the core to the workers whose requests are the next writers, so
/// the polls take only time the core would otherwise spend idle.
fn gather(receiver: &mpsc::Receiver<Waiter>, waiters: &mut Vec<Waiter>, expected: usize) -> bool {
    let started = Instant::now();
    loop {
        if drain(receiver, waiters) {
            return true;
        }
        if waiters.len() >= expected || started.elapsed() >= COMMIT_DELAY {
            return false;
        }
        std::thread::yield_now();
    }
}

/// Zero-fills the file ahead of its lines when needed (see [`LogState::preallocate`]). A failure
/// only means that appends extend the file again, which costs time, not data.
fn preallocate<T>(shared: &Shared<T>) {
    let mut state = shared.state.lock();
    if state.failed.is_some() || state.closed {
        return;
    }
    if let Err(err) = state.preallocate() {
        log::warn!("{}: preallocating failed: {err}", state.path.display());
    }
}

/// Cuts the zeros after the lines as the log closes (see [`LogState::trim`]); a failure leaves
/// them to the next open, which cuts them too.
fn trim<T>(shared: &Shared<T>) {
    let mut state = shared.state.lock();
    if state.failed.is_some() {
        return;
    }
    if let Err(err) = state.trim() {
        log::warn!(
            "{}: cutting the preallocated tail failed: {err}",
            state.path.display()
        );
    }
}

/// Polls for a request for a few tens of microseconds before the syncer goes to sleep: a lone
/// writer that appends again right after its acknowledgement then finds the syncer awake, which
/// saves a thread wake-up on every durable append.
fn wait_briefly(receiver: &mpsc::Receiver<Waiter>) -> Option<Waiter> {
    let start = Instant::now();
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
fn sync_round<T>(shared: &Shared<T>) -> Result<(), Broken> {
    let _round = shared.round.lock();
    let (file, len, lines, count, behind) = {
        let mut state = shared.state.lock();
        if let Some(reason) = &state.failed {
            return Err(reason.clone());
        }
        if !state.unsynced() {
            return Ok(());
        }
        let behind = state.take_behind();
        (
            (state.len > state.synced_len).then(|| Arc::clone(&state.file)),
            state.len,
            state.unsynced_lines,
            state.staged.len(),
            behind,
        )
    };
    if let (Some(file), Some(behind)) = (&file, &behind)
        && let Err(err) = file.write_all_at(behind, len - behind.len() as u64)
    {
        let reason = Broken::Write(Arc::new(err));
        shared.state.lock().fail(reason.clone());
        return Err(reason);
    }
    let synced = file.map(|file| {
        let started = Instant::now();
        let synced = file.sync_data();
        shared.metrics.sync.record(started.elapsed());
        synced
    });
    if let Some(Err(err)) = synced {
        let reason = Broken::Sync(Arc::new(err));
        shared.state.lock().fail(reason.clone());
        return Err(reason);
    }
    let mut state = shared.state.lock();
    if let Some(written) = behind {
        state.keep_spare(written);
    }
    state.synced_len = state.synced_len.max(len);
    state.unsynced_lines = state.unsynced_lines.saturating_sub(lines);
    if lines > 0 {
        shared.metrics.group.record(lines as f64);
    }
    if count > 0 {
        let items: Vec<T> = state.staged.drain(..count).collect();
        (shared.publish)(items);
    }
    if let Some(maintain) = &shared.maintain
        && state.staged.is_empty()
        && state.behind.as_ref().is_none_or(Vec::is_empty)
        && state.failed.is_none()
    {
        maintain(&mut state);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(sender: &mpsc::Sender<Waiter>, count: usize) {
        for _ in 0..count {
            sender.send(oneshot::channel().0).unwrap();
        }
    }

    #[test]
    fn gather_takes_every_queued_writer_and_stops_once_the_round_before_is_matched() {
        let (sender, receiver) = mpsc::channel();
        queue(&sender, 6);
        let mut waiters = Vec::new();
        assert!(!gather(&receiver, &mut waiters, 4));
        assert_eq!(waiters.len(), 6);
    }

    #[test]
    fn gather_ends_with_the_writers_there_are_when_fewer_come() {
        let (sender, receiver) = mpsc::channel();
        queue(&sender, 2);
        let mut waiters = Vec::new();
        assert!(!gather(&receiver, &mut waiters, 50));
        assert_eq!(waiters.len(), 2);
        assert!(receiver.try_recv().is_err());
    }

    #[test]
    fn gather_reports_a_closed_channel_after_taking_what_was_queued() {
        let (sender, receiver) = mpsc::channel();
        queue(&sender, 3);
        drop(sender);
        let mut waiters = Vec::new();
        assert!(gather(&receiver, &mut waiters, 50));
        assert_eq!(waiters.len(), 3);
    }
}
