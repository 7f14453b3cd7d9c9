//! Where the audit files go, when they roll over, and how many may be open at once.

use std::path::PathBuf;

use crate::AuditError;

/// The default size at which a user's file rolls over: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The default number of rolled files kept per user: `.log.1` to `.log.5`.
pub const DEFAULT_BACKUPS: u32 = 5;
/// The default number of audit files held open at once.
pub const DEFAULT_MAX_OPEN_FILES: usize = 256;

/// Settings of an [`AuditLog`](crate::AuditLog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// The directory of the `tracking_user_<user_id>.log*` files; created when missing.
    pub dir: PathBuf,
    /// A file rolls over once a line takes it past this many bytes.
    pub max_bytes: u64,
    /// How many rolled files are kept per user (`.log.1` newest to `.log.N` oldest); with 0 a full
    /// file is deleted instead.
    pub backups: u32,
    /// How many files may be open at once; the least recently written one is closed first.
    pub max_open_files: usize,
}

impl AuditConfig {
    /// The default settings for files in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            backups: DEFAULT_BACKUPS,
            max_open_files: DEFAULT_MAX_OPEN_FILES,
        }
    }

    /// Refuses settings that log4rs would misread or that leave no file open.
    pub(crate) fn check(&self) -> Result<(), AuditError> {
        let refuse = |reason: &str| {
            Err(AuditError::Config {
                reason: reason.to_owned(),
            })
        };
        if self.max_open_files == 0 {
            return refuse("max_open_files must be at least 1");
        }
        let Some(dir) = self.dir.to_str() else {
            return refuse("the directory path must be valid UTF-8");
        };
        // log4rs replaces `{}` in the rolled file pattern and expands `$ENV{...}` in paths.
        if dir.contains("{}") || dir.contains("$ENV{") {
            return refuse("the directory path must not contain `{}` or `$ENV{`");
        }
        Ok(())
    }
}

impl Default for AuditConfig {
    /// The server's defaults: `./logs`, 10 MiB, 5 backups, 256 open files.
    fn default() -> Self {
        Self::new("logs")
    }
}
