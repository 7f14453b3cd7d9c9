//! A child's summary from the history table, reading only the events inside the range asked for.
//!
//! [`summarize_running`] asks a [`RunningTotals`] for the totals before a few instants (the range's
//! ends, the bucket edges). A first pass with [`Asked`] records those instants — which ones it
//! asks depends only on the child's first and last event times, read through the child's index.
//! One query then sums the child's events in the range per slot between consecutive instants
//! (`width_bucket`), and the second pass answers from those sums ([`Summed`]). Totals form a group,
//! so running totals counted from the range's start instead of from the first event give the
//! same differences, which is all a summary takes from them.

use std::cell::RefCell;

use sqlx::{Postgres, QueryBuilder};
use tracking_model::{
    ChildId, ChildSummary, RunningTotals, SummaryParams, Timestamp, Totals, summarize_running,
};

use super::query::push_range;
use super::{PostgresStore, rows};
use crate::HistoryError;

/// The first pass: records every instant asked about.
struct Asked {
    span: Option<(Timestamp, Timestamp)>,
    instants: RefCell<Vec<Timestamp>>,
}

impl RunningTotals for Asked {
    fn before(&self, at: Timestamp) -> Totals {
        self.instants.borrow_mut().push(at);
        Totals::ZERO
    }

    fn total(&self) -> Totals {
        Totals::ZERO
    }

    fn span(&self) -> Option<(Timestamp, Timestamp)> {
        self.span
    }
}

/// The second pass: the totals of the range's events before each recorded instant.
struct Summed {
    span: Option<(Timestamp, Timestamp)>,
    /// Sorted, without repeats.
    instants: Vec<Timestamp>,
    /// `before[i]`: the totals of the range's events before `instants[i]`.
    before: Vec<Totals>,
    /// The totals of all the range's events.
    total: Totals,
}

impl RunningTotals for Summed {
    fn before(&self, at: Timestamp) -> Totals {
        // The first pass recorded every instant this pass asks about.
        let index = self.instants.partition_point(|instant| *instant < at);
        self.before.get(index).copied().unwrap_or(self.total)
    }

    fn total(&self) -> Totals {
        self.total
    }

    fn span(&self) -> Option<(Timestamp, Timestamp)> {
        self.span
    }
}

/// A slot's totals: the sums and counts of [`Totals::of`] over its events.
type SlotRow = (i32, i64, i64, i64, i64, i64, i64, i64, i64);

const SLOT_TOTALS: &str = "\
    coalesce(sum(abs(delta)) FILTER (WHERE entity_type = 'task'), 0)::bigint, \
    count(*) FILTER (WHERE entity_type = 'task'), \
    coalesce(sum(abs(delta)) FILTER (WHERE entity_type = 'penalty'), 0)::bigint, \
    count(*) FILTER (WHERE entity_type = 'penalty'), \
    coalesce(sum(abs(delta)) FILTER (WHERE entity_type = 'reward' AND action = 'redeemed'), 0)::bigint, \
    count(*) FILTER (WHERE entity_type = 'reward' AND action = 'redeemed'), \
    count(*) FILTER (WHERE entity_type = 'reward' AND action = 'requested'), \
    count(*) FILTER (WHERE entity_type = 'reward' AND action = 'cancelled')";

fn totals(
    (_, earned, tasks, lost, penalties, spent, redeemed, requested, cancelled): SlotRow,
) -> Totals {
    Totals {
        earned: rows::count(earned),
        lost: rows::count(lost),
        spent: rows::count(spent),
        tasks_activated: rows::count(tasks),
        penalties_activated: rows::count(penalties),
        rewards_requested: rows::count(requested),
        rewards_redeemed: rows::count(redeemed),
        rewards_cancelled: rows::count(cancelled),
    }
}

impl PostgresStore {
    pub(super) async fn summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        let span = self.span(child).await?;
        let asked = Asked {
            span,
            instants: RefCell::new(Vec::new()),
        };
        summarize_running(child, 0, params, &asked)?;
        let mut instants = asked.instants.into_inner();
        instants.sort_unstable();
        instants.dedup();
        let summed = self.sum_slots(child, params, span, instants).await?;
        Ok(summarize_running(child, 0, params, &summed)?)
    }

    /// The `occurred_at` of the child's first and last events.
    async fn span(&self, child: ChildId) -> Result<Option<(Timestamp, Timestamp)>, HistoryError> {
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT min(occurred_at_ms), max(occurred_at_ms) FROM tracking_events WHERE child_id = $1",
        )
        .bind(child.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(match (first, last) {
            (Some(first), Some(last)) => Some((rows::time(first)?, rows::time(last)?)),
            _ => None,
        })
    }

    /// Sums the child's events in `params`' range per slot between the sorted `instants`.
    async fn sum_slots(
        &self,
        child: ChildId,
        params: &SummaryParams,
        span: Option<(Timestamp, Timestamp)>,
        instants: Vec<Timestamp>,
    ) -> Result<Summed, HistoryError> {
        let mut query: QueryBuilder<Postgres> = QueryBuilder::new("SELECT ");
        if instants.is_empty() {
            query.push("0");
        } else {
            let edges: Vec<i64> = instants.iter().map(|at| at.unix_millis()).collect();
            query
                .push("width_bucket(occurred_at_ms, ")
                .push_bind(edges)
                .push("::bigint[])");
        }
        query
            .push(" AS slot, ")
            .push(SLOT_TOTALS)
            .push(" FROM tracking_events WHERE child_id = ")
            .push_bind(child.to_string());
        push_range(&mut query, params.from, params.to);
        query.push(" GROUP BY slot");
        let slots: Vec<SlotRow> = query.build_query_as().fetch_all(&self.pool).await?;
        // `slot` k holds the events with exactly k instants at or before them.
        let mut per_slot = vec![Totals::ZERO; instants.len() + 1];
        for row in slots {
            let slot = usize::try_from(row.0).unwrap_or(0).min(instants.len());
            per_slot[slot] += totals(row);
        }
        let mut before = Vec::with_capacity(instants.len());
        let mut running = Totals::ZERO;
        for slot in &per_slot[..instants.len()] {
            running += *slot;
            before.push(running);
        }
        let total = running + per_slot[instants.len()];
        Ok(Summed {
            span,
            instants,
            before,
            total,
        })
    }
}
