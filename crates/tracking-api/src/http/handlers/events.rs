//! Live events over Server-Sent Events, opened with a bearer token or a one-time ticket, resumed
//! from the cursor in `Last-Event-ID` or `?last_event_id=`. A child's stream carries only its own
//! child's events.

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, Responder, web};
use actix_web_lab::sse;
use futures_util::StreamExt;
use tracking_model::{ServerEventType, TrackingStreamReset};

use super::query_pairs;
use crate::http::auth::{Caller, bearer, caller_for, presented_hash};
use crate::http::body::no_body;
use crate::{ApiError, ApiState, LiveItem, StreamOptions, hash_token};

/// The header a browser's `EventSource` sends with the last `id:` it received when it reconnects.
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// `POST /events/ticket`: the ticket stands in for the caller's own bearer token.
pub(crate) async fn ticket(
    caller: Caller,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<tracking_model::EventTicket>, ApiError> {
    no_body(&request, payload).await?;
    let credential = presented_hash(&request)?;
    Ok(web::Json(
        state.tickets.issue(caller.family(), credential).await?,
    ))
}

/// `GET /events`, with `Authorization` or `?ticket=`.
pub(crate) async fn stream(
    state: web::Data<ApiState>,
    request: HttpRequest,
) -> Result<impl Responder, ApiError> {
    let credential = match bearer(&request)? {
        Some(token) => hash_token(token),
        None => {
            let ticket = ticket_parameter(&request).ok_or(ApiError::Unauthorized)?;
            (state.tickets.redeem(&ticket).await?).ok_or(ApiError::Unauthorized)?
        }
    };
    let caller = caller_for(&state, &credential).await?;
    let options = StreamOptions {
        resume_after: resume_cursor(&request),
        child: match &caller {
            Caller::Parent(_) => None,
            Caller::Child(child) => Some(child.id),
        },
    };
    let events = state
        .tracker
        .open_stream(caller.family(), options)
        .await?
        .map(to_sse);
    Ok(sse::Sse::from_infallible_stream(events).with_keep_alive(state.keep_alive))
}

/// The cursor to resume from: the `Last-Event-ID` header, else the `last_event_id` parameter.
/// A header that is not text is a cursor nobody issued (the stream starts with a reset); an empty
/// one is none, as a browser sends none before its first event.
fn resume_cursor(request: &HttpRequest) -> Option<String> {
    if let Some(value) = request.headers().get(LAST_EVENT_ID) {
        let text = value
            .to_str()
            .map_or_else(|_| "?".to_owned(), str::to_owned);
        return (!text.is_empty()).then_some(text);
    }
    let pairs = query_pairs(request).ok()?;
    pairs
        .into_iter()
        .find_map(|(key, value)| (key == "last_event_id").then_some(value))
        .filter(|value| !value.is_empty())
}

/// The `ticket` query parameter; other parameters (a cache buster, say) are ignored, and a query
/// that cannot be read is no ticket: without credentials the answer is always 401.
fn ticket_parameter(request: &HttpRequest) -> Option<String> {
    let pairs = query_pairs(request).ok()?;
    pairs
        .into_iter()
        .find_map(|(key, value)| (key == "ticket").then_some(value))
}

fn to_sse(item: LiveItem) -> sse::Event {
    let (kind, cursor, data) = match item {
        LiveItem::Event { cursor, payload } => (
            ServerEventType::TrackingEventCreated,
            cursor,
            sse::Data::new_json(&payload),
        ),
        LiveItem::Reset { cursor, reason } => (
            ServerEventType::TrackingStreamReset,
            cursor,
            sse::Data::new_json(TrackingStreamReset { reason }),
        ),
    };
    let data = data.unwrap_or_else(|_| sse::Data::new("{}"));
    data.event(kind.as_str()).id(cursor).into()
}
