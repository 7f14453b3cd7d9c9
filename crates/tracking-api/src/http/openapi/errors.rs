//! The error answers routes share, added to each operation from what it takes: a token (401,
//! 403, and 400 for a malformed `Authorization`), path ids (404), a query (400), a body (400,
//! 413); every operation but the service's own can answer 500. All carry `ErrorBody`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use tracking_model::{ErrorBody, ErrorCode};

pub(super) struct SharedErrors;

/// A shared answer: its status, component name, description and example error.
const SHARED: [(&str, &str, &str, ErrorCode, &str); 6] = [
    (
        "400",
        "InvalidRequest",
        "The request is malformed; `details.field` names the part",
        ErrorCode::InvalidRequest,
        "name: must be 1 to 100 characters",
    ),
    (
        "401",
        "Unauthorized",
        "No token, or an unknown or revoked one",
        ErrorCode::Unauthorized,
        "a valid token is required",
    ),
    (
        "403",
        "Forbidden",
        "The token is valid but not for this route (the admin's on a family route, a family \
        member's on `/admin/...`, a child's on a route only a parent may use)",
        ErrorCode::Forbidden,
        "this token cannot use this route",
    ),
    (
        "404",
        "NotFound",
        "No such thing in the caller's reach (also another family's, and for a child token \
        any other child)",
        ErrorCode::NotFound,
        "not found",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is over 16 KiB",
        ErrorCode::PayloadTooLarge,
        "the body is over 16384 bytes",
    ),
    (
        "500",
        "Internal",
        "The server failed; nothing internal is told",
        ErrorCode::Internal,
        "internal error",
    ),
];

impl utoipa::Modify for SharedErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .entry(ErrorBody::name().into_owned())
            .or_insert_with(ErrorBody::schema);
        for (_, name, description, code, message) in SHARED {
            let example = serde_json::to_value(ErrorBody::new(code, message))
                .expect("an error body serializes");
            let example = match code {
                ErrorCode::InvalidRequest => super::examples::invalid_request(),
                _ => example,
            };
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .example(Some(example))
                .build();
            components.responses.insert(
                name.to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content("application/json", content)
                        .build(),
                ),
            );
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let service = serves_itself(path);
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.delete,
                &mut item.head,
                &mut item.put,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_shared(operation, service);
            }
        }
    }
}

/// The document and its page are built into the binary: they cannot fail.
fn serves_itself(path: &str) -> bool {
    matches!(path, "/openapi.json" | "/docs" | "/docs/scalar.js")
}

fn add_shared(operation: &mut Operation, service: bool) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let in_path = parameters
        .iter()
        .any(|parameter| matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let in_query = parameters
        .iter()
        .any(|parameter| matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let body = operation.request_body.is_some();
    let wanted = [
        ("400", secured || in_query || body),
        ("401", secured),
        ("403", secured),
        ("404", in_path),
        ("413", body),
        ("500", !service),
    ];
    for (status, wanted) in wanted {
        if !wanted {
            continue;
        }
        let (_, name, ..) = SHARED
            .iter()
            .find(|(shared, ..)| *shared == status)
            .expect("every wanted status is shared");
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
    }
}
