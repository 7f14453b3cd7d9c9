//! The server's configuration: defaults, then flags, each with an environment variable.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Task and reward tracking server.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
pub struct Settings {
    /// Address and port to listen on; port 0 picks a free one.
    #[arg(long, env = "TRACKING_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Directory of the family data and the tracking history.
    #[arg(long, env = "TRACKING_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Directory of the per-user audit log files.
    #[arg(long, env = "TRACKING_LOG_DIR", default_value = "./logs")]
    pub log_dir: PathBuf,
    /// The operator's token for /admin routes, at least 32 characters. Without it, the first
    /// start generates one, prints it once, and keeps only its hash in the data dir.
    #[arg(long, env = "TRACKING_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// Size at which an audit log file rolls over, in bytes.
    #[arg(long, env = "TRACKING_AUDIT_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub audit_max_bytes: u64,
    /// Rolled-over audit files kept per user (`.log.1` … `.log.N`).
    #[arg(long, env = "TRACKING_AUDIT_BACKUPS", default_value_t = 5)]
    pub audit_backups: u32,
    /// Audit files kept open at once; the least recently used one closes past this.
    #[arg(long, env = "TRACKING_AUDIT_MAX_OPEN_FILES", default_value_t = 256)]
    pub audit_max_open_files: usize,
    /// Front-end origins allowed by CORS, comma-separated; none by default.
    #[arg(long, env = "TRACKING_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// `durable`: nothing is answered before it is on disk. `interval`: flushed to the OS at
    /// once and synced every second, so a power cut may lose the last second.
    #[arg(long, env = "TRACKING_DURABILITY", value_enum, default_value_t = Durability::Durable)]
    pub durability: Durability,
    /// Size in bytes past which the family journal is compacted into a snapshot.
    #[arg(long, env = "TRACKING_JOURNAL_COMPACT_BYTES", default_value_t = 4 << 20)]
    pub journal_compact_bytes: u64,
    /// Load the demo family from fixtures/demo_family.json when the store has no users yet.
    #[arg(long, env = "TRACKING_DEMO")]
    pub demo: bool,
    /// HTTP worker threads; the number of cores by default.
    #[arg(long, env = "TRACKING_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds between keep-alive comments on live event streams, 1 to 15.
    #[arg(long, env = "TRACKING_SSE_KEEP_ALIVE_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=15))]
    pub sse_keep_alive_seconds: u64,
    /// Open connections the server accepts at most, over all workers; more wait in the backlog.
    #[arg(long, env = "TRACKING_MAX_CONNECTIONS", default_value_t = 8192)]
    pub max_connections: usize,
    /// Milliseconds a client has to send a whole request head before it is dropped (slow clients).
    #[arg(long, env = "TRACKING_REQUEST_TIMEOUT_MS", default_value_t = 5000)]
    pub request_timeout_ms: u64,
    /// Live event streams one parent may have open; one more closes that parent's oldest.
    #[arg(long, env = "TRACKING_MAX_STREAMS_PER_USER", default_value_t = 64)]
    pub max_streams_per_user: usize,
    /// Seconds to let in-flight requests finish on shutdown.
    #[arg(long, env = "TRACKING_SHUTDOWN_SECONDS", default_value_t = 10)]
    pub shutdown_seconds: u64,
}

/// How writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    Durable,
    Interval,
}

/// A secret from the command line or environment; `Debug` never prints it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Settings {
    /// The defaults with these directories, for tests and embedders.
    pub fn for_dirs(data_dir: impl Into<PathBuf>, log_dir: impl Into<PathBuf>) -> Self {
        let mut settings = Self::parse_from(["tracking-server"]);
        settings.data_dir = data_dir.into();
        settings.log_dir = log_dir.into();
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let settings = Settings::parse_from([
            "tracking-server",
            "--admin-token",
            "super-secret-value-of-32-chars!!",
        ]);
        assert!(!format!("{settings:?}").contains("super-secret"));
    }

    #[test]
    fn defaults_match_the_contract() {
        let settings = Settings::parse_from(["tracking-server"]);
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
        assert_eq!(settings.log_dir, PathBuf::from("./logs"));
        assert_eq!(
            (settings.audit_max_bytes, settings.audit_backups),
            (10 * 1024 * 1024, 5)
        );
    }
}
