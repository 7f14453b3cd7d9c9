//! UTC instants with millisecond precision, written as RFC 3339 with a `Z`: `2026-02-09T18:42:15.123Z`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use ts_rs::TS;

use crate::ModelError;

/// An instant in UTC, whole milliseconds, between the years 0000 and 9999.
///
/// Serialized as RFC 3339 with exactly three fraction digits and a `Z`; that text parses back to
/// the same value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, TS)]
pub struct Timestamp(#[ts(type = "string")] i64);

const MIN_MILLIS: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MILLIS: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

impl Timestamp {
    /// The current server time, truncated to the millisecond.
    pub fn now() -> Self {
        Self::from_datetime_floor(OffsetDateTime::now_utc())
            .expect("the system clock is between the years 0000 and 9999")
    }

    /// The instant `millis` milliseconds after the Unix epoch.
    pub fn from_unix_millis(millis: i64) -> Result<Self, ModelError> {
        if (MIN_MILLIS..=MAX_MILLIS).contains(&millis) {
            Ok(Self(millis))
        } else {
            Err(ModelError::BadTimestamp {
                reason: "outside the years 0000 to 9999".into(),
            })
        }
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Parses any RFC 3339 timestamp, with `Z` or an offset, dropping digits below the millisecond.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        Self::from_datetime_floor(parse_rfc3339(text)?)
    }

    /// Parses any RFC 3339 timestamp, rounding up to the next whole millisecond.
    ///
    /// For query bounds: since stored instants are whole milliseconds, `t >= bound` and
    /// `t < bound` mean the same with the rounded-up bound as with the exact one.
    pub fn parse_ceil(text: &str) -> Result<Self, ModelError> {
        let at = parse_rfc3339(text)?;
        let floor = Self::from_datetime_floor(at)?;
        if at.nanosecond() % 1_000_000 == 0 {
            Ok(floor)
        } else {
            Self::from_unix_millis(floor.0 + 1)
        }
    }

    /// The same instant as a `time` value in UTC.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .expect("the range is checked on construction")
    }

    /// This instant plus `millis` milliseconds.
    pub fn plus_millis(self, millis: i64) -> Result<Self, ModelError> {
        Self::from_unix_millis(self.0.saturating_add(millis))
    }

    fn from_datetime_floor(at: OffsetDateTime) -> Result<Self, ModelError> {
        let millis = at.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(millis)
            .map_err(|_| ModelError::BadTimestamp {
                reason: "outside the years 0000 to 9999".into(),
            })
            .and_then(Self::from_unix_millis)
    }
}

fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, ModelError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|err| ModelError::BadTimestamp {
        reason: format!("not RFC 3339: {err}"),
    })
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

/// A timestamp's text, on the stack: writing a timestamp allocates nothing.
struct Text([u8; 24]);

impl Text {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a timestamp's text is ASCII")
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: always 24 bytes, since the year is between 0000 and 9999.
    fn text(self) -> Text {
        let at = self.to_datetime();
        let (year, month, day) = at.to_calendar_date();
        let (hour, minute, second, milli) = at.to_hms_milli();
        let mut text = *b"0000-00-00T00:00:00.000Z";
        let fields = [
            (0..4, year.unsigned_abs()),
            (5..7, u32::from(u8::from(month))),
            (8..10, u32::from(day)),
            (11..13, u32::from(hour)),
            (14..16, u32::from(minute)),
            (17..19, u32::from(second)),
            (20..23, u32::from(milli)),
        ];
        for (range, mut value) in fields {
            for digit in text[range].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Text(text)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text().as_str())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "RFC 3339; the server writes UTC with three fraction digits and a `Z`",
            ))
            .examples(["2026-02-09T18:42:15.123Z"])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn writes_milliseconds_and_z() {
        let at = Timestamp::parse("2026-02-09T18:42:15.123Z").unwrap();
        assert_eq!(at.to_string(), "2026-02-09T18:42:15.123Z");
        let whole = Timestamp::parse("2026-02-09T18:42:15Z").unwrap();
        assert_eq!(whole.to_string(), "2026-02-09T18:42:15.000Z");
    }

    #[test]
    fn converts_offsets_to_utc() {
        let at = Timestamp::parse("2026-02-09T20:42:15.5+02:00").unwrap();
        assert_eq!(at.to_string(), "2026-02-09T18:42:15.500Z");
    }

    #[test]
    fn ceil_rounds_sub_millisecond_bounds_up() {
        assert_eq!(
            Timestamp::parse_ceil("2026-02-09T18:42:15.1231Z")
                .unwrap()
                .to_string(),
            "2026-02-09T18:42:15.124Z"
        );
        assert_eq!(
            Timestamp::parse_ceil("2026-02-09T18:42:15.123Z")
                .unwrap()
                .to_string(),
            "2026-02-09T18:42:15.123Z"
        );
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for text in [
            "",
            "yesterday",
            "2026-02-09",
            "2026-02-09T18:42:15+2:00",
            "2026-02-09T18:42:15",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text:?} was accepted");
        }
        assert!(serde_json::from_str::<Timestamp>("12345").is_err());
    }

    #[test]
    fn refuses_instants_outside_four_digit_years() {
        assert!(Timestamp::parse("0000-01-01T00:30:00+01:00").is_err());
        assert!(Timestamp::from_unix_millis(MAX_MILLIS + 1).is_err());
        assert_eq!(
            Timestamp::from_unix_millis(MAX_MILLIS).unwrap().to_string(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(MIN_MILLIS).unwrap().to_string(),
            "0000-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn now_is_whole_milliseconds() {
        let now = Timestamp::now();
        assert_eq!(Timestamp::parse(&now.to_string()), Ok(now));
    }

    proptest! {
        #[test]
        fn every_instant_round_trips_through_json(millis in MIN_MILLIS..=MAX_MILLIS) {
            let at = Timestamp::from_unix_millis(millis).unwrap();
            let json = serde_json::to_string(&at).unwrap();
            prop_assert_eq!(json.len(), 26);
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), at);
        }

        #[test]
        fn writes_what_the_time_crate_writes(millis in MIN_MILLIS..=MAX_MILLIS) {
            let at = Timestamp::from_unix_millis(millis).unwrap();
            let format = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            );
            prop_assert_eq!(at.to_string(), at.to_datetime().format(&format).unwrap());
        }
    }
}
