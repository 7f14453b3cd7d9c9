//! The errors of the two repositories: a missing record is its own case, apart from I/O and damage.

use tracking_model::{ModelError, Refusal};

/// What can go wrong in a [`crate::FamilyRepository`].
#[derive(Debug, thiserror::Error)]
pub enum FamilyError {
    /// No such record in the acting user's family (also: it belongs to another family).
    #[error("not found")]
    NotFound,
    /// The tracked action breaks a rule; nothing changed.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A record with this id (or token hash) exists already.
    #[error("already exists")]
    Duplicate,
    #[error("storage i/o failed: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data cannot be read back; the message names the file and line.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// Another implementation's failure, for stores outside this crate.
    #[error("storage backend failed: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// What can go wrong in a [`crate::TrackingRepository`].
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("not found")]
    NotFound,
    #[error("storage i/o failed: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data cannot be read back; the message names the file and line.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// A summary's periods cannot be cut (a bucket edge beyond the years 0000 to 9999).
    #[error("the summary cannot be computed: {0}")]
    Summary(#[from] ModelError),
    /// Another implementation's failure, for stores outside this crate.
    #[error("storage backend failed: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// What can go wrong reading a family's events from both repositories.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Family(#[from] FamilyError),
    #[error(transparent)]
    History(#[from] HistoryError),
}
