//! The findings of the outside attack pass, each replayed against a real server: one spelling
//! per id, one reading per request, the JSON error shape everywhere, and CORS that says only
//! what is true.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, spawn_app, spawn_app_with};

/// `id` with its first character replaced: a string that overflows 128 bits when it is not `0`–`7`.
fn respelled(id: &str, first: char) -> String {
    assert!(id.starts_with('0'), "ids made today start with 0: {id}");
    format!("{first}{}", &id[1..])
}

#[actix_rt::test]
async fn an_overflowing_ulid_names_nothing() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    let event = app.admin_tracking("?limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for first in ['8', 'G', 'R', 'Z'] {
        let child = respelled(&family.child, first);
        let task = respelled(&family.task, first);
        let reward = respelled(&family.reward, first);
        for path in [
            format!("/children/{child}"),
            format!("/children/{child}/tracking"),
            format!("/children/{child}/reward-requests"),
            format!("/tasks/{task}"),
            format!("/rewards/{reward}"),
        ] {
            app.get(&path, token).await.expect_error(404, "not_found");
        }
        app.activate(&family.parent, &child, &family.task)
            .await
            .expect_error(404, "not_found");
        app.activate(&family.parent, &family.child, &task)
            .await
            .expect_error(404, "not_found");
        app.reward_action(&family.parent, &family.child, &reward, "request")
            .await
            .expect_error(404, "not_found");
        app.delete(&format!("/tasks/{task}"), token)
            .await
            .expect_error(404, "not_found");
        let event = respelled(&event, first);
        app.get(&format!("/admin/tracking/{event}"), ADMIN_TOKEN)
            .await
            .expect_error(404, "not_found");
        for filter in [
            format!("child_id={child}"),
            format!("user_id={}", respelled(&family.parent.id, first)),
        ] {
            app.get(&format!("/admin/tracking?{filter}"), ADMIN_TOKEN)
                .await
                .expect_error(400, "invalid_request");
        }
        let user = respelled(&family.parent.id, first);
        app.delete(&format!("/admin/users/{user}"), ADMIN_TOKEN)
            .await
            .expect_error(404, "not_found");
    }
    app.get("/me", token).await.expect(200);
    app.get(&format!("/tasks/{}", family.task), token)
        .await
        .expect(200);
    assert_eq!(app.child_points(&family.parent, &family.child).await, 5);
    let lowercase = family.child.to_lowercase();
    let child = app
        .get(&format!("/children/{lowercase}"), token)
        .await
        .expect(200);
    assert_eq!(
        child["id"],
        family.child.as_str(),
        "answers use the canonical form"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn a_body_with_bytes_after_it_is_refused() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let before = app.get("/rewards", token).await.expect(200);
    for body in [
        &br#"{"name":"g","cost":1}{"cost":999999999}"#[..],
        br#"{"name":"g","cost":1} x"#,
        br#"{"name":"g","cost":1}]"#,
    ] {
        app.call_raw(
            Method::POST,
            "/rewards",
            Some(token),
            "application/json",
            body.to_vec(),
        )
        .await
        .expect_error(400, "invalid_request");
    }
    assert_eq!(app.get("/rewards", token).await.expect(200), before);
    app.call_raw(
        Method::POST,
        "/rewards",
        Some(token),
        "application/json",
        b"{\"name\":\"g\",\"cost\":1} \r\n\t".to_vec(),
    )
    .await
    .expect(201);
    app.stop().await;
}

#[actix_rt::test]
async fn two_authorization_headers_are_refused() {
    let app = spawn_app().await;
    let (a, b) = (app.family("Alex").await, app.family("Blair").await);
    let (bearer_a, bearer_b, bearer_admin) = (
        format!("Bearer {}", a.parent.token),
        format!("Bearer {}", b.parent.token),
        format!("Bearer {ADMIN_TOKEN}"),
    );
    let cases = [
        (Method::GET, "/me".to_owned(), [&bearer_a, &bearer_b]),
        (Method::GET, "/me".to_owned(), [&bearer_a, &bearer_a]),
        (
            Method::GET,
            "/admin/users".to_owned(),
            [&bearer_admin, &bearer_a],
        ),
        (
            Method::GET,
            "/admin/users".to_owned(),
            [&bearer_a, &bearer_admin],
        ),
        (Method::GET, "/events".to_owned(), [&bearer_a, &bearer_b]),
        (
            Method::POST,
            format!("/children/{}/tasks/{}/activate", a.child, a.task),
            [&bearer_b, &bearer_a],
        ),
    ];
    for (method, path, [first, second]) in cases {
        let (answer, _) = app
            .exchange(
                method,
                &path,
                &[("Authorization", first), ("Authorization", second)],
                Vec::new(),
            )
            .await;
        answer.expect_error(400, "invalid_request");
    }
    assert_eq!(app.child_points(&a.parent, &a.child).await, 0);
    app.stop().await;
}

