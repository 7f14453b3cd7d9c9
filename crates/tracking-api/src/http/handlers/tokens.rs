//! `/children/{child_id}/tokens`: tokens for a child's own device, issued and revoked by its parent.

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::{ChildId, ChildToken};

use crate::http::auth::Caller;
use crate::http::body::{no_body, path_id};
use crate::{ApiError, ApiState, hash_token, new_token};

/// `POST /children/{child_id}/tokens`: the token is shown in this answer only.
pub(crate) async fn create(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let child_id: ChildId = path_id(&path)?;
    let user = caller.parent_of(child_id)?;
    let token = new_token();
    state
        .tracker
        .family()
        .add_child_token(user.id, child_id, &hash_token(&token))
        .await?;
    Ok(HttpResponse::Created().json(ChildToken { token, child_id }))
}

/// `DELETE /children/{child_id}/tokens`: every token of the child stops working at once.
pub(crate) async fn revoke(
    caller: Caller,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    let child_id: ChildId = path_id(&path)?;
    let user = caller.parent_of(child_id)?;
    state
        .tracker
        .family()
        .revoke_child_tokens(user.id, child_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
