//! The route table of the HTTP contract.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use tracking_model::{Child, ErrorBody, ErrorCode, Reward, Task};

use crate::http::handlers::records::{self, FamilyRecord};
use crate::http::handlers::{
    children, events, export, health, mutations, summary, tokens, tracking, users,
};
use crate::http::openapi;

/// Mounts every route of the contract. The app must also register `web::Data<ApiState>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/health")
            .route(web::get().to(health::health))
            .route(web::head().to(health::health)),
    )
    // The tracked mutations next: actix tries the patterns in order, each one a regex, and no
    // other pattern matches their paths, so the hot path skips the others.
    .service(
        resource("/children/{child_id}/tasks/{task_id}/activate")
            .route(web::post().to(mutations::activate)),
    )
    .service(
        resource("/children/{child_id}/rewards/{reward_id}/{action:request|redeem|cancel}")
            .route(web::post().to(mutations::reward_action)),
    )
    .service(
        resource("/admin/users")
            .route(web::post().to(users::create))
            .route(web::get().to(users::list)),
    )
    .service(resource("/admin/users/{user_id}").route(web::delete().to(users::delete)))
    .service(resource("/admin/tracking").route(web::get().to(tracking::admin)))
    .service(resource("/admin/tracking/export").route(web::get().to(export::admin)))
    .service(resource("/admin/tracking/{event_id}").route(web::get().to(tracking::admin_event)))
    .service(
        resource("/admin/children/{child_id}/summary").route(web::get().to(summary::admin_child)),
    )
    .service(resource("/me").route(web::get().to(users::me)))
    .service(resource("/summary").route(web::get().to(summary::family)));
    mount_records::<Child>(cfg, "/children", "/children/{child_id}");
    cfg.service(
        resource("/children/{child_id}/reward-requests")
            .route(web::get().to(children::reward_requests)),
    )
    .service(resource("/children/{child_id}/tracking").route(web::get().to(tracking::child)))
    .service(resource("/children/{child_id}/tracking/export").route(web::get().to(export::child)))
    .service(resource("/children/{child_id}/summary").route(web::get().to(summary::child)))
    .service(
        resource("/children/{child_id}/tokens")
            .route(web::post().to(tokens::create))
            .route(web::delete().to(tokens::revoke)),
    );
    mount_records::<Task>(cfg, "/tasks", "/tasks/{task_id}");
    mount_records::<Reward>(cfg, "/rewards", "/rewards/{reward_id}");
    cfg.service(resource("/events/ticket").route(web::post().to(events::ticket)))
        .service(resource("/events").route(web::get().to(events::stream)))
        .service(resource("/openapi.json").route(web::get().to(openapi::openapi_json)))
        .service(resource("/docs").route(web::get().to(openapi::docs_page)))
        .service(resource("/docs/scalar.js").route(web::get().to(openapi::docs_script)));
}

/// The collection and item routes of one kind of family record.
fn mount_records<R: FamilyRecord + 'static>(
    cfg: &mut web::ServiceConfig,
    collection: &str,
    item: &str,
) {
    cfg.service(
        resource(collection)
            .route(web::post().to(records::create::<R>))
            .route(web::get().to(records::list::<R>)),
    )
    .service(
        resource(item)
            .route(web::get().to(records::get::<R>))
            .route(web::delete().to(records::delete::<R>)),
    );
}

/// A resource whose unsupported methods get `405` in the JSON error shape, with the `Allow`
/// header the OpenAPI document gives its path.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// The `Allow` header lists the methods the OpenAPI document gives the path (RFC 9110).
async fn method_not_allowed(request: HttpRequest) -> HttpResponse {
    let mut response = HttpResponse::MethodNotAllowed();
    if let Some(allowed) = openapi::allowed_methods(request.path()) {
        response.insert_header((header::ALLOW, allowed));
    }
    response.json(ErrorBody::new(
        ErrorCode::InvalidRequest,
        "this method is not allowed on this path",
    ))
}

/// The JSON 404 for paths outside the contract; use it as the app's default service.
pub async fn json_not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody::new(ErrorCode::NotFound, "not found"))
}