#[actix_rt::test]
async fn routes_without_a_body_accept_none_or_an_empty_object_only() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let token = family.parent.token.as_str();
    let activate = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    let request = format!(
        "/children/{}/rewards/{}/request",
        family.child, family.reward
    );
    let bearer = format!("Bearer {token}");
    let send = |method: Method, path: String, body: Vec<u8>| {
        let app = &app;
        let bearer = bearer.clone();
        async move {
            let headers = [
                ("Authorization", bearer.as_str()),
                ("Content-Type", "application/json"),
            ];
            app.exchange(method, &path, &headers, body).await.0
        }
    };
    let refused: [&[u8]; 5] = [br#"{"points":999}"#, b"[]", b"null", b"{} {}", b"garbage"];
    for body in refused {
        for path in [&activate, &request, &"/events/ticket".to_owned()] {
            send(Method::POST, path.clone(), body.to_vec())
                .await
                .expect_error(400, "invalid_request");
        }
        send(
            Method::DELETE,
            format!("/tasks/{}", family.task),
            body.to_vec(),
        )
        .await
        .expect_error(400, "invalid_request");
        send(
            Method::DELETE,
            format!("/admin/users/{}", family.parent.id),
            body.to_vec(),
        )
        .await
        .expect_error(403, "forbidden");
    }
    send(Method::POST, activate.clone(), vec![b' '; 20_000])
        .await
        .expect_error(413, "payload_too_large");
    send(Method::POST, activate.clone(), vec![b'x'; 20_000])
        .await
        .expect_error(413, "payload_too_large");
    assert_eq!(app.child_points(&family.parent, &family.child).await, 0);
    app.get(&format!("/tasks/{}", family.task), token)
        .await
        .expect(200);
    let delete_user = app
        .exchange(
            Method::DELETE,
            &format!("/admin/users/{}", family.parent.id),
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
            br#"{"really":true}"#.to_vec(),
        )
        .await
        .0;
    delete_user.expect_error(400, "invalid_request");
    app.get("/me", token).await.expect(200);

    send(Method::POST, activate.clone(), Vec::new())
        .await
        .expect(200);
    send(Method::POST, activate.clone(), b"{}".to_vec())
        .await
        .expect(200);
    send(Method::POST, activate.clone(), b" {\r\n } \n".to_vec())
        .await
        .expect(200);
    assert_eq!(app.child_points(&family.parent, &family.child).await, 15);
    send(Method::POST, "/events/ticket".to_owned(), b"{}".to_vec())
        .await
        .expect(200);
    send(
        Method::DELETE,
        format!("/tasks/{}", family.task),
        b"{}".to_vec(),
    )
    .await
    .expect(204);
    app.stop().await;
}

#[actix_rt::test]
async fn head_health_answers_without_a_body() {
    let app = spawn_app().await;
    let (answer, headers) = app.exchange(Method::HEAD, "/health", &[], Vec::new()).await;
    assert_eq!(answer.status.as_u16(), 200);
    assert!(answer.body.is_null(), "{}", answer.body);
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    app.stop().await;
}

const ALLOWED: &str = "http://localhost:5173";

async fn preflight(
    app: &crate::helpers::TestApp,
    origin: &str,
    method: &str,
    headers: &str,
) -> (crate::helpers::Answer, awc::http::header::HeaderMap) {
    let mut request = vec![
        ("Origin", origin),
        ("Access-Control-Request-Method", method),
    ];
    if !headers.is_empty() {
        request.push(("Access-Control-Request-Headers", headers));
    }
    app.exchange(Method::OPTIONS, "/children", &request, Vec::new())
        .await
}

#[actix_rt::test]
async fn cors_refusals_use_the_json_error_shape() {
    let app = spawn_app_with(crate::helpers::Dirs::new(), |settings| {
        settings.cors_origins = vec![ALLOWED.into()];
    })
    .await;
    let (answer, headers) = preflight(&app, "http://evil.example", "POST", "authorization").await;
    answer.expect_error(400, "invalid_request");
    assert!(headers.get("access-control-allow-origin").is_none());
    let (answer, _) = preflight(&app, ALLOWED, "PUT", "").await;
    answer.expect_error(400, "invalid_request");
    let (answer, _) = preflight(&app, ALLOWED, "POST", "x-forwarded-user").await;
    answer.expect_error(400, "invalid_request");
    let (answer, headers) = app
        .exchange(
            Method::GET,
            "/health",
            &[("Origin", "http://evil.example")],
            Vec::new(),
        )
        .await;
    answer.expect(200);
    assert!(
        headers.get("access-control-allow-origin").is_none(),
        "the browser keeps the answer from a page of another origin"
    );
    app.stop().await;
}

