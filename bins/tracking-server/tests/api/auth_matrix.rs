//! Every route against every credential: none, malformed, unknown, parent A, parent B, admin, and
//! the child tokens of A's child Sam (the child in the paths), of Sam's sibling Robin, and of a
//! child of B's family.

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, spawn_app};

/// Statuses for: no token, a malformed header, an unknown token, parent A, parent B, admin, Sam's
/// token (the path's own child), Robin's (a sibling), and a token of B's child.
type Expected = [u16; 9];

/// The order each route is tried in: the child tokens and parent B before parent A, so that A's
/// deletions and A's own actions on Sam come last.
const ORDER: [usize; 9] = [0, 1, 2, 6, 7, 8, 4, 3, 5];

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
    let robin = app.create_child(&a.parent, "Robin").await;
    let spare_child = app.create_child(&a.parent, "Spare").await;
    let spare_task = app.create_task(&a.parent, "Spare", 1, true).await;
    let spare_reward = app.create_reward(&a.parent, "Spare", 1).await;
    let doomed = app.create_parent("Doomed").await;
    let doomed_child = app.create_child(&doomed, "Doomed child").await;
    let doomed_child_token = app.create_child_token(&doomed, &doomed_child).await;
    let sam_token = app.create_child_token(&a.parent, &a.child).await;
    let robin_token = app.create_child_token(&a.parent, &robin).await;
    let b_child_token = app.create_child_token(&b.parent, &b.child).await;
    let (child, task, reward) = (&a.child, &a.task, &a.reward);
    use Method as M;

    let cases = [
        case(M::GET, "/health", None, [200; 9]),
        case(
            M::GET,
            "/me",
            None,
            [401, 401, 401, 200, 200, 403, 200, 200, 200],
        ),
        case(
            M::POST,
            "/admin/users",
            Some(json!({"name": "New"})),
            [401, 401, 401, 403, 403, 201, 403, 403, 403],
        ),
        case(
            M::GET,
            "/admin/users",
            None,
            [401, 401, 401, 403, 403, 200, 403, 403, 403],
        ),
        case(
            M::GET,
            "/metrics",
            None,
            [401, 401, 401, 403, 403, 200, 403, 403, 403],
        ),
        case(
            M::GET,
            "/admin/tracking",
            None,
            [401, 401, 401, 403, 403, 200, 403, 403, 403],
        ),
        case(
            M::GET,
            format!("/admin/tracking/{event}"),
            None,
            [401, 401, 401, 403, 403, 200, 403, 403, 403],
        ),
        case(
            M::GET,
            "/admin/tracking/export?format=csv",
            None,
            [401, 401, 401, 403, 403, 200, 403, 403, 403],
        ),
        case(
            M::GET,
            format!("/admin/children/{child}/summary"),
            None,
            [401, 401, 401, 403, 403, 200, 403, 403, 403],
        ),
        case(
            M::GET,
            "/summary",
            None,
            [401, 401, 401, 200, 200, 403, 403, 403, 403],
        ),
        case(
            M::GET,
            format!("/children/{child}/summary"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 404, 404],
        ),
        case(
            M::GET,
            format!("/children/{child}/tracking/export?format=ndjson"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 404, 404],
        ),
        case(
            M::POST,
            "/children",
            Some(json!({"name": "Kid"})),
            [401, 401, 401, 201, 201, 403, 403, 403, 403],
        ),
        case(
            M::GET,
            "/children",
            None,
            [401, 401, 401, 200, 200, 403, 200, 200, 200],
        ),
        case(
            M::GET,
            format!("/children/{child}"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 404, 404],
        ),
        case(
            M::GET,
            format!("/children/{child}/reward-requests"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 404, 404],
        ),
        case(
            M::GET,
            format!("/children/{child}/tracking"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 404, 404],
        ),
        case(
            M::POST,
            format!("/children/{child}/tasks/{task}/activate"),
            None,
            [401, 401, 401, 200, 404, 403, 403, 404, 404],
        ),
        // Sam asks first, so A's own request finds it pending (409) and A's cancel finds none.
        case(
            M::POST,
            format!("/children/{child}/rewards/{reward}/request"),
            None,
            [401, 401, 401, 409, 404, 403, 200, 404, 404],
        ),
        case(
            M::POST,
            format!("/children/{child}/rewards/{reward}/cancel"),
            None,
            [401, 401, 401, 409, 404, 403, 200, 404, 404],
        ),
        case(
            M::POST,
            format!("/children/{child}/rewards/{reward}/redeem"),
            None,
            [401, 401, 401, 200, 404, 403, 403, 404, 404],
        ),
        case(
            M::POST,
            "/tasks",
            Some(json!({"name": "T", "points": 1, "is_good": true})),
            [401, 401, 401, 201, 201, 403, 403, 403, 403],
        ),
        case(
            M::GET,
            "/tasks",
            None,
            [401, 401, 401, 200, 200, 403, 200, 200, 200],
        ),
        case(
            M::GET,
            format!("/tasks/{task}"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 200, 404],
        ),
        case(
            M::POST,
            "/rewards",
            Some(json!({"name": "R", "cost": 1})),
            [401, 401, 401, 201, 201, 403, 403, 403, 403],
        ),
        case(
            M::GET,
            "/rewards",
            None,
            [401, 401, 401, 200, 200, 403, 200, 200, 200],
        ),
        case(
            M::GET,
            format!("/rewards/{reward}"),
            None,
            [401, 401, 401, 200, 404, 403, 200, 200, 404],
        ),
        case(
            M::POST,
            "/events/ticket",
            None,
            [401, 401, 401, 200, 200, 403, 200, 200, 200],
        ),
        case(
            M::POST,
            format!("/children/{child}/tokens"),
            None,
            [401, 401, 401, 201, 404, 403, 403, 404, 404],
        ),
        case(
            M::DELETE,
            format!("/children/{spare_child}"),
            None,
            [401, 401, 401, 204, 404, 403, 404, 404, 404],
        ),
        case(
            M::DELETE,
            format!("/tasks/{spare_task}"),
            None,
            [401, 401, 401, 204, 404, 403, 403, 403, 403],
        ),
        case(
            M::DELETE,
            format!("/rewards/{spare_reward}"),
            None,
            [401, 401, 401, 204, 404, 403, 403, 403, 403],
        ),
        case(
            M::DELETE,
            format!("/admin/users/{}", doomed.id),
            None,
            [401, 401, 401, 403, 403, 204, 403, 403, 403],
        ),
        // Robin's own revocation: its token is refused (403), then A revokes it.
        case(
            M::DELETE,
            format!("/children/{robin}/tokens"),
            None,
            [401, 401, 401, 204, 404, 403, 404, 403, 404],
        ),
        // Robin's token is revoked now (401); A deletes Sam last.
        case(
            M::DELETE,
            format!("/children/{child}"),
            None,
            [401, 401, 401, 204, 404, 403, 403, 401, 404],
        ),
    ];
    let tokens = [
        None,
        None,
        Some("unknown-token"),
        Some(a.parent.token.as_str()),
        Some(b.parent.token.as_str()),
        Some(ADMIN_TOKEN),
        Some(sam_token.as_str()),
        Some(robin_token.as_str()),
        Some(b_child_token.as_str()),
    ];
    let document = app
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .expect(200);
    for case in &cases {
        check_child_scheme(&document, case);
    }
    for case in cases {
        for index in ORDER {
            let answer = if index == 1 {
                app.call_with_header(
                    case.method.clone(),
                    &case.path,
                    "Basic abc",
                    case.body.clone(),
                )
                .await
            } else {
                app.call(
                    case.method.clone(),
                    &case.path,
                    tokens[index],
                    case.body.clone(),
                )
                .await
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
    // Tokens die with their parent and with their child.
    for gone in [&doomed.token, &doomed_child_token, &sam_token, &robin_token] {
        app.get("/me", gone).await.expect_error(401, "unauthorized");
    }
    app.get("/me", &b_child_token).await.expect(200);
    app.stop().await;
}

/// The OpenAPI document lists the `child` scheme on exactly the operations a child token reaches
/// for its own child (the route's answer for Sam's token is 2xx or a 409 refusal).
fn check_child_scheme(document: &Value, case: &Case) {
    let path = case.path.split('?').next().unwrap_or_default();
    let Some(operation) = documented_operation(document, &case.method, path) else {
        return;
    };
    let Some(security) = operation["security"].as_array() else {
        return;
    };
    let listed = security.iter().any(|scheme| scheme.get("child").is_some());
    let own = case.expected[6];
    let reached = (200..300).contains(&own) || own == 409;
    assert_eq!(
        listed, reached,
        "{} {path}: the document's security {security:?} vs a child token's {own}",
        case.method
    );
}

/// The document's operation for `method` on the concrete `path`: the template matching it with
/// the most literal segments.
fn documented_operation<'a>(document: &'a Value, method: &Method, path: &str) -> Option<&'a Value> {
    let requested: Vec<&str> = path.split('/').collect();
    let (_, item) = document["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let template: Vec<&str> = template.split('/').collect();
            let matches = template.len() == requested.len()
                && template
                    .iter()
                    .zip(&requested)
                    .all(|(expected, actual)| expected.starts_with('{') || expected == actual);
            let literal = template.iter().filter(|segment| !segment.starts_with('{'));
            matches.then(|| (literal.count(), item))
        })
        .max_by_key(|(literal, _)| *literal)?;
    item.get(method.as_str().to_lowercase())
}
