//! Compaction of the family journal: the state is written as a snapshot on a thread of its own
//! while lines keep coming, then the journal is replaced by a copy of the lines written since.
//!
//! Appends wait only for the two short steps under the journal's lock: taking the state for the
//! snapshot, and the cut (copying the few lines written meanwhile, a rename and a directory
//! sync). Writing and syncing the snapshot, and freeing the blocks of the replaced journal, run
//! beside the appends. At every moment the snapshot and the journal on disk together hold every
//! line: replay skips the journal's lines the snapshot covers.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::group_commit::{Broken, LogState, Maintain};
use super::journal::JOURNAL_FILE;
use super::snapshot::{self, Snapshot};
use super::sync_dir;
use crate::state::{Change, FamilyState};

/// A journal line's item: its sequence number and change.
type Line = (u64, Change);

/// Writes a snapshot once the journal outgrows both `compact_after` bytes and the last snapshot,
/// so that compaction costs a constant share of the bytes written, then cuts the journal; also
/// right after a deleted user's erasure, at once, so that no journal line keeps the user's data.
pub(crate) struct Compactor {
    dir: PathBuf,
    state: Arc<Mutex<FamilyState>>,
    compact_after: u64,
    /// Set once a deleted user's erasure is applied.
    compact_soon: Arc<AtomicBool>,
    progress: Mutex<Progress>,
}

#[derive(Default)]
struct Progress {
    /// The size of the last snapshot written.
    last_snapshot: u64,
    writing: Option<Writing>,
    /// The journal file the last cut replaced, freed by the next snapshot's thread: freeing a
    /// file's blocks takes milliseconds that no append should wait for.
    replaced: Option<Arc<File>>,
}

/// A snapshot being written on its own thread.
struct Writing {
    /// The journal's length when the snapshot's state was taken: the cut keeps the bytes after.
    cut_from: u64,
    /// Returns the snapshot's size once it is durable.
    thread: JoinHandle<io::Result<u64>>,
}

impl Compactor {
    pub(crate) fn new(
        dir: PathBuf,
        state: Arc<Mutex<FamilyState>>,
        compact_after: u64,
        compact_soon: Arc<AtomicBool>,
    ) -> Self {
        let last_snapshot = snapshot::size(&dir);
        Self {
            dir,
            state,
            compact_after,
            compact_soon,
            progress: Mutex::new(Progress {
                last_snapshot,
                ..Progress::default()
            }),
        }
    }

    /// The journal log's upkeep, run after its sync rounds.
    pub(crate) fn maintain(self: &Arc<Self>) -> Maintain<Line> {
        let compactor = Arc::clone(self);
        Box::new(move |log| compactor.run(log))
    }

    /// Runs on the syncer thread with nothing staged, so the state holds every line.
    fn run(&self, log: &mut LogState<Line>) {
        let mut progress = self.progress.lock();
        if self.compact_soon.swap(false, Ordering::Relaxed) {
            self.compact_at_once(&mut progress, log);
            return;
        }
        match &progress.writing {
            Some(writing) if writing.thread.is_finished() => self.finish(&mut progress, log),
            Some(_) => {}
            None if log.len >= self.compact_after.max(progress.last_snapshot) => {
                self.start(&mut progress, log);
            }
            None => {}
        }
    }

    /// Waits for a snapshot being written and cuts the journal after it; for closing.
    pub(crate) fn finish_at_close(&self, log: &mut LogState<Line>) {
        let mut progress = self.progress.lock();
        if log.is_broken() {
            // The log refuses writes: the journal stays whole for the next open.
            if let Some(writing) = progress.writing.take() {
                let _ = writing.thread.join();
            }
            return;
        }
        self.finish(&mut progress, log);
        progress.replaced = None;
    }

