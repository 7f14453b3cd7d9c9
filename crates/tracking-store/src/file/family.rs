//! The family data on disk: `family.journal.jsonl` (one change per line) and
//! `family.snapshot.json` (the whole state as of a journal line), compacted on the syncer thread.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use tracking_model::ChildId;

use super::lines::{ReadOutcome, read_lines};
use super::log::{Log, LogState, Maintain, SyncMode, Wait};
use super::state::{Change, FamilyState, Record, SNAPSHOT_FORMAT, Snapshot};
use super::{OpenError, sync_dir};
use crate::{FamilyError, KeyedGuard, KeyedLock};

/// The name of the journal file in the data directory.
pub const JOURNAL_FILE: &str = "family.journal.jsonl";
/// The name of the snapshot file in the data directory.
pub const SNAPSHOT_FILE: &str = "family.snapshot.json";

/// The family state, its journal, and the locks that order changes.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) state: Arc<Mutex<FamilyState>>,
    log: Log<(u64, Change)>,
    /// Shared by tracked mutations, exclusive for creating and deleting records, so that a
    /// mutation never races with the deletion of what it acts on.
    pub(crate) structure: tokio::sync::RwLock<()>,
    /// One tracked mutation per child at a time.
    children: KeyedLock<ChildId>,
}

impl Family {
    /// Loads the snapshot, replays the journal after it, and starts the journal's writer.
    pub(crate) fn open(
        dir: &Path,
        mode: SyncMode,
        compact_after: u64,
    ) -> Result<(Self, ReadOutcome), OpenError> {
        let snapshot_path = dir.join(SNAPSHOT_FILE);
        let (mut state, last_seq) = match std::fs::read(&snapshot_path) {
            Ok(bytes) => {
                let snapshot: Snapshot =
                    serde_json::from_slice(&bytes).map_err(|err| OpenError::Corrupt {
                        file: snapshot_path.clone(),
                        line: 1,
                        reason: err.to_string(),
                    })?;
                if snapshot.format != SNAPSHOT_FORMAT {
                    return Err(OpenError::Corrupt {
                        file: snapshot_path,
                        line: 1,
                        reason: format!("unknown format {}", snapshot.format),
                    });
                }
                let last_seq = snapshot.last_seq;
                (FamilyState::from_snapshot(snapshot), last_seq)
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => (FamilyState::default(), 0),
            Err(source) => {
                return Err(OpenError::Io {
                    path: snapshot_path,
                    source,
                });
            }
        };
        let path = dir.join(JOURNAL_FILE);
        let io_error = |source| OpenError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_error)?;
        let mut seq = last_seq;
        let outcome = read_lines(&mut file, &path, |_, _, line| {
            let record: Record = serde_json::from_slice(line)
                .map_err(|err| format!("not a journal record: {err}"))?;
            if record.seq > last_seq {
                seq = seq.max(record.seq);
                state.apply(record.seq, record.change);
            }
            Ok(())
        })?;
        let state = Arc::new(Mutex::new(state));
        let publish = {
            let state = Arc::clone(&state);
            Box::new(move |changes: Vec<(u64, Change)>| {
                let mut state = state.lock();
                for (seq, change) in changes {
                    state.apply(seq, change);
                }
            })
        };
        let maintain = compactor(dir.to_owned(), Arc::clone(&state), compact_after);
        let log = Log::start(
            file,
            path.clone(),
            outcome.len,
            seq,
            mode,
            publish,
            Some(maintain),
        )
        .map_err(io_error)?;
        Ok((
            Self {
                state,
                log,
                structure: tokio::sync::RwLock::new(()),
                children: KeyedLock::new(),
            },
            outcome,
        ))
    }

    /// Locks the in-memory state for a read or a check; never held across an await.
    pub(crate) fn state(&self) -> MutexGuard<'_, FamilyState> {
        self.state.lock()
    }

    /// Waits for the child's turn: one tracked mutation per child at a time.
    pub(crate) async fn child_turn(&self, child: ChildId) -> KeyedGuard<'_, ChildId> {
        self.children.lock(child).await
    }

    /// Writes `change` to the journal and applies it in memory once durable.
    pub(crate) async fn commit(&self, change: Change, wait: Wait) -> Result<(), FamilyError> {
        self.log
            .append(wait, |log| {
                log.seq += 1;
                let record = Record {
                    seq: log.seq,
                    change,
                };
                let mut line = serde_json::to_vec(&record).map_err(io::Error::from)?;
                line.push(b'\n');
                Ok(Some((line, (record.seq, record.change))))
            })
            .await?;
        Ok(())
    }
}

/// Writes a snapshot once the journal outgrows both `compact_after` bytes and the last snapshot,
/// so that compaction costs a constant share of the bytes written, then empties the journal; also
/// right after a deleted user's erasure, so that no journal line keeps the user's data.
fn compactor(
    dir: PathBuf,
    state: Arc<Mutex<FamilyState>>,
    compact_after: u64,
) -> Maintain<(u64, Change)> {
    let last_snapshot = Mutex::new(
        std::fs::metadata(dir.join(SNAPSHOT_FILE))
            .map(|meta| meta.len())
            .unwrap_or(0),
    );
    Box::new(move |log: &mut LogState<(u64, Change)>| {
        let mut last_snapshot = last_snapshot.lock();
        let forced = std::mem::take(&mut state.lock().compact_soon);
        if !forced && log.len < compact_after.max(*last_snapshot) {
            return;
        }
        let snapshot = state.lock().snapshot(log.seq);
        let written = match write_snapshot(&dir, &snapshot) {
            Ok(written) => written,
            Err(err) => {
                // The journal is whole: the next round tries again.
                log::error!("{}: writing a snapshot failed: {err}", dir.display());
                state.lock().compact_soon |= forced;
                return;
            }
        };
        // The snapshot covers every line, so a crash before the cut only replays nothing.
        match log.file().set_len(0).and_then(|()| log.file().sync_all()) {
            Ok(()) => {
                log.truncated(0);
                *last_snapshot = written;
            }
            Err(err) => log.fail(format!(
                "emptying the journal after a snapshot failed: {err}"
            )),
        }
    })
}

/// Writes the snapshot atomically: temporary file, fsync, rename, directory fsync.
fn write_snapshot(dir: &Path, snapshot: &Snapshot) -> io::Result<u64> {
    let temporary = dir.join(format!("{SNAPSHOT_FILE}.tmp"));
    let bytes = serde_json::to_vec(snapshot).map_err(io::Error::from)?;
    let mut file = File::create(&temporary)?;
    file.write_all(&bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(SNAPSHOT_FILE))?;
    sync_dir(dir)?;
    Ok(bytes.len() as u64 + 1)
}
