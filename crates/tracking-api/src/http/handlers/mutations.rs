//! The four tracked mutations: activate a task or penalty; request, redeem or cancel a reward.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tracking_model::{ChildId, Effect, RewardId, TrackedMutation};
use tracking_store::{ActionTarget, FamilyError, StoredAnswer};

use crate::http::auth::Parent;
use crate::http::body::{none_in, path_id, raw_body};
use crate::http::idempotency::{self, KeyOwner};
use crate::{ApiError, ApiState};

/// `POST /children/{child_id}/tasks/{task_id}/activate`.
pub(crate) async fn activate(
    parent: Parent,
    state: web::Data<ApiState>,
    path: web::Path<(String, String)>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = raw_body(&request, payload).await?;
    none_in(&request, &bytes)?;
    let target = ActionTarget::Activate(path_id(&path.1)?);
    track(parent, &state, &path.0, target, &request, &bytes).await
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
    let bytes = raw_body(&request, payload).await?;
    none_in(&request, &bytes)?;
    let (child, reward, action) = path.into_inner();
    let target = action.target(path_id(&reward)?);
    track(parent, &state, &child, target, &request, &bytes).await
}

async fn track(
    Parent(user): Parent,
    state: &ApiState,
    child: &str,
    target: ActionTarget,
    request: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let child: ChildId = path_id(child)?;
    let owner = KeyOwner::User(user.id);
    let keyed = idempotency::start(&state.in_flight, request, owner, Some(user.id), body)?;
    let Some(keyed) = keyed else {
        let effect = state.tracker.record(user.id, child, target).await?;
        return Ok(idempotency::send(&answer(&effect), false));
    };
    let render = |done: Result<&Effect, &FamilyError>| match done {
        Ok(effect) => Some(answer(effect)),
        Err(FamilyError::Refused(refusal)) => {
            idempotency::stored_error(ApiError::Refused(refusal.clone()))
        }
        Err(_) => None,
    };
    let done = (state.tracker)
        .record_keyed(user.id, child, target, &keyed.key, &render)
        .await?;
    idempotency::respond(done, |effect| idempotency::send(&answer(&effect), false))
}

/// The answer to a tracked mutation: the child, its event and the request it made or resolved.
fn answer(effect: &Effect) -> StoredAnswer {
    let mutation = TrackedMutation {
        child: effect.child.clone(),
        tracking_event: effect.event.clone(),
        reward_request: effect.reward_request.clone(),
    };
    idempotency::stored(StatusCode::OK, &mutation)
}
