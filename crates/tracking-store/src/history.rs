//! The append-only tracking history.

use async_trait::async_trait;
use tracking_model::{
    ChildId, ChildSummary, EventId, Page, SequencedEvent, SummaryParams, Timestamp, TrackingEvent,
    TrackingQuery, UserId,
};

use crate::{HistoryError, SequenceRead};

/// Where an event stands in the history's one order: (`occurred_at`, `created_at`, `id`).
pub type OrderKey = (Timestamp, Timestamp, EventId);

/// How far [`TrackingRepository::append_unsynced`] took an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// As far as [`TrackingRepository::append`] takes it: nothing more to wait for.
    Durable,
    /// Every read sees it, but it is durable only once a later [`TrackingRepository::sync`]
    /// returns.
    Visible,
}

/// The append-only history of tracking events, queried by parents and administrators.
#[async_trait]
pub trait TrackingRepository: Send + Sync + 'static {
    /// Stores `event` durably with its family sequence number. Appending an id that is already
    /// stored changes nothing, so a delivery retried after a crash never doubles an event.
    async fn append(&self, event: &SequencedEvent) -> Result<(), HistoryError>;

    /// [`Self::append`] for an event that is durable elsewhere already (the outbox): every read
    /// sees it when this returns, but the store may leave it to a later [`Self::sync`] to make it
    /// durable, so that the caller does not wait for a second durable commit. By default, the
    /// same as `append`.
    async fn append_unsynced(&self, event: &SequencedEvent) -> Result<Appended, HistoryError> {
        self.append(event).await.map(|()| Appended::Durable)
    }

    /// Returns once every event appended so far is durable: the events [`Self::append_unsynced`]
    /// answered [`Appended::Visible`] for, when it returned before this was called.
    async fn sync(&self) -> Result<(), HistoryError> {
        Ok(())
    }

    /// The event with this id.
    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError>;

    /// The page of events matching every filter of `query`, in its order over
    /// (`occurred_at`, `created_at`, `id`), with the count of all matches.
    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError>;

    /// The stored events `read` asks for; through an index by (family, number), so the cost is
    /// that of the answer. An anonymized event belongs to no family.
    async fn family_events(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, HistoryError>;

    /// Up to `query.limit()` events matching every filter of `query` that follow `after` in its
    /// order (all of them from the start with `None`); `query.offset` is ignored. Reading on from
    /// the last key of each batch visits every match once, however large the history, without
    /// holding more than one batch.
    async fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError>;

    /// `child`'s summary over `params` with `points` as its current points: what
    /// [`tracking_model::summarize`] answers over the child's events, from running totals, at a
    /// cost that does not grow with the events outside the range.
    async fn child_summary(
        &self,
        child: ChildId,
        points: i64,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        let summary = self.events_summary(child, params).await?;
        Ok(ChildSummary { points, ..summary })
    }

    /// [`Self::child_summary`] from the events alone: the history does not know the child's
    /// points, so they are 0 here.
    async fn events_summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError>;

    /// Clears `user_id` on every event of `user` and changes nothing else; returns how many
    /// events changed. Appends racing with it are kept.
    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError>;
}
