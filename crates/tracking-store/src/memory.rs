//! Both repositories in memory: for tests, and for embedders that keep nothing on disk.

use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard};
use tracking_model::{
    ChildId, ChildSummary, EventId, Page, SequencedEvent, SummaryParams, TrackingEvent,
    TrackingQuery, UserId,
};

use crate::memory_history::MemoryHistory;
use crate::state::{Command, FamilyState, StateStore};
use crate::{FamilyError, HistoryError, OrderKey, SequenceRead, TrackingRepository};

/// Family data and history in memory, each behind one lock. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    family: Mutex<FamilyState>,
    history: Mutex<MemoryHistory>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn history(&self) -> MutexGuard<'_, MemoryHistory> {
        self.history.lock()
    }
}

/// The family state without a log: a change is checked, numbered and applied under one lock, so
/// each family's events are numbered in the order they become visible.
#[async_trait]
impl StateStore for MemoryStore {
    fn read<R>(&self, read: impl FnOnce(&FamilyState) -> R) -> R {
        read(&self.family.lock())
    }

    async fn commit<C: Command>(&self, command: C) -> Result<C::Answer, FamilyError> {
        let mut state = self.family.lock();
        let (change, mut answer) = command.check(&state)?;
        if let Some(mut change) = change {
            if let Some((_, number)) = change.take_number(|family| state.next_number(family)) {
                C::numbered(&mut answer, number);
            }
            state.apply_next(change);
        }
        Ok(answer)
    }
}

#[async_trait]
impl TrackingRepository for MemoryStore {
    async fn append(&self, event: &SequencedEvent) -> Result<(), HistoryError> {
        self.history().append(event);
        Ok(())
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.history().get(id)
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        Ok(self.history().query(query))
    }

    async fn family_events(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, HistoryError> {
        Ok(self.history().family_events(read))
    }

    async fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        Ok(self.history().query_after(query, after))
    }

    async fn events_summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        self.history().child_summary(child, params)
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        Ok(self.history().anonymize_user(user))
    }
}
