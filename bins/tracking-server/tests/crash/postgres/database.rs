//! The crash test's database: its URL (`TRACKING_TEST_CRASH_DATABASE_URL`), the cluster that
//! serves it (found by its port, and never the shared `main`), the immediate restart of that
//! cluster, and a schema of its own for the run.

use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;

pub const DATABASE_URL: &str = "TRACKING_TEST_CRASH_DATABASE_URL";

/// The database the run uses and the cluster it restarts.
pub struct Database {
    pub url: String,
    /// A fresh schema for this run's tables, dropped at the end.
    pub schema: String,
    /// `pg_ctlcluster`'s version and cluster name.
    version: String,
    cluster: String,
}

impl Database {
    /// The database in `TRACKING_TEST_CRASH_DATABASE_URL` (without it the test fails) and the
    /// local cluster listening on its port.
    pub fn from_env() -> Self {
        let url = std::env::var(DATABASE_URL).unwrap_or_else(|_| {
            panic!(
                "{DATABASE_URL} is not set: the crash test on PostgreSQL restarts its database, \
                 so it needs a cluster of its own (scripts/postgres-crash-cluster.sh makes one \
                 and prints its URL)"
            )
        });
        let options: PgConnectOptions = url
            .parse()
            .unwrap_or_else(|error| panic!("{DATABASE_URL} is not a PostgreSQL URL: {error}"));
        let port = options.get_port();
        let (version, cluster) = cluster_on_port(port);
        assert_ne!(
            cluster, "main",
            "{DATABASE_URL} names a database of cluster {version}/main, which other tests share: \
             the crash test restarts its cluster, give it one of its own \
             (scripts/postgres-crash-cluster.sh)"
        );
        let schema = format!(
            "crash_{}",
            ulid::Ulid::generate().to_string().to_lowercase()
        );
        Self {
            url,
            schema,
            version,
            cluster,
        }
    }

    /// `version/cluster`, for the report.
    pub fn cluster(&self) -> String {
        format!("{}/{}", self.version, self.cluster)
    }

    /// `pg_ctlcluster VERSION CLUSTER restart -m immediate`: every backend is killed at once (no
    /// checkpoint, crash recovery at the start), as in a crash of the database's host; returns
    /// once the cluster accepts connections again, and how long that took. The command runs on
    /// a thread of its own so that the load goes on meanwhile.
    pub async fn restart_immediately(&self) -> Duration {
        let since = Instant::now();
        let mut command = Command::new("pg_ctlcluster");
        command.args([&self.version, &self.cluster, "restart", "-m", "immediate"]);
        let restarting = std::thread::spawn(move || command.output());
        while !restarting.is_finished() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let output = restarting
            .join()
            .expect("the restart's thread does not panic")
            .expect("pg_ctlcluster runs (the test runs as root or as the cluster's owner)");
        assert!(
            output.status.success(),
            "pg_ctlcluster {} restart -m immediate failed: {}",
            self.cluster(),
            String::from_utf8_lossy(&output.stderr)
        );
        since.elapsed()
    }

    /// Ends the database side of the audit writer's lock (`pg_terminate_backend` of the session
    /// holding it), as a network partition or an administrator would: PostgreSQL releases the
    /// lock at once, while the server that held it learns of it only when it next uses that
    /// connection. Returns how many sessions were ended.
    pub async fn end_audit_writer_session(&self) -> u64 {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&self.url)
            .await
            .expect("the crash test connects to its database");
        // The lock's first key is the audit writer's (writer_lock.rs); the run's schema is the
        // only one on this cluster's database that the test uses.
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND classid = 1953653099 AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_all(&mut connection)
        .await
        .expect("pg_terminate_backend");
        let _ = connection.close().await;
        ended.into_iter().filter(|&ended| ended).count() as u64
    }

    /// Drops the run's schema.
    pub fn drop_schema(&self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use sqlx::Connection;
                let mut connection = sqlx::PgConnection::connect(&url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&mut connection)
                .await?;
                connection.close().await
            })
        })
        .join();
        assert!(
            matches!(dropped, Ok(Ok(()))),
            "the schema {} was not dropped: {dropped:?}",
            self.schema
        );
    }
}

/// The version and name of the local cluster listening on `port` (`pg_lsclusters`).
fn cluster_on_port(port: u16) -> (String, String) {
    let output = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .expect("pg_lsclusters runs (PostgreSQL's Debian tools are installed)");
    let listing = String::from_utf8_lossy(&output.stdout);
    listing
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|columns| columns.get(2) == Some(&port.to_string().as_str()))
        .map(|columns| (columns[0].to_owned(), columns[1].to_owned()))
        .unwrap_or_else(|| {
            panic!("no local PostgreSQL cluster listens on port {port}; pg_lsclusters:\n{listing}")
        })
}
