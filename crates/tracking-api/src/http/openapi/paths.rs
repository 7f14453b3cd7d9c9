//! One documented operation per served route: the OpenAPI side of the route table in `routes.rs`.
//!
//! Adding a route: write its operation here and name it in `ApiDoc`'s `paths(...)`; the error
//! answers every route shares (400, 401, 403, 404, 413, 500) are added by `errors.rs` from the
//! operation's security, parameters and body, so an operation lists only what is its own. The
//! operations that repeat one shape are written through a macro: `record_routes!` for the four
//! of each kind of record, `mutation_route!` for each tracked mutation.
//! `bins/tracking-server/tests/api/openapi.rs` fails while a served route is missing here.
#![allow(dead_code)] // the functions only carry the `#[utoipa::path]` attributes

use tracking_model::{
    Child, ChildId, ChildSummary, ChildToken, CreateChild, CreateReward, CreateTask, CreateUser,
    CreatedUser, ErrorBody, EventId, EventTicket, ExportFormat, FamilyRanking, Health, Me, Page,
    Reward, RewardId, RewardRequest, Task, TaskId, TrackedMutation, TrackingEvent, TrackingQuery,
    User, UserId,
};

use super::examples;

/// The 409 of a tracked mutation.
const REFUSED: &str = "Refused by the child's points or requests; nothing changed";

/// A `child_id` a child token may name: its own child only (any other is 404).
const OWN_CHILD: &str = "A child of the caller's family; for a child token, its own child (any \
    other child is 404)";

/// A `child_id` of a parent-only route: a child token is 403 for its own child and 404 for any
/// other.
const OWN_CHILD_PARENT_ONLY: &str = "A child of the caller's family (a child token is 403 for \
    its own child, 404 for any other)";

/// A tracked mutation of a child: its answer, or 409 when the child's points or requests refuse
/// it; one only a parent may make is 403 to a child token, for its own child too.
macro_rules! mutation_route {
    // Only a parent makes it.
    (
        $name:ident: $path:tt, $target:tt = $target_type:ident ($target_description:tt),
        answer: $answer:tt $(, example = $example:ident)?;
        refused to a child token: $forbidden:tt
    ) => {
        mutation_route!(@operation $name: $path, $target = $target_type ($target_description),
            answer: $answer $(, example = $example)?,
            by [("parent" = [])], child OWN_CHILD_PARENT_ONLY,
            [(status = 403, description = $forbidden, body = ErrorBody,
                example = json!(examples::forbidden()))]);
    };
    // A parent, or the child itself on its own device.
    (
        $name:ident: $path:tt, $target:tt = $target_type:ident ($target_description:tt),
        answer: $answer:tt $(, example = $example:ident)?
    ) => {
        mutation_route!(@operation $name: $path, $target = $target_type ($target_description),
            answer: $answer $(, example = $example)?,
            by [("parent" = []), ("child" = [])], child OWN_CHILD, []);
    };
    // The operation itself.
    (
        @operation $name:ident: $path:tt, $target:tt = $target_type:ident ($target_description:tt),
        answer: $answer:tt $(, example = $example:ident)?,
        by [$($security:tt)*], child $child:ident, [$($forbidden:tt)?]
    ) => {
        #[utoipa::path(post, path = $path, tag = "mutations", security($($security)*),
            params(("child_id" = ChildId, Path, description = $child),
                ($target = $target_type, Path, description = $target_description)),
            responses(
                (status = 200, description = $answer, body = TrackedMutation
                    $(, example = json!(examples::$example()))?),
                (status = 409, description = REFUSED, body = ErrorBody,
                    example = json!(examples::conflict()))
                $(, $forbidden)?))]
        fn $name() {}
    };
}

