//! The four tracked mutations: activate a task or penalty; request, redeem or cancel a reward.

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::{ChildId, RewardId, TrackedMutation};
use tracking_store::ActionTarget;

use crate::auth::Parent;
use crate::body::{no_body, path_id};
use crate::{ApiError, ApiState};

/// `POST /children/{child_id}/tasks/{task_id}/activate`.
pub(crate) async fn activate(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let target = ActionTarget::Activate(path_id(&path.1)?);
    track(parent, &state, &path.0, target).await
}

/// `POST /children/{child_id}/rewards/{reward_id}/{request|redeem|cancel}`.
pub(crate) async fn reward_action(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String, String)>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let (child, reward, action) = path.into_inner();
    let reward: RewardId = path_id(&reward)?;
    let target = match action.as_str() {
        "request" => ActionTarget::Request(reward),
        "redeem" => ActionTarget::Redeem(reward),
        "cancel" => ActionTarget::Cancel(reward),
        _ => return Err(ApiError::NotFound),
    };
    track(parent, &state, &child, target).await
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
