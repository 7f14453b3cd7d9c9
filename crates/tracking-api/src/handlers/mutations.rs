//! The four tracked mutations: activate a task or penalty; request, redeem or cancel a reward.

use actix_web::{HttpResponse, web};
use tracking_model::{ChildId, RewardId, TrackedMutation};
use tracking_store::ActionTarget;

use crate::auth::Parent;
use crate::body::path_id;
use crate::{ApiError, ApiState};

/// `POST /children/{child_id}/tasks/{task_id}/activate`.
pub(crate) async fn activate(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let target = ActionTarget::Activate(path_id(&path.1)?);
    track(parent, &state, &path.0, target).await
}

/// `POST /children/{child_id}/rewards/{reward_id}/request`.
pub(crate) async fn request(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    track(
        parent,
        &state,
        &path.0,
        ActionTarget::Request(reward(&path.1)?),
    )
    .await
}

/// `POST /children/{child_id}/rewards/{reward_id}/redeem`.
pub(crate) async fn redeem(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    track(
        parent,
        &state,
        &path.0,
        ActionTarget::Redeem(reward(&path.1)?),
    )
    .await
}

/// `POST /children/{child_id}/rewards/{reward_id}/cancel`.
pub(crate) async fn cancel(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    track(
        parent,
        &state,
        &path.0,
        ActionTarget::Cancel(reward(&path.1)?),
    )
    .await
}

fn reward(text: &str) -> Result<RewardId, ApiError> {
    path_id(text)
}

async fn track(
    Parent(user): Parent,
    state: &ApiState,
    child: &str,
    target: ActionTarget,
) -> Result<HttpResponse, ApiError> {
    let child: ChildId = path_id(child)?;
    let effect = state.tracker.record(user.id, child, target).await?;
    Ok(HttpResponse::Ok().json(TrackedMutation {
        child: effect.child,
        tracking_event: effect.event,
        reward_request: effect.reward_request,
    }))
}
