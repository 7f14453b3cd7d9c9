//! Opens the store the server runs on: the durable JSON-file store in the data dir, or with
//! `--database-url` the PostgreSQL store (cargo feature `postgres`).

use std::sync::Arc;
use std::time::Duration;

use std::path::Path;

use anyhow::{Context, bail};
use tracking_api::Tickets;
use tracking_store::{
    Durability as StoreDurability, FamilyRepository, FileStore, FileStoreOptions, HistorySize,
    TrackingRepository,
};

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

/// The store of the family data and the history.
#[derive(Debug, Clone)]
pub enum Store {
    Files(Arc<FileStore>),
    #[cfg(feature = "postgres")]
    Postgres(Arc<tracking_store::PostgresStore>),
}

impl Store {
    pub fn family(&self) -> Arc<dyn FamilyRepository> {
        match self {
            Self::Files(store) => store.clone(),
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => store.clone(),
        }
    }

    /// Where the event tickets are kept: in this process on files; in the database on
    /// PostgreSQL, so that a ticket one server issued opens a stream on any other.
    pub fn tickets(&self) -> Tickets {
        match self {
            Self::Files(_) => Tickets::default(),
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => Tickets::kept_in(store.clone()),
        }
    }

    pub fn history(&self) -> Arc<dyn TrackingRepository> {
        match self {
            Self::Files(store) => store.clone(),
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => store.clone(),
        }
    }

    /// The history file's size; `None` for a database, which measures itself.
    pub fn history_size(&self) -> Option<HistorySize> {
        match self {
            Self::Files(store) => Some(store.history_size()),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => None,
        }
    }

    /// Syncs and closes the store; later writes are refused.
    pub async fn close(self) -> anyhow::Result<()> {
        match self {
            Self::Files(store) => tokio::task::spawn_blocking(move || store.close())
                .await
                .context("closing the store")?
                .context("closing the store"),
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => {
                store.close().await;
                Ok(())
            }
        }
    }
}

/// The store the settings name: the database of `--database-url`, else the data dir's files.
pub async fn open(settings: &Settings) -> anyhow::Result<Store> {
    match &settings.database_url {
        Some(url) => open_database(url.expose(), settings).await,
        None => open_files(settings),
    }
}

fn open_files(settings: &Settings) -> anyhow::Result<Store> {
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
    Ok(Store::Files(Arc::new(store)))
}

/// Connects to the database and applies the migrations it lacks.
#[cfg(feature = "postgres")]
async fn open_database(url: &str, settings: &Settings) -> anyhow::Result<Store> {
    use tracking_store::{PostgresOptions, PostgresStore};
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--database-url must be a postgres:// or postgresql:// URL");
    }
    let options = PostgresOptions {
        schema: settings.database_schema.clone(),
        max_connections: settings.database_connections,
        ..PostgresOptions::new(url)
    };
    let store = PostgresStore::connect(&options)
        .await
        .context("opening the PostgreSQL store")?;
    log::info!(
        "opened the PostgreSQL store{}",
        settings
            .database_schema
            .as_ref()
            .map_or_else(String::new, |schema| format!(" in schema {schema}"))
    );
    Ok(Store::Postgres(Arc::new(store)))
}

#[cfg(not(feature = "postgres"))]
async fn open_database(_url: &str, _settings: &Settings) -> anyhow::Result<Store> {
    bail!(
        "--database-url needs the PostgreSQL store, which this build leaves out: build with `cargo build --release -p tracking-server --features postgres`"
    )
}
