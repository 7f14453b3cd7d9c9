//! What can go wrong while writing or removing audit files.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why an audit file could not be opened, written or removed, or why a configuration was refused.
///
/// None of these is fatal to the caller: the server logs it and goes on.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("invalid audit configuration: {reason}")]
    Config { reason: String },
    #[error("cannot {operation} {}: {source}", .path.display())]
    File {
        operation: FileOperation,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot encode audit line: {0}")]
    Encode(#[from] serde_json::Error),
}

/// What was being done to the file or directory of an [`AuditError::File`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOperation {
    CreateDir,
    Open,
    Write,
    ReadDir,
    Remove,
    Lock,
}

impl AuditError {
    /// The error of `operation` on `path` from its I/O error, for `map_err`.
    pub(crate) fn file(operation: FileOperation, path: &Path) -> impl Fn(io::Error) -> Self + Copy {
        move |source| Self::File {
            operation,
            path: path.to_owned(),
            source,
        }
    }
}

impl fmt::Display for FileOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CreateDir => "create audit log directory",
            Self::Open => "open audit log",
            Self::Write => "write audit log",
            Self::ReadDir => "read audit log directory",
            Self::Remove => "remove audit log",
            Self::Lock => "lock audit log directory",
        })
    }
}
