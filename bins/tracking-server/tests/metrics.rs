//! `GET /metrics` of the built binary after a known workload, read with a Prometheus text-format
//! parser: the counts match the workload, routes are labelled by pattern, and the endpoint is
//! guarded on the main listener and open on the `--metrics-bind` listener alone.

mod support;

use std::collections::HashMap;

use awc::http::Method;
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::json;
use support::{ADMIN, Client, Dirs, Server};

const ACTIVATE: &str = "/children/:child_id/tasks/:task_id/activate";

/// A parsed scrape.
struct Metrics(Scrape);

impl Metrics {
    fn parse(text: &str) -> Self {
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        Self(Scrape::parse(lines).expect("the exposition parses"))
    }

    /// The samples of `metric` whose labels include every pair of `labels`.
    fn find(&self, metric: &str, labels: &[(&str, &str)]) -> Vec<&Sample> {
        self.0
            .samples
            .iter()
            .filter(|sample| sample.metric == metric)
            .filter(|sample| {
                labels
                    .iter()
                    .all(|(name, value)| sample.labels.get(name) == Some(value))
            })
            .collect()
    }

    /// The one value of a counter, gauge or untyped sample (a histogram's `_count` or `_sum`).
    fn value(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.find(metric, labels);
        assert_eq!(
            found.len(),
            1,
            "one sample of {metric} {labels:?} among {:?}",
            self.find(metric, &[])
        );
        match &found[0].value {
            Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => *value,
            other => panic!("{metric} is not a single value: {other:?}"),
        }
    }

    /// The observations a histogram counted in its `+Inf` bucket.
    fn histogram_total(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.find(metric, labels);
        assert_eq!(found.len(), 1, "one histogram {metric} {labels:?}");
        let Value::Histogram(buckets) = &found[0].value else {
            panic!("{metric} is not a histogram: {:?}", found[0].value);
        };
        buckets
            .iter()
            .find(|bucket| bucket.less_than.is_infinite())
            .expect("a +Inf bucket")
            .count
    }

    fn has_help(&self, metric: &str) -> bool {
        self.0.docs.contains_key(metric)
    }
}

/// The address of the metrics listener, from the server's log.
fn metrics_base(server: &Server) -> String {
    server
        .stderr_lines()
        .iter()
        .find_map(|line| {
            let (_, url) = line.split_once("metrics served at ")?;
            Some(url.trim().trim_end_matches("/metrics").to_owned())
        })
        .expect("the server logs its metrics address")
}

async fn get_text(client: &Client, url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = client.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let mut response = request.send().await.expect("an answer");
    let body = response.body().limit(1 << 24).await.expect("a body");
    (
        response.status().as_u16(),
        String::from_utf8(body.to_vec()).expect("UTF-8"),
    )
}

