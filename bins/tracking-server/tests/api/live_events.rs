//! End to end: activate, event stored, `tracking_event_created` received on a real socket, audit line written.

use std::time::Duration;

use crate::helpers::{Dirs, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);

#[actix_rt::test]
async fn an_activation_reaches_the_history_the_stream_and_the_audit_log() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let other = app.family("Blair").await;
    let mut stream = app.open_events(&family.parent.token).await;
    let mut second = app.open_events(&family.parent.token).await;
    let mut others = app.open_events(&other.parent.token).await;
    assert!(
        stream.content_type.starts_with("text/event-stream"),
        "{}",
        stream.content_type
    );

    let answer = app
        .activate(&family.parent, &family.child, &family.task)
        .await
        .expect(200);
    let event = &answer["tracking_event"];

    for stream in [&mut stream, &mut second] {
        let received = stream.next_event(WAIT).await.expect("the event arrives");
        assert_eq!(received.event.as_deref(), Some("tracking_event_created"));
        // The id is an opaque resume cursor, not the event's id.
        let cursor = received.id.as_deref().expect("every frame has an id");
        assert!(cursor.len() <= 128 && cursor.bytes().all(|b| b.is_ascii_graphic()));
        assert_ne!(Some(cursor), event["id"].as_str());
        assert_eq!(
            received.data,
            serde_json::json!({
                "tracking_event_id": event["id"], "child_id": event["child_id"],
                "entity_type": "task", "entity_id": event["entity_id"], "action": "activated",
                "delta": 5, "points_after": 5, "occurred_at": event["occurred_at"],
            })
        );
    }
    assert!(
        others
            .next_event(Duration::from_millis(300))
            .await
            .is_none(),
        "another family heard the event"
    );

    let stored = app
        .admin_tracking(&format!("?child_id={}", family.child))
        .await;
    assert_eq!(&stored["items"][0], event);

    let audit_file = app
        .log_dir()
        .join(format!("tracking_user_{}.log", family.parent.id));
    let mut line = None;
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&audit_file)
            && !text.is_empty()
        {
            line = Some(text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line: serde_json::Value =
        serde_json::from_str(line.expect("the audit line is written").trim()).unwrap();
    assert_eq!(line["tracking_event_id"], event["id"]);
    assert_eq!(
        (
            line["points_before"].as_i64(),
            line["points_after"].as_i64(),
            line["delta"].as_i64()
        ),
        (Some(0), Some(5), Some(5))
    );
    app.stop().await;
}

#[actix_rt::test]
async fn a_ticket_opens_one_stream_once() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let ticket = app
        .post_empty("/events/ticket", &family.parent.token)
        .await
        .expect(200);
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let mut stream = app
        .open_events_with_ticket(&ticket)
        .await
        .ok()
        .expect("the ticket opens a stream");
    app.open_events_with_ticket(&ticket)
        .await
        .err()
        .expect("a ticket works once")
        .expect_error(401, "unauthorized");
    app.open_events_with_ticket("made-up")
        .await
        .err()
        .expect("an unknown ticket")
        .expect_error(401, "unauthorized");

    app.activate(&family.parent, &family.child, &family.penalty)
        .await
        .expect(200);
    let received = stream.next_event(WAIT).await.expect("the event arrives");
    assert_eq!(received.data["delta"], -3);
    app.stop().await;
}

#[actix_rt::test]
async fn deleting_the_user_ends_its_streams() {
    let app = spawn_app().await;
    let family = app.family("Alex").await;
    let mut stream = app.open_events(&family.parent.token).await;
    app.delete(
        &format!("/admin/users/{}", family.parent.id),
        crate::helpers::ADMIN_TOKEN,
    )
    .await
    .expect(204);
    assert!(stream.ended(WAIT).await);
    app.stop().await;
}

#[actix_rt::test]
async fn idle_streams_get_keep_alive_comments() {
    let app = spawn_app_with(Dirs::new(), |settings| settings.sse_keep_alive_seconds = 1).await;
    let family = app.family("Alex").await;
    let mut stream = app.open_events(&family.parent.token).await;
    // One comment comes at once on open, then one a second.
    assert!(stream.comments_within(Duration::from_millis(2500)).await >= 2);
    app.stop().await;
}

#[actix_rt::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_app_with(Dirs::new(), |settings| {
        settings.cors_origins = vec!["http://localhost:5173".into()]
    })
    .await;
    let allowed = app.preflight("/children", "http://localhost:5173").await;
    assert_eq!(allowed.as_deref(), Some("http://localhost:5173"));
    assert_eq!(
        app.preflight("/children", "http://evil.example").await,
        None
    );
    app.stop().await;

    let closed = spawn_app().await;
    assert_eq!(
        closed.preflight("/children", "http://localhost:5173").await,
        None
    );
    closed.stop().await;
}
