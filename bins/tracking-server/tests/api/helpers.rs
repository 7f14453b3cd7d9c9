//! `spawn_app` and typed helpers: each test gets its own data dir, log dir and port.

use std::path::PathBuf;
use std::time::Duration;

use actix_web::web::Bytes;
use awc::error::PayloadError;
use awc::http::header::HeaderMap;
use awc::http::{Method, StatusCode};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use std::pin::Pin;
use tracking_server::{Application, Settings};

/// The data and log directories of a test, kept across restarts.
pub use crate::support::Dirs;

pub const ADMIN_TOKEN: &str = "test-admin-token-that-is-long-enough-0123456789";

/// A running server and the directories it owns.
pub struct TestApp {
    pub base: String,
    pub dirs: Dirs,
    client: awc::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    running: actix_rt::task::JoinHandle<anyhow::Result<()>>,
}

/// A parent as the tests use it: its record and its token.
#[derive(Clone)]
pub struct Parent {
    pub id: String,
    pub token: String,
}

/// An answer: status and JSON body (`Value::Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The body, after checking the status.
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.body
        );
        self.body
    }

    /// Checks the contract's error shape and code.
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{body}"
        );
        body
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_in(Dirs::new()).await
}

pub async fn spawn_app_in(dirs: Dirs) -> TestApp {
    spawn_app_with(dirs, |_| {}).await
}

/// Starts a server on `dirs` with settings changed by `adjust`.
pub async fn spawn_app_with(dirs: Dirs, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::for_dirs(dirs.data(), dirs.logs());
    settings.bind = "127.0.0.1:0".into();
    settings.admin_token = Some(ADMIN_TOKEN.parse().unwrap());
    settings.workers = Some(2);
    settings.audit_max_bytes = 64 * 1024;
    adjust(&mut settings);
    let application = Application::build(settings)
        .await
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{}", application.port());
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let running = actix_rt::spawn(application.run(async {
        let _ = stopped.await;
    }));
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    TestApp {
        base,
        dirs,
        client,
        stop,
        running,
    }
}

