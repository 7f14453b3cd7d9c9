//! The spelling of a summary's `from`, `to` and `tz` that the OpenAPI document gives is the one
//! the server accepts: every string the document allows resolves, in every listed zone, and
//! what it does not allow is refused.

use jiff::civil::Date;
use proptest::prelude::*;
use regex::Regex;
use tracking_model::summary_query::bound_pattern;
use tracking_model::{SummaryParams, SummaryScope, Zone};

fn resolve(pairs: &[(&str, &str)]) -> Result<SummaryParams, tracking_model::InvalidField> {
    SummaryParams::from_pairs(pairs.iter().copied(), SummaryScope::Child)
}

/// A date of the years the pattern allows, any day of its month.
fn date() -> impl Strategy<Value = Date> {
    (1_i16..=9998, 1_i8..=12, 1_i8..=31).prop_map(|(year, month, day)| {
        let first = Date::new(year, month, 1).unwrap();
        Date::new(year, month, day.min(first.days_in_month())).unwrap()
    })
}

/// Every shape the pattern describes: a date; a date and `hh:mm`; with seconds; with up to nine
/// fraction digits; with `Z` or an offset.
fn bound() -> impl Strategy<Value = String> {
    (
        date(),
        0_u8..6,
        (0_u8..24, 0_u8..60, 0_u8..60),
        "[0-9]{1,9}",
        prop_oneof![
            Just("Z".to_owned()),
            (any::<bool>(), 0_u8..24, 0_u8..60)
                .prop_map(|(plus, h, m)| format!("{}{h:02}:{m:02}", if plus { '+' } else { '-' })),
        ],
    )
        .prop_map(|(date, shape, (h, m, s), fraction, offset)| match shape {
            0 => date.to_string(),
            1 => format!("{date}T{h:02}:{m:02}"),
            2 => format!("{date}T{h:02}:{m:02}:{s:02}"),
            3 => format!("{date}T{h:02}:{m:02}:{s:02}.{fraction}"),
            4 => format!("{date}T{h:02}:{m:02}:{s:02}{offset}"),
            _ => format!("{date}T{h:02}:{m:02}:{s:02}.{fraction}{offset}"),
        })
}

fn zone() -> impl Strategy<Value = &'static str> {
    (0..Zone::names().len()).prop_map(|index| Zone::names()[index].as_str())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn every_documented_bound_resolves_in_every_listed_zone(
        from in bound(), to in bound(), tz in zone()
    ) {
        let pattern = Regex::new(bound_pattern()).unwrap();
        prop_assert!(pattern.is_match(&from), "{from:?} is outside the pattern");
        let resolved = resolve(&[("from", &from), ("to", &to), ("tz", tz), ("bucket", "day")]);
        prop_assert!(resolved.is_ok(), "from={from} to={to} tz={tz}: {resolved:?}");
    }

    #[test]
    fn a_bound_outside_the_pattern_is_refused(text in "[0-9T:.Z+-]{0,30}") {
        let pattern = Regex::new(bound_pattern()).unwrap();
        if !pattern.is_match(&text) {
            let refused = resolve(&[("from", &text)]).unwrap_err();
            prop_assert_eq!(refused.field.as_str(), "from");
        }
    }
}

#[test]
fn the_pattern_keeps_the_calendar_and_the_years_every_zone_can_read() {
    for accepted in [
        "0001-01-01",
        "9998-12-31T23:59:59.999999999-23:59",
        "2024-02-29",
        "2000-02-29T00:00",
        "0400-02-29",
        "2026-04-30T12:00:00+05:30",
        "2026-03-08T02:30",
    ] {
        for tz in ["Pacific/Kiritimati", "Etc/GMT+12", "America/Los_Angeles"] {
            assert!(
                resolve(&[("from", accepted), ("tz", tz)]).is_ok(),
                "{accepted} in {tz}"
            );
        }
    }
    for refused in [
        "0000-01-01",
        "9999-01-01",
        "9999-12-31T23:59:59Z",
        "2026-02-29",
        "1900-02-29",
        "2026-04-31",
        "2026-03-08T24:00",
        "2026-03-08T10:00Z",
        "2026-03-08t10:00:00z",
        "2026-03-08 10:00:00Z",
        "2026-03-08T10:00:00.1234567890Z",
        "2026-03-08T10:00:60Z",
        "2026-03-08T10:00:00+24:00",
        "2026-03-08\n",
        "+2026-03-08",
        "",
    ] {
        let error = resolve(&[("from", refused)]).unwrap_err();
        assert_eq!(error.field, "from", "{refused:?}");
    }
}

#[test]
fn zones_are_spelled_as_the_database_lists_them() {
    let names = Zone::names();
    assert!(names.len() > 400, "{} names", names.len());
    assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
    for name in ["UTC", "Europe/Berlin", "America/Los_Angeles", "Etc/GMT+12"] {
        assert!(names.iter().any(|listed| listed == name), "{name}");
        assert_eq!(resolve(&[("tz", name)]).unwrap().zone.name(), name);
    }
    for name in names {
        assert_eq!(Zone::listed(name).unwrap().name(), name.as_str());
    }
    for unlisted in [
        "utc",
        "europe/berlin",
        "Europe/Berlin ",
        "Mars/Olympus_Mons",
        "",
    ] {
        assert_eq!(resolve(&[("tz", unlisted)]).unwrap_err().field, "tz");
    }
}
