//! The outbox: events committed and not yet confirmed in the history, in commit order and by
//! (family, family sequence number), and the last number each family took.

use std::collections::{BTreeMap, HashMap};

use tracking_model::{EventId, SequencedEvent, TrackingEvent, UserId};

use super::commit_order::CommitOrder;
use crate::SequenceRead;

/// The undelivered events and each family's last number.
#[derive(Debug, Default)]
pub struct Outbox {
    /// By the store's sequence number of the change that committed the event: commit order.
    /// An event of a change stored before the family sequence existed has number 0 until
    /// [`Outbox::number_the_unnumbered`].
    events: CommitOrder<SequencedEvent>,
    ids: HashMap<EventId, u64>,
    /// (family, family sequence number) → the change's sequence number.
    families: BTreeMap<(UserId, u64), u64>,
    /// The last family sequence number committed, per family (including delivered events).
    heads: HashMap<UserId, u64>,
}

impl Outbox {
    /// Adds the event committed by change `seq`, number `number` of its family (0: none yet).
    pub(crate) fn insert(&mut self, seq: u64, event: TrackingEvent, number: u64) {
        if let Some(family) = event.user_id()
            && number > 0
        {
            self.families.insert((family, number), seq);
            self.note(family, number);
        }
        self.ids.insert(event.id(), seq);
        self.events.insert(
            seq,
            SequencedEvent {
                sequence: number,
                event,
            },
        );
    }

    /// Takes the event with this id out, if it waits here.
    pub(crate) fn remove(&mut self, id: EventId) {
        if let Some(seq) = self.ids.remove(&id)
            && let Some(gone) = self.events.remove(seq)
            && let Some(family) = gone.event.user_id()
        {
            self.families.remove(&(family, gone.sequence));
        }
    }

    pub(crate) fn contains(&self, id: EventId) -> bool {
        self.ids.contains_key(&id)
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    /// The waiting events, in commit order, each with the sequence number of its change.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &SequencedEvent)> {
        self.events.iter()
    }

    /// The waiting events `read` asks for.
    pub(crate) fn after(&self, read: SequenceRead) -> Vec<SequencedEvent> {
        self.families
            .range(read.keys())
            .take(read.limit)
            .filter_map(|(_, &seq)| self.events.get(seq).cloned())
            .collect()
    }

    /// The last number `family` took; 0 before its first event.
    pub(crate) fn head(&self, family: UserId) -> u64 {
        self.heads.get(&family).copied().unwrap_or(0)
    }

    /// Every family's last number.
    pub(crate) fn heads(&self) -> &HashMap<UserId, u64> {
        &self.heads
    }

    /// Records that `family` took `number` (an event already delivered, say).
    pub(crate) fn note(&mut self, family: UserId, number: u64) {
        let head = self.heads.entry(family).or_default();
        *head = (*head).max(number);
    }

    /// Numbers the waiting events of changes stored before the family sequence existed, in
    /// commit order after each family's last number, once `stored` (the history's last numbers)
    /// is noted. Every open numbers them alike until they are delivered, and from then on the
    /// history keeps their numbers.
    pub(crate) fn number_the_unnumbered(&mut self, stored: &HashMap<UserId, u64>) {
        for (&family, &number) in stored {
            self.note(family, number);
        }
        let unnumbered: Vec<(u64, UserId)> = self
            .events
            .iter()
            .filter(|(_, waiting)| waiting.sequence == 0)
            .filter_map(|(seq, waiting)| Some((seq, waiting.event.user_id()?)))
            .collect();
        for (seq, family) in unnumbered {
            let number = self.head(family) + 1;
            self.note(family, number);
            self.families.insert((family, number), seq);
            if let Some(waiting) = self.events.get_mut(seq) {
                waiting.sequence = number;
            }
        }
    }
}
