//! Reading the history: a family's view of one child, and the admin's view across families.

use actix_web::HttpResponse;
use tracking_model::query::QueryScope;
use tracking_model::{EventId, TrackingQuery};

use crate::ApiError;
use crate::http::auth::{Admin, Caller};
use crate::http::incoming::Incoming;

/// `GET /children/{child_id}/tracking`: 404 once the child is deleted.
pub(crate) async fn child(caller: Caller, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let (child, pairs) = incoming.child_read(&caller).await?;
    let mut query = TrackingQuery::from_pairs(pairs, QueryScope::Child)?;
    query.child_id = Some(child.id);
    let history = incoming.state.tracker.history();
    Ok(HttpResponse::Ok().json(history.query(&query).await?))
}

/// `GET /admin/tracking`.
pub(crate) async fn admin(_: Admin, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let query = TrackingQuery::from_pairs(incoming.query_pairs()?, QueryScope::Admin)?;
    let history = incoming.state.tracker.history();
    Ok(HttpResponse::Ok().json(history.query(&query).await?))
}

/// `GET /admin/tracking/{event_id}`.
pub(crate) async fn admin_event(_: Admin, incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let id: EventId = incoming.id()?;
    Ok(HttpResponse::Ok().json(incoming.state.tracker.history().get(id).await?))
}
