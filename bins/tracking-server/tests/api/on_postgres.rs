//! The HTTP contract against servers on the PostgreSQL store (cargo feature `postgres`), each test
//! in a fresh schema of the database in `TRACKING_TEST_DATABASE_URL` (without it they fail):
//! mutations and their chain, reads with filters, summaries and exports, a restart, two servers
//! sharing one database, deletion, the start-up errors of a bad URL, and `tracking-server import`.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;
use tracking_server::{Application, Settings};

use crate::helpers::{ADMIN_TOKEN, Dirs, TestApp};
use crate::schema::Schema;

/// `points_before` of each event is the `points_after` of the one before, oldest first.
fn assert_chain(events: &[Value], start: i64, end: i64) {
    let mut points = start;
    for event in events {
        assert_eq!(event["points_before"].as_i64().unwrap(), points, "{event}");
        points = event["points_after"].as_i64().unwrap();
    }
    assert_eq!(points, end);
}

#[actix_rt::test]
async fn mutations_reads_summaries_and_exports_hold_on_postgres() {
    let schema = Schema::new();
    let app = schema.server().await;
    let family = app.family("Alex").await;
    let (parent, child) = (&family.parent, family.child.as_str());
    for _ in 0..3 {
        app.activate(parent, child, &family.task).await.expect(200);
    }
    let penalized = app
        .activate(parent, child, &family.penalty)
        .await
        .expect(200);
    assert_eq!(penalized["child"]["points"], 12);
    app.reward_action(parent, child, &family.reward, "request")
        .await
        .expect(200);
    app.reward_action(parent, child, &family.reward, "request")
        .await
        .expect_error(409, "already_requested");
    let redeemed = app
        .reward_action(parent, child, &family.reward, "redeem")
        .await
        .expect(200);
    assert_eq!(redeemed["child"]["points"], 2);
    assert_eq!(redeemed["reward_request"]["status"], "redeemed");
    app.reward_action(parent, child, &family.reward, "request")
        .await
        .expect_error(409, "insufficient_points");
    assert_eq!(app.child_points(parent, child).await, 2);

    let page = app
        .child_tracking(parent, child, "?order=asc&limit=500")
        .await
        .expect(200);
    assert_eq!(page["total"], 6);
    let events = page["items"].as_array().unwrap();
    assert_chain(events, 0, 2);
    let penalties = app
        .child_tracking(parent, child, "?entity_type=penalty")
        .await
        .expect(200);
    assert_eq!(penalties["total"], 1);
    let second = app
        .child_tracking(parent, child, "?order=asc&limit=2&offset=1")
        .await
        .expect(200);
    assert_eq!(second["items"][0]["id"], events[1]["id"]);
    assert_eq!(second["items"].as_array().unwrap().len(), 2);

    // Another family sees none of it, and the admin sees it by user.
    let other = app.family("Blair").await;
    app.child_tracking(&other.parent, child, "")
        .await
        .expect_error(404, "not_found");
    let admin = app
        .admin_tracking(&format!("?user_id={}&action=redeemed", parent.id))
        .await;
    assert_eq!(admin["total"], 1);
    assert_eq!(admin["items"][0]["points_after"], 2);

    let summary = app
        .get(&format!("/children/{child}/summary"), &parent.token)
        .await
        .expect(200);
    assert_eq!(summary["points"], 2);
    let totals = &summary["totals"];
    assert_eq!(
        (
            totals["earned"].as_u64(),
            totals["lost"].as_u64(),
            totals["spent"].as_u64()
        ),
        (Some(15), Some(3), Some(10))
    );
    assert_eq!(totals["rewards_requested"], 1);

    let (status, _, body) = app
        .download(
            &format!("/children/{child}/tracking/export?format=ndjson"),
            &parent.token,
        )
        .await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let exported: Vec<&Value> = lines.iter().map(|event| &event["id"]).collect();
    let listed: Vec<&Value> = events.iter().map(|event| &event["id"]).collect();
    assert_eq!(exported, listed);
    app.stop().await;
}

