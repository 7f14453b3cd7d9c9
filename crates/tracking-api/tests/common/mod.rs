//! What the tracker's tests share: a history that can be broken on purpose, and a small family.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::Notify;
use tracking_api::hash_token;
use tracking_model::{
    Child, ChildId, ChildSummary, EventId, Page, SequencedEvent, SummaryParams, Task, TaskId,
    Timestamp, TrackingEvent, TrackingQuery, User, UserId,
};
use tracking_store::{
    Appended, FamilyRepository, HistoryError, MemoryStore, OrderKey, SequenceRead,
    TrackingRepository,
};

/// The bearer token of the family's parent.
pub const PARENT_TOKEN: &str = "parent-token";

/// A history that fails every write while `broken` is set, and counts appends that reached it.
///
/// While `holding_syncs` is set it behaves like a store whose `fdatasync` has not come yet: an
/// append that need not wait answers [`Appended::Visible`], and [`TrackingRepository::sync`]
/// waits until `holding_syncs` is cleared and `released` notified.
#[derive(Default)]
pub struct FlakyHistory {
    pub inner: MemoryStore,
    pub broken: AtomicBool,
    pub appends: AtomicUsize,
    pub holding_syncs: AtomicBool,
    pub syncs_started: AtomicUsize,
    pub released: Notify,
}

#[async_trait]
impl TrackingRepository for FlakyHistory {
    async fn append(&self, event: &SequencedEvent) -> Result<(), HistoryError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(HistoryError::Io(std::io::Error::other("disk on fire")));
        }
        self.appends.fetch_add(1, Ordering::SeqCst);
        self.inner.append(event).await
    }
    async fn append_unsynced(&self, event: &SequencedEvent) -> Result<Appended, HistoryError> {
        self.append(event).await?;
        Ok(if self.holding_syncs.load(Ordering::SeqCst) {
            Appended::Visible
        } else {
            Appended::Durable
        })
    }
    async fn sync(&self) -> Result<(), HistoryError> {
        self.syncs_started.fetch_add(1, Ordering::SeqCst);
        loop {
            // Created before the check, so that a release in between still wakes it.
            let released = self.released.notified();
            if !self.holding_syncs.load(Ordering::SeqCst) {
                return Ok(());
            }
            released.await;
        }
    }
    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.inner.get(id).await
    }
    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        self.inner.query(query).await
    }
    async fn family_events(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, HistoryError> {
        self.inner.family_events(read).await
    }
    async fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        self.inner.query_after(query, after).await
    }
    async fn events_summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        self.inner.events_summary(child, params).await
    }
    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(HistoryError::Io(std::io::Error::other("disk on fire")));
        }
        self.inner.anonymize_user(user).await
    }
}

pub struct Setup {
    pub family: Arc<MemoryStore>,
    pub history: Arc<FlakyHistory>,
    pub user: UserId,
    pub child: ChildId,
    pub task: TaskId,
}

/// A family with one child and one good task (5 points), whose parent's token is
/// [`PARENT_TOKEN`], over a [`FlakyHistory`].
pub async fn setup() -> Setup {
    let family = Arc::new(MemoryStore::new());
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate(),
        name: "Alex".into(),
        created_at: now,
    };
    family
        .create_user(&user, &hash_token(PARENT_TOKEN))
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
    Setup {
        family,
        history: Arc::new(FlakyHistory::default()),
        user: user.id,
        child: child.id,
        task: task.id,
    }
}

/// Every event, in one page.
pub fn all_events() -> TrackingQuery {
    TrackingQuery {
        limit: Some(500),
        ..TrackingQuery::default()
    }
}
