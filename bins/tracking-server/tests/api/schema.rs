//! A schema of its own in the test database (`TRACKING_TEST_DATABASE_URL`; without it the tests
//! that need one fail), dropped at the end, and servers on it.

use crate::helpers::{Dirs, TestApp, spawn_app_with};

const DATABASE_URL: &str = "TRACKING_TEST_DATABASE_URL";

/// A schema of its own in the test database, dropped at the end.
#[derive(Debug)]
pub struct Schema {
    pub url: String,
    pub name: String,
}

impl Schema {
    pub fn new() -> Self {
        let url = std::env::var(DATABASE_URL).unwrap_or_else(|_| {
            panic!(
                "{DATABASE_URL} is not set (scripts/postgres.sh starts a database and prints one)"
            )
        });
        let name = format!("api_{}", ulid::Ulid::generate().to_string().to_lowercase());
        Self { url, name }
    }

    /// Starts a server on this schema, with directories of its own (the single-server suite's
    /// tests of several servers start them one by one).
    #[allow(dead_code)]
    pub async fn server(&self) -> TestApp {
        self.server_logging_to(None).await
    }

    /// Starts a server on this schema writing its audit files into `log_dir` (which other
    /// servers may share) instead of a directory of its own.
    #[allow(dead_code)]
    pub async fn server_logging_to(&self, log_dir: Option<std::path::PathBuf>) -> TestApp {
        let (url, name) = (self.url.clone(), self.name.clone());
        spawn_app_with(Dirs::new(), move |settings| {
            settings.database_url = Some(url.parse().unwrap());
            settings.database_schema = Some(name.clone());
            settings.database_connections = 4;
            if let Some(log_dir) = &log_dir {
                settings.log_dir = log_dir.clone();
            }
        })
        .await
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use sqlx::Connection;
                let mut connection = sqlx::PgConnection::connect(&url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .execute(&mut connection)
                .await?;
                connection.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("the schema {} was not dropped: {dropped:?}", self.name);
        }
    }
}
