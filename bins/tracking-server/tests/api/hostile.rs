//! Random bodies, path ids, query strings and credentials thrown at every route: never a 5xx,
//! always a documented status with the JSON error shape, and nothing changed by a refused request.
//! Among them, the tricks of the outside attack pass: ids respelled to overflow 128 bits, bytes
//! after a JSON body, and two `Authorization` headers; none of these may ever succeed.

use awc::http::Method;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Family, TestApp, spawn_app};

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/me"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users"),
    ("DELETE", "/admin/users/{x}"),
    ("GET", "/admin/tracking"),
    ("GET", "/admin/tracking/{x}"),
    ("GET", "/admin/tracking/export"),
    ("GET", "/admin/children/{c}/summary"),
    ("GET", "/summary"),
    ("POST", "/children"),
    ("GET", "/children"),
    ("GET", "/children/{c}"),
    ("DELETE", "/children/{c}"),
    ("GET", "/children/{c}/reward-requests"),
    ("GET", "/children/{c}/tracking"),
    ("GET", "/children/{c}/tracking/export"),
    ("GET", "/children/{c}/summary"),
    ("POST", "/children/{c}/tasks/{t}/activate"),
    ("POST", "/children/{c}/rewards/{r}/request"),
    ("POST", "/children/{c}/rewards/{r}/redeem"),
    ("POST", "/children/{c}/rewards/{r}/cancel"),
    ("POST", "/tasks"),
    ("GET", "/tasks"),
    ("GET", "/tasks/{t}"),
    ("DELETE", "/tasks/{t}"),
    ("POST", "/rewards"),
    ("GET", "/rewards"),
    ("GET", "/rewards/{r}"),
    ("DELETE", "/rewards/{r}"),
    ("POST", "/events/ticket"),
    ("PUT", "/children"),
    ("PATCH", "/tasks/{t}"),
];

#[derive(Debug, Clone)]
enum Who {
    Nobody,
    Garbage(String),
    ParentA,
    ParentB,
    Admin,
    /// Two `Authorization` headers.
    Twice(Box<Who>, Box<Who>),
}

/// A path segment: one of family A's real ids, B's, a random valid ULID, or garbage.
#[derive(Debug, Clone)]
enum Segment {
    OwnedByA,
    OwnedByB,
    RandomUlid(u128),
    Garbage(String),
    /// One of family A's real ids with its first character raised above `7`: it overflows 128
    /// bits and used to wrap onto the real id.
    OverflowingA(char),
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Bytes(Vec<u8>),
    Huge,
    /// A JSON value followed by more than white space.
    Trailing(Value, String),
}

/// The `Idempotency-Key` header sent, if any.
#[derive(Debug, Clone)]
enum Key {
    None,
    Valid(String),
    /// Longer than 255 characters.
    Oversized(String),
    /// Holds a space or a character outside ASCII.
    NotVisibleAscii(String),
    /// One key for every request that draws it: reused across routes and bodies.
    Shared,
}