/// The four operations of each kind of family record (children, tasks, rewards), documented
/// alike: create one (a parent), list them and get one (a parent or a child), delete one (a
/// parent).
macro_rules! record_routes {
    ($(
        $create:ident, $list:ident, $get:ident, $delete:ident;
        $collection:tt, $item:tt, $id:tt = $id_type:ident;
        $body:ident => $record:ident, example = $example:tt, answer = $answer:ident;
        created: $created:tt,
        listed: $listed:tt,
        got: $got:tt, id_to_get: $id_to_get:tt,
        deleted: $deleted:tt,
        id_to_delete: $id_to_delete:tt;
    )*) => {$(
        #[utoipa::path(post, path = $collection, tag = "family", security(("parent" = [])),
            request_body(content = $body, example = json!($example)),
            responses((status = 201, description = $created, body = $record,
                example = json!(examples::$answer()))))]
        fn $create() {}

        #[utoipa::path(get, path = $collection, tag = "family",
            security(("parent" = []), ("child" = [])),
            responses((status = 200, description = $listed, body = Vec<$record>,
                example = json!([examples::$answer()]))))]
        fn $list() {}

        #[utoipa::path(get, path = $item, tag = "family",
            security(("parent" = []), ("child" = [])),
            params(($id = $id_type, Path, description = $id_to_get)),
            responses((status = 200, description = $got, body = $record,
                example = json!(examples::$answer()))))]
        fn $get() {}

        #[utoipa::path(delete, path = $item, tag = "family", security(("parent" = [])),
            params(($id = $id_type, Path, description = $id_to_delete)),
            responses((status = 204, description = $deleted)))]
        fn $delete() {}
    )*};
}

#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, description = "The server serves", body = Health,
        example = json!({"status": "ok", "tracking_backlog": 0}))))]
fn health() {}

#[utoipa::path(head, path = "/health", tag = "service",
    responses((status = 200, description = "The server serves (headers of `GET /health`)")))]
fn health_head() {}

#[utoipa::path(post, path = "/admin/users", tag = "users", security(("admin" = [])),
    request_body(content = CreateUser, example = json!({"name": "Alex"})),
    responses((status = 201, description = "The user and its token, shown this once only",
        body = CreatedUser, example = json!(examples::created_user()))))]
fn create_user() {}

#[utoipa::path(get, path = "/admin/users", tag = "users", security(("admin" = [])),
    responses((status = 200, description = "Every user", body = Vec<User>,
        example = json!([examples::user()]))))]
fn list_users() {}

#[utoipa::path(delete, path = "/admin/users/{user_id}", tag = "users", security(("admin" = [])),
    params(("user_id" = UserId, Path, description = "A user")),
    responses((status = 204, description = "The user, its tokens, children, tasks, rewards and \
        requests are gone; its history is anonymized and its audit files removed")))]
fn delete_user() {}

#[utoipa::path(get, path = "/admin/tracking", tag = "tracking", security(("admin" = [])),
    params(TrackingQuery),
    responses((status = 200, description = "One page of every family's history",
        body = Page<TrackingEvent>, example = json!(examples::page()))))]
fn admin_tracking() {}

#[utoipa::path(get, path = "/admin/tracking/{event_id}", tag = "tracking",
    security(("admin" = [])), params(("event_id" = EventId, Path, description = "A tracking event")),
    responses((status = 200, description = "One event of any family", body = TrackingEvent,
        example = json!(examples::tracking_event()))))]
fn admin_tracking_event() {}

#[utoipa::path(get, path = "/me", tag = "family", security(("parent" = []), ("child" = [])),
    responses((status = 200, description = "Whom the token belongs to: a parent's own fields \
        next to `\"role\": \"parent\"`, or `\"role\": \"child\"` and the child a child token \
        was issued for", body = Me, examples(
            ("parent" = (summary = "A parent's token", value = json!(examples::me_parent()))),
            ("child" = (summary = "A child's token", value = json!(examples::me_child())))))))]
fn me() {}

record_routes! {
    create_child, list_children, get_child, delete_child;
    "/children", "/children/{child_id}", "child_id" = ChildId;
    CreateChild => Child, example = {"name": "Sam"}, answer = child;
    created: "The new child, with 0 points",
    listed: "The family's children",
    got: "The child", id_to_get: OWN_CHILD,
    deleted: "The child and its pending requests are gone; its history stays",
    id_to_delete: "A child of the caller's family";

    create_task, list_tasks, get_task, delete_task;
    "/tasks", "/tasks/{task_id}", "task_id" = TaskId;
    CreateTask => Task, example = {"name": "Make bed", "points": 5, "is_good": true}, answer = task;
    created: "The new task (`is_good: false`: a penalty)",
    listed: "The family's tasks and penalties",
    got: "The task", id_to_get: "A task or penalty of the caller's family",
    deleted: "The task is gone; its history stays",
    id_to_delete: "A task or penalty of the caller's family";

    create_reward, list_rewards, get_reward, delete_reward;
    "/rewards", "/rewards/{reward_id}", "reward_id" = RewardId;
    CreateReward => Reward, example = {"name": "Ice cream", "cost": 20}, answer = reward;
    created: "The new reward",
    listed: "The family's rewards",
    got: "The reward", id_to_get: "A reward of the caller's family",
    deleted: "The reward is gone; its history stays",
    id_to_delete: "A reward of the caller's family";
}

