//! Prometheus metrics: the process's recorder, the request counts and latencies by route pattern
//! and status, and `GET /metrics` (behind the admin token on the main listener, open on the
//! metrics listener of `--metrics-bind`).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::storage::Store;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
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
pub async fn record_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let answered = next.call(request).await;
    let (route, status) = match &answered {
        Ok(response) => (
            response
                .request()
                .match_pattern()
                .map_or_else(|| UNMATCHED.to_owned(), |pattern| route_label(&pattern)),
            response.status(),
        ),
        Err(error) => (
            UNMATCHED.to_owned(),
            error.as_response_error().status_code(),
        ),
    };
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.as_str().to_owned()),
    ];
    counter!(REQUESTS, &labels).increment(1);
    histogram!(REQUEST_SECONDS, &labels).record(started.elapsed());
    answered
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
    use super::route_label;

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
