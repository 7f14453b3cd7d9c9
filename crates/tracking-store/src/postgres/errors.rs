//! sqlx's errors as the repositories' errors, so that `?` converts them: a unique or foreign-key
//! violation is a duplicate or a missing owner, anything else the backend's failure.

use sqlx::error::ErrorKind;

use crate::{FamilyError, HistoryError};

impl From<sqlx::Error> for FamilyError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(database) = &error {
            match database.kind() {
                ErrorKind::UniqueViolation => return Self::Duplicate,
                ErrorKind::ForeignKeyViolation => return Self::NotFound,
                _ => {}
            }
        }
        Self::Backend(Box::new(error))
    }
}

impl From<sqlx::Error> for HistoryError {
    fn from(error: sqlx::Error) -> Self {
        Self::Backend(Box::new(error))
    }
}

/// A stored value that does not read back as the model's type.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Unreadable(pub(super) String);

impl From<Unreadable> for FamilyError {
    fn from(error: Unreadable) -> Self {
        FamilyError::Corrupt(error.0)
    }
}

impl From<Unreadable> for HistoryError {
    fn from(error: Unreadable) -> Self {
        HistoryError::Corrupt(error.0)
    }
}
