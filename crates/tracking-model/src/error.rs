//! What can be wrong with a value, and the one JSON error shape of the HTTP contract.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{Action, EntityType};

/// Why a value was refused by a constructor or a parser of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("{field} is {value}, outside ±(2^53 − 1)")]
    OutOfRange { field: &'static str, value: i64 },
    #[error("delta is {delta} but points_after − points_before is {difference}")]
    InconsistentDelta { delta: i64, difference: i64 },
    #[error("a {entity_type} cannot be {action}")]
    ActionMismatch {
        entity_type: EntityType,
        action: Action,
    },
    #[error("a {entity_type} {action} event cannot have delta {delta}")]
    DeltaSign {
        entity_type: EntityType,
        action: Action,
        delta: i64,
    },
    #[error("created_at is before occurred_at")]
    CreatedBeforeOccurred,
    #[error("metadata holds the integer {value}, outside ±(2^53 − 1)")]
    MetadataOutOfRange { value: String },
    #[error("bad timestamp: {reason}")]
    BadTimestamp { reason: String },
    #[error("not a valid {kind}: expected a 26-character ULID")]
    BadId { kind: &'static str },
    #[error("{name:?} is not a known IANA time zone")]
    UnknownTimeZone { name: String },
}

/// A request field or query parameter that is missing, malformed or out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    /// The field or parameter, as the client spelled it.
    pub field: String,
    /// What is wrong with it, lowercase, no final period.
    pub message: String,
}

impl InvalidField {
    /// Names `field` and says what is wrong with it.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The stable machine-readable code of every error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    InsufficientPoints,
    AlreadyRequested,
    NoPendingRequest,
    PointsOutOfRange,
    PayloadTooLarge,
    Internal,
    /// An `Idempotency-Key` used before for another method, path or body.
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still running.
    RequestInProgress,
}

impl ErrorCode {
    /// The HTTP status that carries this code.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::InsufficientPoints
            | Self::AlreadyRequested
            | Self::NoPendingRequest
            | Self::PointsOutOfRange
            | Self::RequestInProgress => 409,
            Self::PayloadTooLarge => 413,
            Self::IdempotencyKeyReused => 422,
            Self::Internal => 500,
        }
    }
}

/// The body of every error answer: `{"error": {"code", "message", "details"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

// TypeScript knows it as `ApiError`, its name in the front end's code.
/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ApiError")]
pub struct ErrorInfo {
    pub code: ErrorCode,
    /// A sentence for people; never internals.
    pub message: String,
    /// With `invalid_request`: which field or query parameter is wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub details: Option<ErrorDetails>,
}

/// Where an `invalid_request` error lies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetails {
    /// The request field or query parameter, as the client spelled it.
    pub field: String,
}

impl ErrorBody {
    /// An error body with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorInfo {
                code,
                message: message.into(),
                details: None,
            },
        }
    }
}

impl From<InvalidField> for ErrorBody {
    fn from(invalid: InvalidField) -> Self {
        Self {
            error: ErrorInfo {
                code: ErrorCode::InvalidRequest,
                message: invalid.to_string(),
                details: Some(ErrorDetails {
                    field: invalid.field,
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_field_names_the_field_in_details() {
        let body = ErrorBody::from(InvalidField::new("limit", "must be between 1 and 500"));
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {
                "code": "invalid_request",
                "message": "limit: must be between 1 and 500",
                "details": {"field": "limit"}
            }})
        );
    }

    #[test]
    fn other_errors_have_no_details() {
        let body = ErrorBody::new(
            ErrorCode::InsufficientPoints,
            "child has 3 points, reward costs 10",
        );
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":{"code":"insufficient_points","message":"child has 3 points, reward costs 10"}}"#
        );
    }

    #[test]
    fn every_code_has_its_contract_status() {
        use ErrorCode::*;
        let by_status: [(u16, &[ErrorCode]); 8] = [
            (400, &[InvalidRequest]),
            (401, &[Unauthorized]),
            (403, &[Forbidden]),
            (404, &[NotFound]),
            (
                409,
                &[
                    InsufficientPoints,
                    AlreadyRequested,
                    NoPendingRequest,
                    PointsOutOfRange,
                    RequestInProgress,
                ],
            ),
            (413, &[PayloadTooLarge]),
            (422, &[IdempotencyKeyReused]),
            (500, &[Internal]),
        ];
        for (status, codes) in by_status {
            for &code in codes {
                assert_eq!(code.http_status(), status, "{code:?}");
            }
        }
    }
}
