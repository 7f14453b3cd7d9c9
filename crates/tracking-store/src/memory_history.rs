//! The history in memory: events by id, an index by (family, sequence number), and each child's
//! running totals.

use std::collections::{BTreeMap, HashMap};

use tracking_model::{
    ChildId, ChildSummary, EventId, Page, SequencedEvent, SortOrder, SummaryParams, TrackingEvent,
    TrackingQuery, UserId, summarize_running,
};

use crate::running::RunningHistory;
use crate::{HistoryError, OrderKey, SequenceRead};

/// Every stored event by id, with its family sequence number, and the family index.
#[derive(Debug, Default)]
pub(crate) struct MemoryHistory {
    events: BTreeMap<EventId, SequencedEvent>,
    /// (family, number) → event; an anonymized event belongs to no family.
    families: BTreeMap<(UserId, u64), EventId>,
    running: HashMap<ChildId, RunningHistory>,
}

impl MemoryHistory {
    /// Stores the event unless its id is stored already.
    pub(crate) fn append(&mut self, event: &SequencedEvent) {
        let id = event.event.id();
        if self.events.contains_key(&id) {
            return;
        }
        if let Some(family) = event.event.user_id() {
            self.families.insert((family, event.sequence), id);
        }
        self.running
            .entry(event.event.child_id())
            .or_default()
            .insert(&event.event);
        let mut kept = event.clone();
        // Kept as long as the store: its JSON is written again when asked for.
        kept.event.forget_json();
        self.events.insert(id, kept);
    }

    pub(crate) fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.events
            .get(&id)
            .map(|stored| stored.event.clone())
            .ok_or(HistoryError::NotFound)
    }

    /// The matches of `query` in its order.
    fn matches(&self, query: &TrackingQuery) -> Vec<&TrackingEvent> {
        let mut matches: Vec<&TrackingEvent> = self
            .events
            .values()
            .map(|stored| &stored.event)
            .filter(|event| query.matches(event))
            .collect();
        matches.sort_by_key(|event| event.order_key());
        if query.order() == SortOrder::Desc {
            matches.reverse();
        }
        matches
    }

    /// Up to `query.limit()` matches after `after` in the query's order.
    pub(crate) fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Vec<TrackingEvent> {
        let follows = |event: &TrackingEvent| match (after, query.order()) {
            (None, _) => true,
            (Some(after), SortOrder::Asc) => event.order_key() > after,
            (Some(after), SortOrder::Desc) => event.order_key() < after,
        };
        self.matches(query)
            .into_iter()
            .filter(|event| follows(event))
            .take(query.limit() as usize)
            .cloned()
            .collect()
    }

    /// The child's summary from its running totals.
    pub(crate) fn child_summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        let empty = RunningHistory::default();
        let running = self.running.get(&child).unwrap_or(&empty);
        Ok(summarize_running(child, 0, params, running)?)
    }

    pub(crate) fn query(&self, query: &TrackingQuery) -> Page<TrackingEvent> {
        let matches = self.matches(query);
        let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let items = matches
            .iter()
            .skip(offset)
            .take(query.limit() as usize)
            .map(|event| (*event).clone())
            .collect();
        Page::answering(query, items, matches.len() as u64)
    }

    /// The events `read` asks for.
    pub(crate) fn family_events(&self, read: SequenceRead) -> Vec<SequencedEvent> {
        self.families
            .range(read.keys())
            .take(read.limit)
            .map(|(_, id)| self.events[id].clone())
            .collect()
    }

    /// Clears `user_id` on the user's events; returns how many changed.
    pub(crate) fn anonymize_user(&mut self, user: UserId) -> u64 {
        self.families.retain(|(family, _), _| *family != user);
        let mut changed = 0;
        for stored in self.events.values_mut() {
            if stored.event.user_id() == Some(user) {
                stored.event = stored.event.clone().anonymized();
                changed += 1;
            }
        }
        changed
    }
}