#[utoipa::path(post, path = "/children/{child_id}/tokens", tag = "family",
    security(("parent" = [])),
    params(("child_id" = ChildId, Path, description = OWN_CHILD_PARENT_ONLY)),
    responses((status = 201, description = "A token for the child's own device, shown this once \
        only; a child may have several", body = ChildToken, example = json!(examples::child_token()))))]
fn create_child_token() {}

#[utoipa::path(delete, path = "/children/{child_id}/tokens", tag = "family",
    security(("parent" = [])),
    params(("child_id" = ChildId, Path, description = OWN_CHILD_PARENT_ONLY)),
    responses((status = 204, description = "Every token of the child stops working at once")))]
fn revoke_child_tokens() {}

#[utoipa::path(get, path = "/children/{child_id}/reward-requests", tag = "family",
    security(("parent" = []), ("child" = [])), params(("child_id" = ChildId, Path, description = OWN_CHILD)),
    responses((status = 200, description = "The child's pending reward requests",
        body = Vec<RewardRequest>, example = json!([examples::reward_request()]))))]
fn reward_requests() {}

#[utoipa::path(get, path = "/children/{child_id}/tracking", tag = "tracking",
    security(("parent" = []), ("child" = [])), params(("child_id" = ChildId, Path, description = OWN_CHILD), ChildTrackingQuery),
    responses((status = 200, description = "One page of the child's history",
        body = Page<TrackingEvent>, example = json!(examples::page()))))]
fn child_tracking() {}

mutation_route! {
    activate: "/children/{child_id}/tasks/{task_id}/activate",
    "task_id" = TaskId ("A task or penalty of the caller's family"),
    answer: "`+points` for a good task, `-points` for a penalty", example = tracked_mutation;
    refused to a child token: "A child token: only a parent activates a task or penalty"
}

mutation_route! {
    request_reward: "/children/{child_id}/rewards/{reward_id}/request",
    "reward_id" = RewardId ("A reward of the caller's family"),
    answer: "A pending request; points unchanged (`insufficient_points`, `already_requested` \
        otherwise)"
}

mutation_route! {
    redeem_reward: "/children/{child_id}/rewards/{reward_id}/redeem",
    "reward_id" = RewardId ("A reward of the caller's family"),
    answer: "`-cost`; fulfils the pending request if there is one (`insufficient_points` \
        otherwise)";
    refused to a child token: "A child token: only a parent redeems a reward"
}

mutation_route! {
    cancel_reward: "/children/{child_id}/rewards/{reward_id}/cancel",
    "reward_id" = RewardId ("A reward of the caller's family"),
    answer: "The pending request is cancelled; points unchanged (`no_pending_request` \
        otherwise)"
}

#[utoipa::path(post, path = "/events/ticket", tag = "live", security(("parent" = []), ("child" = [])),
    responses((status = 200, description = "A ticket for `GET /events?ticket=`, good once \
        within 60 seconds", body = EventTicket, example = json!(examples::ticket()))))]
fn event_ticket() {}

#[utoipa::path(get, path = "/events", tag = "live", security(("parent" = []), ("child" = []), ("ticket" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The resume cursor: the `id:` of \
            the last frame received (a browser's `EventSource` sends it when it reconnects)"),
        ("last_event_id" = Option<String>, Query, description = "The resume cursor, for a new \
            stream opened with a fresh ticket; the header wins when both are given"),
    ),
    responses((status = 200, description = "Server-Sent Events: `tracking_event_created` for \
        each event of the family (`data`: TrackingEventCreated), after a cursor first the events \
        missed, or one `tracking_stream_reset` (`data`: TrackingStreamReset) when it cannot \
        resume; keep-alive comments at least every 15 seconds. The stream does not end.", content_type = "text/event-stream",
        body = super::sse::LiveEvent, example = json!(examples::sse_frame()))))]
fn events() {}

#[utoipa::path(get, path = "/children/{child_id}/summary", tag = "summaries",
    security(("parent" = []), ("child" = [])),
    params(("child_id" = ChildId, Path, description = OWN_CHILD),
        tracking_model::SummaryQuery),
    responses((status = 200, description = "The child's totals in the range", body = ChildSummary,
        example = json!(examples::child_summary()))))]
fn child_summary() {}

