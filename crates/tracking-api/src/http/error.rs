//! The one JSON error shape at the HTTP edge, and how each library error maps onto it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use tracking_model::{ErrorBody, ErrorCode, InvalidField, Refusal};
use tracking_store::{FamilyError, HistoryError};

use crate::TrackerError;

/// An error answer of the HTTP contract.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("missing, unknown or revoked bearer token")]
    Unauthorized,
    #[error("this credential cannot use this route")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("request body is larger than 16 KiB")]
    PayloadTooLarge,
    #[error("this idempotency key was used for another request")]
    IdempotencyKeyReused,
    #[error("the first request with this idempotency key is still running")]
    RequestInProgress,
    /// The cause is logged when the error is made; the client sees no internals.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// An internal error whose cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::Internal
    }

    /// The contract's code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidRequest,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::NotFound => ErrorCode::NotFound,
            Self::Refused(Refusal::InsufficientPoints { .. }) => ErrorCode::InsufficientPoints,
            Self::Refused(Refusal::AlreadyRequested) => ErrorCode::AlreadyRequested,
            Self::Refused(Refusal::NoPendingRequest) => ErrorCode::NoPendingRequest,
            Self::Refused(Refusal::PointsOutOfRange) => ErrorCode::PointsOutOfRange,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::RequestInProgress => ErrorCode::RequestInProgress,
            Self::Internal => ErrorCode::Internal,
        }
    }

    /// The body sent for this error.
    pub fn body(&self) -> ErrorBody {
        match self {
            Self::Invalid(invalid) => ErrorBody::from(invalid.clone()),
            other => ErrorBody::new(other.code(), other.to_string()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

impl From<FamilyError> for ApiError {
    fn from(error: FamilyError) -> Self {
        match error {
            FamilyError::NotFound => Self::NotFound,
            FamilyError::Refused(refusal) => Self::Refused(refusal),
            other => Self::internal(other),
        }
    }
}

impl From<HistoryError> for ApiError {
    fn from(error: HistoryError) -> Self {
        match error {
            HistoryError::NotFound => Self::NotFound,
            HistoryError::Summary(_) => Self::Invalid(InvalidField::new(
                "bucket",
                "cannot cut periods this close to the ends of the calendar",
            )),
            other => Self::internal(other),
        }
    }
}

impl From<TrackerError> for ApiError {
    fn from(error: TrackerError) -> Self {
        match error {
            TrackerError::Family(error) => error.into(),
            TrackerError::History(error) => error.into(),
            TrackerError::Audit(error) => Self::internal(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn answer(error: ApiError) -> (u16, serde_json::Value) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let bytes = response.into_body().try_into_bytes().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn every_error_has_its_exact_json() {
        let cases = [
            (
                ApiError::Unauthorized,
                401,
                "unauthorized",
                "missing, unknown or revoked bearer token",
            ),
            (
                ApiError::Forbidden,
                403,
                "forbidden",
                "this credential cannot use this route",
            ),
            (ApiError::NotFound, 404, "not_found", "not found"),
            (
                ApiError::Refused(Refusal::InsufficientPoints {
                    points: 3,
                    cost: 10,
                }),
                409,
                "insufficient_points",
                "child has 3 points, reward costs 10",
            ),
            (
                ApiError::Refused(Refusal::AlreadyRequested),
                409,
                "already_requested",
                "this reward is already requested for this child",
            ),
            (
                ApiError::Refused(Refusal::NoPendingRequest),
                409,
                "no_pending_request",
                "there is no pending request for this reward",
            ),
            (
                ApiError::Refused(Refusal::PointsOutOfRange),
                409,
                "points_out_of_range",
                "the change would take the child's points past ±(2^53 − 1)",
            ),
            (
                ApiError::PayloadTooLarge,
                413,
                "payload_too_large",
                "request body is larger than 16 KiB",
            ),
            (ApiError::Internal, 500, "internal", "internal error"),
            (
                ApiError::IdempotencyKeyReused,
                422,
                "idempotency_key_reused",
                "this idempotency key was used for another request",
            ),
            (
                ApiError::RequestInProgress,
                409,
                "request_in_progress",
                "the first request with this idempotency key is still running",
            ),
        ];
        for (error, status, code, message) in cases {
            assert_eq!(
                answer(error),
                (
                    status,
                    serde_json::json!({"error": {"code": code, "message": message}})
                )
            );
        }
    }

    #[test]
    fn invalid_requests_name_the_field() {
        let (status, body) = answer(ApiError::Invalid(InvalidField::new(
            "name",
            "must not be empty",
        )));
        assert_eq!(status, 400);
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "invalid_request", "message": "name: must not be empty", "details": {"field": "name"}}})
        );
    }
}
