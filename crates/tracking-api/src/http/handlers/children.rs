//! `/children/{child_id}/reward-requests`: a child's pending reward requests.

use actix_web::{HttpResponse, web};
use tracking_model::ChildId;

use crate::http::auth::Caller;
use crate::http::body::path_id;
use crate::{ApiError, ApiState};

/// `GET /children/{child_id}/reward-requests`: the pending ones.
pub(crate) async fn reward_requests(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let child: ChildId = path_id(&path)?;
    if !caller.may_see(child) {
        return Err(ApiError::NotFound);
    }
    let requests = state
        .tracker
        .family()
        .pending_requests(caller.family(), child)
        .await?;
    Ok(HttpResponse::Ok().json(requests))
}
