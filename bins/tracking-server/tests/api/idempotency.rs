//! `Idempotency-Key`: a retried POST replays its first answer and records nothing, the key
//! reused for another request is refused, answers that changed nothing are not kept, and the
//! kept ones survive a restart.

use awc::http::Method;
use awc::http::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Answer, TestApp, spawn_app, spawn_app_in};

const KEY: &str = "Idempotency-Key";
const REPLAYED: &str = "idempotent-replayed";

/// POSTs `body` (none when `Null`) with `token` and, when given, the idempotency key.
async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: &Value,
) -> (Answer, HeaderMap) {
    let authorization = format!("Bearer {token}");
    let mut headers = vec![("Authorization", authorization.as_str())];
    if let Some(key) = key {
        headers.push((KEY, key));
    }
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        headers.push(("Content-Type", "application/json"));
        serde_json::to_vec(body).unwrap()
    };
    app.exchange(Method::POST, path, &headers, bytes).await
}

fn replayed(headers: &HeaderMap) -> bool {
    headers
        .get(REPLAYED)
        .is_some_and(|value| value.as_bytes() == b"true")
}

async fn history_total(app: &TestApp) -> u64 {
    app.admin_tracking("").await["total"].as_u64().unwrap()
}

#[actix_rt::test]
async fn a_retried_mutation_replays_its_first_answer_and_records_nothing() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let path = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    let token = family.parent.token.as_str();
    let (first, headers) = post_keyed(&app, &path, token, Some("tap-1"), &Value::Null).await;
    assert!(!replayed(&headers));
    let first = first.expect(200);
    for _ in 0..3 {
        let (again, headers) = post_keyed(&app, &path, token, Some("tap-1"), &Value::Null).await;
        assert!(replayed(&headers));
        assert_eq!(again.expect(200), first);
    }
    assert_eq!(app.child_points(&family.parent, &family.child).await, 5);
    assert_eq!(history_total(&app).await, 1);
    // Another key is another request.
    let (other, _) = post_keyed(&app, &path, token, Some("tap-2"), &Value::Null).await;
    assert_eq!(other.expect(200)["child"]["points"], 10);
    app.stop().await;
}

#[actix_rt::test]
async fn a_retried_create_replays_the_record_it_made() {
    let app = spawn_app().await;
    let (admin_answer, _) = post_keyed(
        &app,
        "/admin/users",
        ADMIN_TOKEN,
        Some("new-parent"),
        &json!({"name": "Alex"}),
    )
    .await;
    let created = admin_answer.expect(201);
    let (again, headers) = post_keyed(
        &app,
        "/admin/users",
        ADMIN_TOKEN,
        Some("new-parent"),
        &json!({"name": "Alex"}),
    )
    .await;
    assert!(replayed(&headers));
    assert_eq!(again.expect(201), created);
    let users = app.get("/admin/users", ADMIN_TOKEN).await.expect(200);
    assert_eq!(users.as_array().unwrap().len(), 1);
    let token = created["token"].as_str().unwrap();
    let records = [
        ("/children", json!({"name": "Sam"})),
        (
            "/tasks",
            json!({"name": "Bed", "points": 5, "is_good": true}),
        ),
        ("/rewards", json!({"name": "Treat", "cost": 5})),
    ];
    for (path, body) in &records {
        let key = format!("create:{path}");
        let (first, _) = post_keyed(&app, path, token, Some(&key), body).await;
        let first = first.expect(201);
        let (again, headers) = post_keyed(&app, path, token, Some(&key), body).await;
        assert!(replayed(&headers), "{path}");
        assert_eq!(again.expect(201), first, "{path}");
        let list = app.get(path, token).await.expect(200);
        assert_eq!(list.as_array().unwrap().len(), 1, "{path}");
    }
    app.stop().await;
}

#[actix_rt::test]
async fn a_key_reused_for_another_request_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let other = app.family("Blair").await;
    let token = family.parent.token.as_str();
    let body = json!({"name": "Bed", "points": 5, "is_good": true});
    post_keyed(&app, "/tasks", token, Some("k"), &body)
        .await
        .0
        .expect(201);
    let tasks = app.get("/tasks", token).await.expect(200);
    let another_body = json!({"name": "Bed", "points": 6, "is_good": true});
    post_keyed(&app, "/tasks", token, Some("k"), &another_body)
        .await
        .0
        .expect_error(422, "idempotency_key_reused");
    let reward = json!({"name": "Treat", "cost": 5});
    post_keyed(&app, "/rewards", token, Some("k"), &reward)
        .await
        .0
        .expect_error(422, "idempotency_key_reused");
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    post_keyed(&app, &activate, token, Some("k"), &Value::Null)
        .await
        .0
        .expect_error(422, "idempotency_key_reused");
    assert_eq!(app.get("/tasks", token).await.expect(200), tasks);
    assert_eq!(
        app.get("/rewards", token)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(history_total(&app).await, 0);
    // Keys belong to the credential's user: another parent's same key is its own.
    post_keyed(&app, "/tasks", &other.parent.token, Some("k"), &body)
        .await
        .0
        .expect(201);
    app.stop().await;
}

