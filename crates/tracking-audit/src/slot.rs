//! One user's file: its log4rs appender, opened on the first line and closed on eviction or error.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

use log::{Level, Record};
use log4rs::append::Append;
use log4rs::append::rolling_file::RollingFileAppender;
use log4rs::append::rolling_file::policy::compound::CompoundPolicy;
use log4rs::append::rolling_file::policy::compound::roll::fixed_window::FixedWindowRoller;
use log4rs::append::rolling_file::policy::compound::trigger::size::SizeTrigger;
use log4rs::encode::pattern::PatternEncoder;
use tracking_model::UserId;

use crate::private::{self, FlaggingRoller};
use crate::{AuditConfig, AuditError, FileOperation, files};

/// The place of one user's appender in the table of open files.
///
/// There is at most one slot per user in the table, and a slot that leaves it is retired first,
/// under the table's lock: so at most one appender is ever open on a path.
#[derive(Debug)]
pub(crate) struct Slot {
    user: UserId,
    path: PathBuf,
    /// Raised by the roller: the live file is gone, and must be created private before log4rs
    /// creates it on the next line.
    rolled: Arc<AtomicBool>,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The open file, or `None` before the first line and after a failed one.
    appender: Option<RollingFileAppender>,
    /// Set when the slot left the table; a writer must look the user up again.
    retired: bool,
}

/// What became of a line handed to a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Done,
    /// The slot was retired before the line could be written; nothing was written.
    Retired,
}

/// A locked slot.
#[derive(Debug)]
pub(crate) struct SlotGuard<'a> {
    slot: &'a Slot,
    inner: MutexGuard<'a, Inner>,
}

impl Slot {
    pub(crate) fn new(user: UserId, path: PathBuf) -> Self {
        Self {
            user,
            path,
            rolled: Arc::new(AtomicBool::new(false)),
            inner: Mutex::new(Inner {
                appender: None,
                retired: false,
            }),
        }
    }

    /// Waits for the slot. A panic of another holder left only a whole appender or none behind,
    /// so a poisoned lock is taken over as it is.
    pub(crate) fn lock(&self) -> SlotGuard<'_> {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        SlotGuard { slot: self, inner }
    }

    /// Takes the slot if nobody holds it.
    pub(crate) fn try_lock(&self) -> Option<SlotGuard<'_>> {
        let inner = match self.inner.try_lock() {
            Ok(inner) => inner,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        Some(SlotGuard { slot: self, inner })
    }
}

impl SlotGuard<'_> {
    /// Appends `line` (one or more lines) and a newline, opening the file first when needed.
    ///
    /// After a failure the file is closed, so that the next line opens it afresh.
    pub(crate) fn write(
        &mut self,
        line: &str,
        config: &AuditConfig,
        open_files: &AtomicUsize,
    ) -> Result<Written, AuditError> {
        if self.inner.retired {
            return Ok(Written::Retired);
        }
        if self.slot.rolled.swap(false, Ordering::Relaxed) {
            private::create_file(&self.slot.path)
                .map_err(AuditError::file(FileOperation::Open, &self.slot.path))?;
        }
        let appender = match self.inner.appender.take() {
            Some(appender) => appender,
            None => {
                let appender = open(
                    self.slot.user,
                    &self.slot.path,
                    config,
                    self.slot.rolled.clone(),
                )?;
                open_files.fetch_add(1, Ordering::Relaxed);
                appender
            }
        };
        // The record borrows its arguments, so it is built in the very expression that uses it.
        let appended = appender.append(
            &Record::builder()
                .args(format_args!("{line}"))
                .level(Level::Info)
                .target("tracking_audit")
                .build(),
        );
        match appended {
            Ok(()) => {
                self.inner.appender = Some(appender);
                Ok(Written::Done)
            }
            Err(err) => {
                drop(appender);
                open_files.fetch_sub(1, Ordering::Relaxed);
                let source = err.downcast::<io::Error>().unwrap_or_else(io::Error::other);
                Err(AuditError::File {
                    operation: FileOperation::Write,
                    path: self.slot.path.clone(),
                    source,
                })
            }
        }
    }

    /// Closes the file, if open; the next line opens it again.
    pub(crate) fn close(&mut self, open_files: &AtomicUsize) {
        if self.inner.appender.take().is_some() {
            open_files.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Closes the file for good: the slot is leaving the table.
    pub(crate) fn retire(&mut self, open_files: &AtomicUsize) {
        self.close(open_files);
        self.inner.retired = true;
    }
}

/// Opens the file of `user` at `path` in append mode, with its rolling policy.
///
/// log4rs counts the size of an existing file when it opens it, so a file reopened after an
/// eviction still rolls at the right size.
fn open(
    user: UserId,
    path: &Path,
    config: &AuditConfig,
    rolled: Arc<AtomicBool>,
) -> Result<RollingFileAppender, AuditError> {
    files::create_dir(&config.dir)?;
    files::cut_torn_line(path)?;
    let open_error = AuditError::file(FileOperation::Open, path);
    private::create_file(path).map_err(open_error)?;
    let pattern = files::rolled_pattern(&config.dir, user);
    let invalid = |reason: String| AuditError::Config { reason };
    let pattern = pattern
        .to_str()
        .ok_or_else(|| invalid("the directory path must be valid UTF-8".to_owned()))?;
    let roller = FixedWindowRoller::builder()
        .base(1)
        .build(pattern, config.backups)
        .map_err(|err| invalid(format!("bad rolled file pattern: {err}")))?;
    let policy = CompoundPolicy::new(
        Box::new(SizeTrigger::new(config.max_bytes)),
        Box::new(FlaggingRoller {
            inner: roller,
            rolled,
        }),
    );
    RollingFileAppender::builder()
        .encoder(Box::new(PatternEncoder::new("{m}{n}")))
        .build(path, Box::new(policy))
        .map_err(open_error)
}