impl TestApp {
    /// Stops the server gracefully and hands back its directories.
    pub async fn stop(self) -> Dirs {
        let _ = self.stop.send(());
        self.running.await.unwrap().unwrap();
        self.dirs
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dirs.logs().to_path_buf()
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let response = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        };
        read(response.expect("the server answers")).await
    }

    /// Sends a request with this exact `Authorization` header.
    pub async fn call_with_header(
        &self,
        method: Method,
        path: &str,
        authorization: &str,
        body: Option<Value>,
    ) -> Answer {
        let request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .insert_header(("Authorization", authorization));
        let response = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        };
        read(response.expect("the server answers")).await
    }

    /// Sends raw bytes with a content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .insert_header(("Content-Type", content_type));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        read(request.send_body(body).await.expect("the server answers")).await
    }

    /// Sends these exact headers (a name may repeat) and body; returns the answer and its headers.
    pub async fn exchange(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (Answer, HeaderMap) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for &(name, value) in headers {
            request = request.append_header((name, value));
        }
        let response = request.send_body(body).await.expect("the server answers");
        let headers = response.headers().clone();
        (read(response).await, headers)
    }

    /// As [`Self::exchange`], with header values given as bytes (which may be outside ASCII).
    pub async fn exchange_bytes(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &[u8])],
        body: Vec<u8>,
    ) -> (Answer, HeaderMap) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for &(name, value) in headers {
            let value = awc::http::header::HeaderValue::from_bytes(value).expect("a header value");
            request = request.append_header((name, value));
        }
        let response = request.send_body(body).await.expect("the server answers");
        let headers = response.headers().clone();
        (read(response).await, headers)
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn post_empty(&self, path: &str, token: &str) -> Answer {
        self.call(Method::POST, path, Some(token), None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    pub async fn create_parent(&self, name: &str) -> Parent {
        let body = self
            .post("/admin/users", ADMIN_TOKEN, json!({"name": name}))
            .await
            .expect(201);
        Parent {
            id: body["user"]["id"].as_str().unwrap().into(),
            token: body["token"].as_str().unwrap().into(),
        }
    }

    pub async fn create_child(&self, parent: &Parent, name: &str) -> String {
        let body = self
            .post("/children", &parent.token, json!({"name": name}))
            .await
            .expect(201);
        body["id"].as_str().unwrap().into()
    }

    /// A token for the child's own device, issued by its parent.
    pub async fn create_child_token(&self, parent: &Parent, child: &str) -> String {
        let body = self
            .post_empty(&format!("/children/{child}/tokens"), &parent.token)
            .await
            .expect(201);
        assert_eq!(body["child_id"].as_str(), Some(child), "{body}");
        body["token"].as_str().unwrap().into()
    }

    pub async fn create_task(
        &self,
        parent: &Parent,
        name: &str,
        points: i64,
        is_good: bool,
    ) -> String {
        let body = self
            .post(
                "/tasks",
                &parent.token,
                json!({"name": name, "points": points, "is_good": is_good}),
            )
            .await
            .expect(201);
        body["id"].as_str().unwrap().into()
    }

    pub async fn create_reward(&self, parent: &Parent, name: &str, cost: i64) -> String {
        let body = self
            .post(
                "/rewards",
                &parent.token,
                json!({"name": name, "cost": cost}),
            )
            .await
            .expect(201);
        body["id"].as_str().unwrap().into()
    }

    pub async fn activate(&self, parent: &Parent, child: &str, task: &str) -> Answer {
        self.post_empty(
            &format!("/children/{child}/tasks/{task}/activate"),
            &parent.token,
        )
        .await
    }

    /// `action` is `request`, `redeem` or `cancel`.
    pub async fn reward_action(
        &self,
        parent: &Parent,
        child: &str,
        reward: &str,
        action: &str,
    ) -> Answer {
        self.post_empty(
            &format!("/children/{child}/rewards/{reward}/{action}"),
            &parent.token,
        )
        .await
    }

    pub async fn child_tracking(&self, parent: &Parent, child: &str, query: &str) -> Answer {
        self.get(&format!("/children/{child}/tracking{query}"), &parent.token)
            .await
    }

    pub async fn admin_tracking(&self, query: &str) -> Value {
        self.get(&format!("/admin/tracking{query}"), ADMIN_TOKEN)
            .await
            .expect(200)
    }

    pub async fn child_points(&self, parent: &Parent, child: &str) -> i64 {
        self.get(&format!("/children/{child}"), &parent.token)
            .await
            .expect(200)["points"]
            .as_i64()
            .unwrap()
    }

    /// A family with one child, a task, a penalty and a reward.
    pub async fn family(&self, name: &str) -> Family {
        let parent = self.create_parent(name).await;
        let child = self.create_child(&parent, "Sam").await;
        let task = self.create_task(&parent, "Make bed", 5, true).await;
        let penalty = self.create_task(&parent, "Hitting sibling", 3, false).await;
        let reward = self.create_reward(&parent, "Ice cream", 10).await;
        Family {
            parent,
            child,
            task,
            penalty,
            reward,
        }
    }

    /// Sends a CORS preflight; returns the `Access-Control-Allow-Origin` it grants, if any.
    pub async fn preflight(&self, path: &str, origin: &str) -> Option<String> {
        let response = self
            .client
            .request(Method::OPTIONS, format!("{}{path}", self.base))
            .insert_header(("Origin", origin))
            .insert_header(("Access-Control-Request-Method", "POST"))
            .insert_header((
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ))
            .send()
            .await
            .unwrap();
        let header = response.headers().get("access-control-allow-origin")?;
        Some(header.to_str().unwrap().to_owned())
    }

    /// Opens a streamed answer (an export) without reading it.
    pub async fn open_download(
        &self,
        path: &str,
        token: &str,
    ) -> awc::ClientResponse<impl Stream<Item = Result<Bytes, PayloadError>> + Unpin + use<>> {
        self.client
            .get(format!("{}{path}", self.base))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .expect("the server answers")
    }

    /// Reads a whole download: status, headers (names in lowercase) and body bytes.
    pub async fn download(
        &self,
        path: &str,
        token: &str,
    ) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
        let mut response = self.open_download(path, token).await;
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
            .collect();
        let body = response.body().limit(1 << 30).await.unwrap();
        (response.status().as_u16(), headers, body.to_vec())
    }

    /// Opens `GET /events` with a bearer token.
    pub async fn open_events(&self, token: &str) -> EventStream {
        let response = self
            .client
            .get(format!("{}/events", self.base))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .unwrap();
        EventStream::new(response)
    }

    /// Opens `GET /events` with a bearer token, resuming from `last_event_id` (the header a
    /// browser's `EventSource` sends when it reconnects).
    pub async fn open_events_after(&self, token: &str, last_event_id: &str) -> EventStream {
        let response = self
            .client
            .get(format!("{}/events", self.base))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Last-Event-ID", last_event_id))
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .unwrap();
        EventStream::new(response)
    }

    /// A fresh ticket for the parent's live events.
    pub async fn ticket(&self, parent: &Parent) -> String {
        let answer = self.post_empty("/events/ticket", &parent.token).await;
        answer.expect(200)["ticket"].as_str().unwrap().to_owned()
    }

    /// Opens `GET /events?ticket=...` followed by `extra` (say `&last_event_id=...`), with a
    /// `Last-Event-ID` header when `header` is given.
    pub async fn open_events_with_query(
        &self,
        ticket: &str,
        extra: &str,
        header: Option<&str>,
    ) -> EventStream {
        let mut request = self
            .client
            .get(format!("{}/events?ticket={ticket}{extra}", self.base))
            .timeout(Duration::from_secs(3600));
        if let Some(header) = header {
            request = request.insert_header(("Last-Event-ID", header));
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        EventStream::new(response)
    }

    /// Opens `GET /events?ticket=...`.
    pub async fn open_events_with_ticket(&self, ticket: &str) -> Result<EventStream, Answer> {
        let response = self
            .client
            .get(format!("{}/events?ticket={ticket}", self.base))
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .unwrap();
        if response.status().is_success() {
            Ok(EventStream::new(response))
        } else {
            Err(read(response).await)
        }
    }
}

pub struct Family {
    pub parent: Parent,
    pub child: String,
    pub task: String,
    pub penalty: String,
    pub reward: String,
}

async fn read<S>(mut response: awc::ClientResponse<S>) -> Answer
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let status = response.status();
    let bytes = response.body().limit(64 * 1024 * 1024).await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer { status, body }
}