#[actix_rt::test]
async fn answers_that_changed_nothing_are_not_kept_and_conflicts_are() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let good = json!({"name": "Bed", "points": 5, "is_good": true});
    // 400: a bad body, then the corrected one under the same key.
    post_keyed(&app, "/tasks", token, Some("fix-me"), &json!({"name": ""}))
        .await
        .0
        .expect_error(400, "invalid_request");
    post_keyed(&app, "/tasks", token, Some("fix-me"), &good)
        .await
        .0
        .expect(201);
    // 401 and 403: the key is not even looked at for another credential.
    post_keyed(&app, "/tasks", "not-a-token", Some("who"), &good)
        .await
        .0
        .expect_error(401, "unauthorized");
    post_keyed(&app, "/tasks", ADMIN_TOKEN, Some("who"), &good)
        .await
        .0
        .expect_error(403, "forbidden");
    // 404: an unknown child, then a real one under the same key.
    let unknown = format!(
        "/children/{}/tasks/{}/activate",
        ulid::Ulid::from(7_u128),
        family.task
    );
    post_keyed(&app, &unknown, token, Some("tap"), &Value::Null)
        .await
        .0
        .expect_error(404, "not_found");
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    post_keyed(&app, &activate, token, Some("tap"), &Value::Null)
        .await
        .0
        .expect(200);
    // 413: too large, then a good body under the same key.
    let huge = json!({"name": "x".repeat(20_000), "cost": 5});
    post_keyed(&app, "/rewards", token, Some("big"), &huge)
        .await
        .0
        .expect_error(413, "payload_too_large");
    let reward = json!({"name": "Treat", "cost": 50});
    post_keyed(&app, "/rewards", token, Some("big"), &reward)
        .await
        .0
        .expect(201);
    // 409 is kept: the refusal is replayed even once the child could afford it.
    let redeem = format!(
        "/children/{}/rewards/{}/redeem",
        family.child, family.reward
    );
    let (refused, headers) = post_keyed(&app, &redeem, token, Some("redeem"), &Value::Null).await;
    assert!(!replayed(&headers));
    let refused = refused.expect_error(409, "insufficient_points");
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    let (again, headers) = post_keyed(&app, &redeem, token, Some("redeem"), &Value::Null).await;
    assert!(replayed(&headers));
    assert_eq!(again.expect(409), refused);
    assert_eq!(app.child_points(&family.parent, &family.child).await, 10);
    app.stop().await;
}

#[actix_rt::test]
async fn bad_keys_are_refused_naming_the_header() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let authorization = format!("Bearer {token}");
    let long = "k".repeat(256);
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    let keys: [&[u8]; 5] = [
        b"",
        b"with space",
        long.as_bytes(),
        "caf\u{e9}".as_bytes(),
        b"tab\tkey",
    ];
    for key in keys {
        let headers = [("Authorization", authorization.as_bytes()), (KEY, key)];
        let (answer, _) = app
            .exchange_bytes(Method::POST, &activate, &headers, Vec::new())
            .await;
        let body = answer.expect_error(400, "invalid_request");
        assert_eq!(body["error"]["details"]["field"], KEY, "{key:?}");
    }
    let twice = [
        ("Authorization", authorization.as_str()),
        (KEY, "one"),
        (KEY, "two"),
    ];
    let (answer, _) = app
        .exchange(Method::POST, &activate, &twice, Vec::new())
        .await;
    assert_eq!(
        answer.expect_error(400, "invalid_request")["error"]["details"]["field"],
        KEY
    );
    assert_eq!(history_total(&app).await, 0);
    // The longest key is fine, and the event ticket takes no key at all.
    let longest = "~".repeat(255);
    post_keyed(&app, &activate, token, Some(&longest), &Value::Null)
        .await
        .0
        .expect(200);
    let (ticket, _) = post_keyed(&app, "/events/ticket", token, Some(""), &Value::Null).await;
    ticket.expect(200);
    app.stop().await;
}

#[actix_rt::test]
async fn concurrent_duplicates_record_one_event() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    let attempts = (0..8).map(|_| post_keyed(&app, &activate, token, Some("burst"), &Value::Null));
    let answers = futures_util::future::join_all(attempts).await;
    let mut bodies = Vec::new();
    for (answer, _) in answers {
        match answer.status.as_u16() {
            200 => bodies.push(answer.body),
            _ => {
                answer.expect_error(409, "request_in_progress");
            }
        }
    }
    assert!(!bodies.is_empty());
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(history_total(&app).await, 1);
    assert_eq!(app.child_points(&family.parent, &family.child).await, 5);
    // Once the burst is over, a retry replays.
    let (late, headers) = post_keyed(&app, &activate, token, Some("burst"), &Value::Null).await;
    assert!(replayed(&headers));
    assert_eq!(late.expect(200), bodies[0]);
    app.stop().await;
}

