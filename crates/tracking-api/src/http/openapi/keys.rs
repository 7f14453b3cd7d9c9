//! The `Idempotency-Key` header of every `POST` but the event ticket, added to each such
//! operation with the answers a key brings: `422 idempotency_key_reused`, `409
//! request_in_progress`, and the `Idempotent-Replayed` header of a replayed answer.

use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ContentBuilder, Header, Ref, RefOr, Required, ResponseBuilder, example::ExampleBuilder,
};

use tracking_model::{ErrorBody, ErrorCode};

use crate::http::idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, MAX_KEY_LENGTH};

pub(super) struct IdempotencyKeys;

/// The one `POST` that takes no key: a ticket is good once anyway.
const UNKEYED: &str = "/events/ticket";

const REUSED: &str = "IdempotencyKeyReused";
const IN_PROGRESS: &str = "RequestInProgress";

impl utoipa::Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.responses.insert(
            REUSED.to_owned(),
            RefOr::T(error_response(
                "The key was used within 24 hours for another method, path or body; nothing \
                 changed",
                ErrorCode::IdempotencyKeyReused,
                "this idempotency key was used for another request",
            )),
        );
        components.responses.insert(
            IN_PROGRESS.to_owned(),
            RefOr::T(error_response(
                "The first request with this key is still running; nothing changed (retry it to \
                 get the first answer)",
                ErrorCode::RequestInProgress,
                "the first request with this idempotency key is still running",
            )),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == UNKEYED {
                continue;
            }
            if let Some(operation) = item.post.as_mut() {
                add_key(operation);
            }
        }
    }
}

fn error_response(description: &str, code: ErrorCode, message: &str) -> utoipa::openapi::Response {
    let example =
        serde_json::to_value(ErrorBody::new(code, message)).expect("an error body serializes");
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .example(Some(example))
                .build(),
        )
        .build()
}

fn add_key(operation: &mut Operation) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_KEY_LENGTH))
        .pattern(Some("^[!-~]+$"))
        .examples([serde_json::json!("3f2b8c1e-5d4a-4f6b-9e7c-2a1d0b9c8e7f")]);
    let parameter = ParameterBuilder::new()
        .name(IDEMPOTENCY_KEY)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1 to 255 visible ASCII characters (a UUID, say). A repeat of this caller's key with \
             the same method, path and body within 24 hours records nothing and gets the first \
             answer again (2xx and 409 answers are kept), with `Idempotent-Replayed: true`; any \
             other value is 400 with `details.field` `Idempotency-Key`",
        ))
        .schema(Some(schema))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(parameter));

    let mut replayed = Header::new(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["true"])),
    );
    replayed.description =
        Some("`true` when this is the first answer to the key's request, given again".to_owned());
    let responses = &mut operation.responses.responses;
    for (status, response) in responses.iter_mut() {
        if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
            response
                .headers
                .insert(IDEMPOTENT_REPLAYED.to_owned(), RefOr::T(replayed.clone()));
        }
    }
    responses.insert(
        "422".to_owned(),
        RefOr::Ref(Ref::from_response_name(REUSED)),
    );
    match responses.get_mut("409") {
        // A refusal the operation documents: `request_in_progress` is the other 409.
        Some(RefOr::T(conflict)) => {
            conflict.description = format!(
                "{} — or `request_in_progress`: the first request with this key is still running",
                conflict.description
            );
            if let Some(RefOr::T(content)) = conflict.content.get_mut("application/json") {
                let in_progress = ErrorBody::new(
                    ErrorCode::RequestInProgress,
                    "the first request with this idempotency key is still running",
                );
                if let Some(refusal) = content.example.take() {
                    content.examples.insert(
                        "refused".to_owned(),
                        RefOr::T(ExampleBuilder::new().value(Some(refusal)).build()),
                    );
                }
                content.examples.insert(
                    "request_in_progress".to_owned(),
                    RefOr::T(
                        ExampleBuilder::new()
                            .value(Some(
                                serde_json::to_value(in_progress)
                                    .expect("an error body serializes"),
                            ))
                            .build(),
                    ),
                );
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            responses.insert(
                "409".to_owned(),
                RefOr::Ref(Ref::from_response_name(IN_PROGRESS)),
            );
        }
    }
}
