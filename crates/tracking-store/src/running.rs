//! Running totals of one child's events in the history's order, as `MemoryStore` keeps them.

use tracking_model::{RunningTotals, Timestamp, Totals, TrackingEvent};

use crate::OrderKey;

/// One child's events by order key, each with the totals of it and every event before it.
#[derive(Debug, Default)]
pub(crate) struct RunningHistory {
    keys: Vec<OrderKey>,
    /// `sums[i]`: the totals of the first `i + 1` events.
    sums: Vec<Totals>,
}

impl RunningHistory {
    /// Adds an event where its order key puts it; a late one shifts the totals after it.
    pub(crate) fn insert(&mut self, event: &TrackingEvent) {
        let key = event.order_key();
        let at = self.keys.partition_point(|other| *other < key);
        let totals = Totals::of(event);
        let before = at
            .checked_sub(1)
            .map_or(Totals::ZERO, |last| self.sums[last]);
        self.keys.insert(at, key);
        self.sums.insert(at, before + totals);
        for later in &mut self.sums[at + 1..] {
            *later += totals;
        }
    }
}

impl RunningTotals for RunningHistory {
    fn before(&self, at: Timestamp) -> Totals {
        let count = self.keys.partition_point(|key| key.0 < at);
        count
            .checked_sub(1)
            .map_or(Totals::ZERO, |last| self.sums[last])
    }

    fn total(&self) -> Totals {
        self.sums.last().copied().unwrap_or(Totals::ZERO)
    }

    fn span(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.keys.first()?.0, self.keys.last()?.0))
    }
}
