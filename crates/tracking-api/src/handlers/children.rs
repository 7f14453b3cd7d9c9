//! `/children`: a parent's children and their pending reward requests.

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::requests::clean_name;
use tracking_model::{Child, ChildId, CreateChild, Timestamp};

use crate::auth::Parent;
use crate::body::{json_body, no_body, path_id};
use crate::{ApiError, ApiState};

/// `POST /children`: points start at 0.
pub(crate) async fn create(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: CreateChild = json_body(&request, payload).await?;
    let child = Child {
        id: ChildId::generate(),
        user_id: user.id,
        name: clean_name(&body.name),
        points: 0,
        created_at: Timestamp::now(),
    };
    state.tracker.family().create_child(&child).await?;
    Ok(HttpResponse::Created().json(child))
}

/// `GET /children`.
pub(crate) async fn list(
    Parent(user): Parent,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tracker.family().list_children(user.id).await?))
}

/// `GET /children/{child_id}`.
pub(crate) async fn get(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let child = state
        .tracker
        .family()
        .get_child(user.id, path_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(child))
}

/// `DELETE /children/{child_id}`: the child's history stays, for the admin.
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
        .delete_child(user.id, path_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /children/{child_id}/reward-requests`: the pending ones.
pub(crate) async fn reward_requests(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let requests = state
        .tracker
        .family()
        .pending_requests(user.id, path_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(requests))
}
