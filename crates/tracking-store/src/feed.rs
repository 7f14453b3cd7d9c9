//! Following a family by its sequence: the committed events numbered after a point, read from the
//! outbox and the history together.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use tracking_model::{SequencedEvent, UserId};

use crate::{FamilyRepository, FeedError, HistoryError, TrackingRepository};

/// A read of one family's sequence: the events of `family` (the parent's user id) numbered after
/// `after`, in number order, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceRead {
    pub family: UserId,
    pub after: u64,
    pub limit: usize,
}

impl SequenceRead {
    /// The (family, number) keys this read covers, in a map ordered by them.
    pub(crate) fn keys(&self) -> RangeInclusive<(UserId, u64)> {
        (self.family, self.after.saturating_add(1))..=(self.family, u64::MAX)
    }

    /// Reads the next batch of the family's stored events from `history` and moves past it;
    /// `None` once there is none left.
    pub async fn next_stored(
        &mut self,
        history: &dyn TrackingRepository,
    ) -> Result<Option<Vec<SequencedEvent>>, HistoryError> {
        let batch = history.family_events(*self).await?;
        let Some(last) = batch.last() else {
            return Ok(None);
        };
        self.after = last.sequence;
        Ok(Some(batch))
    }
}

/// The events `read` asks for, oldest first, from everything committed: the outbox (not yet delivered) and the history together.
///
/// The outbox is read first: an event leaves it only once it is in the history, so an event that
/// moves during the two reads is found in one of them (or both: the copies are merged by number).
/// The answer is a gapless run `after + 1, after + 2, …`: an event committed between the reads
/// can already be in the history while one numbered before it is still in the outbox unread, so
/// the run stops before the first missing number, and the next read, after that number, gets it.
/// Each store answers its part through an index by (family, number): this costs O(answer).
pub async fn family_events_after(
    family: &dyn FamilyRepository,
    history: &dyn TrackingRepository,
    read: SequenceRead,
) -> Result<Vec<SequencedEvent>, FeedError> {
    let SequenceRead { after, limit, .. } = read;
    if limit == 0 {
        return Ok(Vec::new());
    }
    let waiting = family.outbox_after(read).await?;
    let stored = history.family_events(read).await?;
    let mut by_number: BTreeMap<u64, SequencedEvent> = stored
        .into_iter()
        .map(|event| (event.sequence, event))
        .collect();
    for event in waiting {
        by_number.entry(event.sequence).or_insert(event);
    }
    let mut run = Vec::with_capacity(by_number.len().min(limit));
    let mut next = after.saturating_add(1);
    for (number, event) in by_number {
        if number != next || run.len() == limit {
            break;
        }
        run.push(event);
        next = number.saturating_add(1);
    }
    Ok(run)
}
