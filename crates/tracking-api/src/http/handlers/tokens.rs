//! `/children/{child_id}/tokens`: tokens for a child's own device, issued and revoked by its parent.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::{ChildId, ChildToken};
use tracking_store::Created;

use crate::http::auth::Caller;
use crate::http::body::{none_in, path_id, raw_body};
use crate::http::idempotency::{self, KeyOwner};
use crate::http::incoming::Incoming;
use crate::{ApiError, ApiState, hash_token, new_token};

/// `POST /children/{child_id}/tokens`: the token is shown in this answer only (and, under an
/// idempotency key, kept with the key for its replay).
pub(crate) async fn create(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = raw_body(&request, payload).await?;
    none_in(&request, &bytes)?;
    let child_id: ChildId = path_id(&path)?;
    let user = caller.parent_of(child_id)?;
    let owner = KeyOwner::User(user.id);
    let keyed = idempotency::start(&state.in_flight, &request, owner, Some(user.id), &bytes)?;
    let token = new_token();
    let hash = hash_token(&token);
    let answer = idempotency::stored(StatusCode::CREATED, &ChildToken { token, child_id });
    let Some(keyed) = keyed else {
        (state.tracker.family())
            .add_child_token(user.id, child_id, &hash)
            .await?;
        return Ok(idempotency::send(answer, false));
    };
    let record = Created::ChildToken {
        owner: user.id,
        child: child_id,
        token: &hash,
    };
    idempotency::create(&state, keyed, record, answer).await
}

/// `DELETE /children/{child_id}/tokens`: every token of the child stops working at once.
pub(crate) async fn revoke(
    caller: Caller,
    mut incoming: Incoming,
) -> Result<HttpResponse, ApiError> {
    let child_id: ChildId = incoming.bodiless_id().await?;
    let user = caller.parent_of(child_id)?;
    (incoming.state)
        .tracker
        .family()
        .revoke_child_tokens(user.id, child_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
