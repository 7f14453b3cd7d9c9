//! `GET /health` reports the tracking backlog while the history cannot be written.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use actix_web::{App, test, web};
use common::{PARENT_TOKEN, all_events, setup};
use tracking_api::{AdminCredential, ApiState, NoAudit, Tracker, configure, hash_token};
use tracking_store::TrackingRepository;

#[actix_web::test]
async fn health_counts_events_waiting_for_the_history() {
    let s = setup().await;
    let history = s.history.clone();
    let tracker = Arc::new(Tracker::new(
        s.family.clone(),
        history.clone(),
        Arc::new(NoAudit),
    ));
    let state = web::Data::new(ApiState::new(
        tracker.clone(),
        AdminCredential::from_hash(hash_token(&"a".repeat(32))),
    ));
    let app = test::init_service(App::new().app_data(state).configure(configure)).await;

    history.broken.store(true, Ordering::SeqCst);
    let activate = test::TestRequest::post()
        .uri(&format!("/children/{}/tasks/{}/activate", s.child, s.task))
        .insert_header(("Authorization", format!("Bearer {PARENT_TOKEN}")))
        .to_request();
    let answer: serde_json::Value = test::call_and_read_body_json(&app, activate).await;
    assert_eq!(
        answer["child"]["points"], 5,
        "the mutation answers 200 although the history is down"
    );

    let health: serde_json::Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/health").to_request())
            .await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["tracking_backlog"], 1);
    assert!(
        health["audit_backlog"].is_u64(),
        "the audit backlog is reported too: {health}"
    );

    history.broken.store(false, Ordering::SeqCst);
    tracker.catch_up().await.unwrap();
    let health: serde_json::Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/health").to_request())
            .await;
    assert_eq!(health["tracking_backlog"], 0);
    let stored = history.inner.query(&all_events()).await.unwrap();
    assert_eq!(stored.total, 1);
    assert_eq!(stored.items[0].user_id(), Some(s.user));
    tracker.close();
}
