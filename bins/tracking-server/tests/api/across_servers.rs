//! Servers sharing one PostgreSQL store: a live stream on one receives the events committed on
//! another and resumes on either; the audit files are written by one server at a time, and
//! another takes over when it stops, each event in them exactly once.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::schema::Schema;

/// Long enough for any machine; what never comes fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);
/// The most a whole test may take: a request or a stream that never answers (a server that
/// neither sends a stream's headers nor closes it) fails the test instead of hanging it.
const WHOLE_TEST: Duration = Duration::from_secs(300);

/// Runs a test's body, failing it when it has not finished within [`WHOLE_TEST`].
async fn within_limit(body: impl Future<Output = ()>) {
    if tokio::time::timeout(WHOLE_TEST, body).await.is_err() {
        panic!("the test did not finish within {WHOLE_TEST:?}: something never answered");
    }
}

#[actix_rt::test]
async fn a_stream_on_one_server_receives_the_others_events_and_resumes_on_either() {
    within_limit(stream_across_servers()).await;
}

async fn stream_across_servers() {
    let schema = Schema::new();
    let first = schema.server().await;
    let second = schema.server().await;
    let family = first.family("Alex").await;
    let (parent, child) = (&family.parent, family.child.as_str());

    let mut on_second = second.open_events(&parent.token).await;
    let mut cursor = String::new();
    for _ in 0..3 {
        let activated = first
            .activate(parent, child, &family.task)
            .await
            .expect(200);
        let received = on_second
            .next_event(PATIENCE)
            .await
            .expect("the event committed on the first server arrives on the second");
        assert_eq!(received.event.as_deref(), Some("tracking_event_created"));
        assert_eq!(
            received.data["tracking_event_id"],
            activated["tracking_event"]["id"]
        );
        cursor = received.id.expect("every frame carries a resume cursor");
    }
    drop(on_second);

    // Missed while no stream was open: two on the second server, one on the first.
    let mut missed = Vec::new();
    for server in [&second, &second, &first] {
        let activated = server
            .activate(parent, child, &family.penalty)
            .await
            .expect(200);
        missed.push(activated["tracking_event"]["id"].clone());
    }
    // Resumed on the first server from the second's cursor: the missed events, in order, then
    // live ones from either server.
    let mut on_first = first.open_events_after(&parent.token, &cursor).await;
    for expected in &missed {
        let received = on_first.next_event(PATIENCE).await.expect("a missed event");
        assert_eq!(&received.data["tracking_event_id"], expected);
    }
    let live = second
        .activate(parent, child, &family.task)
        .await
        .expect(200);
    let received = on_first.next_event(PATIENCE).await.expect("a live event");
    assert_eq!(
        received.data["tracking_event_id"],
        live["tracking_event"]["id"]
    );
    let resumed_here = received.id.expect("a cursor");
    drop(on_first);

    // And that cursor, from the first server, resumes on the second.
    let after = first
        .activate(parent, child, &family.task)
        .await
        .expect(200);
    let mut again = second.open_events_after(&parent.token, &resumed_here).await;
    let received = again.next_event(PATIENCE).await.expect("the event after");
    assert_eq!(
        received.data["tracking_event_id"],
        after["tracking_event"]["id"]
    );
    drop(again);
    first.stop().await;
    second.stop().await;
}

/// The `family_sequence` of every audit line of `user` in `dir`, counted.
fn audit_lines(dir: &Path, user: &str) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with(&format!("tracking_user_{user}.log")) {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        for line in text.lines() {
            let line: Value = serde_json::from_str(line).unwrap();
            *counts
                .entry(line["family_sequence"].as_u64().unwrap())
                .or_default() += 1;
        }
    }
    counts
}

/// Waits until `user`'s files in `dir` hold events 1..=count, and returns what they hold.
async fn wait_for_lines(dir: &Path, user: &str, count: u64) -> BTreeMap<u64, usize> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let lines = audit_lines(dir, user);
        if (1..=count).all(|number| lines.contains_key(&number))
            || tokio::time::Instant::now() > deadline
        {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_rt::test]
async fn one_server_writes_the_audit_files_and_another_takes_over_when_it_stops() {
    within_limit(audit_writer_takeover()).await;
}

async fn audit_writer_takeover() {
    let schema = Schema::new();
    let logs = tempfile::tempdir().unwrap();
    let first = schema
        .server_logging_to(Some(logs.path().to_path_buf()))
        .await;
    let second = schema
        .server_logging_to(Some(logs.path().to_path_buf()))
        .await;
    let family = first.family("Alex").await;
    let (parent, child) = (&family.parent, family.child.as_str());
    let user = parent.id.as_str();

    for turn in 0..10 {
        let server = if turn % 2 == 0 { &first } else { &second };
        server
            .activate(parent, child, &family.task)
            .await
            .expect(200);
    }
    let lines = wait_for_lines(logs.path(), user, 10).await;
    assert_eq!(lines, (1..=10).map(|number| (number, 1)).collect());

    // Whichever of them writes, stopping the first leaves the second to write everything after.
    first.stop().await;
    for _ in 0..10 {
        second
            .activate(parent, child, &family.task)
            .await
            .expect(200);
    }
    let lines = wait_for_lines(logs.path(), user, 20).await;
    assert_eq!(lines, (1..=20).map(|number| (number, 1)).collect());

    // A third server joins and the second stops: the third takes over, from where the files are.
    let third = schema
        .server_logging_to(Some(logs.path().to_path_buf()))
        .await;
    second.stop().await;
    for _ in 0..5 {
        third
            .activate(parent, child, &family.penalty)
            .await
            .expect(200);
    }
    let lines = wait_for_lines(logs.path(), user, 25).await;
    assert_eq!(lines, (1..=25).map(|number| (number, 1)).collect());
    third.stop().await;
}
