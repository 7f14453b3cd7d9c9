//! The route table of the HTTP contract.

use actix_web::{HttpResponse, Resource, web};
use tracking_model::{ErrorBody, ErrorCode};

use crate::handlers::{children, events, health, mutations, rewards, tasks, tracking, users};

/// Mounts every route of the contract. The app must also register `web::Data<ApiState>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/health")
            .route(web::get().to(health::health))
            .route(web::head().to(health::health)),
    )
    .service(
        resource("/admin/users")
            .route(web::post().to(users::create))
            .route(web::get().to(users::list)),
    )
    .service(resource("/admin/users/{user_id}").route(web::delete().to(users::delete)))
    .service(resource("/admin/tracking").route(web::get().to(tracking::admin)))
    .service(resource("/admin/tracking/{event_id}").route(web::get().to(tracking::admin_event)))
    .service(resource("/me").route(web::get().to(users::me)))
    .service(
        resource("/children")
            .route(web::post().to(children::create))
            .route(web::get().to(children::list)),
    )
    .service(
        resource("/children/{child_id}")
            .route(web::get().to(children::get))
            .route(web::delete().to(children::delete)),
    )
    .service(
        resource("/children/{child_id}/reward-requests")
            .route(web::get().to(children::reward_requests)),
    )
    .service(resource("/children/{child_id}/tracking").route(web::get().to(tracking::child)))
    .service(
        resource("/children/{child_id}/tasks/{task_id}/activate")
            .route(web::post().to(mutations::activate)),
    )
    .service(
        resource("/children/{child_id}/rewards/{reward_id}/{action:request|redeem|cancel}")
            .route(web::post().to(mutations::reward_action)),
    )
    .service(
        resource("/tasks")
            .route(web::post().to(tasks::create))
            .route(web::get().to(tasks::list)),
    )
    .service(
        resource("/tasks/{task_id}")
            .route(web::get().to(tasks::get))
            .route(web::delete().to(tasks::delete)),
    )
    .service(
        resource("/rewards")
            .route(web::post().to(rewards::create))
            .route(web::get().to(rewards::list)),
    )
    .service(
        resource("/rewards/{reward_id}")
            .route(web::get().to(rewards::get))
            .route(web::delete().to(rewards::delete)),
    )
    .service(resource("/events/ticket").route(web::post().to(events::ticket)))
    .service(resource("/events").route(web::get().to(events::stream)));
}

/// A resource whose unsupported methods get the JSON error shape.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().json(ErrorBody::new(
        ErrorCode::InvalidRequest,
        "this method is not allowed on this path",
    ))
}

/// The JSON 404 for paths outside the contract; use it as the app's default service.
pub async fn json_not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::new(ErrorCode::NotFound, "not found"))
}
