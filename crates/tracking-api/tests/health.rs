//! `GET /health` reports the tracking backlog while the history cannot be written.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{App, test, web};
use async_trait::async_trait;
use tracking_api::{AdminCredential, ApiState, NoAudit, Tracker, configure, hash_token};
use tracking_model::{
    Child, ChildId, EventId, Page, Task, TaskId, Timestamp, TrackingEvent, TrackingQuery, User,
    UserId,
};
use tracking_store::{FamilyRepository, HistoryError, MemoryStore, TrackingRepository};

#[derive(Default)]
struct SwitchableHistory {
    inner: MemoryStore,
    broken: AtomicBool,
}

#[async_trait]
impl TrackingRepository for SwitchableHistory {
    async fn append(&self, event: &TrackingEvent) -> Result<(), HistoryError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(HistoryError::Io(std::io::Error::other(
                "history unavailable",
            )));
        }
        self.inner.append(event).await
    }
    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.inner.get(id).await
    }
    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        self.inner.query(query).await
    }
    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        self.inner.anonymize_user(user).await
    }
}

#[actix_web::test]
async fn health_counts_events_waiting_for_the_history() {
    let family = Arc::new(MemoryStore::new());
    let history = Arc::new(SwitchableHistory::default());
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        name: "Alex".into(),
        created_at: now,
    };
    family
        .create_user(&user, &hash_token("parent-token"))
        .await
        .unwrap();
    let child = Child {
        id: ChildId::generate(),
        user_id: user.id,
        name: "Sam".into(),
        points: 0,
        created_at: now,
    };
    family.create_child(&child).await.unwrap();
    let task = Task {
        id: TaskId::generate(),
        user_id: user.id,
        name: "Make bed".into(),
        points: 5,
        is_good: true,
        created_at: now,
    };
    family.create_task(&task).await.unwrap();
    let tracker = Arc::new(Tracker::new(family, history.clone(), Arc::new(NoAudit)));
    let state = web::Data::new(ApiState::new(
        tracker.clone(),
        AdminCredential::from_hash(hash_token(&"a".repeat(32))),
    ));
    let app = test::init_service(App::new().app_data(state).configure(configure)).await;

    history.broken.store(true, Ordering::SeqCst);
    let activate = test::TestRequest::post()
        .uri(&format!(
            "/children/{}/tasks/{}/activate",
            child.id, task.id
        ))
        .insert_header(("Authorization", "Bearer parent-token"))
        .to_request();
    let answer: serde_json::Value = test::call_and_read_body_json(&app, activate).await;
    assert_eq!(
        answer["child"]["points"], 5,
        "the mutation answers 200 although the history is down"
    );

    let health: serde_json::Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/health").to_request())
            .await;
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "tracking_backlog": 1})
    );

    history.broken.store(false, Ordering::SeqCst);
    tracker.catch_up().await.unwrap();
    let health: serde_json::Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/health").to_request())
            .await;
    assert_eq!(health["tracking_backlog"], 0);
    assert_eq!(
        history
            .inner
            .query(&TrackingQuery::default())
            .await
            .unwrap()
            .total,
        1
    );
    tracker.close();
}
