//! Opens the store the server runs on: the durable JSON-file store in the data dir.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracking_store::{Durability as StoreDurability, FileStore, FileStoreOptions};

use crate::settings::{Durability, Settings};

/// How often the `interval` durability mode syncs to disk.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// The store of the family data and the history, in the data dir.
pub fn open(settings: &Settings) -> anyhow::Result<Arc<FileStore>> {
    let durability = match settings.durability {
        Durability::Durable => StoreDurability::Durable,
        Durability::Interval => StoreDurability::Interval(SYNC_INTERVAL),
    };
    let options = FileStoreOptions {
        durability,
        compact_after_bytes: settings.journal_compact_bytes,
    };
    let store = FileStore::open(&settings.data_dir, options)
        .with_context(|| format!("opening the data directory {}", settings.data_dir.display()))?;
    let report = store.open_report();
    log::info!(
        "opened {}: {} tracking events, {} journal lines replayed, {} events in the outbox",
        settings.data_dir.display(),
        report.history_events,
        report.journal_lines,
        report.outbox
    );
    Ok(Arc::new(store))
}
