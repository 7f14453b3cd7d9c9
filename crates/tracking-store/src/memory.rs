//! Both repositories in memory: for tests, and for embedders that keep nothing on disk.

use std::collections::BTreeMap;

use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard};
use tracking_model::{EventId, Page, SortOrder, TrackingEvent, TrackingQuery, UserId};

use crate::state::{Command, FamilyState, StateStore};
use crate::{FamilyError, HistoryError, TrackingRepository};

/// Family data and history in memory, each behind one lock. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    family: Mutex<FamilyState>,
    history: Mutex<BTreeMap<EventId, TrackingEvent>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn history(&self) -> MutexGuard<'_, BTreeMap<EventId, TrackingEvent>> {
        self.history.lock()
    }
}

/// The family state without a log: a change is checked and applied under one lock.
#[async_trait]
impl StateStore for MemoryStore {
    fn read<R>(&self, read: impl FnOnce(&FamilyState) -> R) -> R {
        read(&self.family.lock())
    }

    async fn commit<C: Command>(&self, command: C) -> Result<C::Answer, FamilyError> {
        let mut state = self.family.lock();
        let (change, answer) = command.check(&state)?;
        if let Some(change) = change {
            state.apply_next(change);
        }
        Ok(answer)
    }
}

#[async_trait]
impl TrackingRepository for MemoryStore {
    async fn append(&self, event: &TrackingEvent) -> Result<(), HistoryError> {
        self.history()
            .entry(event.id())
            .or_insert_with(|| event.clone());
        Ok(())
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.history()
            .get(&id)
            .cloned()
            .ok_or(HistoryError::NotFound)
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        let history = self.history();
        let mut matches: Vec<&TrackingEvent> = history
            .values()
            .filter(|event| query.matches(event))
            .collect();
        matches.sort_by_key(|event| event.order_key());
        if query.order() == SortOrder::Desc {
            matches.reverse();
        }
        let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let items = matches
            .iter()
            .skip(offset)
            .take(query.limit() as usize)
            .map(|event| (*event).clone())
            .collect();
        Ok(Page {
            items,
            total: matches.len() as u64,
            limit: query.limit(),
            offset: query.offset(),
        })
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        let mut history = self.history();
        let mut changed = 0;
        for event in history.values_mut() {
            if event.user_id() == Some(user) {
                *event = event.clone().anonymized();
                changed += 1;
            }
        }
        Ok(changed)
    }
}
