//! `tracking-server import` as operators run it (cargo feature `postgres`, a schema of its own in
//! `TRACKING_TEST_DATABASE_URL`): a data dir written by a stopped server moves into PostgreSQL,
//! both sides print the same census and the command succeeds; run again, it refuses the database
//! that now holds data and fails.

mod support;

use std::process::{Command, Output};

use serde_json::json;
use support::{ADMIN, Client, Dirs, Server};

const DATABASE_URL: &str = "TRACKING_TEST_DATABASE_URL";

fn import(dirs: &Dirs, url: &str, schema: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracking-server"))
        .arg("import")
        .arg("--from")
        .arg(dirs.data())
        .args(["--database-url", url, "--database-schema", schema])
        .output()
        .expect("the binary runs")
}

/// The census a side printed: its line after `label`.
fn side<'a>(printed: &'a str, label: &str) -> &'a str {
    printed
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in {printed}"))
        .trim()
}

async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&mut connection)
    .await
    .unwrap();
}

#[actix_rt::test]
async fn the_import_command_moves_a_data_dir_and_refuses_to_move_it_twice() {
    let url = std::env::var(DATABASE_URL).unwrap_or_else(|_| {
        panic!("{DATABASE_URL} is not set (scripts/postgres.sh starts a database and prints one)")
    });
    let schema = format!(
        "import_{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let dirs = Dirs::new();
    let mut server = Server::start(&dirs, &[]);
    let client = Client::new(server.base());
    let created = client
        .post("/admin/users", ADMIN, Some(json!({"name": "Alex"})))
        .await;
    let token = created["token"].as_str().unwrap().to_owned();
    let child = client
        .create("/children", &token, json!({"name": "Sam"}))
        .await;
    let task = client
        .create(
            "/tasks",
            &token,
            json!({"name": "Make bed", "points": 5, "is_good": true}),
        )
        .await;
    client
        .post(&format!("/children/{child}/tokens"), &token, None)
        .await;
    for _ in 0..3 {
        client
            .post(
                &format!("/children/{child}/tasks/{task}/activate"),
                &token,
                None,
            )
            .await;
    }
    server.signal("TERM");
    assert!(server.wait().success());

    let moved = import(&dirs, &url, &schema);
    let printed = String::from_utf8_lossy(&moved.stdout).into_owned();
    let again = import(&dirs, &url, &schema);
    drop_schema(&url, &schema).await;

    assert!(
        moved.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let files = side(&printed, "files:");
    assert_eq!(files, side(&printed, "database:"));
    assert!(
        files.starts_with("users 1, children 1, tasks 1,"),
        "{files}"
    );
    assert!(files.contains("child tokens 1,"), "{files}");
    assert!(files.contains("history 3 events,"), "{files}");
    assert!(printed.contains("imported: both sides agree"), "{printed}");

    assert!(!again.status.success());
    let refused = String::from_utf8_lossy(&again.stderr);
    assert!(refused.contains("already holds data"), "{refused}");
    assert!(
        !refused.contains(":tracking@"),
        "the URL's password is not printed: {refused}"
    );
}
