//! The four tracked mutations: activate a task or penalty; request, redeem or cancel a reward.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::sync::Arc;
use tracking_model::{ChildId, Effect, RewardId, TrackedMutation};

use tracking_store::{ActionTarget, FamilyError, RenderAnswer, StoredAnswer};

use crate::http::auth::Caller;
use crate::http::body::{none_in, path_id, raw_body};
use crate::http::idempotency::{self, KeyOwner};
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
    let bytes = raw_body(&request, payload).await?;
    none_in(&request, &bytes)?;
    let child: ChildId = path_id(&path.0)?;
    caller.parent_of(child)?;
    let target = ActionTarget::Activate(path_id(&path.1)?);
    track(&caller, &state, child, target, &request, &bytes).await
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
    let bytes = raw_body(&request, payload).await?;
    none_in(&request, &bytes)?;
    let (child, reward, action) = path.into_inner();
    let child: ChildId = path_id(&child)?;
    if action == RewardAction::Redeem {
        caller.parent_of(child)?;
    } else if !caller.may_see(child) {
        return Err(ApiError::NotFound);
    }
    let target = action.target(path_id(&reward)?);
    track(&caller, &state, child, target, &request, &bytes).await
}

async fn track(
    caller: &Caller,
    state: &ApiState,
    child: ChildId,
    target: ActionTarget,
    request: &HttpRequest,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let family = caller.family();
    let owner = KeyOwner::of(caller);
    let keyed = idempotency::start(&state.in_flight, request, owner, Some(family), body)?;
    let Some(keyed) = keyed else {
        let effect = (state.tracker)
            .record_as(caller.actor(), family, child, target)
            .await?;
        return Ok(idempotency::send(answer(effect), false));
    };
    let render: RenderAnswer<Effect> = Arc::new(|done: Result<&Effect, &FamilyError>| match done {
        Ok(effect) => Some(answer(effect.clone())),
        Err(FamilyError::Refused(refusal)) => {
            idempotency::stored_error(ApiError::Refused(refusal.clone()))
        }
        Err(_) => None,
    });
    let done = (state.tracker)
        .record_keyed(caller.actor(), family, child, target, &keyed.key, render)
        .await?;
    idempotency::respond(done, |effect| idempotency::send(answer(effect), false))
}

/// The answer to a tracked mutation: the child, its event and the request it made or resolved.
fn answer(effect: Effect) -> StoredAnswer {
    let mutation = TrackedMutation {
        child: effect.child,
        tracking_event: effect.event,
        reward_request: effect.reward_request,
    };
    StoredAnswer {
        status: StatusCode::OK.as_u16(),
        body: mutation.json().expect("answers serialize to JSON"),
    }
}
