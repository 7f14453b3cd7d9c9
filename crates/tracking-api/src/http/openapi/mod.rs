//! The OpenAPI 3.1 document of the HTTP contract, generated from the model types and `paths.rs`,
//! and the `/openapi.json` and `/docs` routes that serve it.

mod errors;
mod examples;
mod keys;
mod page;
mod paths;
mod sse;

use std::sync::OnceLock;

use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use errors::SharedErrors;
use keys::IdempotencyKeys;
pub(crate) use page::{docs_page, docs_script, openapi_json};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Task and reward tracking",
        description = "The HTTP contract of the tracking server (versions 1 and 2, as far as \
            this server serves them). Errors share one shape, `ErrorBody`, with a stable `code`."
    ),
    paths(
        paths::health, paths::health_head,
        paths::create_user, paths::list_users, paths::delete_user,
        paths::admin_tracking, paths::admin_tracking_event,
        paths::me,
        paths::create_child, paths::list_children, paths::get_child, paths::delete_child,
        paths::create_child_token, paths::revoke_child_tokens,
        paths::reward_requests, paths::child_tracking,
        paths::activate, paths::request_reward, paths::redeem_reward, paths::cancel_reward,
        paths::create_task, paths::list_tasks, paths::get_task, paths::delete_task,
        paths::create_reward, paths::list_rewards, paths::get_reward, paths::delete_reward,
        paths::event_ticket, paths::events,
        paths::child_summary, paths::admin_child_summary, paths::family_summary,
        paths::admin_export, paths::child_export,
        paths::metrics, paths::openapi_json, paths::docs_page, paths::docs_script,
    ),
    components(schemas(
        tracking_model::ErrorCode,
        tracking_model::SortOrder,
        tracking_model::EntityType,
        tracking_model::Action,
        tracking_model::ExportFormat,
        tracking_model::Bucket,
        tracking_model::TrackingEventCreated,
        tracking_model::TrackingStreamReset,
        tracking_model::ServerEventType,
    )),
    modifiers(&SecuritySchemes, &SharedErrors, &IdempotencyKeys),
)]
struct ApiDoc;

/// The bearer tokens (admin, parent, child) and the event ticket, named as the operations' `security` names them.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "admin",
            bearer("The operator's token (`--admin-token`); reaches `/admin/...` only"),
        );
        components.add_security_scheme(
            "parent",
            bearer("A parent's token from `POST /admin/users`; reaches its own family"),
        );
        components.add_security_scheme(
            "child",
            bearer(
                "A child's token from `POST /children/{child_id}/tokens`, for the child's own \
                device: reads its own child, the family's tasks and rewards, requests and cancels \
                its own rewards, and follows its own child's events",
            ),
        );
        components.add_security_scheme(
            "ticket",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "ticket",
                "A one-time ticket from `POST /events/ticket`, for a browser's `EventSource`",
            ))),
        );
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(ApiDoc::openapi)
}

/// The document as the pretty JSON committed at `docs/openapi.json`, with a final newline.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut text = document()
            .to_pretty_json()
            .expect("the OpenAPI document serializes");
        text.push('\n');
        text
    })
}

/// The methods the document lists for the route matching `path`, as an `Allow` header value
/// (a 405 must carry one); `None` for a path outside the document.
pub(crate) fn allowed_methods(path: &str) -> Option<String> {
    let requested: Vec<&str> = path.split('/').collect();
    let (_, item) = document().paths.paths.iter().find(|(template, _)| {
        let template: Vec<&str> = template.split('/').collect();
        template.len() == requested.len()
            && template
                .iter()
                .zip(&requested)
                .all(|(expected, actual)| expected.starts_with('{') || expected == actual)
    })?;
    let methods = [
        ("GET", &item.get),
        ("HEAD", &item.head),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ];
    let allowed: Vec<&str> = methods
        .into_iter()
        .filter_map(|(name, operation)| operation.is_some().then_some(name))
        .collect();
    Some(allowed.join(", "))
}
