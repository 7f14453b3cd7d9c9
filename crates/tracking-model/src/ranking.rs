//! The family's ranking, the answer of `GET /summary`: children ordered by points earned.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{ChildId, Totals};

/// A child and its totals over the range, before ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub child_id: ChildId,
    pub name: String,
    /// The child's current points.
    pub points: i64,
    pub totals: Totals,
}

/// One child's place in its family's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RankedChild {
    pub child_id: ChildId,
    pub name: String,
    /// The child's current points.
    pub points: i64,
    /// The child's events in the range.
    pub totals: Totals,
    /// `earned / (earned + lost)` of `totals`; `null` when both are 0.
    pub good_share: Option<f64>,
    /// 1 for the most `earned`; children with equal `earned` share a rank, and the next rank
    /// skips as many places (1, 1, 3).
    pub rank: u32,
}

/// The answer of `GET /summary`: every child of the family, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyRanking {
    /// Ordered by `totals.earned` descending, then by name, then by id.
    pub children: Vec<RankedChild>,
}

impl FamilyRanking {
    /// Ranks `standings` by `totals.earned`, highest first.
    pub fn rank(standings: impl IntoIterator<Item = Standing>) -> Self {
        let mut standings: Vec<Standing> = standings.into_iter().collect();
        standings.sort_by(|a, b| {
            b.totals
                .earned
                .cmp(&a.totals.earned)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.child_id.cmp(&b.child_id))
        });
        let mut children: Vec<RankedChild> = Vec::with_capacity(standings.len());
        for (place, standing) in standings.into_iter().enumerate() {
            let rank = match children.last() {
                Some(previous) if previous.totals.earned == standing.totals.earned => previous.rank,
                _ => u32::try_from(place + 1).unwrap_or(u32::MAX),
            };
            children.push(RankedChild {
                child_id: standing.child_id,
                good_share: standing.totals.good_share(),
                name: standing.name,
                points: standing.points,
                totals: standing.totals,
                rank,
            });
        }
        Self { children }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(name: &str, earned: u64, lost: u64) -> Standing {
        Standing {
            child_id: ChildId::generate(),
            name: name.into(),
            points: 7,
            totals: Totals {
                earned,
                lost,
                ..Totals::ZERO
            },
        }
    }

    fn ranks(ranking: &FamilyRanking) -> Vec<(&str, u32)> {
        ranking
            .children
            .iter()
            .map(|child| (child.name.as_str(), child.rank))
            .collect()
    }

    #[test]
    fn equal_earned_share_a_rank_and_the_next_skips() {
        let ranking = FamilyRanking::rank([
            standing("Cleo", 10, 0),
            standing("Ada", 30, 5),
            standing("Ben", 30, 0),
            standing("Dan", 0, 0),
            standing("Eve", 0, 4),
        ]);
        assert_eq!(
            ranks(&ranking),
            [("Ada", 1), ("Ben", 1), ("Cleo", 3), ("Dan", 4), ("Eve", 4)]
        );
    }

    #[test]
    fn ties_in_name_fall_back_to_the_id() {
        let mut first = standing("Sam", 5, 0);
        let mut second = standing("Sam", 5, 0);
        if first.child_id > second.child_id {
            std::mem::swap(&mut first, &mut second);
        }
        let ranking = FamilyRanking::rank([second.clone(), first.clone()]);
        let ids: Vec<ChildId> = ranking.children.iter().map(|c| c.child_id).collect();
        assert_eq!(ids, [first.child_id, second.child_id]);
        assert_eq!(ranks(&ranking), [("Sam", 1), ("Sam", 1)]);
    }

    #[test]
    fn entries_carry_the_contract_fields_and_good_share() {
        let ranking = FamilyRanking::rank([standing("Ada", 3, 1), standing("Dan", 0, 0)]);
        let json = serde_json::to_value(&ranking).unwrap();
        let first = &json["children"][0];
        let mut keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["child_id", "good_share", "name", "points", "rank", "totals"]
        );
        assert_eq!(first["good_share"], 0.75);
        assert_eq!(json["children"][1]["good_share"], serde_json::Value::Null);
        assert_eq!(FamilyRanking::rank([]).children.len(), 0);
    }
}
