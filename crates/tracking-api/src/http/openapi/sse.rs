//! The schema of one Server-Sent Event of `GET /events`, as OpenAPI 3.1 reads a
//! `text/event-stream` schema (each event an object of its `event`, `data` and `id` fields):
//! `data` is JSON text whose schema is the payload type its `event` names.

use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

use tracking_model::ServerEventType;

/// One frame of the live stream: `tracking_event_created` or `tracking_stream_reset`.
pub(super) struct LiveEvent;

impl utoipa::PartialSchema for LiveEvent {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(frame(
                ServerEventType::TrackingEventCreated,
                "TrackingEventCreated",
            ))
            .item(frame(
                ServerEventType::TrackingStreamReset,
                "TrackingStreamReset",
            ))
            .description(Some(
                "One event of the stream; keep-alive comments carry no event",
            ))
            .into()
    }
}

impl utoipa::ToSchema for LiveEvent {}

/// A frame whose `event` is `kind` and whose `data` is the JSON of the schema `payload`.
fn frame(kind: ServerEventType, payload: &str) -> Schema {
    let mut content_schema = Extensions::default();
    content_schema.insert(
        "contentSchema".into(),
        json!({"$ref": format!("#/components/schemas/{payload}")}),
    );
    let data = ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/json")
        .extensions(Some(content_schema))
        .description(Some(format!("The JSON of a `{payload}`")));
    let id = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "The cursor to resume after this event (`Last-Event-ID`)",
        ));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([kind.as_str()])),
        )
        .property("data", data)
        .property("id", id)
        .required("event")
        .required("data")
        .required("id")
        .into()
}