impl Key {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Self::None => None,
            Self::Valid(key) | Self::Oversized(key) | Self::NotVisibleAscii(key) => {
                Some(key.as_bytes())
            }
            Self::Shared => Some(b"hostile-shared-key"),
        }
    }

    fn is_bad(&self) -> bool {
        matches!(self, Self::Oversized(_) | Self::NotVisibleAscii(_))
    }
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        3 => Just(Key::None),
        2 => prop_oneof!["[!-~]{1,40}", "[!-~]{250,255}"].prop_map(Key::Valid),
        1 => "[!-~]{256,400}".prop_map(Key::Oversized),
        1 => ("[!-~]{0,10}", prop_oneof![Just(' '), Just('\u{e9}'), Just('\u{20ac}'), Just('\u{1f600}')], "\\PC{0,10}")
            .prop_map(|(head, odd, tail)| Key::NotVisibleAscii(format!("{head}{odd}{tail}"))),
        1 => Just(Key::Shared),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    route: usize,
    segments: [Segment; 3],
    query: String,
    body: Body,
    who: Who,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e20_f64..1e20).prop_map(|n| json!(n)),
        "\\PC{0,20}".prop_map(Value::String),
        Just(json!(1_000_000)),
        Just(json!("Make bed")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("name".to_owned()),
                        Just("points".to_owned()),
                        Just("cost".to_owned()),
                        Just("is_good".to_owned()),
                        "[a-z_]{1,8}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        3 => Just(Segment::OwnedByA),
        1 => Just(Segment::OwnedByB),
        1 => any::<u128>().prop_map(Segment::RandomUlid),
        1 => proptest::sample::select("89ABCDEFGHJKMNPQRSTVWXYZabz".chars().collect::<Vec<_>>())
            .prop_map(Segment::OverflowingA),
        1 => prop_oneof!["\\PC{0,30}", "[0-9A-Z]{26}", "[0-9a-z]{26}", Just("..".to_owned()), Just("%2F".to_owned())].prop_map(Segment::Garbage),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("limit"),
        Just("offset"),
        Just("order"),
        Just("entity_type"),
        Just("action"),
        Just("from"),
        Just("to"),
        Just("child_id"),
        Just("user_id"),
        Just("ticket"),
        Just("format"),
        Just("tz"),
        Just("bucket"),
        Just("x"),
    ];
    let value = prop_oneof![
        "\\PC{0,12}",
        "-?[0-9]{1,25}",
        Just("asc".to_owned()),
        Just("desc".to_owned()),
        Just("task".to_owned()),
        Just("activated".to_owned()),
        Just("2026-02-09T18:42:15.123Z".to_owned()),
        Just("2026-02-09T18:42:15+25:00".to_owned()),
        Just("2026-03-08".to_owned()),
        Just("ndjson".to_owned()),
        Just("csv".to_owned()),
        Just("America/Los_Angeles".to_owned()),
        Just("Europe/Berlin".to_owned()),
        Just("day".to_owned()),
        Just("week".to_owned()),
        Just("month".to_owned()),
    ];
    prop_oneof![
        4 => proptest::collection::vec((key, value), 0..4).prop_map(|pairs| {
            if pairs.is_empty() { String::new() } else { format!("?{}", serde_urlencoded::to_string(pairs).unwrap()) }
        }),
        1 => prop_oneof![Just("?%".to_owned()), Just("?a=%ZZ".to_owned()), Just("?limit=1&&&=".to_owned()), Just("?=x".to_owned())],
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ROUTES.len(),
        [segment(), segment(), segment()],
        query(),
        prop_oneof![
            2 => Just(Body::None),
            4 => json_value().prop_map(Body::Json),
            2 => prop_oneof![
                Just(json!({"name": "Sam"})),
                Just(json!({"name": "Chore", "points": 5, "is_good": true})),
                Just(json!({"name": "Treat", "cost": 5})),
            ]
            .prop_map(Body::Json),
            1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Body::Bytes),
            1 => Just(Body::Huge),
            2 => (
                prop_oneof![
                    Just(json!({})),
                    Just(json!({"name": "Sam"})),
                    Just(json!({"name": "Treat", "cost": 5})),
                    json_value(),
                ],
                prop_oneof![
                    Just(r#"{"cost":999999999}"#.to_owned()),
                    Just("{}".to_owned()),
                    Just(" x".to_owned()),
                    "[^ \t\r\n]\\PC{0,10}",
                ],
            )
                .prop_map(|(value, rest)| Body::Trailing(value, rest)),
        ],
        prop_oneof![
            1 => Just(Who::Nobody),
            1 => "\\PC{0,40}".prop_map(Who::Garbage),
            4 => Just(Who::ParentA),
            1 => Just(Who::ParentB),
            2 => Just(Who::Admin),
            1 => prop_oneof![
                Just(Who::ParentA),
                Just(Who::ParentB),
                Just(Who::Admin),
                Just(Who::Nobody)
            ]
            .prop_flat_map(|first| {
                prop_oneof![Just(Who::ParentA), Just(Who::ParentB), Just(Who::Admin)]
                    .prop_map(move |second| Who::Twice(Box::new(first.clone()), Box::new(second)))
            }),
        ],
    )
        .prop_map(|(route, segments, query, body, who)| Case {
            route,
            segments,
            query,
            body,
            who,
        })
}

fn expected_status(code: &str) -> Option<u16> {
    Some(match code {
        "invalid_request" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not_found" => 404,
        "insufficient_points"
        | "already_requested"
        | "no_pending_request"
        | "points_out_of_range" => 409,
        "payload_too_large" => 413,
        "idempotency_key_reused" => 422,
        "request_in_progress" => 409,
        _ => return None,
    })
}

struct World {
    a: Family,
    b: Family,
    /// One of family A's tracking events, for `/admin/tracking/{x}`.
    event: String,
}

impl World {
    fn resolve(&self, segment: &Segment, placeholder: char) -> String {
        let pick = |family: &Family| match placeholder {
            'c' => family.child.clone(),
            't' => family.task.clone(),
            'r' => family.reward.clone(),
            _ => self.event.clone(),
        };
        match segment {
            Segment::OwnedByA => pick(&self.a),
            Segment::OwnedByB => pick(&self.b),
            Segment::RandomUlid(bits) => ulid::Ulid::from(*bits).to_string(),
            Segment::Garbage(text) => percent_encode(text),
            Segment::OverflowingA(first) => {
                let id = pick(&self.a);
                assert!(id.starts_with('0'), "ids made today start with 0: {id}");
                format!("{first}{}", &id[1..])
            }
        }
    }
}

/// The `Authorization` header values of a caller: none, one, or two.
fn authorization(who: &Who, world: &World) -> Vec<String> {
    let bearer = |token: &str| format!("Bearer {token}");
    match who {
        Who::Nobody => Vec::new(),
        Who::Garbage(text) => vec![bearer(
            &text.chars().filter(|c| !c.is_control()).collect::<String>(),
        )],
        Who::ParentA => vec![bearer(&world.a.parent.token)],
        Who::ParentB => vec![bearer(&world.b.parent.token)],
        Who::Admin => vec![bearer(ADMIN_TOKEN)],
        Who::Twice(first, second) => {
            [authorization(first, world), authorization(second, world)].concat()
        }
    }
}

