//! `GET /health`: liveness, and how many tracking events wait for the history and the audit files.

use actix_web::{HttpResponse, web};
use tracking_model::Health;

use crate::{ApiError, ApiState};

/// Answers without authentication.
pub(crate) async fn health(state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    let tracking_backlog = state.tracker.backlog().await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok".into(),
        tracking_backlog,
        audit_backlog: state.tracker.audit_backlog(),
    }))
}