#[actix_rt::test]
async fn a_scrape_after_a_known_workload_counts_it() {
    let dirs = Dirs::new();
    let server = Server::start(
        &dirs,
        &["--metrics-bind".to_owned(), "127.0.0.1:0".to_owned()],
    );
    let client = Client::new(server.base());

    // The workload: a family, three activations of a task, one of a penalty, one unknown task.
    let parent = client
        .post("/admin/users", ADMIN, Some(json!({"name": "Alex"})))
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let child = client
        .create("/children", &parent, json!({"name": "Sam"}))
        .await;
    let other_child = client
        .create("/children", &parent, json!({"name": "Kim"}))
        .await;
    let task = client
        .create(
            "/tasks",
            &parent,
            json!({"name": "Make bed", "points": 2, "is_good": true}),
        )
        .await;
    let penalty = client
        .create(
            "/tasks",
            &parent,
            json!({"name": "Hitting", "points": 1, "is_good": false}),
        )
        .await;
    for _ in 0..3 {
        client
            .post(
                &format!("/children/{child}/tasks/{task}/activate"),
                &parent,
                None,
            )
            .await;
    }
    client
        .post(
            &format!("/children/{other_child}/tasks/{penalty}/activate"),
            &parent,
            None,
        )
        .await;
    let unknown_task = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let (status, _) = client
        .call(
            Method::POST,
            &format!("/children/{child}/tasks/{unknown_task}/activate"),
            &parent,
            None,
        )
        .await;
    assert_eq!(status, 404);
    // One live stream, held open through the scrapes.
    let stream = client
        .http
        .get(client.url("/events"))
        .bearer_auth(&parent)
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(stream.status().as_u16(), 200);

    // Guarded on the main listener.
    let main = client.url("/metrics");
    assert_eq!(get_text(&client, &main, None).await.0, 401);
    assert_eq!(get_text(&client, &main, Some("not-a-token")).await.0, 401);
    assert_eq!(get_text(&client, &main, Some(&parent)).await.0, 403);
    let (status, guarded) = get_text(&client, &main, Some(ADMIN)).await;
    assert_eq!(status, 200, "{guarded}");
    Metrics::parse(&guarded);
    // Another method: 405 naming the one the OpenAPI document gives, as on every other route.
    let refused = client
        .http
        .post(&main)
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status().as_u16(), 405);
    assert_eq!(refused.headers().get("allow").unwrap(), "GET");

    // Open on the metrics listener, which serves nothing else.
    let open = metrics_base(&server);
    assert_eq!(
        get_text(&client, &format!("{open}/health"), None).await.0,
        404
    );
    // An answer does not wait for the history's own sync, which follows: scraped until the
    // history's four lines are durable.
    let mut metrics;
    let mut scrapes = 0;
    loop {
        let (status, text) = get_text(&client, &format!("{open}/metrics"), None).await;
        assert_eq!(status, 200, "{text}");
        metrics = Metrics::parse(&text);
        let history = [("log", "history")];
        let synced = match metrics.find("tracking_store_group_commit_size_sum", &history)[..] {
            [] => 0.0,
            _ => metrics.value("tracking_store_group_commit_size_sum", &history),
        };
        if synced >= 4.0 {
            break;
        }
        scrapes += 1;
        assert!(
            scrapes < 3000,
            "only {synced} history lines synced after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let recorded = |entity, action| {
        metrics.value(
            "tracking_events_recorded_total",
            &[("entity_type", entity), ("action", action)],
        )
    };
    assert_eq!(recorded("task", "activated"), 3.0);
    assert_eq!(recorded("penalty", "activated"), 1.0);

    let activations = |status| [("method", "POST"), ("route", ACTIVATE), ("status", status)];
    assert_eq!(
        metrics.value("http_requests_total", &activations("200")),
        4.0
    );
    assert_eq!(
        metrics.value("http_requests_total", &activations("404")),
        1.0
    );
    assert_eq!(
        metrics.histogram_total("http_request_duration_seconds", &activations("200")),
        4.0
    );
    assert_eq!(
        metrics.value("http_request_duration_seconds_count", &activations("200")),
        4.0
    );
    let metrics_route = |status| [("method", "GET"), ("route", "/metrics"), ("status", status)];
    assert_eq!(
        metrics.value("http_requests_total", &metrics_route("401")),
        2.0
    );
    assert_eq!(
        metrics.value("http_requests_total", &metrics_route("403")),
        1.0
    );
    assert_eq!(
        metrics.value("http_requests_total", &metrics_route("200")),
        1.0
    );
    // Route patterns, never raw paths: no id appears in any label.
    for sample in &metrics.0.samples {
        let labels = format!("{:?}", sample.labels);
        for id in [&child, &other_child, &task, &penalty] {
            assert!(!labels.contains(id.as_str()), "{} {labels}", sample.metric);
        }
    }

    // The store: four history lines, each written once, made durable by syncs adding up to four.
    let history = [("log", "history")];
    assert_eq!(
        metrics.histogram_total("tracking_store_commit_duration_seconds", &history),
        4.0
    );
    assert_eq!(
        metrics.value("tracking_store_group_commit_size_sum", &history),
        4.0
    );
    assert!(metrics.histogram_total("tracking_store_sync_duration_seconds", &history) >= 1.0);
    let journal = [("log", "journal")];
    assert!(metrics.histogram_total("tracking_store_commit_duration_seconds", &journal) >= 9.0);
    assert_eq!(metrics.value("tracking_history_events", &[]), 4.0);
    // The lines of the file, not the zeros the open store preallocated after them.
    let file = std::fs::read(dirs.data().join("tracking_events.jsonl")).unwrap();
    let lines = file
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |at| at + 1);
    assert!(file[lines..].iter().all(|&byte| byte == 0));
    assert_eq!(metrics.value("tracking_history_bytes", &[]), lines as f64);

    // Backlogs and streams.
    assert_eq!(metrics.value("tracking_outbox_backlog", &[]), 0.0);
    assert_eq!(metrics.value("tracking_live_streams_open", &[]), 1.0);
    metrics.value("tracking_live_stream_backlog", &[]);
    metrics.value("tracking_audit_backlog", &[]);
    assert_eq!(metrics.value("tracking_idempotent_replays_total", &[]), 0.0);

    let described: HashMap<&str, bool> = [
        "http_requests_total",
        "http_request_duration_seconds",
        "tracking_events_recorded_total",
        "tracking_store_commit_duration_seconds",
        "tracking_store_group_commit_size",
        "tracking_history_events",
        "tracking_outbox_backlog",
    ]
    .into_iter()
    .map(|metric| (metric, metrics.has_help(metric)))
    .collect();
    assert!(described.values().all(|&has| has), "{described:?}");
    drop(stream);
}

