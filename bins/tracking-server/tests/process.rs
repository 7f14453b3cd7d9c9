//! The built binary as operators run it: graceful stop on SIGTERM and SIGINT, and no acknowledged
//! mutation lost when the process is killed with SIGKILL at a random moment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

const ADMIN: &str = "process-test-admin-token-0123456789abcdef";

/// A running `tracking-server` process.
struct Server {
    process: Child,
    base: String,
}

impl Server {
    fn start(data: &std::path::Path, logs: &std::path::Path) -> Self {
        let mut process = Command::new(env!("CARGO_BIN_EXE_tracking-server"))
            .args([
                "--bind",
                "127.0.0.1:0",
                "--admin-token",
                ADMIN,
                "--workers",
                "2",
            ])
            .arg("--data-dir")
            .arg(data)
            .arg("--log-dir")
            .arg(logs)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut lines = BufReader::new(process.stderr.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server says where it listens")
                .unwrap();
            if let Some((_, address)) = line.split_once("listening on ") {
                break address.trim().to_owned();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Self { process, base }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.process.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait(mut self) -> ExitStatus {
        self.process.wait().unwrap()
    }
}

struct Client {
    http: awc::Client,
    base: String,
}

impl Client {
    fn new(base: &str) -> Self {
        Self {
            http: awc::Client::builder()
                .timeout(Duration::from_secs(20))
                .finish(),
            base: base.to_owned(),
        }
    }

    async fn send(
        &self,
        method: awc::http::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        let mut response = match body {
            Some(body) => request.send_json(&body).await,
            None => request.send().await,
        }
        .map_err(|error| error.to_string())?;
        let bytes = response
            .body()
            .limit(1 << 26)
            .await
            .map_err(|error| error.to_string())?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|error| error.to_string())?
        };
        Ok((response.status().as_u16(), body))
    }

    async fn post(&self, path: &str, token: &str, body: Option<Value>) -> Value {
        let (status, body) = self
            .send(awc::http::Method::POST, path, token, body)
            .await
            .unwrap();
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    /// Every event of `child`, in order.
    async fn history(&self, child: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let path = format!(
                "/admin/tracking?child_id={child}&limit=500&offset={}",
                events.len()
            );
            let (status, page) = self
                .send(awc::http::Method::GET, &path, ADMIN, None)
                .await
                .unwrap();
            assert_eq!(status, 200);
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                return events;
            }
            events.extend(items.iter().cloned());
        }
    }
}

struct Family {
    token: String,
    child: String,
    task: String,
}

async fn make_family(client: &Client) -> Family {
    let created = client
        .post("/admin/users", ADMIN, Some(json!({"name": "Alex"})))
        .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let child = client
        .post("/children", &token, Some(json!({"name": "Sam"})))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = client
        .post(
            "/tasks",
            &token,
            Some(json!({"name": "Make bed", "points": 1, "is_good": true})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Family { token, child, task }
}

#[actix_rt::test]
async fn sigterm_and_sigint_stop_gracefully_and_keep_everything() {
    let (data, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = Server::start(data.path(), logs.path());
    let client = Client::new(&server.base);
    let family = make_family(&client).await;
    let path = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    client.post(&path, &family.token, None).await;
    let events_stream = client
        .http
        .get(format!("{}/events", server.base))
        .bearer_auth(&family.token)
        .send()
        .await
        .unwrap();
    assert_eq!(events_stream.status().as_u16(), 200);
    server.signal("TERM");
    assert!(
        server.wait().success(),
        "SIGTERM did not end the server with exit code 0"
    );

    let server = Server::start(data.path(), logs.path());
    let client = Client::new(&server.base);
    client.post(&path, &family.token, None).await;
    assert_eq!(client.history(&family.child).await.len(), 2);
    server.signal("INT");
    assert!(
        server.wait().success(),
        "SIGINT did not end the server with exit code 0"
    );
}

#[actix_rt::test]
async fn nothing_acknowledged_is_lost_when_killed() {
    let (data, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = Server::start(data.path(), logs.path());
    let family = make_family(&Client::new(&server.base)).await;
    let path = format!("/children/{}/tasks/{}/activate", family.child, family.task);
    let mut acknowledged: Vec<String> = Vec::new();

    for round in 0..5_u64 {
        let client = Rc::new(Client::new(&server.base));
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..8)
            .map(|_| {
                let (client, stop, path, token) = (
                    client.clone(),
                    stop.clone(),
                    path.clone(),
                    family.token.clone(),
                );
                actix_rt::spawn(async move {
                    let mut ids = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        match client
                            .send(awc::http::Method::POST, &path, &token, None)
                            .await
                        {
                            Ok((200, body)) => {
                                ids.push(body["tracking_event"]["id"].as_str().unwrap().to_owned())
                            }
                            Ok((status, body)) => panic!("unexpected answer {status}: {body}"),
                            Err(_) => break,
                        }
                    }
                    ids
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(150 + round * 70)).await;
        server.process.kill().unwrap();
        server.process.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }

        server = Server::start(data.path(), logs.path());
        let client = Client::new(&server.base);
        let history = client.history(&family.child).await;
        let ids: Vec<&str> = history
            .iter()
            .map(|event| event["id"].as_str().unwrap())
            .collect();
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "an event is stored twice");
        for id in &acknowledged {
            assert!(
                unique.contains(id.as_str()),
                "acknowledged event {id} lost after SIGKILL in round {round}"
            );
        }
        let mut points = 0;
        for event in &history {
            assert_eq!(
                event["points_before"].as_i64(),
                Some(points),
                "broken chain after round {round}"
            );
            points = event["points_after"].as_i64().unwrap();
        }
        let (_, child) = client
            .send(
                awc::http::Method::GET,
                &format!("/children/{}", family.child),
                &family.token,
                None,
            )
            .await
            .unwrap();
        assert_eq!(child["points"].as_i64(), Some(points));
    }
    assert!(
        acknowledged.len() > 5,
        "too few mutations were acknowledged to prove anything"
    );
    server.process.kill().unwrap();
    server.process.wait().unwrap();
}
