//! `/tasks`: a family's tasks and penalties (`is_good: false`).

use actix_web::{HttpRequest, HttpResponse, web};
use tracking_model::requests::clean_name;
use tracking_model::{CreateTask, Task, TaskId, Timestamp};

use crate::auth::Parent;
use crate::body::{json_body, no_body, path_id};
use crate::{ApiError, ApiState};

/// `POST /tasks`.
pub(crate) async fn create(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: CreateTask = json_body(&request, payload).await?;
    let task = Task {
        id: TaskId::generate(),
        user_id: user.id,
        name: clean_name(&body.name),
        points: body.points,
        is_good: body.is_good,
        created_at: Timestamp::now(),
    };
    state.tracker.family().create_task(&task).await?;
    Ok(HttpResponse::Created().json(task))
}

/// `GET /tasks`.
pub(crate) async fn list(
    Parent(user): Parent,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tracker.family().list_tasks(user.id).await?))
}

/// `GET /tasks/{task_id}`.
pub(crate) async fn get(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        state
            .tracker
            .family()
            .get_task(user.id, path_id(&path)?)
            .await?,
    ))
}

/// `DELETE /tasks/{task_id}`: its tracking records stay.
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
        .delete_task(user.id, path_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
