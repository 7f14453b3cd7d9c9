//! sqlx's errors as the repositories' errors: a unique or foreign-key violation is a duplicate or
//! a missing owner, anything else the backend's failure.

use sqlx::error::ErrorKind;

use crate::{FamilyError, HistoryError};

pub(super) fn family(error: sqlx::Error) -> FamilyError {
    if let sqlx::Error::Database(database) = &error {
        match database.kind() {
            ErrorKind::UniqueViolation => return FamilyError::Duplicate,
            ErrorKind::ForeignKeyViolation => return FamilyError::NotFound,
            _ => {}
        }
    }
    FamilyError::Backend(Box::new(error))
}

pub(super) fn history(error: sqlx::Error) -> HistoryError {
    HistoryError::Backend(Box::new(error))
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
