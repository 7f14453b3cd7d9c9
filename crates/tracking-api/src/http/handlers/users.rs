//! `/admin/users` and `/me`: parent accounts, managed by the admin, and whom a token belongs to.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::requests::clean_name;
use tracking_model::{CreateUser, CreatedUser, Me, Timestamp, User, UserId};
use tracking_store::Created;

use crate::http::auth::{Admin, Caller};
use crate::http::body::{json_in, raw_body};
use crate::http::idempotency::{self, KeyOwner};
use crate::http::incoming::Incoming;
use crate::{ApiError, ApiState, hash_token, new_token};

/// `POST /admin/users`: the token is shown in this answer only.
pub(crate) async fn create(
    _: Admin,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = raw_body(&request, payload).await?;
    let keyed = idempotency::start(&state.in_flight, &request, KeyOwner::Admin, None, &bytes)?;
    let body: CreateUser = json_in(&request, &bytes)?;
    let user = User {
        id: UserId::generate(),
        name: clean_name(&body.name),
        created_at: Timestamp::now(),
    };
    let token = new_token();
    let hash = hash_token(&token);
    let record = Created::User(&user, &hash);
    let answer = idempotency::stored(
        StatusCode::CREATED,
        &CreatedUser {
            user: user.clone(),
            token,
        },
    );
    let Some(mut keyed) = keyed else {
        state.tracker.family().create_user(&user, &hash).await?;
        return Ok(idempotency::send(answer, false));
    };
    // The answer is about the new family, and goes with it.
    keyed.key.family = Some(user.id);
    idempotency::create(&state, keyed, record, answer).await
}

/// `GET /admin/users`.
pub(crate) async fn list(_: Admin, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tracker.family().list_users().await?))
}

/// `DELETE /admin/users/{user_id}`: the family goes, its history is anonymized.
pub(crate) async fn delete(_: Admin, mut incoming: Incoming) -> Result<HttpResponse, ApiError> {
    let id: UserId = incoming.bodiless_id().await?;
    incoming.state.tracker.delete_user(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /me`: the parent's record, or the child a child token belongs to.
pub(crate) async fn me(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(match caller {
        Caller::Parent(user) => Me::Parent(user),
        Caller::Child(child) => Me::Child { child },
    })
}
