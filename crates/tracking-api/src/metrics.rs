//! What the recording pipeline reports through the `metrics` facade: events recorded, idempotent
//! replays, and the backlogs sampled by [`record_backlogs`]. Nothing is recorded until the
//! embedder installs a recorder (the server does, with a Prometheus exporter), before it makes
//! the [`Tracker`], which registers its counters as it is made.

use metrics::{Counter, Unit, counter, describe_counter, describe_gauge, gauge};
use tracking_model::{Action, EntityType, TrackingEvent};

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

/// The counters of recorded events, one per entity type and action, registered once with the
/// recorder installed when they are made (looking one up per event costs a hash of its labels).
pub(crate) struct RecordedCounters(Vec<((EntityType, Action), Counter)>);

impl RecordedCounters {
    pub(crate) fn new() -> Self {
        let kinds = EntityType::ALL.into_iter().flat_map(|entity_type| {
            Action::ALL
                .into_iter()
                .filter(move |&action| entity_type.allows(action))
                .map(move |action| (entity_type, action))
        });
        Self(
            kinds
                .map(|(entity_type, action)| {
                    let counter = counter!(
                        EVENTS_RECORDED,
                        "entity_type" => entity_type.as_str(),
                        "action" => action.as_str()
                    );
                    ((entity_type, action), counter)
                })
                .collect(),
        )
    }

    /// Counts one recorded event under its entity type and action.
    pub(crate) fn count(&self, event: &TrackingEvent) {
        let kind = (event.entity_type(), event.action());
        if let Some((_, counter)) = self.0.iter().find(|(each, _)| *each == kind) {
            counter.increment(1);
        }
    }
}

impl std::fmt::Debug for RecordedCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedCounters").finish_non_exhaustive()
    }
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
