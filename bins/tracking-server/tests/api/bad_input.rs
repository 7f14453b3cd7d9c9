//! Bad input gets the documented status and the JSON error shape, and changes nothing.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, spawn_app};

#[actix_rt::test]
async fn bad_bodies_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let bodies: [(&str, &[u8], &str); 9] = [
        ("/tasks", b"{not json", "body"),
        (
            "/tasks",
            br#"{"name":"x","points":5,"is_good":true,"colour":"red"}"#,
            "colour",
        ),
        (
            "/tasks",
            br#"{"name":"x","points":"5","is_good":true}"#,
            "points",
        ),
        (
            "/tasks",
            br#"{"name":"x","points":0,"is_good":true}"#,
            "points",
        ),
        ("/tasks", br#"{"name":"x","is_good":true}"#, "points"),
        ("/rewards", br#"{"name":"x","cost":1000001}"#, "cost"),
        ("/children", br#"{"name":"   "}"#, "name"),
        ("/children", b"{\"name\":\"a\\u0007b\"}", "name"),
        ("/children", b"[]", "body"),
    ];
    for (path, body, field) in bodies {
        let answer = app
            .call_raw(
                Method::POST,
                path,
                Some(token),
                "application/json",
                body.to_vec(),
            )
            .await;
        let error = answer.expect_error(400, "invalid_request");
        assert_eq!(
            error["error"]["details"]["field"],
            field,
            "{path} {}",
            String::from_utf8_lossy(body)
        );
    }
    let long_name = json!({"name": "x".repeat(101)});
    app.post("/children", token, long_name)
        .await
        .expect_error(400, "invalid_request");
    let form = app
        .call_raw(
            Method::POST,
            "/children",
            Some(token),
            "application/x-www-form-urlencoded",
            b"name=Sam".to_vec(),
        )
        .await;
    form.expect_error(400, "invalid_request");
    let huge = json!({"name": "x".repeat(20 * 1024)});
    app.post("/children", token, huge)
        .await
        .expect_error(413, "payload_too_large");
    let children = app.get("/children", token).await.expect(200);
    assert_eq!(
        children.as_array().unwrap().len(),
        1,
        "a refused body created something"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn names_are_trimmed_and_unicode_is_counted_by_characters() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let child = app
        .post(
            "/children",
            &family.parent.token,
            json!({"name": "  Zoë  "}),
        )
        .await
        .expect(201);
    assert_eq!(child["name"], "Zoë");
    app.post(
        "/children",
        &family.parent.token,
        json!({"name": "é".repeat(100)}),
    )
    .await
    .expect(201);
    app.stop().await;
}

#[actix_rt::test]
async fn bad_ids_are_not_found_and_bad_queries_are_bad_requests() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    for path in [
        "/children/not-an-id".to_owned(),
        "/children/0000000000000000000000000Z".to_owned(),
        format!("/children/{}/tasks/nope/activate", family.child),
        format!("/children/nope/tasks/{}/activate", family.task),
        "/tasks/%00".to_owned(),
        "/rewards/01JKZ8Q4V3X9T7M2N5P6R8S0AB".to_owned(),
    ] {
        let method = if path.ends_with("activate") {
            Method::POST
        } else {
            Method::GET
        };
        app.call(method, &path, Some(token), None)
            .await
            .expect_error(404, "not_found");
    }
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?limit=abc", "limit"),
        ("?offset=-1", "offset"),
        ("?order=sideways", "order"),
        ("?entity_type=chore", "entity_type"),
        ("?action=done", "action"),
        ("?from=yesterday", "from"),
        ("?to=2026-13-01T00:00:00Z", "to"),
        ("?child_id=xyz", "child_id"),
        ("?user_id=xyz", "user_id"),
        ("?surprise=1", "surprise"),
        ("?limit=1&limit=2", "limit"),
    ] {
        let answer = app
            .get(&format!("/admin/tracking{query}"), ADMIN_TOKEN)
            .await;
        assert_eq!(
            answer.expect_error(400, "invalid_request")["error"]["details"]["field"],
            field,
            "{query}"
        );
    }
    let child_route = app
        .child_tracking(
            &family.parent,
            &family.child,
            &format!("?child_id={}", family.child),
        )
        .await;
    assert_eq!(
        child_route.expect_error(400, "invalid_request")["error"]["details"]["field"],
        "child_id"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn unknown_paths_and_methods_answer_json() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    app.get("/nowhere", &family.parent.token)
        .await
        .expect_error(404, "not_found");
    let answer = app
        .call(Method::PUT, "/children", Some(&family.parent.token), None)
        .await;
    assert_eq!(answer.status.as_u16(), 405);
    assert!(answer.body["error"]["code"].is_string());
    app.stop().await;
}