#[actix_rt::test]
async fn two_servers_on_one_database_keep_one_chain_and_survive_a_restart() {
    let schema = Schema::new();
    let first = schema.server().await;
    let second = schema.server().await;
    let family = first.family("Alex").await;
    let (parent, child) = (&family.parent, family.child.as_str());
    // The second server knows the parent's token and the family.
    assert_eq!(second.child_points(parent, child).await, 0);
    // Concurrent activations of one child, alternating between the servers.
    let answers = join_all((0..24).map(|turn| {
        let server = if turn % 2 == 0 { &first } else { &second };
        let task = if turn % 3 == 0 {
            &family.penalty
        } else {
            &family.task
        };
        server.activate(parent, child, task)
    }))
    .await;
    for answer in answers {
        answer.expect(200);
    }
    let expected = 16 * 5 - 8 * 3;
    for server in [&first, &second] {
        assert_eq!(server.child_points(parent, child).await, expected);
        let page = server
            .child_tracking(parent, child, "?order=asc&limit=500")
            .await
            .expect(200);
        assert_eq!(page["total"], 24);
        assert_chain(page["items"].as_array().unwrap(), 0, expected);
    }

    // A restart reads everything back from the database.
    first.stop().await;
    let again = schema.server().await;
    assert_eq!(again.child_points(parent, child).await, expected);
    again
        .activate(parent, child, &family.task)
        .await
        .expect(200);
    assert_eq!(second.child_points(parent, child).await, expected + 5);

    // Deleting the parent on one server revokes it everywhere and anonymizes its history.
    again
        .delete(&format!("/admin/users/{}", parent.id), ADMIN_TOKEN)
        .await
        .expect(204);
    second
        .get("/me", &parent.token)
        .await
        .expect_error(401, "unauthorized");
    let mut anonymized = false;
    for _ in 0..100 {
        let all = second.admin_tracking("?limit=500").await;
        let items = all["items"].as_array().unwrap();
        if items.len() == 25 && items.iter().all(|event| event["user_id"].is_null()) {
            anonymized = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(anonymized, "the deleted parent's events are anonymized");
    again.stop().await;
    second.stop().await;
}

#[actix_rt::test]
async fn a_live_stream_on_postgres_receives_the_event() {
    let schema = Schema::new();
    let app = schema.server().await;
    let family = app.family("Alex").await;
    let mut stream = app.open_events(&family.parent.token).await;
    let activated = app
        .activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    let received = stream
        .next_event(Duration::from_secs(10))
        .await
        .expect("the event arrives");
    assert_eq!(received.event.as_deref(), Some("tracking_event_created"));
    assert_eq!(
        received.data["tracking_event_id"],
        activated["tracking_event"]["id"]
    );
    app.stop().await;
}

#[actix_rt::test]
async fn a_bad_database_url_stops_the_start_with_a_clear_error() {
    let dirs = Dirs::new();
    let start = |url: &str| {
        let mut settings = Settings::for_dirs(dirs.data(), dirs.logs());
        settings.bind = "127.0.0.1:0".into();
        settings.admin_token = Some(ADMIN_TOKEN.parse().unwrap());
        settings.database_url = Some(url.parse().unwrap());
        Application::build(settings)
    };
    let error = start("mysql://localhost/tracking").await.unwrap_err();
    assert!(
        format!("{error:#}").contains("must be a postgres:// or postgresql:// URL"),
        "{error:#}"
    );
    // Port 1 on the loopback: nothing listens there.
    let error = start("postgres://nobody:secret@127.0.0.1:1/tracking")
        .await
        .unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("cannot connect to the database"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
}

/// A `POST` without a body under an `Idempotency-Key`: the answer and its
/// `Idempotent-Replayed` header.
async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
) -> (crate::helpers::Answer, Option<String>) {
    let authorization = format!("Bearer {token}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", key),
    ];
    let (answer, headers) = app
        .exchange(awc::http::Method::POST, path, &headers, Vec::new())
        .await;
    let replayed =
        (headers.get("idempotent-replayed")).map(|value| value.to_str().unwrap().to_owned());
    (answer, replayed)
}

#[actix_rt::test]
async fn an_installation_on_files_moves_into_postgres_whole() {
    use tracking_server::import::{ImportSettings, run};

    // An installation on files: two families with history, a pending request, a deleted parent,
    // a token for a child's own device, and an activation under an idempotency key.
    let files = crate::helpers::spawn_app().await;
    let family = files.family("Alex").await;
    let other = files.family("Blair").await;
    let gone = files.family("Casey").await;
    let (parent, child) = (&family.parent, family.child.as_str());
    let child_token = files.create_child_token(parent, child).await;
    for _ in 0..3 {
        files
            .activate(parent, child, &family.task)
            .await
            .expect(200);
    }
    let activate = format!("/children/{child}/tasks/{}/activate", family.task);
    let keyed = post_keyed(&files, &activate, &parent.token, "move-me").await;
    assert_eq!(keyed.1, None, "a first answer is no replay");
    let keyed = keyed.0.expect(200);
    files
        .activate(parent, child, &family.penalty)
        .await
        .expect(200);
    files
        .reward_action(parent, child, &family.reward, "request")
        .await
        .expect(200);
    files
        .activate(&other.parent, &other.child, &other.task)
        .await
        .expect(200);
    files
        .activate(&gone.parent, &gone.child, &gone.task)
        .await
        .expect(200);
    files
        .delete(&format!("/admin/users/{}", gone.parent.id), ADMIN_TOKEN)
        .await
        .expect(204);
    let history = files
        .child_tracking(parent, child, "?order=asc&limit=500")
        .await
        .expect(200);
    let dirs = files.stop().await;

    let schema = Schema::new();
    let settings = ImportSettings {
        from: dirs.data().to_path_buf(),
        database_url: schema.url.parse().unwrap(),
        database_schema: Some(schema.name.clone()),
    };
    let mut printed = Vec::new();
    let report = run(&settings, &mut printed).await.unwrap();
    assert_eq!(report.files, report.database);
    assert_eq!(
        (
            report.database.users,
            report.database.children,
            report.database.pending_requests,
            report.database.history_events,
            report.database.child_tokens,
            report.database.idempotency_keys,
        ),
        (2, 2, 1, 8, 1, 1)
    );
    let printed = String::from_utf8(printed).unwrap();
    for checksum in [
        &report.files.history_checksum,
        &report.files.credentials_checksum,
    ] {
        assert_eq!(printed.matches(checksum.as_str()).count(), 2, "{printed}");
    }
    assert!(
        printed.contains(&format!("history sha256 {}", report.files.history_checksum)),
        "{printed}"
    );
    assert!(
        printed.contains("child tokens 1, idempotency keys 1"),
        "{printed}"
    );
    // Once moved, a second import into the same database is refused and changes nothing.
    let error = run(&settings, &mut Vec::new()).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("already holds data"),
        "{error:#}"
    );

    // A server on the database answers as the one on files did, and records on from there.
    let server = schema.server().await;
    assert_eq!(server.child_points(parent, child).await, 17);
    let moved = server
        .child_tracking(parent, child, "?order=asc&limit=500")
        .await
        .expect(200);
    assert_eq!(moved, history);
    // The child's own device works on the database, and the keyed activation retried there
    // replays its first answer and records nothing.
    let own = server
        .get(&format!("/children/{child}"), &child_token)
        .await
        .expect(200);
    assert_eq!(own["points"], 17);
    let (replay, replayed) = post_keyed(&server, &activate, &parent.token, "move-me").await;
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(replay.expect(200), keyed);
    assert_eq!(server.child_points(parent, child).await, 17);
    server
        .reward_action(parent, child, &family.reward, "request")
        .await
        .expect_error(409, "already_requested");
    server
        .reward_action(parent, child, &family.reward, "redeem")
        .await
        .expect(200);
    let after = server
        .child_tracking(parent, child, "?order=asc&limit=500")
        .await
        .expect(200);
    assert_chain(after["items"].as_array().unwrap(), 0, 7);
    server
        .get("/me", &gone.parent.token)
        .await
        .expect_error(401, "unauthorized");
    server.stop().await;
}
