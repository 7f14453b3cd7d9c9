//! Prometheus metrics: the process's recorder, the request counts and latencies by route pattern
//! and status, and `GET /metrics` (behind the admin token on the main listener, open on the
//! metrics listener of `--metrics-bind`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::storage::Store;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use metrics::{
    Counter, Histogram, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
    histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracking_api::{Admin, Tracker};

/// Requests answered, by `method`, `route` (the route pattern, not the raw path, with its
/// parameters written `:name`) and `status`.
pub const REQUESTS: &str = "http_requests_total";
/// Seconds from a request's arrival to its answer's head, by `method`, `route` and `status`.
pub const REQUEST_SECONDS: &str = "http_request_duration_seconds";
/// Events in the tracking history.
pub const HISTORY_EVENTS: &str = "tracking_history_events";
/// Bytes of the tracking history file.
pub const HISTORY_BYTES: &str = "tracking_history_bytes";

/// The `route` label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// Latency buckets in seconds: from a fast read to a slow disk.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Buckets of lines per `fdatasync`.
const GROUP_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// How often the recorder drops what the last scrape already took, so memory stays flat
/// when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed on the first call (before the store opens, so
/// the store's metrics are registered with it). `None` if another recorder was installed first.
pub fn recorder() -> Option<PrometheusHandle> {
    RECORDER.get_or_init(install).clone()
}

fn install() -> Option<PrometheusHandle> {
    let installed = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(
                Matcher::Full(tracking_store::GROUP_COMMIT_SIZE.into()),
                GROUP_BUCKETS,
            )
        })
        .and_then(PrometheusBuilder::install_recorder);
    let handle = match installed {
        Ok(handle) => handle,
        Err(error) => {
            log::error!("metrics are not recorded: {error}");
            return None;
        }
    };
    describe_metrics();
    tracking_api::metrics::describe_metrics();
    tracking_store::describe_metrics();
    let upkeep = handle.clone();
    let started = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        });
    if let Err(error) = started {
        log::warn!("metrics upkeep thread not started: {error}");
    }
    Some(handle)
}

fn describe_metrics() {
    describe_counter!(
        REQUESTS,
        Unit::Count,
        "requests answered, by method, route pattern and status"
    );
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "time from a request's arrival to its answer's head, by method, route pattern and status"
    );
    describe_gauge!(
        HISTORY_EVENTS,
        Unit::Count,
        "events in the tracking history"
    );
    describe_gauge!(
        HISTORY_BYTES,
        Unit::Bytes,
        "bytes of the tracking history file"
    );
}

/// What `GET /metrics` renders: the recorder, and where the sampled gauges come from.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
    tracker: Arc<Tracker>,
    store: Store,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new(handle: PrometheusHandle, tracker: Arc<Tracker>, store: Store) -> Self {
        Self {
            handle,
            tracker,
            store,
        }
    }

    /// Samples the backlogs and the store's size, then renders every metric.
    async fn render(&self) -> String {
        tracking_api::metrics::record_backlogs(&self.tracker).await;
        if let Some(size) = self.store.history_size() {
            gauge!(HISTORY_EVENTS).set(size.events as f64);
            gauge!(HISTORY_BYTES).set(size.bytes as f64);
        }
        self.handle.render()
    }

    async fn answer(&self) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ))
            .body(self.render().await)
    }
}

/// `GET /metrics` on the main listener: the admin token only.
pub async fn guarded(_: Admin, metrics: web::Data<Metrics>) -> HttpResponse {
    metrics.answer().await
}

/// `GET /metrics` on the metrics listener, whose address is the protection.
pub async fn open(metrics: web::Data<Metrics>) -> HttpResponse {
    metrics.answer().await
}

/// Middleware counting each request and timing it until its answer's head, under its route
/// pattern (so ids in paths never become label values) and status.
///
/// Each worker thread keeps the counter and histogram of every (method, route, status) it has
/// answered, so a request costs one map lookup instead of building three labels and looking
/// them up in the recorder's registry twice.
pub async fn record_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    let answered = next.call(request).await;
    let key = match &answered {
        Ok(response) => SeriesKey {
            method,
            pattern: response.request().match_pattern(),
            status: response.status().as_u16(),
        },
        Err(error) => SeriesKey {
            method,
            pattern: None,
            status: error.as_response_error().status_code().as_u16(),
        },
    };
    let elapsed = started.elapsed();
    SERIES.with_borrow_mut(|series| {
        let found = match series.get(&key) {
            Some(found) => found,
            None => series
                .entry(key)
                .or_insert_with_key(RequestSeries::register),
        };
        found.count.increment(1);
        found.seconds.record(elapsed);
    });
    answered
}

/// One (method, route pattern, status) of `http_requests_total` and `http_request_duration_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    method: &'static str,
    /// The matched route's pattern; `None` when no route matched.
    pattern: Option<String>,
    status: u16,
}

/// The handles of one series, registered with the recorder once per worker thread.
struct RequestSeries {
    count: Counter,
    seconds: Histogram,
}

impl RequestSeries {
    fn register(key: &SeriesKey) -> Self {
        let labels = [
            ("method", key.method.to_owned()),
            (
                "route",
                key.pattern
                    .as_deref()
                    .map_or_else(|| UNMATCHED.to_owned(), route_label),
            ),
            ("status", key.status.to_string()),
        ];
        Self {
            count: counter!(REQUESTS, &labels),
            seconds: histogram!(REQUEST_SECONDS, &labels),
        }
    }
}

thread_local! {
    static SERIES: RefCell<HashMap<SeriesKey, RequestSeries>> = RefCell::new(HashMap::new());
}

/// The `method` label: the methods of RFC 9110 and PATCH by name, any other as `other`, so a
/// client inventing methods cannot grow the number of series.
fn method_label(method: &Method) -> &'static str {
    static KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

/// A route pattern as a label value: each `{name}` or `{name:regex}` segment becomes `:name`, so
/// the value carries no braces or regular expressions (which some exposition parsers trip on).
fn route_label(pattern: &str) -> String {
    let mut label = String::with_capacity(pattern.len());
    let mut depth = 0_usize;
    let mut in_name = false;
    for character in pattern.chars() {
        match character {
            '{' => {
                if depth == 0 {
                    label.push(':');
                    in_name = true;
                }
                depth += 1;
            }
            '}' => depth = depth.saturating_sub(1),
            ':' if depth > 0 => in_name = false,
            _ if depth == 0 => label.push(character),
            _ if in_name => label.push(character),
            _ => {}
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::{Method, method_label, route_label};

    #[test]
    fn method_labels_name_the_standard_methods_and_fold_the_rest() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let invented = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&invented), "other");
    }

    #[test]
    fn route_labels_name_the_parameters_without_braces_or_regexes() {
        assert_eq!(route_label("/admin/users"), "/admin/users");
        assert_eq!(
            route_label("/children/{child_id}/tasks/{task_id}/activate"),
            "/children/:child_id/tasks/:task_id/activate"
        );
        assert_eq!(
            route_label("/children/{child_id}/rewards/{reward_id}/{action:request|redeem|cancel}"),
            "/children/:child_id/rewards/:reward_id/:action"
        );
        assert_eq!(route_label("/x/{n:[0-9]{2}}/y"), "/x/:n/y");
    }
}
