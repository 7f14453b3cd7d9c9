//! Opens the store the server runs on: the durable JSON-file store in the data dir.

use std::sync::Arc;
use std::time::Duration;

use std::path::Path;

use anyhow::{Context, bail};
use tracking_store::{Durability as StoreDurability, FileStore, FileStoreOptions};

use crate::settings::{Durability, Settings};

/// How often the `interval` durability mode syncs to disk.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Refuses a data dir that other users can write: they could replace the token hashes, the family
/// data or the history. A missing dir is fine (it is created private).
pub fn refuse_shared_data_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(dir) {
        Ok(metadata) => metadata.permissions().mode(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("reading the data directory {}", dir.display()));
        }
    };
    if mode & 0o002 != 0 {
        bail!(
            "the data directory {} is writable by other users (mode {:o}); make it private, e.g. chmod 700 {}",
            dir.display(),
            mode & 0o7777,
            dir.display()
        );
    }
    Ok(())
}

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
