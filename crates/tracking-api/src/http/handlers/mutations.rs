//! The four tracked mutations: activate a task or penalty; request, redeem or cancel a reward.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tracking_model::{ChildId, RewardId, TrackedMutation};
use tracking_store::ActionTarget;

use crate::http::auth::Parent;
use crate::http::body::{no_body, path_id};
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

/// The last segment of a reward's action path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RewardAction {
    Request,
    Redeem,
    Cancel,
}

impl RewardAction {
    fn target(self, reward: RewardId) -> ActionTarget {
        match self {
            Self::Request => ActionTarget::Request(reward),
            Self::Redeem => ActionTarget::Redeem(reward),
            Self::Cancel => ActionTarget::Cancel(reward),
        }
    }
}

/// `POST /children/{child_id}/rewards/{reward_id}/{request|redeem|cancel}`.
pub(crate) async fn reward_action(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String, RewardAction)>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let (child, reward, action) = path.into_inner();
    let target = action.target(path_id(&reward)?);
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
