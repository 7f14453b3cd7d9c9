//! Live events over Server-Sent Events, opened with a bearer token or a one-time ticket.

use actix_web::{HttpRequest, Responder, web};
use actix_web_lab::sse;
use futures_util::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tracking_model::{ServerEventType, TrackingEventCreated};

use super::query_pairs;
use crate::http::auth::{Parent, bearer, parent_for};
use crate::http::body::no_body;
use crate::{ApiError, ApiState, hash_token};

/// `POST /events/ticket`.
pub(crate) async fn ticket(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<tracking_model::EventTicket>, ApiError> {
    no_body(&request, payload).await?;
    Ok(web::Json(state.tickets.issue(user.id)))
}

/// `GET /events`, with `Authorization` or `?ticket=`.
pub(crate) async fn stream(
    state: web::Data<ApiState>,
    request: HttpRequest,
) -> Result<impl Responder, ApiError> {
    let user = match bearer(&request)? {
        Some(token) => parent_for(&state, &hash_token(token)).await?.0.id,
        None => {
            let ticket = ticket_parameter(&request).ok_or(ApiError::Unauthorized)?;
            let user = state
                .tickets
                .redeem(&ticket)
                .ok_or(ApiError::Unauthorized)?;
            state
                .tracker
                .family()
                .get_user(user)
                .await
                .map_err(|_| ApiError::Unauthorized)?
                .id
        }
    };
    let events = ReceiverStream::new(state.tracker.hub().subscribe(user)).map(to_sse);
    Ok(sse::Sse::from_infallible_stream(events).with_keep_alive(state.keep_alive))
}

/// The `ticket` query parameter; other parameters (a cache buster, say) are ignored, and a query
/// that cannot be read is no ticket: without credentials the answer is always 401.
fn ticket_parameter(request: &HttpRequest) -> Option<String> {
    let pairs = query_pairs(request).ok()?;
    pairs
        .into_iter()
        .find_map(|(key, value)| (key == "ticket").then_some(value))
}

fn to_sse(payload: TrackingEventCreated) -> sse::Event {
    let id = payload.tracking_event_id.to_string();
    let data = sse::Data::new_json(&payload).unwrap_or_else(|_| sse::Data::new("{}"));
    data.event(ServerEventType::TrackingEventCreated.as_str())
        .id(id)
        .into()
}
