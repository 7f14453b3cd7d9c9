//! A fresh schema per test in the database named by `TRACKING_TEST_DATABASE_URL` (for instance
//! the one `scripts/postgres.sh` prints), so that tests run in parallel and leave nothing behind.
//! Without the variable a test fails: a build with the `postgres` feature means to test it.

use tracking_store::PostgresOptions;

/// The environment variable naming the test database.
pub const DATABASE_URL: &str = "TRACKING_TEST_DATABASE_URL";

/// A schema of its own, dropped with everything in it when this is dropped.
#[derive(Debug)]
pub struct TestSchema {
    url: String,
    name: String,
}

impl TestSchema {
    pub fn new() -> Self {
        let url = std::env::var(DATABASE_URL).unwrap_or_else(|_| {
            panic!(
                "{DATABASE_URL} is not set: the postgres feature's tests need a database \
                 (scripts/postgres.sh starts one and prints its URL)"
            )
        });
        let name = format!(
            "test_{}",
            tracking_model::UserId::generate()
                .to_string()
                .to_lowercase()
        );
        Self { url, name }
    }

    /// Options for a store in this schema.
    pub fn options(&self) -> PostgresOptions {
        PostgresOptions {
            url: self.url.clone(),
            schema: Some(self.name.clone()),
            max_connections: 4,
        }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Its own thread and runtime: a test's runtime may be shutting down.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
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
            panic!("the test schema {} was not dropped: {dropped:?}", self.name);
        }
    }
}
