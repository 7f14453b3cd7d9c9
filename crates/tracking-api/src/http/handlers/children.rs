//! `/children/{child_id}/reward-requests`: a child's pending reward requests.

use actix_web::HttpResponse;
use tracking_model::ChildId;

use crate::ApiError;
use crate::http::auth::Caller;
use crate::http::incoming::Incoming;

/// `GET /children/{child_id}/reward-requests`: the pending ones.
pub(crate) async fn reward_requests(
    caller: Caller,
    incoming: Incoming,
) -> Result<HttpResponse, ApiError> {
    let child: ChildId = incoming.id()?;
    if !caller.may_see(child) {
        return Err(ApiError::NotFound);
    }
    let requests = (incoming.state)
        .tracker
        .family()
        .pending_requests(caller.family(), child)
        .await?;
    Ok(HttpResponse::Ok().json(requests))
}