/// `GET /metrics` on the main listener with the admin token, parsed.
async fn admin_scrape(client: &Client) -> Metrics {
    let (status, text) = get_text(client, &client.url("/metrics"), Some(ADMIN)).await;
    assert_eq!(status, 200, "{text}");
    Metrics::parse(&text)
}

#[actix_rt::test]
async fn each_idempotent_replay_is_counted() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let client = Client::new(server.base());
    let parent = client
        .post("/admin/users", ADMIN, Some(json!({"name": "Alex"})))
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let child = client
        .create("/children", &parent, json!({"name": "Sam"}))
        .await;
    let task = client
        .create(
            "/tasks",
            &parent,
            json!({"name": "Make bed", "points": 2, "is_good": true}),
        )
        .await;
    let path = format!("/children/{child}/tasks/{task}/activate");
    assert_eq!(
        admin_scrape(&client)
            .await
            .value("tracking_idempotent_replays_total", &[]),
        0.0
    );
    let answers = [
        ("first", false),
        ("first", true),
        ("first", true),
        ("second", false),
        ("first", true),
    ];
    for (key, replay) in answers {
        let (status, body, replayed) = client.post_keyed(&path, &parent, key).await.unwrap();
        assert_eq!((status, replayed), (200, replay), "{key}: {body}");
    }
    let metrics = admin_scrape(&client).await;
    assert_eq!(metrics.value("tracking_idempotent_replays_total", &[]), 3.0);
    assert_eq!(
        metrics.value(
            "tracking_events_recorded_total",
            &[("entity_type", "task"), ("action", "activated")]
        ),
        2.0
    );
}

#[actix_rt::test]
async fn metrics_off_records_nothing_and_serves_no_route() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &["--metrics".to_owned(), "off".to_owned()]);
    let client = Client::new(server.base());
    let (status, body) = get_text(&client, &client.url("/metrics"), Some(ADMIN)).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        !server
            .stderr_lines()
            .iter()
            .any(|line| line.contains("metrics served at"))
    );
}

#[test]
fn a_metrics_address_without_metrics_is_refused() {
    let dirs = Dirs::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tracking-server"))
        .args(["--bind", "127.0.0.1:0", "--admin-token", ADMIN])
        .args(["--metrics", "off", "--metrics-bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dirs.data())
        .arg("--log-dir")
        .arg(dirs.logs())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--metrics-bind needs --metrics on"));
}
