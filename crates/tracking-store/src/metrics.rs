//! What the store reports through the `metrics` facade: commit latency and group-commit size of
//! its logs. Nothing is recorded until the embedder installs a recorder before opening the store.

use metrics::{Histogram, Unit, describe_histogram, histogram};

/// Seconds from an append to its acknowledgement (durable, in the durable mode), by log.
pub const COMMIT_SECONDS: &str = "tracking_store_commit_duration_seconds";
/// Seconds one `fdatasync` of a log took, by log.
pub const SYNC_SECONDS: &str = "tracking_store_sync_duration_seconds";
/// Lines made durable together by one `fdatasync`, by log.
pub const GROUP_COMMIT_SIZE: &str = "tracking_store_group_commit_size";

/// The store's histograms, with their units and help text.
const HISTOGRAMS: [(&str, Unit, &str); 3] = [
    (
        COMMIT_SECONDS,
        Unit::Seconds,
        "time from an append to its acknowledgement, per log (journal: family commits, history: tracking events)",
    ),
    (
        SYNC_SECONDS,
        Unit::Seconds,
        "time one fdatasync of a log took",
    ),
    (
        GROUP_COMMIT_SIZE,
        Unit::Count,
        "lines made durable together by one fdatasync (group commit)",
    ),
];

/// Registers the help text of the store's metrics with the installed recorder.
pub fn describe_metrics() {
    for (name, unit, help) in HISTOGRAMS {
        describe_histogram!(name, unit, help);
    }
}

/// The histograms of one log, registered once when it opens.
pub(crate) struct LogMetrics {
    pub(crate) commit: Histogram,
    pub(crate) sync: Histogram,
    pub(crate) group: Histogram,
}

impl LogMetrics {
    /// The histograms labelled `log=name`.
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            commit: histogram!(COMMIT_SECONDS, "log" => name),
            sync: histogram!(SYNC_SECONDS, "log" => name),
            group: histogram!(GROUP_COMMIT_SIZE, "log" => name),
        }
    }
}
