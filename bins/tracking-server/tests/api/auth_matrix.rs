//! Every route against every credential: none, malformed, unknown, revoked, parent A, parent B, admin.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, spawn_app};

/// Statuses for: no token, a malformed header, an unknown token, parent A, parent B, admin.
type Expected = [u16; 6];

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
    expected: Expected,
}

fn case(method: Method, path: impl Into<String>, body: Option<Value>, expected: Expected) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        expected,
    }
}

#[actix_rt::test]
async fn every_route_answers_every_credential_as_documented() {
    let app = spawn_app().await;
    let a = app.family("Alex").await;
    let b = app.family("Blair").await;
    for _ in 0..4 {
        app.activate(&a.parent, &a.child, &a.task).await.expect(200);
    }
    let event = app.admin_tracking("").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let spare_child = app.create_child(&a.parent, "Spare").await;
    let spare_task = app.create_task(&a.parent, "Spare", 1, true).await;
    let spare_reward = app.create_reward(&a.parent, "Spare", 1).await;
    let doomed = app.create_parent("Doomed").await;
    let (child, task, reward) = (&a.child, &a.task, &a.reward);
    use Method as M;

    let cases = [
        case(M::GET, "/health", None, [200, 200, 200, 200, 200, 200]),
        case(M::GET, "/me", None, [401, 401, 401, 200, 200, 403]),
        case(
            M::POST,
            "/admin/users",
            Some(json!({"name": "New"})),
            [401, 401, 401, 403, 403, 201],
        ),
        case(M::GET, "/admin/users", None, [401, 401, 401, 403, 403, 200]),
        case(M::GET, "/metrics", None, [401, 401, 401, 403, 403, 200]),
        case(
            M::GET,
            "/admin/tracking",
            None,
            [401, 401, 401, 403, 403, 200],
        ),
        case(
            M::GET,
            format!("/admin/tracking/{event}"),
            None,
            [401, 401, 401, 403, 403, 200],
        ),
        case(
            M::GET,
            "/admin/tracking/export?format=csv",
            None,
            [401, 401, 401, 403, 403, 200],
        ),
        case(
            M::GET,
            format!("/admin/children/{child}/summary"),
            None,
            [401, 401, 401, 403, 403, 200],
        ),
        case(M::GET, "/summary", None, [401, 401, 401, 200, 200, 403]),
        case(
            M::GET,
            format!("/children/{child}/summary"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::GET,
            format!("/children/{child}/tracking/export?format=ndjson"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            "/children",
            Some(json!({"name": "Kid"})),
            [401, 401, 401, 201, 201, 403],
        ),
        case(M::GET, "/children", None, [401, 401, 401, 200, 200, 403]),
        case(
            M::GET,
            format!("/children/{child}"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::GET,
            format!("/children/{child}/reward-requests"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::GET,
            format!("/children/{child}/tracking"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            format!("/children/{child}/tasks/{task}/activate"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            format!("/children/{child}/rewards/{reward}/request"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            format!("/children/{child}/rewards/{reward}/cancel"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            format!("/children/{child}/rewards/{reward}/redeem"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            "/tasks",
            Some(json!({"name": "T", "points": 1, "is_good": true})),
            [401, 401, 401, 201, 201, 403],
        ),
        case(M::GET, "/tasks", None, [401, 401, 401, 200, 200, 403]),
        case(
            M::GET,
            format!("/tasks/{task}"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            "/rewards",
            Some(json!({"name": "R", "cost": 1})),
            [401, 401, 401, 201, 201, 403],
        ),
        case(M::GET, "/rewards", None, [401, 401, 401, 200, 200, 403]),
        case(
            M::GET,
            format!("/rewards/{reward}"),
            None,
            [401, 401, 401, 200, 404, 403],
        ),
        case(
            M::POST,
            "/events/ticket",
            None,
            [401, 401, 401, 200, 200, 403],
        ),
        case(
            M::DELETE,
            format!("/children/{spare_child}"),
            None,
            [401, 401, 401, 204, 404, 403],
        ),
        case(
            M::DELETE,
            format!("/tasks/{spare_task}"),
            None,
            [401, 401, 401, 204, 404, 403],
        ),
        case(
            M::DELETE,
            format!("/rewards/{spare_reward}"),
            None,
            [401, 401, 401, 204, 404, 403],
        ),
        case(
            M::DELETE,
            format!("/admin/users/{}", doomed.id),
            None,
            [401, 401, 401, 403, 403, 204],
        ),
    ];
    let a_token = a.parent.token.clone();
    for case in cases {
        // Parent B is tried before parent A, so A's deletions have not happened yet when B tries.
        let order = [0, 1, 2, 4, 3, 5];
        for index in order {
            let answer = match index {
                0 => {
                    app.call(case.method.clone(), &case.path, None, case.body.clone())
                        .await
                }
                1 => {
                    app.call_with_header(
                        case.method.clone(),
                        &case.path,
                        "Basic abc",
                        case.body.clone(),
                    )
                    .await
                }
                2 => {
                    app.call(
                        case.method.clone(),
                        &case.path,
                        Some("unknown-token"),
                        case.body.clone(),
                    )
                    .await
                }
                3 => {
                    app.call(
                        case.method.clone(),
                        &case.path,
                        Some(&a_token),
                        case.body.clone(),
                    )
                    .await
                }
                4 => {
                    app.call(
                        case.method.clone(),
                        &case.path,
                        Some(&b.parent.token),
                        case.body.clone(),
                    )
                    .await
                }
                _ => {
                    app.call(
                        case.method.clone(),
                        &case.path,
                        Some(ADMIN_TOKEN),
                        case.body.clone(),
                    )
                    .await
                }
            };
            let expected = case.expected[index];
            assert_eq!(
                answer.status.as_u16(),
                expected,
                "{} {} credential #{index}: {}",
                case.method,
                case.path,
                answer.body
            );
            if expected >= 400 {
                assert!(
                    answer.body["error"]["code"].is_string(),
                    "{} {}: {}",
                    case.method,
                    case.path,
                    answer.body
                );
            }
        }
    }
    app.get("/me", &doomed.token)
        .await
        .expect_error(401, "unauthorized");
    app.stop().await;
}
