//! Examples of the document: the committed fixtures (generated from the Rust types) and the
//! answers captured from a running server in `docs/api.md`.

use serde_json::{Value, json};

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("the committed fixtures are JSON")
}

pub(super) fn tracked_mutation() -> Value {
    fixture(include_str!(
        "../../../../../fixtures/tracked_mutation.json"
    ))
}

pub(super) fn page() -> Value {
    fixture(include_str!("../../../../../fixtures/page.json"))
}

pub(super) fn tracking_event() -> Value {
    fixture(include_str!(
        "../../../../../fixtures/events/task_activated.json"
    ))
}

pub(super) fn child() -> Value {
    tracked_mutation()["child"].clone()
}

pub(super) fn reward_request() -> Value {
    let mut request = tracked_mutation()["reward_request"].clone();
    request["status"] = json!("pending");
    request["resolved_at"] = Value::Null;
    request
}

pub(super) fn conflict() -> Value {
    fixture(include_str!(
        "../../../../../fixtures/error_insufficient_points.json"
    ))
}

pub(super) fn invalid_request() -> Value {
    fixture(include_str!(
        "../../../../../fixtures/error_invalid_request.json"
    ))
}

/// One frame of `GET /events`, read as its fields (`id:`, `event:`, `data:`).
pub(super) fn sse_frame() -> Value {
    let payload = fixture(include_str!(
        "../../../../../fixtures/sse_tracking_event_created.json"
    ));
    let id = payload["tracking_event_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    json!({"id": id, "event": "tracking_event_created", "data": payload.to_string()})
}

pub(super) fn user() -> Value {
    json!({
        "id": "01M8A26H3BG6NFDC42P584M32J",
        "name": "Alex",
        "created_at": "2026-11-25T19:16:25.323Z"
    })
}

pub(super) fn created_user() -> Value {
    json!({
        "user": user(),
        "token": "24a7f98a66b0d8eb182a347f12274950154e3d640a215bb3f920d1e86205e5b8"
    })
}

pub(super) fn task() -> Value {
    json!({
        "id": "01M8A26H3JRPTZPA12HM9TFM8Z",
        "user_id": "01M8A26H3BG6NFDC42P584M32J",
        "name": "Make bed",
        "points": 5,
        "is_good": true,
        "created_at": "2026-11-25T19:16:25.330Z"
    })
}

pub(super) fn reward() -> Value {
    json!({
        "id": "01M8A26H3PCJ24XNX2N9RTHX5Y",
        "user_id": "01M8A26H3BG6NFDC42P584M32J",
        "name": "Ice cream",
        "cost": 5,
        "created_at": "2026-11-25T19:16:25.334Z"
    })
}

pub(super) fn ticket() -> Value {
    json!({
        "ticket": "4e491ac74b6acbb566db4b3d7fb7ef536f8613618388b216c3c4579c2fa32258",
        "expires_at": "2026-11-25T19:17:25.363Z"
    })
}

pub(super) fn child_summary() -> Value {
    fixture(include_str!("../../../../../fixtures/child_summary.json"))
}

pub(super) fn family_ranking() -> Value {
    fixture(include_str!("../../../../../fixtures/family_ranking.json"))
}

/// The start of a `GET /metrics` answer.
pub(super) fn metrics_exposition() -> Value {
    json!(
        "# HELP http_requests_total requests answered, by method, route pattern and status\n\
         # TYPE http_requests_total counter\n\
         http_requests_total{method=\"POST\",route=\"/children/:child_id/tasks/:task_id/activate\",status=\"200\"} 42\n"
    )
}

pub(super) fn forbidden() -> Value {
    json!({"error": {"code": "forbidden", "message": "this credential cannot use this route"}})
}

pub(super) fn me_parent() -> Value {
    let mut me = user();
    me["role"] = json!("parent");
    me
}

pub(super) fn me_child() -> Value {
    json!({"role": "child", "child": child()})
}

pub(super) fn child_token() -> Value {
    json!({
        "token": "9c1f0a7e54b3d2c18f6e0a9b7d5c3e1f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d",
        "child_id": child()["id"]
    })
}