/// The `Content-Type` and bytes of a body.
fn encode(body: &Body) -> (Option<&'static str>, Vec<u8>) {
    let json = |value: &Value| serde_json::to_vec(value).unwrap();
    match body {
        Body::None => (None, Vec::new()),
        Body::Json(value) => (Some("application/json"), json(value)),
        Body::Bytes(bytes) => (Some("application/json"), bytes.clone()),
        Body::Huge => (
            Some("application/json"),
            json(&json!({"name": "x".repeat(20_000)})),
        ),
        Body::Trailing(value, rest) => {
            let mut bytes = json(value);
            bytes.extend_from_slice(rest.as_bytes());
            (Some("application/json"), bytes)
        }
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-_.~%".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Everything a refused request must leave alone.
async fn snapshot(app: &TestApp, world: &World) -> Value {
    let mut state = json!({"tracking": app.admin_tracking("?limit=500").await, "users": app.get("/admin/users", ADMIN_TOKEN).await.body});
    for (name, family) in [("a", &world.a), ("b", &world.b)] {
        let token = family.parent.token.as_str();
        state[name] = json!({
            "children": app.get("/children", token).await.body,
            "tasks": app.get("/tasks", token).await.body,
            "rewards": app.get("/rewards", token).await.body,
            "requests": app.get(&format!("/children/{}/reward-requests", family.child), token).await.body,
        });
    }
    state
}

#[actix_rt::test]
async fn random_requests_never_break_the_contract() {
    let app = spawn_app().await;
    let (a, b) = (app.family("Alex").await, app.family("Blair").await);
    for _ in 0..3 {
        app.activate(&a.parent, &a.child, &a.task).await.expect(200);
    }
    let event = app.admin_tracking("?limit=1").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let world = World { a, b, event };
    let mut runner = TestRunner::new(Config {
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        ..Config::default()
    });
    let strategy = case();
    // The keys come from their own generator, so that the cases above stay the same sequence.
    let mut key_runner = TestRunner::new(Config {
        rng_seed: proptest::test_runner::RngSeed::Fixed(12),
        ..Config::default()
    });
    let keys = key();
    for round in 0..500 {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let key = keys.new_tree(&mut key_runner).unwrap().current();
        let (method, template) = ROUTES[case.route];
        let mut path = template.to_owned();
        let mut overflowing = false;
        for (placeholder, segment) in ['c', 't', 'r', 'x']
            .into_iter()
            .zip(case.segments.iter().chain([&case.segments[0]]))
        {
            let slot = format!("{{{placeholder}}}");
            if path.contains(&slot) {
                overflowing |= matches!(segment, Segment::OverflowingA(_));
                path = path.replace(&slot, &world.resolve(segment, placeholder));
            }
        }
        path.push_str(&case.query);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let authorization = authorization(&case.who, &world);
        let (content_type, bytes) = encode(&case.body);
        let mut headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type));
        }
        let before = snapshot(&app, &world).await;
        let mut headers: Vec<(&str, &[u8])> = headers
            .into_iter()
            .map(|(name, value)| (name, value.as_bytes()))
            .collect();
        if let Some(key) = key.bytes() {
            headers.push(("Idempotency-Key", key));
        }
        let (answer, _) = app
            .exchange_bytes(method.clone(), &path, &headers, bytes)
            .await;
        let status = answer.status.as_u16();
        let context = format!(
            "round {round}: {case:?}, key {key:?} → {path} answered {status} {}",
            answer.body
        );
        assert!(
            matches!(
                status,
                200 | 201 | 204 | 400 | 401 | 403 | 404 | 405 | 409 | 413 | 422
            ),
            "{context}"
        );
        let keyed_route = template != "/events/ticket" && ROUTES[case.route].0 == "POST";
        assert!(
            !(keyed_route && key.is_bad() && status < 300),
            "a bad idempotency key was accepted: {context}"
        );
        if answer.body["error"]["details"]["field"] == "Idempotency-Key" {
            assert!(key.is_bad(), "a good key was refused: {context}");
        }
        if status >= 400 {
            let code = answer.body["error"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("no JSON error shape: {context}"));
            assert!(answer.body["error"]["message"].is_string(), "{context}");
            if status != 405 {
                assert_eq!(expected_status(code), Some(status), "{context}");
            }
            assert_eq!(
                snapshot(&app, &world).await,
                before,
                "a refused request changed something: {context}"
            );
        }
        let trailing = matches!(case.body, Body::Trailing(..)) && method != Method::GET;
        // `/health` reads no credentials, so two of them are nothing to refuse there.
        let twice = authorization.len() > 1 && template != "/health";
        if overflowing || trailing || twice {
            assert!(
                status >= 400,
                "an overflowing id, bytes after the body or two credentials succeeded: {context}"
            );
        }
    }
    app.stop().await;
}