/// An open Server-Sent Events stream, read event by event.
pub struct EventStream {
    pub content_type: String,
    body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
    buffer: String,
}

/// One event as received: its fields.
#[derive(Debug)]
pub struct ReceivedEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Value,
}

impl EventStream {
    fn new<S>(response: awc::ClientResponse<S>) -> Self
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin + 'static,
    {
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Self {
            content_type,
            body: Box::pin(response),
            buffer: String::new(),
        }
    }

    /// The next event with data, skipping keep-alive comments; `None` when the stream ends or
    /// nothing arrives within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<ReceivedEvent> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_block(&block) {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout(wait, self.body.next()).await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk.ok()?));
        }
    }

    /// Counts the keep-alive comments (lines starting with `:`) that arrive within `wait`.
    pub async fn comments_within(&mut self, wait: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + wait;
        let mut text = std::mem::take(&mut self.buffer);
        while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, self.body.next()).await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text.lines().filter(|line| line.starts_with(':')).count()
    }

    /// Reads until the stream ends (or `wait` passes with nothing); true when it ended.
    pub async fn ended(&mut self, wait: Duration) -> bool {
        loop {
            match tokio::time::timeout(wait, self.body.next()).await {
                Ok(None) | Ok(Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }
}

fn parse_block(block: &str) -> Option<ReceivedEvent> {
    let (mut id, mut event, mut data) = (None, None, String::new());
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id:") {
            id = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("event:") {
            event = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim_start());
        }
    }
    if data.is_empty() {
        return None;
    }
    Some(ReceivedEvent {
        id,
        event,
        data: serde_json::from_str(&data).ok()?,
    })
}
