//! What a child's history adds up to: [`Totals`] (a sum that combines and subtracts, so a store
//! can keep running totals), the answer of `GET /children/{id}/summary`, and the reference fold.

use std::collections::BTreeMap;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::summary_query::SummaryParams;
use crate::{Action, ChildId, EntityType, ModelError, Timestamp, TrackingEvent};

/// What a set of events adds up to.
///
/// `earned` sums the deltas of activated tasks, `lost` the absolute deltas of activated penalties,
/// `spent` the absolute deltas of redeemed rewards; the rest count events by kind.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    pub earned: u64,
    pub lost: u64,
    pub spent: u64,
    pub tasks_activated: u64,
    pub penalties_activated: u64,
    pub rewards_requested: u64,
    pub rewards_redeemed: u64,
    pub rewards_cancelled: u64,
}

// Totals form a commutative group under `combine`, with `ZERO` and `since` (its inverse): the
// totals of a range are the running totals at its end `since` those at its start. Arithmetic
// wraps at 2^64, so subtracting running totals is exact whenever the true result fits.
impl Totals {
    /// The totals of no events.
    pub const ZERO: Self = Self {
        earned: 0,
        lost: 0,
        spent: 0,
        tasks_activated: 0,
        penalties_activated: 0,
        rewards_requested: 0,
        rewards_redeemed: 0,
        rewards_cancelled: 0,
    };

    /// The totals of one event.
    pub fn of(event: &TrackingEvent) -> Self {
        let amount = event.delta().unsigned_abs();
        let mut totals = Self::ZERO;
        match (event.entity_type(), event.action()) {
            (EntityType::Task, _) => {
                totals.earned = amount;
                totals.tasks_activated = 1;
            }
            (EntityType::Penalty, _) => {
                totals.lost = amount;
                totals.penalties_activated = 1;
            }
            (EntityType::Reward, Action::Requested) => totals.rewards_requested = 1,
            (EntityType::Reward, Action::Redeemed) => {
                totals.spent = amount;
                totals.rewards_redeemed = 1;
            }
            (EntityType::Reward, Action::Cancelled) => totals.rewards_cancelled = 1,
            (EntityType::Reward, Action::Activated) => {}
        }
        totals
    }

    /// The totals of `events`, in any order.
    pub fn of_events<'a>(events: impl IntoIterator<Item = &'a TrackingEvent>) -> Self {
        events.into_iter().map(Self::of).sum()
    }

    /// Adds one event.
    pub fn record(&mut self, event: &TrackingEvent) {
        *self = self.combine(Self::of(event));
    }

    /// The totals of both sets of events together.
    #[must_use]
    pub fn combine(self, other: Self) -> Self {
        self.zip(other, u64::wrapping_add)
    }

    /// What `self` holds beyond `earlier`: with running totals, the totals of the events between.
    #[must_use]
    pub fn since(self, earlier: Self) -> Self {
        self.zip(earlier, u64::wrapping_sub)
    }

    /// How many events these are.
    pub fn event_count(&self) -> u64 {
        [
            self.tasks_activated,
            self.penalties_activated,
            self.rewards_requested,
            self.rewards_redeemed,
            self.rewards_cancelled,
        ]
        .into_iter()
        .fold(0, u64::wrapping_add)
    }

    /// `earned / (earned + lost)`; `None` when both are 0.
    pub fn good_share(&self) -> Option<f64> {
        let (earned, lost) = (self.earned as f64, self.lost as f64);
        (earned + lost > 0.0).then(|| earned / (earned + lost))
    }

    fn zip(self, other: Self, op: fn(u64, u64) -> u64) -> Self {
        Self {
            earned: op(self.earned, other.earned),
            lost: op(self.lost, other.lost),
            spent: op(self.spent, other.spent),
            tasks_activated: op(self.tasks_activated, other.tasks_activated),
            penalties_activated: op(self.penalties_activated, other.penalties_activated),
            rewards_requested: op(self.rewards_requested, other.rewards_requested),
            rewards_redeemed: op(self.rewards_redeemed, other.rewards_redeemed),
            rewards_cancelled: op(self.rewards_cancelled, other.rewards_cancelled),
        }
    }
}

impl Add for Totals {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        self.combine(other)
    }
}

impl AddAssign for Totals {
    fn add_assign(&mut self, other: Self) {
        *self = self.combine(other);
    }
}

impl Sub for Totals {
    type Output = Self;

    fn sub(self, earlier: Self) -> Self {
        self.since(earlier)
    }
}

impl Sum for Totals {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Self::combine)
    }
}

/// One period of a bucketed summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketTotals {
    /// The period's first instant: local midnight in the summary's `tz`, written in UTC.
    pub start: Timestamp,
    pub earned: u64,
    pub lost: u64,
    pub spent: u64,
}

impl BucketTotals {
    /// The period starting at `start` with `totals`.
    pub fn new(start: Timestamp, totals: &Totals) -> Self {
        Self {
            start,
            earned: totals.earned,
            lost: totals.lost,
            spent: totals.spent,
        }
    }
}

/// The answer of `GET /children/{id}/summary` and `GET /admin/children/{id}/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildSummary {
    pub child_id: ChildId,
    /// The child's current points; on the admin route, its points after its last recorded event
    /// (0 without events), also for a deleted child.
    pub points: i64,
    /// The range's inclusive start in UTC; `null` for no lower bound.
    pub from: Option<Timestamp>,
    /// The range's exclusive end in UTC; `null` for no upper bound.
    pub to: Option<Timestamp>,
    /// The IANA zone of the bucket edges and of `from`/`to` given without offset.
    pub tz: String,
    /// Every event of the child in the range.
    pub totals: Totals,
    /// `earned / (earned + lost)` of `totals`; `null` when both are 0.
    pub good_share: Option<f64>,
    /// Only with `bucket`: one entry per period in the range that has events, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub buckets: Option<Vec<BucketTotals>>,
}

impl ChildSummary {
    /// The summary of `totals` over `params`' range; `good_share` follows from `totals`.
    /// `buckets` should be given exactly when `params.bucket` is.
    pub fn new(
        child_id: ChildId,
        points: i64,
        params: &SummaryParams,
        totals: Totals,
        buckets: Option<Vec<BucketTotals>>,
    ) -> Self {
        Self {
            child_id,
            points,
            from: params.from,
            to: params.to,
            tz: params.zone.name().to_owned(),
            totals,
            good_share: totals.good_share(),
            buckets,
        }
    }
}

/// The reference summary: folds `events` (any order, any child; those of other children and
/// outside the range are skipped) one by one. A store answers the same from its indexes.
pub fn summarize<'a>(
    child_id: ChildId,
    points: i64,
    params: &SummaryParams,
    events: impl IntoIterator<Item = &'a TrackingEvent>,
) -> Result<ChildSummary, ModelError> {
    let mut totals = Totals::ZERO;
    let mut buckets: BTreeMap<Timestamp, Totals> = BTreeMap::new();
    let in_range = events
        .into_iter()
        .filter(|event| event.child_id() == child_id && params.contains(event.occurred_at()));
    for event in in_range {
        totals.record(event);
        if let Some(bucket) = params.bucket {
            let start = params.zone.bucket_start(bucket, event.occurred_at())?;
            buckets.entry(start).or_default().record(event);
        }
    }
    let buckets = params.bucket.map(|_| {
        buckets
            .iter()
            .map(|(start, totals)| BucketTotals::new(*start, totals))
            .collect()
    });
    Ok(ChildSummary::new(child_id, points, params, totals, buckets))
}
