//! Captures a real request and answer for every endpoint into `docs/api.md`, between the
//! `samples` markers. The check ignores ids, tokens and times, which differ on every run;
//! `UPDATE_GENERATED=1 cargo test -p tracking-server --test api api_samples` rewrites the section.

use std::path::Path;

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Answer, TestApp, spawn_app};

const START: &str = "<!-- samples:start -->";
const END: &str = "<!-- samples:end -->";

struct Samples<'a> {
    app: &'a TestApp,
    text: String,
    /// The child token once one is issued, so that its samples say so.
    child_token: String,
}

impl Samples<'_> {
    /// Sends the request, checks its status, and writes both down under `title`.
    async fn call(
        &mut self,
        title: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let answer: Answer = self
            .app
            .call(method.clone(), path, token, body.clone())
            .await;
        let value = answer.expect(status);
        let who = match token {
            None => "no token".to_owned(),
            Some(ADMIN_TOKEN) => "admin token".to_owned(),
            Some(token) if token == self.child_token => "child token".to_owned(),
            Some(_) => "parent token".to_owned(),
        };
        self.text
            .push_str(&format!("### {title}\n\n`{method} {path}` ({who})\n\n"));
        if let Some(body) = &body {
            self.text.push_str(&format!(
                "```json\n{}\n```\n\n",
                serde_json::to_string_pretty(body).unwrap()
            ));
        }
        self.text.push_str(&format!("Answer `{status}`"));
        if value.is_null() {
            self.text.push_str(", no body.\n\n");
        } else {
            self.text.push_str(&format!(
                ":\n\n```json\n{}\n```\n\n",
                serde_json::to_string_pretty(&value).unwrap()
            ));
        }
        value
    }

    /// Downloads an export, checks its status, and writes the request and the body's text down.
    async fn download(&mut self, title: &str, path: &str, token: &str, who: &str) {
        let (status, headers, body) = self.app.download(path, token).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let body = String::from_utf8(body).unwrap();
        let today = tracking_model::Timestamp::now().to_string()[..10].to_owned();
        self.text.push_str(&format!(
            "### {title}\n\n`GET {path}` ({who})\n\nAnswer `200`, `Content-Type: {}`, \
             `Content-Disposition: {}`, streamed:\n\n```text\n{}\n```\n\n",
            headers["content-type"],
            // The date of the run, which the check could not ignore.
            headers["content-disposition"].replace(&today, "<UTC date>"),
            body.trim_start_matches('\u{feff}').trim_end()
        ));
    }
}

impl Samples<'_> {
    /// A `POST` without a body under an `Idempotency-Key`, written down with the answer's
    /// `Idempotent-Replayed` header when it has one.
    async fn keyed(
        &mut self,
        title: &str,
        path: &str,
        token: &str,
        key: &str,
        status: u16,
    ) -> Value {
        let authorization = format!("Bearer {token}");
        let headers = [
            ("Authorization", authorization.as_str()),
            ("Idempotency-Key", key),
        ];
        let (answer, answer_headers) = self
            .app
            .exchange(Method::POST, path, &headers, Vec::new())
            .await;
        let value = answer.expect(status);
        self.text.push_str(&format!(
            "### {title}\n\n`POST {path}` (parent token, `Idempotency-Key: {key}`)\n\n"
        ));
        let replayed = answer_headers
            .get("idempotent-replayed")
            .map(|value| format!(" with `Idempotent-Replayed: {}`", value.to_str().unwrap()))
            .unwrap_or_default();
        self.text.push_str(&format!(
            "Answer `{status}`{replayed}:\n\n```json\n{}\n```\n\n",
            serde_json::to_string_pretty(&value).unwrap()
        ));
        value
    }
}