#[actix_rt::test]
async fn cors_grants_exactly_what_the_contract_uses() {
    let app = spawn_app_with(crate::helpers::Dirs::new(), |settings| {
        settings.cors_origins = vec![ALLOWED.into()];
    })
    .await;
    let (answer, headers) = preflight(
        &app,
        ALLOWED,
        "POST",
        "authorization, content-type, idempotency-key, last-event-id",
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    let list = |name: &str| -> Vec<String> {
        let mut items: Vec<String> = headers
            .get(name)
            .map(|value| value.to_str().unwrap())
            .unwrap_or_default()
            .split(',')
            .map(|item| item.trim().to_ascii_lowercase())
            .filter(|item| !item.is_empty())
            .collect();
        items.sort();
        items
    };
    assert_eq!(headers.get("access-control-allow-origin").unwrap(), ALLOWED);
    assert_eq!(
        list("access-control-allow-methods"),
        ["delete", "get", "post"]
    );
    assert_eq!(
        list("access-control-allow-headers"),
        [
            "authorization",
            "content-type",
            "idempotency-key",
            "last-event-id"
        ]
    );
    let max_age: u64 = headers
        .get("access-control-max-age")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&max_age), "{max_age}");

    let (answer, headers) = app
        .exchange(Method::GET, "/health", &[("Origin", ALLOWED)], Vec::new())
        .await;
    answer.expect(200);
    let exposed = headers
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("idempotent-replayed"), "{exposed}");
    app.stop().await;
}

#[actix_rt::test]
async fn a_name_needs_a_visible_character() {
    let app = spawn_app().await;
    let parent = app.create_parent("Alex").await;
    let token = parent.token.as_str();
    for name in [
        "\u{200b}",
        "\u{feff}",
        "\u{200b}\u{2060}\u{feff}",
        " \u{00a0}\u{200d} ",
    ] {
        for (path, body) in [
            ("/children", json!({"name": name})),
            (
                "/tasks",
                json!({"name": name, "points": 1, "is_good": true}),
            ),
            ("/rewards", json!({"name": name, "cost": 1})),
        ] {
            let refused = app
                .post(path, token, body)
                .await
                .expect_error(400, "invalid_request");
            assert_eq!(refused["error"]["details"]["field"], "name");
        }
        app.post("/admin/users", ADMIN_TOKEN, json!({"name": name}))
            .await
            .expect_error(400, "invalid_request");
    }
    assert_eq!(app.get("/children", token).await.expect(200), json!([]));
    assert_eq!(app.get("/tasks", token).await.expect(200), json!([]));
    assert_eq!(app.get("/rewards", token).await.expect(200), json!([]));
    assert_eq!(
        app.get("/admin/users", ADMIN_TOKEN)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.post("/children", token, json!({"name": "\u{200b}Sam"}))
        .await
        .expect(201);
    app.stop().await;
}

#[actix_rt::test]
async fn audit_lines_escape_line_and_paragraph_separators() {
    let app = spawn_app().await;
    let parent = app.create_parent("Alex").await;
    let child = app.create_child(&parent, "Sam").await;
    let name = "Make\u{2028}bed\u{2029}now";
    let task = app.create_task(&parent, name, 5, true).await;
    app.activate(&parent, &child, &task).await.expect(200);
    let path = app
        .log_dir()
        .join(format!("tracking_user_{}.log", parent.id));
    if crate::SERVERS > 1 {
        // The server that writes the audit files may be the other one, which hears of the line
        // through the database: its graceful stop writes only what it heard of.
        crate::helpers::wait_for_file(&path).await;
    }
    // A graceful stop writes every queued audit line.
    let dirs = app.stop().await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(['\u{2028}', '\u{2029}']), "{text:?}");
    assert!(text.contains(r"Make\u2028bed\u2029now"), "{text:?}");
    let lines: Vec<&str> = text
        .split(['\n', '\u{2028}', '\u{2029}'])
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{text:?}");
    let line: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["metadata"]["entity_name"], name);
    drop(dirs);
}
