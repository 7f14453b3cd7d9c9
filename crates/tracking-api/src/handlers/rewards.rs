//! `/rewards`: what a family's children can spend points on.

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::requests::clean_name;
use tracking_model::{CreateReward, Reward, RewardId, Timestamp};

use crate::auth::Parent;
use crate::body::{json_body, no_body, path_id};
use crate::{ApiError, ApiState};

/// `POST /rewards`.
pub(crate) async fn create(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: CreateReward = json_body(&request, payload).await?;
    let reward = Reward {
        id: RewardId::generate(),
        user_id: user.id,
        name: clean_name(&body.name),
        cost: body.cost,
        created_at: Timestamp::now(),
    };
    state.tracker.family().create_reward(&reward).await?;
    Ok(HttpResponse::Created().json(reward))
}

/// `GET /rewards`.
pub(crate) async fn list(
    Parent(user): Parent,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tracker.family().list_rewards(user.id).await?))
}

/// `GET /rewards/{reward_id}`.
pub(crate) async fn get(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .tracker
            .family()
            .get_reward(user.id, path_id(&path)?)
            .await?,
    ))
}

/// `DELETE /rewards/{reward_id}`: its pending requests go, its tracking records stay.
pub(crate) async fn delete(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    no_body(&request, payload).await?;
    state
        .tracker
        .family()
        .delete_reward(user.id, path_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
