//! The durable JSON-file store: both repositories under one data directory.
//!
//! Files: `tracking_events.jsonl` (the history), `family.journal.jsonl` and
//! `family.snapshot.json` (the family data), and `store.lock`. `docs/storage.md` describes them.

mod compaction;
mod family;
mod group_commit;
mod history;
mod index;
mod journal;
mod lines;
mod snapshot;

use std::fmt;
use std::fs::{File, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::history::HISTORY_FILE;
pub use self::journal::JOURNAL_FILE;
pub use self::snapshot::SNAPSHOT_FILE;

/// The name of the lock file in the data directory.
pub const LOCK_FILE: &str = "store.lock";

/// When a write is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Nothing is acknowledged before it is on disk (`fdatasync`); concurrent writers share one.
    #[default]
    Durable,
    /// Writes are acknowledged once the operating system has them and synced on this interval:
    /// a power loss or kernel crash loses up to one interval of acknowledged writes (a crash of
    /// the process alone loses nothing).
    Interval(Duration),
}

/// How to open a [`FileStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStoreOptions {
    pub durability: Durability,
    /// The family journal is compacted into a snapshot once it outgrows this many bytes and the
    /// last snapshot.
    pub compact_after_bytes: u64,
}

impl Default for FileStoreOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Durable,
            compact_after_bytes: 4 << 20,
        }
    }
}

/// Why a data directory cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process (or another store in this one) has the directory open.
    #[error("data directory {} is in use by another process (lock file {LOCK_FILE})", .dir.display())]
    Locked { dir: PathBuf },
    /// A stored line cannot be read back and is not the last one of its file.
    #[error("{}, line {line}: damaged record: {reason}", .file.display())]
    Corrupt {
        file: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("storage i/o failed on {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl OpenError {
    /// Wraps an I/O error on `path`.
    pub(crate) fn io(path: &Path) -> impl Fn(io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            path: path.clone(),
            source,
        }
    }
}

/// A last line cut off on open: what a crash in the middle of a write leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    pub file: PathBuf,
    /// The line number, from 1.
    pub line: u64,
    /// How many bytes were cut off.
    pub bytes: u64,
    pub reason: String,
}

impl fmt::Display for TornLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}: dropped a torn last line of {} bytes ({})",
            self.file.display(),
            self.line,
            self.bytes,
            self.reason
        )
    }
}

/// What opening found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Torn last lines cut off (each also logged as a warning).
    pub torn: Vec<TornLine>,
    /// Events in the history.
    pub history_events: u64,
    /// Journal lines replayed after the snapshot.
    pub journal_lines: u64,
    /// Events in the outbox, not yet confirmed in the history.
    pub outbox: u64,
    /// Outbox events found in the history already, whose confirmation a crash had lost.
    pub delivered_unconfirmed: u64,
}

/// The size of the history, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistorySize {
    /// Events stored.
    pub events: u64,
    /// Bytes of the history file.
    pub bytes: u64,
}

/// Both repositories in one data directory, durable and crash-safe; see `docs/storage.md`.
#[derive(Debug)]
pub struct FileStore {
    family: family::Family,
    history: std::sync::Arc<history::History>,
    report: OpenReport,
    dir: PathBuf,
    // Dropped last, after both writers have synced and stopped.
    lock: File,
}

impl FileStore {
    /// Opens the data directory `dir`, creating it if needed: takes its lock, recovers and
    /// indexes the history, loads the family snapshot and replays the journal.
    pub fn open(dir: impl AsRef<Path>, options: FileStoreOptions) -> Result<Self, OpenError> {
        let dir = dir.as_ref().to_owned();
        private_fs::create_dir_all(&dir).map_err(OpenError::io(&dir))?;
        let lock = take_lock(&dir)?;
        let (history, history_read) = history::History::open(&dir, options.durability)?;
        let (family, journal_read) =
            family::Family::open(&dir, options.durability, options.compact_after_bytes)?;
        sync_dir(&dir).map_err(OpenError::io(&dir))?;
        let delivered_unconfirmed =
            family.state().forget_delivered(|id| history.contains(id)) as u64;
        family
            .state()
            .number_the_unnumbered(&history.family_heads());
        family.start_numbering();
        let report = OpenReport {
            torn: [history_read.torn, journal_read.torn]
                .into_iter()
                .flatten()
                .collect(),
            history_events: history.len() as u64,
            journal_lines: journal_read.lines,
            outbox: family.state().outbox_len(),
            delivered_unconfirmed,
        };
        Ok(Self {
            family,
            history: std::sync::Arc::new(history),
            report,
            dir,
            lock,
        })
    }

    /// What opening found, including any torn line it cut off.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the store for its owner's shutdown, even while other handles to it remain: every
    /// later write fails, everything written is synced, and the directory's lock is released, so
    /// the data directory can be opened again at once. Blocks while the last sync runs.
    pub fn close(&self) -> io::Result<()> {
        let family = self.family.close();
        let history = self.history.close();
        self.lock.unlock()?;
        family.and(history)
    }

    /// Roughly how many bytes the history index holds on the heap.
    pub fn history_index_bytes(&self) -> usize {
        self.history.index_heap_bytes()
    }

    /// How big the history is: its events and the bytes of its file.
    pub fn history_size(&self) -> HistorySize {
        HistorySize {
            events: self.history.len() as u64,
            bytes: self.history.bytes(),
        }
    }
}

/// Takes the directory's lock without waiting, and writes this process's id into the file.
fn take_lock(dir: &Path) -> Result<File, OpenError> {
    let path = dir.join(LOCK_FILE);
    let mut file = private_fs::open_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|source| OpenError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(OpenError::Locked {
                dir: dir.to_owned(),
            });
        }
        Err(TryLockError::Error(source)) => return Err(OpenError::Io { path, source }),
    }
    let pid = format!("{}\n", std::process::id());
    file.set_len(0)
        .and_then(|()| file.write_all(pid.as_bytes()))
        .map_err(|source| OpenError::Io { path, source })?;
    Ok(file)
}

/// Makes the directory's entries (created and renamed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