    /// Takes the state as of the last line and starts writing it on a thread of its own.
    fn start(&self, progress: &mut Progress, log: &LogState<Line>) {
        let snapshot = Snapshot::of(&self.state.lock(), log.seq);
        let dir = self.dir.clone();
        let replaced = progress.replaced.take();
        let spawned = std::thread::Builder::new()
            .name("journal snapshot".into())
            .spawn(move || {
                drop(replaced);
                snapshot::write(&dir, &snapshot)
            });
        match spawned {
            Ok(thread) => {
                progress.writing = Some(Writing {
                    cut_from: log.len,
                    thread,
                });
            }
            Err(err) => log::error!("{}: starting a snapshot failed: {err}", self.dir.display()),
        }
    }

    /// Waits for the snapshot being written, if any, and cuts the journal to the lines after it.
    fn finish(&self, progress: &mut Progress, log: &mut LogState<Line>) {
        let Some(writing) = progress.writing.take() else {
            return;
        };
        let written = writing
            .thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the snapshot's thread panicked")));
        self.cut_after(progress, log, written, writing.cut_from);
    }

    /// Writes the snapshot and cuts the whole journal before the round's writers are answered.
    fn compact_at_once(&self, progress: &mut Progress, log: &mut LogState<Line>) {
        // Its thread writes the same temporary file: let it end first.
        if let Some(writing) = progress.writing.take() {
            let _ = writing.thread.join();
        }
        let snapshot = Snapshot::of(&self.state.lock(), log.seq);
        let written = snapshot::write(&self.dir, &snapshot);
        let end = log.len;
        if !self.cut_after(progress, log, written, end) {
            self.compact_soon.store(true, Ordering::Relaxed);
        }
    }

    /// Cuts the journal to its lines from byte `from` on once the snapshot before them is
    /// `written`; false when it was not (the journal is whole: a later round tries again).
    fn cut_after(
        &self,
        progress: &mut Progress,
        log: &mut LogState<Line>,
        written: io::Result<u64>,
        from: u64,
    ) -> bool {
        match written {
            Ok(size) => {
                progress.last_snapshot = size;
                progress.replaced = self.cut(log, from);
                true
            }
            Err(err) => {
                log::error!("{}: writing a snapshot failed: {err}", self.dir.display());
                false
            }
        }
    }

    /// Puts a copy of the journal's lines from byte `from` on in place of the journal (the
    /// snapshot holds every line before), and returns the replaced file. On a failure before
    /// the rename the journal stays whole; after it, the log refuses every later write.
    fn cut(&self, log: &mut LogState<Line>, from: u64) -> Option<Arc<File>> {
        let path = self.dir.join(JOURNAL_FILE);
        let temporary = self.dir.join(format!("{JOURNAL_FILE}.tmp"));
        let copied = copy_tail(log.file(), from, log.len, &temporary)
            .and_then(|copy| std::fs::rename(&temporary, &path).map(|()| copy));
        let (file, len) = match copied {
            Ok(copy) => copy,
            Err(err) => {
                log::error!("{}: cutting the journal failed: {err}", path.display());
                return None;
            }
        };
        let replaced = log.replace_file(file, len);
        if let Err(err) = sync_dir(&self.dir) {
            // The rename may not survive a crash: refuse writes until the store is reopened.
            log.fail(Broken::Rename(Arc::new(err)));
        }
        Some(replaced)
    }
}

impl std::fmt::Debug for Compactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compactor")
            .field("compact_after", &self.compact_after)
            .field(
                "writing",
                &self
                    .progress
                    .try_lock()
                    .map(|progress| progress.writing.is_some()),
            )
            .finish_non_exhaustive()
    }
}

/// Writes bytes `from..to` of `file` into a new file at `temporary`, durably; returns it and its
/// length.
fn copy_tail(file: &File, from: u64, to: u64, temporary: &Path) -> io::Result<(File, u64)> {
    let mut tail = vec![0; (to - from) as usize];
    file.read_exact_at(&mut tail, from)?;
    let copy = private_fs::open_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(temporary)?;
    copy.write_all_at(&tail, 0)?;
    copy.sync_all()?;
    Ok((copy, tail.len() as u64))
}