#[utoipa::path(get, path = "/admin/children/{child_id}/summary", tag = "summaries",
    security(("admin" = [])),
    params(("child_id" = ChildId, Path, description = "Any child, also a deleted one"),
        tracking_model::SummaryQuery),
    responses((status = 200, description = "The child's totals from the history alone",
        body = ChildSummary, example = json!(examples::child_summary()))))]
fn admin_child_summary() {}

#[utoipa::path(get, path = "/summary", tag = "summaries", security(("parent" = [])),
    params(FamilySummaryQuery),
    responses((status = 200, description = "Every child of the family, ranked by points earned",
        body = FamilyRanking, example = json!(examples::family_ranking()))))]
fn family_summary() {}

#[utoipa::path(get, path = "/admin/tracking/export", tag = "tracking", security(("admin" = [])),
    params(AdminExportQuery),
    responses((status = 200, description = "Every match, NDJSON lines (one TrackingEvent each) or \
        CSV rows, as an attachment", content(("application/x-ndjson"), ("text/csv")))))]
fn admin_export() {}

#[utoipa::path(get, path = "/children/{child_id}/tracking/export", tag = "tracking",
    security(("parent" = []), ("child" = [])),
    params(("child_id" = ChildId, Path, description = OWN_CHILD),
        ChildExportQuery),
    responses((status = 200, description = "Every match of the child's history, NDJSON or CSV, \
        as an attachment", content(("application/x-ndjson"), ("text/csv")))))]
fn child_export() {}

#[utoipa::path(get, path = "/metrics", tag = "service", security(("admin" = [])),
    responses((status = 200, description = "Prometheus metrics in the text exposition format \
        (`docs/operations.md` says what each means). On the main listener to the admin token; \
        with `--metrics-bind ADDR` also without credentials on that address, which serves \
        nothing else. Absent (404) when the server runs with `--metrics off`.",
        content_type = "text/plain", body = String,
        example = json!(examples::metrics_exposition()))))]
fn metrics() {}

#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "This document", body = Object)))]
fn openapi_json() {}

#[utoipa::path(get, path = "/docs", tag = "service",
    responses((status = 200, description = "A page that browses this document, working offline",
        content_type = "text/html", body = String)))]
fn docs_page() {}

#[utoipa::path(get, path = "/docs/scalar.js", tag = "service",
    responses((status = 200, description = "The script of the `/docs` page, bundled in the \
        binary", content_type = "text/javascript", body = String)))]
fn docs_script() {}

/// The query of `GET /children/{child_id}/tracking`: the admin's, without `child_id` and `user_id`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChildTrackingQuery {
    entity_type: Option<tracking_model::EntityType>,
    action: Option<tracking_model::Action>,
    /// Events with `occurred_at >= from` (any RFC 3339 timestamp).
    from: Option<tracking_model::Timestamp>,
    /// Events with `occurred_at < to` (any RFC 3339 timestamp).
    to: Option<tracking_model::Timestamp>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// Default 0.
    #[param(maximum = 9_007_199_254_740_991_u64)]
    offset: Option<u64>,
    /// Default `asc`.
    order: Option<tracking_model::SortOrder>,
}

/// The query of `GET /summary`: the child summary's without `bucket`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FamilySummaryQuery {
    /// Events with `occurred_at >=` this: RFC 3339, or a local date or date-time in `tz`.
    #[param(schema_with = tracking_model::summary_query::bound_schema)]
    from: Option<String>,
    /// Events with `occurred_at <` this: RFC 3339, or a local date or date-time in `tz`.
    #[param(schema_with = tracking_model::summary_query::bound_schema)]
    to: Option<String>,
    /// An IANA zone name; default `UTC`.
    #[param(schema_with = tracking_model::summary_query::zone_schema)]
    tz: Option<String>,
}

/// The query of `GET /admin/tracking/export`: `format` and the admin's filters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AdminExportQuery {
    format: ExportFormat,
    child_id: Option<ChildId>,
    user_id: Option<UserId>,
    entity_type: Option<tracking_model::EntityType>,
    action: Option<tracking_model::Action>,
    from: Option<tracking_model::Timestamp>,
    to: Option<tracking_model::Timestamp>,
    order: Option<tracking_model::SortOrder>,
}

/// The query of `GET /children/{child_id}/tracking/export`: `format` and the child's filters.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ChildExportQuery {
    format: ExportFormat,
    entity_type: Option<tracking_model::EntityType>,
    action: Option<tracking_model::Action>,
    from: Option<tracking_model::Timestamp>,
    to: Option<tracking_model::Timestamp>,
    order: Option<tracking_model::SortOrder>,
}
