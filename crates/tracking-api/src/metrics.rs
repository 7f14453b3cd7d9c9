//! What the recording pipeline reports through the `metrics` facade: events recorded, idempotent
//! replays, and the backlogs sampled by [`record_backlogs`]. Nothing is recorded until the
//! embedder installs a recorder (the server does, with a Prometheus exporter).

use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};
use tracking_model::TrackingEvent;

use crate::Tracker;

/// Tracking events recorded, by `entity_type` and `action`.
pub const EVENTS_RECORDED: &str = "tracking_events_recorded_total";
/// Mutations answered again from their idempotency key instead of being applied twice.
pub const IDEMPOTENT_REPLAYS: &str = "tracking_idempotent_replays_total";
/// Events committed with their mutation but not yet in the history (the outbox).
pub const OUTBOX_BACKLOG: &str = "tracking_outbox_backlog";
/// Audit lines queued but not yet written.
pub const AUDIT_BACKLOG: &str = "tracking_audit_backlog";
/// Live events queued on open streams but not yet sent to their clients.
pub const STREAM_BACKLOG: &str = "tracking_live_stream_backlog";
/// Open live event streams.
pub const OPEN_STREAMS: &str = "tracking_live_streams_open";

/// The pipeline's counters, with their help text.
const COUNTERS: [(&str, &str); 2] = [
    (
        EVENTS_RECORDED,
        "tracking events recorded, by entity_type and action",
    ),
    (
        IDEMPOTENT_REPLAYS,
        "mutations answered again from their idempotency key instead of being applied twice",
    ),
];

/// The pipeline's gauges, with their help text.
const GAUGES: [(&str, &str); 4] = [
    (
        OUTBOX_BACKLOG,
        "tracking events committed but not yet in the history (retried every second)",
    ),
    (AUDIT_BACKLOG, "audit lines queued but not yet written"),
    (
        STREAM_BACKLOG,
        "live events queued on open streams but not yet sent",
    ),
    (OPEN_STREAMS, "open live event streams"),
];

/// Registers the help text of the pipeline's metrics (all of them counts) with the installed
/// recorder.
pub fn describe_metrics() {
    for (name, help) in COUNTERS {
        describe_counter!(name, Unit::Count, help);
    }
    for (name, help) in GAUGES {
        describe_gauge!(name, Unit::Count, help);
    }
    // Present from the start, so that a rate over it is defined before the first replay.
    counter!(IDEMPOTENT_REPLAYS).absolute(0);
}

/// Counts one recorded event under its entity type and action.
pub(crate) fn count_recorded(event: &TrackingEvent) {
    counter!(
        EVENTS_RECORDED,
        "entity_type" => event.entity_type().as_str(),
        "action" => event.action().as_str()
    )
    .increment(1);
}

/// Counts one mutation answered from its idempotency key.
pub fn count_idempotent_replay() {
    counter!(IDEMPOTENT_REPLAYS).increment(1);
}

/// Sets the backlog gauges from the tracker's state now (call it before each scrape).
pub async fn record_backlogs(tracker: &Tracker) {
    match tracker.backlog().await {
        Ok(outbox) => gauge!(OUTBOX_BACKLOG).set(outbox as f64),
        Err(error) => log::warn!("outbox backlog not measured: {error}"),
    }
    gauge!(AUDIT_BACKLOG).set(tracker.audit_backlog() as f64);
    gauge!(STREAM_BACKLOG).set(tracker.hub().stream_backlog() as f64);
    gauge!(OPEN_STREAMS).set(tracker.hub().open_streams() as f64);
}
