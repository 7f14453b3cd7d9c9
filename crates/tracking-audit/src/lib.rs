//! Per-user rolling audit log files of tracking events, on log4rs.
//!
//! [`AuditLog::record`] appends each [`TrackingEvent`](tracking_model::TrackingEvent) as one line
//! of JSON to `<dir>/tracking_user_<user_id>.log`. Each file rolls over by size to `.log.1` …
//! `.log.N` through log4rs's rolling file appender; at most `max_open_files` files are open at
//! once, the least recently written one being closed first and reopened in append mode when its
//! user writes again. [`AuditLog::purge_user`] removes a deleted user's files.
//!
//! Architecture invariant: this crate knows the model and log4rs, and nothing of HTTP or of the
//! store. A failure is returned to the caller and never panics; the caller decides what to do.

mod audit_log;
mod config;
mod error;
mod files;
mod line;
mod private;
mod slot;

pub use audit_log::{AuditLog, LastLine};
pub use config::{AuditConfig, DEFAULT_BACKUPS, DEFAULT_MAX_BYTES, DEFAULT_MAX_OPEN_FILES};
pub use error::{AuditError, FileOperation};
pub use files::file_name;