/// Replaces what differs between runs: ULIDs, 64-hex tokens, timestamps.
fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let is_ulid = word.len() == 26
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
        let is_token = word.len() == 64 && word.chars().all(|c| c.is_ascii_hexdigit());
        let is_time =
            word.len() == 24 && word.ends_with('Z') && word.as_bytes().get(10) == Some(&b'T');
        out.push_str(if is_ulid {
            "<id>"
        } else if is_token {
            "<token>"
        } else if is_time {
            "<time>"
        } else {
            word
        });
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() || matches!(ch, ':' | '.' | '-') {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[actix_rt::test]
async fn docs_api_md_shows_a_real_answer_of_every_endpoint() {
    let app = spawn_app().await;
    let mut s = Samples {
        app: &app,
        text: String::new(),
        child_token: String::new(),
    };
    let admin = Some(ADMIN_TOKEN);

    s.call("Health", Method::GET, "/health", None, None, 200)
        .await;
    let created = s
        .call(
            "Create a user (admin)",
            Method::POST,
            "/admin/users",
            admin,
            Some(json!({"name": "Alex"})),
            201,
        )
        .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let user = created["user"]["id"].as_str().unwrap().to_owned();
    let parent = Some(token.as_str());
    s.call(
        "List users (admin)",
        Method::GET,
        "/admin/users",
        admin,
        None,
        200,
    )
    .await;
    s.call("Who am I", Method::GET, "/me", parent, None, 200)
        .await;
    let child = s
        .call(
            "Create a child",
            Method::POST,
            "/children",
            parent,
            Some(json!({"name": "Sam"})),
            201,
        )
        .await;
    let child = child["id"].as_str().unwrap().to_owned();
    s.call("List children", Method::GET, "/children", parent, None, 200)
        .await;
    s.call(
        "Get a child",
        Method::GET,
        &format!("/children/{child}"),
        parent,
        None,
        200,
    )
    .await;
    let task = s
        .call(
            "Create a task",
            Method::POST,
            "/tasks",
            parent,
            Some(json!({"name": "Make bed", "points": 5, "is_good": true})),
            201,
        )
        .await;
    let task = task["id"].as_str().unwrap().to_owned();
    let penalty = s
        .call(
            "Create a penalty",
            Method::POST,
            "/tasks",
            parent,
            Some(json!({"name": "Hitting sibling", "points": 3, "is_good": false})),
            201,
        )
        .await;
    let penalty = penalty["id"].as_str().unwrap().to_owned();
    s.call("List tasks", Method::GET, "/tasks", parent, None, 200)
        .await;
    s.call(
        "Get a task",
        Method::GET,
        &format!("/tasks/{task}"),
        parent,
        None,
        200,
    )
    .await;
    let reward = s
        .call(
            "Create a reward",
            Method::POST,
            "/rewards",
            parent,
            Some(json!({"name": "Ice cream", "cost": 5})),
            201,
        )
        .await;
    let reward = reward["id"].as_str().unwrap().to_owned();
    s.call("List rewards", Method::GET, "/rewards", parent, None, 200)
        .await;
    s.call(
        "Get a reward",
        Method::GET,
        &format!("/rewards/{reward}"),
        parent,
        None,
        200,
    )
    .await;

    let activated = s
        .call(
            "Activate a task",
            Method::POST,
            &format!("/children/{child}/tasks/{task}/activate"),
            parent,
            None,
            200,
        )
        .await;
    let event = activated["tracking_event"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.call(
        "Activate a penalty",
        Method::POST,
        &format!("/children/{child}/tasks/{penalty}/activate"),
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "Request a reward: refused",
        Method::POST,
        &format!("/children/{child}/rewards/{reward}/request"),
        parent,
        None,
        409,
    )
    .await;
    app.activate(
        &crate::helpers::Parent {
            id: user.clone(),
            token: token.clone(),
        },
        &child,
        &task,
    )
    .await
    .expect(200);
    s.call(
        "Request a reward",
        Method::POST,
        &format!("/children/{child}/rewards/{reward}/request"),
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "Pending reward requests",
        Method::GET,
        &format!("/children/{child}/reward-requests"),
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "Cancel a reward request",
        Method::POST,
        &format!("/children/{child}/rewards/{reward}/cancel"),
        parent,
        None,
        200,
    )
    .await;
    let issued = s
        .call(
            "A token for a child's own device",
            Method::POST,
            &format!("/children/{child}/tokens"),
            parent,
            None,
            201,
        )
        .await;
    s.child_token = issued["token"].as_str().unwrap().to_owned();
    let child_token = s.child_token.clone();
    let by_child = Some(child_token.as_str());
    s.call(
        "Who am I (child token)",
        Method::GET,
        "/me",
        by_child,
        None,
        200,
    )
    .await;
    s.call(
        "A child requests a reward",
        Method::POST,
        &format!("/children/{child}/rewards/{reward}/request"),
        by_child,
        None,
        200,
    )
    .await;
    s.call(
        "A child may not activate a task",
        Method::POST,
        &format!("/children/{child}/tasks/{task}/activate"),
        by_child,
        None,
        403,
    )
    .await;
    s.call(
        "Redeem a reward",
        Method::POST,
        &format!("/children/{child}/rewards/{reward}/redeem"),
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "A child's tracking",
        Method::GET,
        &format!("/children/{child}/tracking?order=desc&limit=2"),
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "Tracking across families (admin)",
        Method::GET,
        "/admin/tracking?entity_type=reward&limit=1",
        admin,
        None,
        200,
    )
    .await;
    s.call(
        "One tracking event (admin)",
        Method::GET,
        &format!("/admin/tracking/{event}"),
        admin,
        None,
        200,
    )
    .await;
    s.call(
        "A child's summary",
        Method::GET,
        &format!("/children/{child}/summary?tz=America/Los_Angeles&bucket=day"),
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "The family's ranking",
        Method::GET,
        "/summary?from=2026-01-01&tz=Europe/Berlin",
        parent,
        None,
        200,
    )
    .await;
    s.call(
        "A child's summary (admin)",
        Method::GET,
        &format!("/admin/children/{child}/summary?to=2100-01-01T00:00:00Z"),
        admin,
        None,
        200,
    )
    .await;
    s.download(
        "Export a child's tracking",
        &format!("/children/{child}/tracking/export?format=ndjson&entity_type=task"),
        &token,
        "parent token",
    )
    .await;
    s.download(
        "Export tracking across families (admin)",
        "/admin/tracking/export?format=csv&action=activated",
        ADMIN_TOKEN,
        "admin token",
    )
    .await;
    s.call(
        "A bad query parameter",
        Method::GET,
        "/admin/tracking?limit=1000",
        admin,
        None,
        400,
    )
    .await;
    s.call(
        "A ticket for the live events",
        Method::POST,
        "/events/ticket",
        parent,
        None,
        200,
    )
    .await;
    let key = "tap-7f3a9c";
    let activate = format!("/children/{child}/tasks/{task}/activate");
    let first = s
        .keyed(
            "Activate a task with an idempotency key",
            &activate,
            &token,
            key,
            200,
        )
        .await;
    let again = s
        .keyed(
            "Activate a task again with the same key",
            &activate,
            &token,
            key,
            200,
        )
        .await;
    assert_eq!(again, first);
    let penalty_path = format!("/children/{child}/tasks/{penalty}/activate");
    s.keyed(
        "The same key for another request",
        &penalty_path,
        &token,
        key,
        422,
    )
    .await;
    s.call(
        "Delete a task",
        Method::DELETE,
        &format!("/tasks/{penalty}"),
        parent,
        None,
        204,
    )
    .await;
    s.call(
        "Delete a reward",
        Method::DELETE,
        &format!("/rewards/{reward}"),
        parent,
        None,
        204,
    )
    .await;
    s.call(
        "Revoke a child's tokens",
        Method::DELETE,
        &format!("/children/{child}/tokens"),
        parent,
        None,
        204,
    )
    .await;
    s.call(
        "A revoked child token",
        Method::GET,
        "/me",
        by_child,
        None,
        401,
    )
    .await;
    s.call(
        "Delete a child",
        Method::DELETE,
        &format!("/children/{child}"),
        parent,
        None,
        204,
    )
    .await;
    s.call(
        "Delete a user (admin)",
        Method::DELETE,
        &format!("/admin/users/{user}"),
        admin,
        None,
        204,
    )
    .await;
    s.call(
        "The deleted user's token",
        Method::GET,
        "/me",
        parent,
        None,
        401,
    )
    .await;
    let samples = s.text;
    app.stop().await;

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md");
    let current = std::fs::read_to_string(&path).expect("docs/api.md exists");
    let (head, rest) = current
        .split_once(START)
        .expect("docs/api.md has the samples start marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/api.md has the samples end marker");
    let fresh = format!("{head}{START}\n\n{samples}{END}{tail}");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, fresh).unwrap();
    } else {
        assert!(
            normalized(&current) == normalized(&fresh),
            "docs/api.md samples are stale; refresh them with:\n\n    UPDATE_GENERATED=1 cargo test -p tracking-server --test api api_samples\n"
        );
    }
}
