//! What can go wrong while writing or removing audit files.

use std::io;
use std::path::PathBuf;

/// Why an audit file could not be opened, written or removed, or why a configuration was refused.
///
/// None of these is fatal to the caller: the server logs it and goes on.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("invalid audit configuration: {reason}")]
    Config { reason: String },
    #[error("cannot create audit log directory {}: {source}", .path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot open audit log {}: {source}", .path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot write audit log {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read audit log directory {}: {source}", .path.display())]
    ReadDir { path: PathBuf, source: io::Error },
    #[error("cannot remove audit log {}: {source}", .path.display())]
    Remove { path: PathBuf, source: io::Error },
    #[error("cannot lock audit log directory {}: {source}", .path.display())]
    Lock { path: PathBuf, source: io::Error },
    #[error("cannot encode audit line: {0}")]
    Encode(#[from] serde_json::Error),
}
