//! The filters, order and pagination of the tracking endpoints, and the page they answer with.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

use crate::params::{QueryPair, one_of, read_pairs, set_once};
use crate::{Action, ChildId, EntityType, InvalidField, Timestamp, TrackingEvent, UserId};

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest `limit` accepted.
pub const MAX_LIMIT: u32 = 500;

/// Direction over (`occurred_at`, `created_at`, `id`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// The query parameters of `GET /children/{id}/tracking` and `GET /admin/tracking`, all optional
/// and combined with AND. `child_id` and `user_id` are for the admin route only.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema, IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[ts(optional_fields)]
pub struct TrackingQuery {
    pub child_id: Option<ChildId>,
    pub user_id: Option<UserId>,
    pub entity_type: Option<EntityType>,
    pub action: Option<Action>,
    /// Events with `occurred_at >= from`.
    pub from: Option<Timestamp>,
    /// Events with `occurred_at < to`.
    pub to: Option<Timestamp>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Default 0.
    #[param(maximum = 9_007_199_254_740_991_u64)]
    pub offset: Option<u64>,
    /// Default `asc`.
    pub order: Option<SortOrder>,
}

/// Which parameters a route accepts beyond the common ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryScope {
    /// A parent reading one child: no `child_id`, no `user_id`.
    Child,
    /// The admin across families.
    Admin,
}

impl TrackingQuery {
    /// Reads decoded query-string pairs. Unknown, repeated or malformed parameters are refused,
    /// naming the parameter. `from`/`to` accept any RFC 3339 timestamp.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = impl QueryPair>,
        scope: QueryScope,
    ) -> Result<Self, InvalidField> {
        read_pairs(pairs, |query: &mut Self, key, value| {
            if matches!(key, "child_id" | "user_id") && scope == QueryScope::Child {
                return Err(InvalidField::new(
                    key,
                    "is only accepted on /admin/tracking",
                ));
            }
            match key {
                "child_id" => set_once(&mut query.child_id, key, parse_id(key, value)?),
                "user_id" => set_once(&mut query.user_id, key, parse_id(key, value)?),
                "entity_type" => set_once(
                    &mut query.entity_type,
                    key,
                    one_of(key, value, &EntityType::ALL)?,
                ),
                "action" => set_once(&mut query.action, key, one_of(key, value, &Action::ALL)?),
                "from" => set_once(&mut query.from, key, parse_bound(key, value)?),
                "to" => set_once(&mut query.to, key, parse_bound(key, value)?),
                "limit" => set_once(&mut query.limit, key, parse_limit(value)?),
                "offset" => set_once(&mut query.offset, key, parse_offset(value)?),
                "order" => set_once(&mut query.order, key, parse_order(value)?),
                _ => Err(InvalidField::new(key, "is not a known parameter")),
            }
        })
    }

    /// The page size, defaulted.
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The number of matches to skip, defaulted.
    pub fn offset(&self) -> u64 {
        self.offset.unwrap_or(0)
    }

    /// The direction, defaulted.
    pub fn order(&self) -> SortOrder {
        self.order.unwrap_or_default()
    }

    /// Whether `event` passes every filter given.
    pub fn matches(&self, event: &TrackingEvent) -> bool {
        self.child_id.is_none_or(|id| event.child_id() == id)
            && self.user_id.is_none_or(|id| event.user_id() == Some(id))
            && self
                .entity_type
                .is_none_or(|kind| event.entity_type() == kind)
            && self.action.is_none_or(|action| event.action() == action)
            && self.from.is_none_or(|from| event.occurred_at() >= from)
            && self.to.is_none_or(|to| event.occurred_at() < to)
    }
}

fn parse_id<T: FromStr>(key: &str, value: &str) -> Result<T, InvalidField> {
    value
        .parse()
        .map_err(|_| InvalidField::new(key, "is not a valid id"))
}

fn parse_bound(key: &str, value: &str) -> Result<Timestamp, InvalidField> {
    Timestamp::parse_ceil(value)
        .map_err(|_| InvalidField::new(key, "must be an RFC 3339 timestamp"))
}

