//! `tracking-server import --from <data dir> --database-url <url>`: moves a single-server
//! installation (the JSON-file store) into an empty PostgreSQL database, then counts both sides
//! (records, history, children's tokens, idempotency keys still kept) and sums up both histories
//! and both sets of credentials through the same reads, prints them, and fails unless they agree.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use tracking_model::Timestamp;
use tracking_store::{
    Census, FileStore, FileStoreOptions, PostgresOptions, PostgresStore, census, file_credentials,
};

use crate::settings::Secret;

/// Moves the data directory of a stopped server into an empty PostgreSQL database.
#[derive(Debug, Clone, Parser)]
#[command(name = "tracking-server import", version)]
pub struct ImportSettings {
    /// The data directory to move; its server must be stopped (the directory's lock is taken).
    #[arg(long)]
    pub from: PathBuf,
    /// The `postgres://` URL of the database to move it into; it must hold no data yet.
    #[arg(long, env = "TRACKING_DATABASE_URL", hide_env_values = true)]
    pub database_url: Secret,
    /// The schema to move it into (created if missing), instead of the connection's default.
    #[arg(long, env = "TRACKING_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,
}

/// What both sides held after the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub files: Census,
    pub database: Census,
}

/// Runs the import; the report goes to `out`. Fails, after printing both sides, when the
/// database does not read back what the files hold.
pub async fn run(settings: &ImportSettings, out: &mut impl Write) -> anyhow::Result<ImportReport> {
    let files = FileStore::open(&settings.from, FileStoreOptions::default())
        .with_context(|| format!("opening the data directory {}", settings.from.display()))?;
    let options = PostgresOptions {
        schema: settings.database_schema.clone(),
        ..PostgresOptions::new(settings.database_url.expose())
    };
    let database = PostgresStore::connect(&options)
        .await
        .context("opening the PostgreSQL store")?;
    // Keys expire with time: both sides are read at the moment the import took them at.
    let now = Timestamp::now();
    let moved = database.import_files(&files, now).await;
    let report = match moved {
        Ok(()) => {
            let files_held = file_credentials(&files, now).context("reading the files' keys")?;
            let database_held =
                (database.credentials(now).await).context("reading the database's keys")?;
            ImportReport {
                files: (census(&files, &files, &files_held).await).context("counting the files")?,
                database: (census(&database, &database, &database_held).await)
                    .context("counting the database")?,
            }
        }
        Err(error) => {
            database.close().await;
            return Err(error).context("importing");
        }
    };
    database.close().await;
    files.close().context("closing the data directory")?;
    writeln!(out, "files:    {}", report.files)?;
    writeln!(out, "database: {}", report.database)?;
    if report.files != report.database {
        bail!("the database does not read back what the files hold (both sides printed above)");
    }
    writeln!(out, "imported: both sides agree")?;
    Ok(report)
}
