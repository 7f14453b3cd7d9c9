//! Values kept in order of a sequence number that mostly grows, taken out mostly from the front:
//! a queue where taking a value out of the middle leaves a hole instead of moving the rest.

use std::collections::VecDeque;

/// Values by sequence number, in a queue sorted by it.
///
/// The outbox's events arrive in commit order and leave roughly in that order, so an insert is a
/// push at the back and a removal clears a slot near the front; holes at the front are popped at
/// once, and the holes elsewhere are swept out when they outnumber the values.
#[derive(Debug)]
pub(crate) struct CommitOrder<T> {
    slots: VecDeque<(u64, Option<T>)>,
    live: usize,
}

/// Below this many slots, holes are left for the front to reach.
const SWEEP_FLOOR: usize = 64;

impl<T> Default for CommitOrder<T> {
    fn default() -> Self {
        Self {
            slots: VecDeque::new(),
            live: 0,
        }
    }
}

impl<T> CommitOrder<T> {
    /// Puts `value` at `seq`, replacing what was there.
    pub(crate) fn insert(&mut self, seq: u64, value: T) {
        if self.slots.back().is_none_or(|&(last, _)| last < seq) {
            self.slots.push_back((seq, Some(value)));
            self.live += 1;
            return;
        }
        match self.position(seq) {
            Ok(at) => {
                if self.slots[at].1.replace(value).is_none() {
                    self.live += 1;
                }
            }
            Err(at) => {
                self.slots.insert(at, (seq, Some(value)));
                self.live += 1;
            }
        }
    }

    /// Takes the value at `seq` out.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<T> {
        let at = self.position(seq).ok()?;
        let value = self.slots[at].1.take()?;
        self.live -= 1;
        while self.slots.front().is_some_and(|(_, slot)| slot.is_none()) {
            self.slots.pop_front();
        }
        if self.slots.len() > SWEEP_FLOOR && self.slots.len() > 2 * self.live {
            self.slots.retain(|(_, slot)| slot.is_some());
        }
        Some(value)
    }

    pub(crate) fn get(&self, seq: u64) -> Option<&T> {
        let at = self.position(seq).ok()?;
        self.slots[at].1.as_ref()
    }

    pub(crate) fn get_mut(&mut self, seq: u64) -> Option<&mut T> {
        let at = self.position(seq).ok()?;
        self.slots[at].1.as_mut()
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The values in order of their sequence numbers.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.slots
            .iter()
            .filter_map(|(seq, slot)| Some((*seq, slot.as_ref()?)))
    }

    fn position(&self, seq: u64) -> Result<usize, usize> {
        self.slots.binary_search_by_key(&seq, |&(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Applies `steps` (insert when the flag is set, remove otherwise) to a queue and to a map,
    /// checking after each that both hold the same values in the same order.
    fn agrees_with_a_map(steps: impl IntoIterator<Item = (bool, u64)>) {
        let mut queue = CommitOrder::default();
        let mut map = BTreeMap::new();
        for (value, (insert, seq)) in steps.into_iter().enumerate() {
            if insert {
                queue.insert(seq, value);
                map.insert(seq, value);
            } else {
                assert_eq!(queue.remove(seq), map.remove(&seq), "removing {seq}");
            }
            assert_eq!(queue.len(), map.len());
            assert!(
                queue
                    .iter()
                    .eq(map.iter().map(|(&seq, value)| (seq, value)))
            );
            // One insert may pass the bound; the next removal sweeps.
            assert!(queue.slots.len() <= SWEEP_FLOOR.max(2 * queue.len()) + 1);
        }
        for (&seq, value) in &map {
            assert_eq!(queue.get(seq), Some(value));
        }
    }

    #[test]
    fn in_order_inserts_and_removals_leave_no_slot_behind() {
        let mut queue = CommitOrder::default();
        for seq in 1..=1000 {
            queue.insert(seq, seq);
        }
        for seq in 1..=1000 {
            assert_eq!(queue.remove(seq), Some(seq));
        }
        assert_eq!(queue.len(), 0);
        assert!(queue.slots.is_empty());
    }

    #[test]
    fn out_of_order_inserts_replacements_and_removals_match_a_sorted_map() {
        // A deterministic shuffle: the sequence numbers 0..500 in a scrambled order, each
        // inserted, some inserted again, and removed in another scrambled order, with misses.
        let scrambled = |step: u64| (0..500).map(move |at| (at * step) % 500);
        let steps = scrambled(7)
            .map(|seq| (true, seq))
            .chain(scrambled(11).step_by(3).map(|seq| (true, seq)))
            .chain(scrambled(13).map(|seq| (false, seq)))
            .chain(scrambled(13).take(50).map(|seq| (false, seq)));
        agrees_with_a_map(steps);
    }

    #[test]
    fn a_value_left_at_the_front_does_not_keep_every_hole_behind_it() {
        let mut steps = vec![(true, 0)];
        for seq in 1..=2000 {
            steps.push((true, seq));
            steps.push((false, seq));
        }
        agrees_with_a_map(steps);
    }

    #[test]
    fn a_removed_slot_can_be_filled_again() {
        agrees_with_a_map([
            (true, 1),
            (true, 2),
            (true, 3),
            (false, 2),
            (true, 2),
            (false, 9),
        ]);
    }
}