fn parse_limit(value: &str) -> Result<u32, InvalidField> {
    value
        .parse::<u32>()
        .ok()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| InvalidField::new("limit", "must be an integer from 1 to 500"))
}

fn parse_offset(value: &str) -> Result<u64, InvalidField> {
    value
        .parse::<u64>()
        .ok()
        .filter(|offset| *offset <= crate::MAX_POINTS as u64)
        .ok_or_else(|| InvalidField::new("offset", "must be a non-negative integer"))
}

fn parse_order(value: &str) -> Result<SortOrder, InvalidField> {
    match value {
        "asc" => Ok(SortOrder::Asc),
        "desc" => Ok(SortOrder::Desc),
        _ => Err(InvalidField::new("order", "must be asc or desc")),
    }
}

/// One page of results and the count of every match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Every match, not just this page.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

impl<T> Page<T> {
    /// The page `query` asked for: `items` of `total` matches, with the query's defaulted
    /// `limit` and `offset`.
    pub fn answering(query: &TrackingQuery, items: Vec<T>, total: u64) -> Self {
        Self {
            items,
            total,
            limit: query.limit(),
            offset: query.offset(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)], scope: QueryScope) -> Result<TrackingQuery, InvalidField> {
        TrackingQuery::from_pairs(pairs.iter().copied(), scope)
    }

    #[test]
    fn empty_query_takes_the_defaults() {
        let query = parse(&[], QueryScope::Admin).unwrap();
        assert_eq!(
            (query.limit(), query.offset(), query.order()),
            (50, 0, SortOrder::Asc)
        );
    }

    #[test]
    fn reads_every_parameter() {
        let child = ChildId::generate();
        let user = UserId::generate();
        let query = parse(
            &[
                ("child_id", &child.to_string()),
                ("user_id", &user.to_string()),
                ("entity_type", "penalty"),
                ("action", "activated"),
                ("from", "2026-02-09T00:00:00+01:00"),
                ("to", "2026-02-10T00:00:00Z"),
                ("limit", "500"),
                ("offset", "10"),
                ("order", "desc"),
            ],
            QueryScope::Admin,
        )
        .unwrap();
        assert_eq!(query.child_id, Some(child));
        assert_eq!(query.user_id, Some(user));
        assert_eq!(query.entity_type, Some(EntityType::Penalty));
        assert_eq!(query.action, Some(Action::Activated));
        assert_eq!(query.from.unwrap().to_string(), "2026-02-08T23:00:00.000Z");
        assert_eq!(query.to.unwrap().to_string(), "2026-02-10T00:00:00.000Z");
        assert_eq!(
            (query.limit(), query.offset(), query.order()),
            (500, 10, SortOrder::Desc)
        );
    }

    #[test]
    fn refuses_bad_parameters_naming_them() {
        let cases: &[(&str, &str)] = &[
            ("limit", "0"),
            ("limit", "501"),
            ("limit", "-1"),
            ("limit", "ten"),
            ("offset", "-1"),
            ("offset", "1.5"),
            ("order", "up"),
            ("entity_type", "chore"),
            ("action", "ACTIVATED"),
            ("from", "yesterday"),
            ("to", "2026-02-10"),
            ("child_id", "123"),
            ("user_id", ""),
            ("colour", "red"),
        ];
        for (key, value) in cases {
            let error = parse(&[(key, value)], QueryScope::Admin).unwrap_err();
            assert_eq!(error.field, *key, "{key}={value}");
        }
    }

    #[test]
    fn refuses_repeats_and_admin_filters_on_the_child_route() {
        assert_eq!(
            parse(&[("limit", "5"), ("limit", "6")], QueryScope::Admin)
                .unwrap_err()
                .field,
            "limit"
        );
        let child = ChildId::generate().to_string();
        assert_eq!(
            parse(&[("child_id", &child)], QueryScope::Child)
                .unwrap_err()
                .field,
            "child_id"
        );
        assert!(parse(&[("child_id", &child)], QueryScope::Admin).is_ok());
    }
}
