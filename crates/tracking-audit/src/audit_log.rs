//! The audit log: a table of per-user files, at most a bounded number of them open at once.

use std::fs::{File, TryLockError};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lru::LruCache;
use tracking_model::{TrackingEvent, UserId};

use crate::slot::{Slot, Written};

/// Where a user's audit files stand, by their last whole line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastLine {
    /// No file, or no whole line in them.
    None,
    /// The last line was written before lines carried the family sequence.
    Unnumbered,
    /// The last line is of the family's event with this number.
    Numbered(u64),
}
use crate::{AuditConfig, AuditError, FileOperation, files, line};

/// Writes each tracking event as one JSON line to `<dir>/tracking_user_<user_id>.log`, rolling
/// each file over by size.
///
/// Share it behind an `Arc`: every method takes `&self`. Lines of one user are written one at a
/// time and stay whole; lines of different users are written in parallel, the table of files
/// being locked only to find or open a user's place in it.
#[derive(Debug)]
pub struct AuditLog {
    config: AuditConfig,
    /// The users with a place for an open file, least recently written first out.
    slots: Mutex<LruCache<UserId, Arc<Slot>>>,
    open_files: AtomicUsize,
    /// The writer's lock file, open and locked while this log holds the claim.
    claim: Mutex<Option<File>>,
}

impl AuditLog {
    /// Checks `config` and creates its directory when missing.
    pub fn new(config: AuditConfig) -> Result<Self, AuditError> {
        config.check()?;
        files::create_dir(&config.dir)?;
        let capacity = NonZeroUsize::new(config.max_open_files).ok_or(AuditError::Config {
            reason: "max_open_files must be at least 1".to_owned(),
        })?;
        Ok(Self {
            config,
            slots: Mutex::new(LruCache::new(capacity)),
            open_files: AtomicUsize::new(0),
            claim: Mutex::new(None),
        })
    }

