//! `spawn_app` and typed helpers: each test gets its own data dir, log dir and port. In the
//! suite built with `SERVERS = 2` (the `pair` test binary), `spawn_app` starts two servers on a
//! schema of their own in the PostgreSQL test database, sharing the log dir, and a `TestApp`
//! sends each request to the other server than the request before.

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::web::Bytes;
use awc::error::PayloadError;
use awc::http::header::HeaderMap;
use awc::http::{Method, StatusCode};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use std::pin::Pin;
use tracking_server::{Application, Settings};

use crate::SERVERS;
use crate::schema::Schema;
use crate::support::RoundRobin;

pub const ADMIN_TOKEN: &str = "test-admin-token-that-is-long-enough-0123456789";

/// The data and log directories of a test and, when the suite runs on a pair of servers, the
/// database schema they share: all kept across restarts.
#[derive(Debug)]
pub struct Dirs {
    files: crate::support::Dirs,
    schema: Option<Schema>,
    /// Whether servers ran on the schema already: what a test wrote into the data dir before
    /// (a seeded history) was moved in then.
    started: bool,
}

impl Dirs {
    pub fn new() -> Self {
        Self {
            files: crate::support::Dirs::new(),
            schema: (SERVERS > 1).then(Schema::new),
            started: false,
        }
    }

    pub fn data(&self) -> &Path {
        self.files.data()
    }

    pub fn logs(&self) -> &Path {
        self.files.logs()
    }
}

/// The running servers (one, or a pair on one database) and the directories they own.
pub struct TestApp {
    /// The first server's base URL; requests go to [`TestApp::bases`] in turn.
    pub base: String,
    pub bases: RoundRobin,
    pub dirs: Dirs,
    client: awc::Client,
    running: Vec<Running>,
}

/// One server of a test: how to stop it, and its task.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: actix_rt::task::JoinHandle<anyhow::Result<()>>,
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

/// Starts the server (or the pair) on `dirs` with settings changed by `adjust`.
pub async fn spawn_app_with(mut dirs: Dirs, adjust: impl Fn(&mut Settings)) -> TestApp {
    if !dirs.started {
        dirs.started = true;
        if let Some(schema) = &dirs.schema {
            move_in(dirs.data(), schema).await;
        }
    }
    let mut bases = Vec::new();
    let mut running = Vec::new();
    for _ in 0..SERVERS {
        let mut settings = Settings::for_dirs(dirs.data(), dirs.logs());
        settings.bind = "127.0.0.1:0".into();
        settings.admin_token = Some(ADMIN_TOKEN.parse().unwrap());
        settings.workers = Some(2);
        settings.audit_max_bytes = 64 * 1024;
        if let Some(schema) = &dirs.schema {
            settings.database_url = Some(schema.url.parse().unwrap());
            settings.database_schema = Some(schema.name.clone());
            settings.database_connections = 4;
        }
        adjust(&mut settings);
        let application = Application::build(settings)
            .await
            .expect("the server starts");
        bases.push(format!("http://127.0.0.1:{}", application.port()));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = actix_rt::spawn(application.run(async {
            let _ = stopped.await;
        }));
        running.push(Running { stop, task });
    }
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    TestApp {
        base: bases[0].clone(),
        bases: RoundRobin::new(bases),
        dirs,
        client,
        running,
    }
}

/// Moves what a test wrote into the data dir before the first start (a seeded history) into
/// the pair's schema, as an operator moves an installation in.
#[cfg(feature = "postgres")]
async fn move_in(data: &Path, schema: &Schema) {
    use tracking_server::import::{ImportSettings, run};
    let seeded = [tracking_store::HISTORY_FILE, tracking_store::JOURNAL_FILE]
        .iter()
        .any(|file| data.join(file).exists());
    if seeded {
        let settings = ImportSettings {
            from: data.to_path_buf(),
            database_url: schema.url.parse().unwrap(),
            database_schema: Some(schema.name.clone()),
        };
        run(&settings, &mut Vec::new())
            .await
            .expect("the seeded data dir moves in");
    }
}

#[cfg(not(feature = "postgres"))]
async fn move_in(_: &Path, _: &Schema) {
    unreachable!("a pair of servers needs the postgres feature");
}

impl TestApp {
    /// Stops the servers gracefully and hands back their directories.
    pub async fn stop(self) -> Dirs {
        for Running { stop, task } in self.running {
            let _ = stop.send(());
            task.await.unwrap().unwrap();
        }
        self.dirs
    }

    /// `base` + `path`, on the server whose turn it is.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.bases.next())
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
        let mut request = self.client.request(method, self.url(path));
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
            .request(method, self.url(path))
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
            .request(method, self.url(path))
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
        let mut request = self.client.request(method, self.url(path));
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
        let mut request = self.client.request(method, self.url(path));
        for &(name, value) in headers {
            let value = awc::http::header::HeaderValue::from_bytes(value).expect("a header value");
            request = request.append_header((name, value));
        }
        let response = request.send_body(body).await.expect("the server answers");
        let headers = response.headers().clone();
        (read(response).await, headers)
    }

    /// A `GET` without credentials to each server in turn (say `/health`), not only to the one
    /// whose turn it is.
    pub async fn get_on_each(&self, path: &str) -> Vec<Answer> {
        let mut answers = Vec::new();
        for base in self.bases.all() {
            let response = self.client.get(format!("{base}{path}")).send().await;
            answers.push(read(response.expect("the server answers")).await);
        }
        answers
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
            .request(Method::OPTIONS, self.url(path))
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
            .get(self.url(path))
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
            .get(self.url("/events"))
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
            .get(self.url("/events"))
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
            .get(self.url(&format!("/events?ticket={ticket}{extra}")))
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
            .get(self.url(&format!("/events?ticket={ticket}")))
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

/// Waits until a file holds something (an audit file written by the server that writes them);
/// panics when it has not within 30 seconds.
pub async fn wait_for_file(path: &Path) {
    for _ in 0..600 {
        if std::fs::metadata(path).is_ok_and(|file| file.len() > 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} did not appear", path.display());
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
