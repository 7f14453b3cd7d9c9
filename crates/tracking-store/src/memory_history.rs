//! The history in memory: events by id, and an index by (family, sequence number).

use std::collections::BTreeMap;

use tracking_model::{
    EventId, Page, SequencedEvent, SortOrder, TrackingEvent, TrackingQuery, UserId,
};

use crate::HistoryError;

/// Every stored event by id, with its family sequence number, and the family index.
#[derive(Debug, Default)]
pub(crate) struct MemoryHistory {
    events: BTreeMap<EventId, SequencedEvent>,
    /// (family, number) → event; an anonymized event belongs to no family.
    families: BTreeMap<(UserId, u64), EventId>,
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
        self.events.insert(id, event.clone());
    }

    pub(crate) fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.events
            .get(&id)
            .map(|stored| stored.event.clone())
            .ok_or(HistoryError::NotFound)
    }

    pub(crate) fn query(&self, query: &TrackingQuery) -> Page<TrackingEvent> {
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
        let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let items = matches
            .iter()
            .skip(offset)
            .take(query.limit() as usize)
            .map(|event| (*event).clone())
            .collect();
        Page {
            items,
            total: matches.len() as u64,
            limit: query.limit(),
            offset: query.offset(),
        }
    }

    /// The events of `family` numbered after `after`, in number order, at most `limit`.
    pub(crate) fn family_events(
        &self,
        family: UserId,
        after: u64,
        limit: usize,
    ) -> Vec<SequencedEvent> {
        let from = (family, after.saturating_add(1));
        self.families
            .range(from..=(family, u64::MAX))
            .take(limit)
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