    /// Claims the directory for writing, for processes that share it and elect one writer:
    /// an exclusive lock (`flock`) on `<dir>/audit-writer.lock`, which the operating system
    /// drops when the process ends. `Ok(true)` when this log holds it (already, or from now on),
    /// `Ok(false)` while another holder keeps it. Writing does not check the claim: it keeps out
    /// only writers that claim too.
    pub fn try_claim(&self) -> Result<bool, AuditError> {
        let mut claim = self.claim.lock().unwrap_or_else(PoisonError::into_inner);
        if claim.is_some() {
            return Ok(true);
        }
        let path = self.config.dir.join(files::WRITER_LOCK);
        let failed = AuditError::file(FileOperation::Lock, &path);
        crate::private::create_file(&path).map_err(failed)?;
        let file = File::options().append(true).open(&path).map_err(failed)?;
        match file.try_lock() {
            Ok(()) => {
                *claim = Some(file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(source)) => Err(failed(source)),
        }
    }

    /// Gives the claim up, if this log holds it; another process may claim the directory then.
    pub fn release_claim(&self) {
        let mut claim = self.claim.lock().unwrap_or_else(PoisonError::into_inner);
        // Closing the file drops its lock.
        claim.take();
    }

    /// The settings this log was built with.
    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// The path of the live file of `user`; rolled files add `.1` to `.N`.
    pub fn file_path(&self, user: UserId) -> PathBuf {
        self.config.dir.join(files::file_name(user))
    }

    /// Appends one line for `event`, number `family_sequence` of its family, to its user's file,
    /// creating the file on the user's first event, and hands the line to the operating system
    /// before returning.
    ///
    /// An event without a user (its user was deleted) belongs to no file: nothing is written and
    /// the answer is `Ok`.
    pub fn record(&self, event: &TrackingEvent, family_sequence: u64) -> Result<(), AuditError> {
        self.record_all([(event, family_sequence)])
    }

    /// [`Self::record`] for a run of events, each with its family sequence number: the lines of
    /// consecutive events of one user go to its file in one write, whole lines in order (a crash
    /// during the write can leave only the last one torn, which [`Self::last_line`] cuts off).
    pub fn record_all<'a>(
        &self,
        events: impl IntoIterator<Item = (&'a TrackingEvent, u64)>,
    ) -> Result<(), AuditError> {
        let mut run: Option<(UserId, String)> = None;
        for (event, family_sequence) in events {
            let Some(user) = event.user_id() else {
                continue;
            };
            let line = line::encode(user, event, family_sequence)?;
            match &mut run {
                Some((current, lines)) if *current == user => {
                    lines.push('\n');
                    lines.push_str(&line);
                }
                _ => {
                    if let Some((current, lines)) = run.replace((user, line)) {
                        self.append(current, &lines)?;
                    }
                }
            }
        }
        match run {
            Some((user, lines)) => self.append(user, &lines),
            None => Ok(()),
        }
    }

    /// Appends `lines` (whole lines without the last newline) to the file of `user`.
    fn append(&self, user: UserId, lines: &str) -> Result<(), AuditError> {
        loop {
            let mut slots = self.lock_slots();
            let slot = self.slot_of(&mut slots, user);
            // Taking the slot before letting go of the table means it cannot be evicted in
            // between; only when another line of the same user is being written do we wait for
            // it outside the table's lock, and then look again if the slot was evicted meanwhile.
            let taken = slot.try_lock();
            drop(slots);
            let mut guard = taken.unwrap_or_else(|| slot.lock());
            match guard.write(lines, &self.config, &self.open_files)? {
                Written::Done => return Ok(()),
                Written::Retired => continue,
            }
        }
    }

    /// Where the files of `user` stand: the family sequence number of the last whole line.
    ///
    /// A torn last line (a crash in the middle of a write) is cut off the live file first. When
    /// the live file is missing or empty (a crash during or right after a roll-over) the last
    /// line of `.log.1` counts. The answer is [`LastLine::None`] when the user has no line at all
    /// and [`LastLine::Unnumbered`] when the last line carries no number.
    pub fn last_line(&self, user: UserId) -> Result<LastLine, AuditError> {
        let mut slots = self.lock_slots();
        let slot = self.slot_of(&mut slots, user);
        // Holding the slot keeps this user's writes out while the tail is read and cut.
        let _guard = slot.lock();
        drop(slots);
        let live = self.file_path(user);
        files::cut_torn_line(&live)?;
        let line = match files::last_line(&live)? {
            Some(line) => Some(line),
            None => files::last_line(&files::rolled_path(&self.config.dir, user, 1))?,
        };
        Ok(match line {
            None => LastLine::None,
            Some(line) => {
                line::family_sequence(&line).map_or(LastLine::Unnumbered, LastLine::Numbered)
            }
        })
    }

    /// Closes the files of `user` and removes them all, `tracking_user_<user_id>.log*`.
    ///
    /// Lines of this user written after the purge start a new file: call it once no more events
    /// of the user are being recorded.
    pub fn purge_user(&self, user: UserId) -> Result<(), AuditError> {
        let mut slots = self.lock_slots();
        if let Some(slot) = slots.pop(&user) {
            slot.lock().retire(&self.open_files);
        }
        // The table stays locked, so no line of this user can open a file during the removal.
        files::remove_all(&self.config.dir, user)
    }

    /// How many appenders are open now, never more than `max_open_files`; each holds at most
    /// one open file (none between a rollover and its next line).
    pub fn open_files(&self) -> usize {
        self.open_files.load(Ordering::Relaxed)
    }

    /// Closes every open file; the next line of each user opens it again.
    ///
    /// Each line is handed to the operating system as it is written, so nothing is lost without
    /// this; it only gives the file handles back, for example before shutting down.
    pub fn close_all(&self) {
        let slots = self.lock_slots();
        for (_, slot) in slots.iter() {
            slot.lock().close(&self.open_files);
        }
    }

    /// Finds the slot of `user`, or makes one and retires the least recently used slot when the
    /// table is full.
    fn slot_of(&self, slots: &mut LruCache<UserId, Arc<Slot>>, user: UserId) -> Arc<Slot> {
        if let Some(slot) = slots.get(&user) {
            return Arc::clone(slot);
        }
        let slot = Arc::new(Slot::new(user, self.file_path(user)));
        if let Some((_, evicted)) = slots.push(user, Arc::clone(&slot)) {
            evicted.lock().retire(&self.open_files);
        }
        slot
    }

    /// Locks the table. The table is consistent between statements, so a lock poisoned by a
    /// panic elsewhere is taken over as it is.
    fn lock_slots(&self) -> MutexGuard<'_, LruCache<UserId, Arc<Slot>>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
