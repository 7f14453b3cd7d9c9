//! `/children/{child_id}/reward-requests`: a child's pending reward requests.

use actix_web::{HttpResponse, web};

use crate::http::auth::Parent;
use crate::http::body::path_id;
use crate::{ApiError, ApiState};

/// `GET /children/{child_id}/reward-requests`: the pending ones.
pub(crate) async fn reward_requests(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let requests = state
        .tracker
        .family()
        .pending_requests(user.id, path_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(requests))
}
