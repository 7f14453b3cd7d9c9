//! Resumable live streams against a real server: a stream cut by a restart or by a dropped
//! connection while events are recorded gets every one of them after it reconnects, exactly once,
//! oldest first; a cursor the server cannot resume from starts the stream with a reset.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{EventStream, Family, TestApp, spawn_app, spawn_app_in};

const WAIT: Duration = Duration::from_secs(10);

/// Records `rounds` activations on each child at once; returns the event ids in answer order.
async fn record_at_once(
    app: &TestApp,
    family: &Family,
    children: &[&str],
    rounds: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..rounds {
        let answers = join_all(
            children
                .iter()
                .map(|child| app.activate(&family.parent, child, &family.task)),
        )
        .await;
        for answer in answers {
            ids.push(
                answer.expect(200)["tracking_event"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    ids
}

/// Reads `count` `tracking_event_created` frames; returns their event ids and the last cursor.
async fn read_events(stream: &mut EventStream, count: usize) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    while ids.len() < count {
        let event = stream.next_event(WAIT).await.expect("the event arrives");
        assert_eq!(
            event.event.as_deref(),
            Some("tracking_event_created"),
            "{event:?}"
        );
        ids.push(event.data["tracking_event_id"].as_str().unwrap().to_owned());
        cursor = event.id.expect("every frame has a cursor");
    }
    (ids, cursor)
}

fn same_set(received: &[String], recorded: &[String]) {
    let unique: HashSet<&String> = received.iter().collect();
    assert_eq!(
        unique.len(),
        received.len(),
        "an event came twice: {received:?}"
    );
    assert_eq!(unique, recorded.iter().collect::<HashSet<_>>());
}

#[actix_rt::test]
async fn a_stream_cut_by_a_restart_resumes_with_every_event_once() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let kim = app.create_child(&family.parent, "Kim").await;
    let children = [family.child.as_str(), kim.as_str()];
    let mut stream = app.open_events(&family.parent.token).await;
    let seen = record_at_once(&app, &family, &children, 2).await;
    let (received, cursor) = read_events(&mut stream, seen.len()).await;
    same_set(&received, &seen);

    // Recorded while the stream is being cut: sent to the socket or not, never read.
    let mut missed = record_at_once(&app, &family, &children, 3).await;
    let dirs = app.stop().await;
    assert!(stream.ended(WAIT).await, "the stop ends the stream");
    let app = spawn_app_in(dirs).await;
    missed.extend(record_at_once(&app, &family, &children, 2).await);

    let mut resumed = app.open_events_after(&family.parent.token, &cursor).await;
    let (replayed, _) = read_events(&mut resumed, missed.len()).await;
    same_set(&replayed, &missed);
    let live = record_at_once(&app, &family, &children, 1).await;
    let (received, _) = read_events(&mut resumed, live.len()).await;
    same_set(&received, &live);
    assert!(
        resumed
            .next_event(Duration::from_millis(300))
            .await
            .is_none(),
        "more events than were recorded"
    );
    // Each child's events come in the order they were recorded.
    for child in children {
        let answer = app
            .child_tracking(&family.parent, child, "?limit=500")
            .await
            .expect(200);
        let order: Vec<&str> = answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["id"].as_str().unwrap())
            .collect();
        let streamed: Vec<&str> = replayed
            .iter()
            .chain(&received)
            .map(String::as_str)
            .filter(|id| order.contains(id))
            .collect();
        let tail: Vec<&str> = order[order.len() - streamed.len()..].to_vec();
        assert_eq!(streamed, tail);
    }
    app.stop().await;
}

#[actix_rt::test]
async fn a_dropped_connection_resumes_with_a_fresh_ticket_and_the_last_cursor() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let kim = app.create_child(&family.parent, "Kim").await;
    let children = [family.child.as_str(), kim.as_str()];
    let ticket = app.ticket(&family.parent).await;
    let mut stream = app.open_events_with_query(&ticket, "", None).await;
    let first = record_at_once(&app, &family, &children, 1).await;
    let (_, cursor) = read_events(&mut stream, first.len()).await;
    drop(stream);

    let missed = record_at_once(&app, &family, &children, 4).await;
    let ticket = app.ticket(&family.parent).await;
    let mut resumed = app
        .open_events_with_query(&ticket, &format!("&last_event_id={cursor}"), None)
        .await;
    let (replayed, last) = read_events(&mut resumed, missed.len()).await;
    same_set(&replayed, &missed);
    assert!(
        resumed
            .next_event(Duration::from_millis(300))
            .await
            .is_none()
    );

    // The header wins over the parameter.
    let mut by_header = app.open_events_after(&family.parent.token, &cursor).await;
    let (again, _) = read_events(&mut by_header, missed.len()).await;
    assert_eq!(again, replayed);
    drop(by_header);
    let ticket = app.ticket(&family.parent).await;
    let mut from_last = app
        .open_events_with_query(&ticket, "&last_event_id=not-a-cursor", Some(&last))
        .await;
    let live = record_at_once(&app, &family, &children, 1).await;
    let (received, _) = read_events(&mut from_last, live.len()).await;
    same_set(&received, &live);
    app.stop().await;
}

#[actix_rt::test]
async fn a_cursor_the_server_cannot_resume_from_starts_with_a_reset() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let other = app.family("Blair").await;
    let mut theirs = app.open_events(&other.parent.token).await;
    app.activate(&other.parent, &other.child, &other.task)
        .await
        .expect(200);
    let (_, their_cursor) = read_events(&mut theirs, 1).await;
    app.activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);

    for cursor in ["garbage", "0", their_cursor.as_str()] {
        let mut stream = app.open_events_after(&family.parent.token, cursor).await;
        let reset = stream.next_event(WAIT).await.expect("a reset frame");
        assert_eq!(reset.event.as_deref(), Some("tracking_stream_reset"));
        assert_eq!(reset.data, json!({"reason": "unknown_cursor"}));
        let restart_at = reset
            .id
            .expect("the reset carries the cursor to resume from");
        // Then live: the event recorded before is not replayed, the next one arrives.
        let live = app
            .activate(&family.parent, &family.child, &family.task)
            .await
            .expect(200);
        let (ids, _) = read_events(&mut stream, 1).await;
        assert_eq!(ids[0], live["tracking_event"]["id"].as_str().unwrap());
        let mut resumed = app
            .open_events_after(&family.parent.token, &restart_at)
            .await;
        let (ids, _) = read_events(&mut resumed, 1).await;
        assert_eq!(ids[0], live["tracking_event"]["id"].as_str().unwrap());
    }
    app.stop().await;
}
