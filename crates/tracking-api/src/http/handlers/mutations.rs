//! The four tracked mutations: activate a task or penalty; request, redeem or cancel a reward.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tracking_model::{ChildId, RewardId, TrackedMutation};
use tracking_store::ActionTarget;

use crate::http::auth::Caller;
use crate::http::body::{no_body, path_id};
use crate::{ApiError, ApiState};

/// `POST /children/{child_id}/tasks/{task_id}/activate`: a parent's action; a child token is 403
/// for itself, 404 for another child.
pub(crate) async fn activate(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let child: ChildId = path_id(&path.0)?;
    caller.parent_of(child)?;
    let target = ActionTarget::Activate(path_id(&path.1)?);
    track(&caller, &state, child, target).await
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

/// `POST /children/{child_id}/rewards/{reward_id}/{request|redeem|cancel}`: a child token may
/// request and cancel its own child's rewards; only a parent redeems.
pub(crate) async fn reward_action(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<(String, String, RewardAction)>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let (child, reward, action) = path.into_inner();
    let child: ChildId = path_id(&child)?;
    if action == RewardAction::Redeem {
        caller.parent_of(child)?;
    } else if !caller.may_see(child) {
        return Err(ApiError::NotFound);
    }
    let target = action.target(path_id(&reward)?);
    track(&caller, &state, child, target).await
}

async fn track(
    caller: &Caller,
    state: &ApiState,
    child: ChildId,
    target: ActionTarget,
) -> Result<HttpResponse, ApiError> {
    let effect = state
        .tracker
        .record_as(caller.actor(), caller.family(), child, target)
        .await?;
    Ok(HttpResponse::Ok().json(TrackedMutation {
        child: effect.child,
        tracking_event: effect.event,
        reward_request: effect.reward_request,
    }))
}
