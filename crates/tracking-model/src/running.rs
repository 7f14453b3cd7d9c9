//! Summaries from running totals: what a store answers from its index without reading the events,
//! at a cost that grows with the number of periods asked for, not with the events outside them.

use crate::summary::ChildSummary;
use crate::summary_query::SummaryParams;
use crate::{BucketTotals, ChildId, ModelError, Timestamp, Totals};

/// One child's history seen through running totals, as a store's index keeps them (for instance
/// a prefix sum per event, searched by `occurred_at`).
pub trait RunningTotals {
    /// The totals of the child's events with `occurred_at < at`.
    fn before(&self, at: Timestamp) -> Totals;

    /// The totals of all the child's events.
    fn total(&self) -> Totals;

    /// The `occurred_at` of the child's first and last events; `None` when it has none.
    fn span(&self) -> Option<(Timestamp, Timestamp)>;
}

/// The same summary as [`crate::summarize`] over the same events, from running totals: two
/// lookups for the totals, and one per period boundary with `bucket`.
pub fn summarize_running(
    child_id: ChildId,
    points: i64,
    params: &SummaryParams,
    history: &impl RunningTotals,
) -> Result<ChildSummary, ModelError> {
    let at_bound = |bound: Option<Timestamp>, unbounded: Totals| match bound {
        Some(at) => history.before(at),
        None => unbounded,
    };
    let empty_range = matches!((params.from, params.to), (Some(from), Some(to)) if to <= from);
    let totals = if empty_range {
        Totals::ZERO
    } else {
        at_bound(params.to, history.total()).since(at_bound(params.from, Totals::ZERO))
    };
    let buckets = match params.bucket {
        None => None,
        Some(bucket) => Some(running_buckets(bucket, params, history)?),
    };
    Ok(ChildSummary::new(child_id, points, params, totals, buckets))
}

fn running_buckets(
    bucket: crate::Bucket,
    params: &SummaryParams,
    history: &impl RunningTotals,
) -> Result<Vec<BucketTotals>, ModelError> {
    let Some((first, last)) = history.span() else {
        return Ok(Vec::new());
    };
    let low = params.from.map_or(first, |from| from.max(first));
    // `None` is "after every event"; `high` is where period starts stop.
    let end = params.to;
    let high = match (end, last.plus_millis(1)) {
        (Some(to), Ok(after_last)) => to.min(after_last),
        (Some(to), Err(_)) => to,
        (None, Ok(after_last)) => after_last,
        (None, Err(_)) => last,
    };
    let starts: Vec<Timestamp> = params.zone.bucket_starts(bucket, low, high)?.collect();
    let mut buckets = Vec::new();
    let mut previous = history.before(low);
    for (index, start) in starts.iter().enumerate() {
        let current = match starts.get(index + 1) {
            Some(next) => history.before(*next),
            None => match end {
                Some(to) => history.before(to),
                None => history.total(),
            },
        };
        let period = current.since(previous);
        if period.event_count() > 0 {
            buckets.push(BucketTotals::new(*start, &period));
        }
        previous = current;
    }
    Ok(buckets)
}
