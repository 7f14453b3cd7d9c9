//! The query of the summary routes (`from`, `to`, `tz`, `bucket`) and what it resolves to.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

use crate::params::{one_of, set_once};
use crate::{Bucket, InvalidField, Timestamp, Zone};

/// The query parameters of `GET /children/{id}/summary`, `GET /admin/children/{id}/summary` and
/// (without `bucket`) `GET /summary`, as a client sends them; all optional.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema, IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Events with `occurred_at >=` this: RFC 3339, or a local date or date-time in `tz`.
    #[ts(optional)]
    pub from: Option<String>,
    /// Events with `occurred_at <` this: RFC 3339, or a local date or date-time in `tz`.
    #[ts(optional)]
    pub to: Option<String>,
    /// An IANA zone name; default `UTC`.
    #[ts(optional)]
    pub tz: Option<String>,
    /// Split the totals into periods of this length (child summaries only).
    #[ts(optional)]
    pub bucket: Option<Bucket>,
}

/// Which parameters a summary route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryScope {
    /// One child's summary: `from`, `to`, `tz`, `bucket`.
    Child,
    /// The family's ranking: `from`, `to`, `tz`.
    Family,
}

/// A summary query checked and resolved: bounds in UTC, the zone looked up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryParams {
    /// Inclusive; `None` for no lower bound.
    pub from: Option<Timestamp>,
    /// Exclusive; `None` for no upper bound.
    pub to: Option<Timestamp>,
    pub zone: Zone,
    pub bucket: Option<Bucket>,
}

impl SummaryQuery {
    /// Reads decoded query-string pairs. Unknown, repeated or malformed parameters are refused,
    /// naming the parameter; so is `bucket` on the family's ranking.
    pub fn from_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
        scope: SummaryScope,
    ) -> Result<Self, InvalidField>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut query = Self::default();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            match key {
                "from" => set_once(&mut query.from, key, value.to_owned())?,
                "to" => set_once(&mut query.to, key, value.to_owned())?,
                "tz" => set_once(&mut query.tz, key, value.to_owned())?,
                "bucket" if scope == SummaryScope::Family => {
                    return Err(InvalidField::new(
                        key,
                        "is only accepted on a child's summary",
                    ));
                }
                "bucket" => set_once(&mut query.bucket, key, one_of(key, value, &Bucket::ALL)?)?,
                _ => return Err(InvalidField::new(key, "is not a known parameter")),
            }
        }
        Ok(query)
    }

    /// Looks up `tz` and reads `from` and `to` in it.
    pub fn resolve(&self) -> Result<SummaryParams, InvalidField> {
        let zone = match &self.tz {
            Some(name) => Zone::named(name)
                .map_err(|_| InvalidField::new("tz", "is not a known IANA time zone"))?,
            None => Zone::utc(),
        };
        let bound = |key: &str, text: &Option<String>| {
            text.as_deref()
                .map(|text| {
                    zone.parse_bound(text).map_err(|_| {
                        InvalidField::new(
                            key,
                            "must be an RFC 3339 timestamp, or a local date or date-time in tz",
                        )
                    })
                })
                .transpose()
        };
        Ok(SummaryParams {
            from: bound("from", &self.from)?,
            to: bound("to", &self.to)?,
            bucket: self.bucket,
            zone,
        })
    }
}

impl SummaryParams {
    /// Reads and resolves decoded query-string pairs: [`SummaryQuery::from_pairs`], then
    /// [`SummaryQuery::resolve`].
    pub fn from_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
        scope: SummaryScope,
    ) -> Result<Self, InvalidField>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        SummaryQuery::from_pairs(pairs, scope)?.resolve()
    }

    /// Whether an event that occurred at `at` falls in the range.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at < to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)], scope: SummaryScope) -> Result<SummaryParams, InvalidField> {
        SummaryParams::from_pairs(pairs.iter().copied(), scope)
    }

    #[test]
    fn empty_query_is_all_time_in_utc_without_buckets() {
        let params = params(&[], SummaryScope::Child).unwrap();
        assert_eq!((params.from, params.to, params.bucket), (None, None, None));
        assert_eq!(params.zone.name(), "UTC");
    }

    #[test]
    fn reads_local_bounds_in_tz_whatever_the_order() {
        let params = params(
            &[
                ("from", "2026-03-08"),
                ("bucket", "week"),
                ("to", "2026-03-09T00:00:00Z"),
                ("tz", "America/Los_Angeles"),
            ],
            SummaryScope::Child,
        )
        .unwrap();
        assert_eq!(params.from.unwrap().to_string(), "2026-03-08T08:00:00.000Z");
        assert_eq!(params.to.unwrap().to_string(), "2026-03-09T00:00:00.000Z");
        assert_eq!(params.bucket, Some(Bucket::Week));
        assert_eq!(params.zone.name(), "America/Los_Angeles");
        assert!(params.contains(params.from.unwrap()));
        assert!(!params.contains(params.to.unwrap()));
    }

    #[test]
    fn refuses_bad_parameters_naming_them() {
        let cases: &[(&str, &str)] = &[
            ("from", "yesterday"),
            ("to", "2026-02-30"),
            ("tz", "Mars/Olympus_Mons"),
            ("tz", ""),
            ("bucket", "year"),
            ("bucket", "Day"),
            ("limit", "5"),
            ("child_id", "01JKZ8N0P1Q2R3S4T5V6W7X8YZ"),
        ];
        for (key, value) in cases {
            let error = params(&[(key, value)], SummaryScope::Child).unwrap_err();
            assert_eq!(error.field, *key, "{key}={value}");
        }
        let repeated = params(&[("tz", "UTC"), ("tz", "UTC")], SummaryScope::Child);
        assert_eq!(repeated.unwrap_err().field, "tz");
    }

    #[test]
    fn the_family_ranking_takes_no_bucket() {
        let error = params(&[("bucket", "day")], SummaryScope::Family).unwrap_err();
        assert_eq!(error.field, "bucket");
        assert!(params(&[("tz", "Europe/Berlin")], SummaryScope::Family).is_ok());
    }

    #[test]
    fn a_bad_tz_is_named_before_the_bounds_it_would_read() {
        let error = params(
            &[("from", "2026-03-08"), ("tz", "Nowhere/City")],
            SummaryScope::Child,
        )
        .unwrap_err();
        assert_eq!(error.field, "tz");
        assert_eq!(
            crate::ErrorBody::from(error).error.code,
            crate::ErrorCode::InvalidRequest
        );
    }
}
