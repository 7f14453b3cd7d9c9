//! The query of the summary routes (`from`, `to`, `tz`, `bucket`) and what it resolves to.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

use crate::params::{QueryPair, one_of, read_pairs, set_once};
use crate::{Bucket, InvalidField, Timestamp, Zone};

/// The query parameters of `GET /children/{id}/summary`, `GET /admin/children/{id}/summary` and
/// (without `bucket`) `GET /summary`, as a client sends them; all optional.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema, IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
#[ts(optional_fields)]
pub struct SummaryQuery {
    /// Events with `occurred_at >=` this: RFC 3339, or a local date or date-time in `tz`.
    #[param(schema_with = bound_schema)]
    pub from: Option<String>,
    /// Events with `occurred_at <` this: RFC 3339, or a local date or date-time in `tz`.
    #[param(schema_with = bound_schema)]
    pub to: Option<String>,
    /// An IANA zone name; default `UTC`.
    #[param(schema_with = zone_schema)]
    pub tz: Option<String>,
    /// Split the totals into periods of this length (child summaries only).
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
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = impl QueryPair>,
        scope: SummaryScope,
    ) -> Result<Self, InvalidField> {
        read_pairs(pairs, |query: &mut Self, key, value| match key {
            "from" => set_once(&mut query.from, key, value.to_owned()),
            "to" => set_once(&mut query.to, key, value.to_owned()),
            "tz" => set_once(&mut query.tz, key, value.to_owned()),
            "bucket" if scope == SummaryScope::Family => Err(InvalidField::new(
                key,
                "is only accepted on a child's summary",
            )),
            "bucket" => set_once(&mut query.bucket, key, one_of(key, value, &Bucket::ALL)?),
            _ => Err(InvalidField::new(key, "is not a known parameter")),
        })
    }

    /// Looks up `tz` (spelled as [`Zone::names`] lists it) and reads `from` and `to` in it
    /// (each matching [`bound_pattern`]).
    pub fn resolve(&self) -> Result<SummaryParams, InvalidField> {
        let zone = match &self.tz {
            Some(name) => Zone::listed(name)
                .map_err(|_| InvalidField::new("tz", "is not a known IANA time zone"))?,
            None => Zone::utc(),
        };
        let bound = |key: &str, text: &Option<String>| {
            text.as_deref()
                .map(|text| {
                    bound_regex()
                        .is_match(text)
                        .then(|| zone.parse_bound(text).ok())
                        .flatten()
                        .ok_or_else(|| {
                            InvalidField::new(
                                key,
                                "must be an RFC 3339 timestamp, or a local date or date-time in \
                                 tz, of the years 0001 to 9998",
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
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = impl QueryPair>,
        scope: SummaryScope,
    ) -> Result<Self, InvalidField> {
        SummaryQuery::from_pairs(pairs, scope)?.resolve()
    }

    /// Whether an event that occurred at `at` falls in the range.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at < to)
    }
}

/// The one spelling of a summary's `from` and `to`, for the server and the OpenAPI document alike:
/// a calendar date of the years 0001 to 9998 (February 29 in leap years only), optionally
/// followed by `T`, hours and minutes, then optionally seconds, up to nine fraction digits and
/// an offset (`Z` or `±hh:mm`; RFC 3339 needs the seconds with it). Without an offset the date
/// or date-time is local to `tz`. Years 0000 and 9999 are left out so that every match, read in
/// any zone or with any offset, is an instant the history can hold.
pub fn bound_pattern() -> &'static str {
    static PATTERN: OnceLock<String> = OnceLock::new();
    PATTERN.get_or_init(|| {
        let year = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])";
        let leap_year = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)";
        let date = format!(
            "({year}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\
             |{year}-(0[13-9]|1[0-2])-(29|30)\
             |{year}-(0[13578]|1[02])-31\
             |{leap_year}-02-29)"
        );
        let hour = "([01][0-9]|2[0-3])";
        let minute = "[0-5][0-9]";
        let offset = format!("(Z|[+-]{hour}:{minute})");
        format!(
            "^{date}(T{hour}:{minute}(:{minute}(\\.[0-9]{{1,9}})?{offset}?)?)?$"
        )
    })
}

fn bound_regex() -> &'static Regex {
    static REGEX: OnceLock<Regex> = OnceLock::new();
    REGEX.get_or_init(|| Regex::new(bound_pattern()).expect("the bound pattern compiles"))
}

/// The OpenAPI schema of `from` and `to`: [`bound_pattern`].
pub fn bound_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(bound_pattern()))
        .description(Some(
            "An RFC 3339 timestamp (`2026-03-08T10:00:00Z`, `2026-03-08T02:00:00.5-08:00`), or a \
             date or date-time without offset, local to `tz` (`2026-03-08`, its first instant; \
             `2026-03-08T02:30`, `2026-03-08T02:30:00.250`); years 0001 to 9998",
        ))
        .examples(["2026-03-08", "2026-03-08T02:30", "2026-03-08T10:00:00.000Z"])
        .build()
}

/// The OpenAPI schema of `tz`: the names of [`Zone::names`].
pub fn zone_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Zone::names().iter().map(String::as_str)))
        .description(Some(
            "An IANA time zone name of the database compiled into the server, spelled as listed",
        ))
        .examples(["Europe/Berlin", "America/Los_Angeles", "UTC"])
        .build()
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
