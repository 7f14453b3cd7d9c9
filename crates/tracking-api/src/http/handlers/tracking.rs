//! Reading the history: a family's view of one child, and the admin's view across families.

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::query::QueryScope;
use tracking_model::{ChildId, EventId, TrackingQuery};

use super::query_pairs;
use crate::http::auth::{Admin, Caller};
use crate::http::body::path_id;
use crate::{ApiError, ApiState};

/// `GET /children/{child_id}/tracking`: 404 once the child is deleted.
pub(crate) async fn child(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let child_id: ChildId = path_id(&path)?;
    caller.child(&state, child_id).await?;
    let mut query = TrackingQuery::from_pairs(query_pairs(&request)?, QueryScope::Child)?;
    query.child_id = Some(child_id);
    Ok(HttpResponse::Ok().json(state.tracker.history().query(&query).await?))
}

/// `GET /admin/tracking`.
pub(crate) async fn admin(
    _: Admin,
    state: web::Data<ApiState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = TrackingQuery::from_pairs(query_pairs(&request)?, QueryScope::Admin)?;
    Ok(HttpResponse::Ok().json(state.tracker.history().query(&query).await?))
}

/// `GET /admin/tracking/{event_id}`.
pub(crate) async fn admin_event(
    _: Admin,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: EventId = path_id(&path)?;
    Ok(HttpResponse::Ok().json(state.tracker.history().get(id).await?))
}