#[actix_rt::test]
async fn an_answer_lost_before_a_restart_is_replayed_after_it() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.clone();
    let request = format!(
        "/children/{}/rewards/{}/request",
        family.child, family.reward
    );
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    for key in ["a", "b"] {
        post_keyed(&app, &activate, &token, Some(key), &Value::Null)
            .await
            .0
            .expect(200);
    }
    // The client never saw this answer.
    let (lost, _) = post_keyed(&app, &request, &token, Some("lost"), &Value::Null).await;
    let lost = lost.expect(200);
    let dirs = app.stop().await;

    let app = spawn_app_in(dirs).await;
    let (retry, headers) = post_keyed(&app, &request, &token, Some("lost"), &Value::Null).await;
    assert!(replayed(&headers));
    assert_eq!(retry.expect(200), lost);
    assert_eq!(history_total(&app).await, 3);
    let pending = app
        .get(
            &format!("/children/{}/reward-requests", family.child),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(pending.as_array().unwrap().len(), 1);
    app.stop().await;
}

#[actix_rt::test]
async fn a_childs_keys_are_its_own_and_shared_by_its_tokens() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let parent = family.parent.token.as_str();
    // Sam has points for the reward (cost 10), and two devices.
    for _ in 0..2 {
        app.activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
    }
    let phone = app.create_child_token(&family.parent, &family.child).await;
    let tablet = app.create_child_token(&family.parent, &family.child).await;
    let robin = app.create_child(&family.parent, "Robin").await;
    let robin_token = app.create_child_token(&family.parent, &robin).await;
    let request = format!(
        "/children/{}/rewards/{}/request",
        family.child, family.reward
    );
    let cancel = format!(
        "/children/{}/rewards/{}/cancel",
        family.child, family.reward
    );

    let (first, headers) = post_keyed(&app, &request, &phone, Some("k"), &Value::Null).await;
    assert!(!replayed(&headers));
    let first = first.expect(200);
    assert_eq!(first["tracking_event"]["metadata"]["actor"], "child");
    // Another token of the same child is the same owner: the first answer again.
    let (again, headers) = post_keyed(&app, &request, &tablet, Some("k"), &Value::Null).await;
    assert!(replayed(&headers));
    assert_eq!(again.expect(200), first);
    // The child's key on another path is a reuse.
    let (reused, _) = post_keyed(&app, &cancel, &phone, Some("k"), &Value::Null).await;
    reused.expect_error(422, "idempotency_key_reused");

    // The parent's "k" is another key: the same request is judged afresh (already requested),
    // and the cancel is performed, not refused as a reuse of the child's key.
    let (parents, headers) = post_keyed(&app, &request, parent, Some("k"), &Value::Null).await;
    assert!(!replayed(&headers));
    parents.expect_error(409, "already_requested");
    let (cancelled, headers) = post_keyed(&app, &cancel, parent, Some("c"), &Value::Null).await;
    assert!(!replayed(&headers));
    assert_eq!(
        cancelled.expect(200)["tracking_event"]["metadata"]["actor"],
        "parent"
    );
    // …and the parent's "c" is not the child's: Sam's cancel with "c" is its own request.
    let (childs, headers) = post_keyed(&app, &cancel, &phone, Some("c"), &Value::Null).await;
    assert!(!replayed(&headers));
    childs.expect_error(409, "no_pending_request");
    // A sibling's "k" is its own too (and its path names Robin).
    let robin_request = format!("/children/{robin}/rewards/{}/request", family.reward);
    let (siblings, headers) =
        post_keyed(&app, &robin_request, &robin_token, Some("k"), &Value::Null).await;
    assert!(!replayed(&headers));
    siblings.expect_error(409, "insufficient_points");
    // The child's own key still replays its first answer, whoever acted since.
    let (later, headers) = post_keyed(&app, &request, &phone, Some("k"), &Value::Null).await;
    assert!(replayed(&headers));
    assert_eq!(later.expect(200), first);
    // 2 activations, Sam's request, the parent's cancel.
    assert_eq!(history_total(&app).await, 4);
    app.stop().await;
}

#[actix_rt::test]
async fn keyed_mutations_reach_the_summaries_once() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    let penalty = format!(
        "/children/{}/tasks/{}/activate",
        family.child, family.penalty
    );
    for (path, key) in [
        (&activate, "a"),
        (&activate, "a"),
        (&penalty, "p"),
        (&activate, "b"),
    ] {
        let (answer, _) = post_keyed(&app, path, token, Some(key), &Value::Null).await;
        answer.expect(200);
    }
    let summary = app
        .get(&format!("/children/{}/summary", family.child), token)
        .await
        .expect(200);
    assert_eq!(summary["totals"]["tasks_activated"], 2, "{summary}");
    assert_eq!(summary["totals"]["penalties_activated"], 1, "{summary}");
    assert_eq!(summary["totals"]["earned"], 10, "{summary}");
    assert_eq!(summary["totals"]["lost"], 3, "{summary}");
    assert_eq!(summary["points"], 7, "{summary}");
    let ranking = app.get("/summary", token).await.expect(200);
    assert_eq!(ranking["children"][0]["totals"]["earned"], 10, "{ranking}");
    app.stop().await;
}
