//! The server's configuration: defaults, then flags, each with an environment variable.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

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
    /// A `postgres://user:password@host:port/database` URL: the family data and the history live
    /// in that PostgreSQL database (15 or newer) instead of the data dir, and several servers may
    /// share it. The schema is created and migrated at start. Needs a build with the `postgres`
    /// feature.
    #[arg(long, env = "TRACKING_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// With `--database-url`: the schema to keep the tables in (created if missing), instead of
    /// the connection's default.
    #[arg(long, env = "TRACKING_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,
    /// With `--database-url`: connections to the database this server opens at most.
    #[arg(long, env = "TRACKING_DATABASE_CONNECTIONS", default_value_t = 16)]
    pub database_connections: u32,
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
    /// Live event streams one parent may have open on this server; one more closes that parent's
    /// oldest here (with many servers, each counts its own).
    #[arg(long, env = "TRACKING_MAX_STREAMS_PER_USER", default_value_t = 64)]
    pub max_streams_per_user: usize,
    /// `on`: Prometheus metrics are recorded and served at `GET /metrics` to the admin token.
    /// `off`: nothing is recorded and there is no `/metrics`.
    #[arg(long, env = "TRACKING_METRICS", value_enum, default_value_t = MetricsMode::On)]
    pub metrics: MetricsMode,
    /// Also serves `GET /metrics` without credentials on this address alone, for a scraper on a
    /// private network.
    #[arg(long, env = "TRACKING_METRICS_BIND")]
    pub metrics_bind: Option<String>,
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

/// Whether metrics are recorded and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricsMode {
    On,
    Off,
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
    /// The defaults with these directories, for tests and embedders; the `TRACKING_*` environment
    /// variables of the calling process are not read.
    pub fn for_dirs(data_dir: impl Into<PathBuf>, log_dir: impl Into<PathBuf>) -> Self {
        let mut settings = Self::defaults();
        settings.data_dir = data_dir.into();
        settings.log_dir = log_dir.into();
        settings
    }

    /// The defaults alone, whatever the environment says.
    pub fn defaults() -> Self {
        let command = Self::command().mut_args(|arg| arg.env(None));
        let matches = command.get_matches_from(["tracking-server"]);
        Self::from_arg_matches(&matches).expect("the defaults are valid settings")
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
        let settings = Settings::defaults();
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
        assert_eq!(settings.log_dir, PathBuf::from("./logs"));
        assert_eq!(
            (settings.audit_max_bytes, settings.audit_backups),
            (10 * 1024 * 1024, 5)
        );
    }

    /// Set in the copy of this test binary that [`for_dirs_ignores_the_environment`] starts.
    const CHILD: &str = "TRACKING_SETTINGS_TEST_CHILD";

    /// Runs itself again as a child process with `TRACKING_*` variables set (a test may not set
    /// variables in its own process): the flags' fallbacks see them, `for_dirs` does not.
    #[test]
    fn for_dirs_ignores_the_environment() {
        if std::env::var_os(CHILD).is_some() {
            let from_environment = Settings::parse_from(["tracking-server"]);
            assert_eq!(from_environment.bind, "0.0.0.0:1");
            assert!(from_environment.demo);
            let settings = Settings::for_dirs("given-data", "given-logs");
            assert_eq!(settings.bind, "127.0.0.1:8080");
            assert!(!settings.demo);
            assert_eq!(settings.workers, None);
            assert_eq!(settings.durability, Durability::Durable);
            assert_eq!(settings.data_dir, PathBuf::from("given-data"));
            assert_eq!(settings.log_dir, PathBuf::from("given-logs"));
            return;
        }
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "settings::tests::for_dirs_ignores_the_environment",
            ])
            .env(CHILD, "1")
            .env("TRACKING_BIND", "0.0.0.0:1")
            .env("TRACKING_DEMO", "true")
            .env("TRACKING_WORKERS", "7")
            .env("TRACKING_DURABILITY", "interval")
            .env("TRACKING_DATA_DIR", "environment-data")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
