//! Bucket edges in real zones: days cut at local midnight across daylight saving changes (23- and
//! 25-hour days), weeks from Monday, months from the first, and local range bounds.

mod support;

use support::at;
use tracking_model::{Bucket, Timestamp, Zone};

fn zone(name: &str) -> Zone {
    Zone::named(name).unwrap()
}

fn start(zone: &Zone, bucket: Bucket, instant: &str) -> String {
    zone.bucket_start(bucket, at(instant)).unwrap().to_string()
}

fn next(zone: &Zone, bucket: Bucket, instant: &str) -> String {
    zone.next_bucket_start(bucket, at(instant))
        .unwrap()
        .to_string()
}

fn hours_between(from: &str, to: &str) -> i64 {
    (at(to).unix_millis() - at(from).unix_millis()) / 3_600_000
}

#[test]
fn los_angeles_days_start_at_its_midnight_across_dst() {
    let la = zone("America/Los_Angeles");
    // 2026-03-08: clocks jump from 02:00 PST to 03:00 PDT.
    assert_eq!(
        start(&la, Bucket::Day, "2026-03-08T09:30:00Z"),
        "2026-03-08T08:00:00.000Z"
    );
    assert_eq!(
        start(&la, Bucket::Day, "2026-03-08T07:59:59.999Z"),
        "2026-03-07T08:00:00.000Z"
    );
    assert_eq!(
        next(&la, Bucket::Day, "2026-03-08T09:30:00Z"),
        "2026-03-09T07:00:00.000Z"
    );
    assert_eq!(
        hours_between("2026-03-08T08:00:00Z", "2026-03-09T07:00:00Z"),
        23
    );
    // 2026-11-01: clocks fall back from 02:00 PDT to 01:00 PST.
    assert_eq!(
        start(&la, Bucket::Day, "2026-11-01T09:30:00Z"),
        "2026-11-01T07:00:00.000Z"
    );
    assert_eq!(
        next(&la, Bucket::Day, "2026-11-01T07:00:00Z"),
        "2026-11-02T08:00:00.000Z"
    );
    assert_eq!(
        hours_between("2026-11-01T07:00:00Z", "2026-11-02T08:00:00Z"),
        25
    );
}

#[test]
fn berlin_days_start_at_its_midnight_across_dst() {
    let berlin = zone("Europe/Berlin");
    // 2026-03-29: 02:00 CET becomes 03:00 CEST.
    assert_eq!(
        start(&berlin, Bucket::Day, "2026-03-29T12:00:00Z"),
        "2026-03-28T23:00:00.000Z"
    );
    assert_eq!(
        next(&berlin, Bucket::Day, "2026-03-29T12:00:00Z"),
        "2026-03-29T22:00:00.000Z"
    );
    // 2026-10-25: 03:00 CEST becomes 02:00 CET.
    assert_eq!(
        start(&berlin, Bucket::Day, "2026-10-25T12:00:00Z"),
        "2026-10-24T22:00:00.000Z"
    );
    assert_eq!(
        next(&berlin, Bucket::Day, "2026-10-25T12:00:00Z"),
        "2026-10-25T23:00:00.000Z"
    );
    // 23:30 UTC on the 28th is already the 29th in Berlin.
    assert_eq!(
        start(&berlin, Bucket::Day, "2026-03-28T23:30:00Z"),
        "2026-03-28T23:00:00.000Z"
    );
}

#[test]
fn weeks_start_on_monday() {
    let utc = Zone::utc();
    // 2026-02-09 is a Monday; 2026-02-15 a Sunday.
    for instant in [
        "2026-02-09T00:00:00Z",
        "2026-02-12T13:00:00Z",
        "2026-02-15T23:59:59.999Z",
    ] {
        assert_eq!(
            start(&utc, Bucket::Week, instant),
            "2026-02-09T00:00:00.000Z"
        );
    }
    assert_eq!(
        start(&utc, Bucket::Week, "2026-02-08T23:59:59.999Z"),
        "2026-02-02T00:00:00.000Z"
    );
    assert_eq!(
        next(&utc, Bucket::Week, "2026-02-15T23:59:59.999Z"),
        "2026-02-16T00:00:00.000Z"
    );
    // Los Angeles: Sunday 2026-03-08 (the spring change) belongs to the week from Monday 2 March
    // (PST); the next week starts on Monday 9 March in PDT, 167 hours later.
    let la = zone("America/Los_Angeles");
    assert_eq!(
        start(&la, Bucket::Week, "2026-03-09T06:59:00Z"),
        "2026-03-02T08:00:00.000Z"
    );
    assert_eq!(
        next(&la, Bucket::Week, "2026-03-09T06:59:00Z"),
        "2026-03-09T07:00:00.000Z"
    );
    // A week across a new year, in the zone's own calendar.
    assert_eq!(
        start(&utc, Bucket::Week, "2027-01-01T12:00:00Z"),
        "2026-12-28T00:00:00.000Z"
    );
}

#[test]
fn months_start_on_the_first_local_midnight() {
    let la = zone("America/Los_Angeles");
    assert_eq!(
        start(&la, Bucket::Month, "2026-11-01T07:30:00Z"),
        "2026-11-01T07:00:00.000Z"
    );
    assert_eq!(
        start(&la, Bucket::Month, "2026-11-01T06:59:59.999Z"),
        "2026-10-01T07:00:00.000Z"
    );
    assert_eq!(
        next(&la, Bucket::Month, "2026-11-01T07:30:00Z"),
        "2026-12-01T08:00:00.000Z"
    );
    let utc = Zone::utc();
    assert_eq!(
        next(&utc, Bucket::Month, "2028-02-29T23:00:00Z"),
        "2028-03-01T00:00:00.000Z"
    );
    assert_eq!(
        start(&utc, Bucket::Month, "2026-12-31T23:59:59.999Z"),
        "2026-12-01T00:00:00.000Z"
    );
}

#[test]
fn bucket_starts_lists_every_period_the_range_overlaps() {
    let la = zone("America/Los_Angeles");
    let starts: Vec<String> = la
        .bucket_starts(
            Bucket::Day,
            at("2026-03-07T12:00:00Z"),
            at("2026-03-10T00:00:00Z"),
        )
        .unwrap()
        .map(|start| start.to_string())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-03-07T08:00:00.000Z",
            "2026-03-08T08:00:00.000Z",
            "2026-03-09T07:00:00.000Z"
        ]
    );
    let months: Vec<String> = Zone::utc()
        .bucket_starts(
            Bucket::Month,
            at("2026-01-01T00:00:00Z"),
            at("2026-04-01T00:00:00Z"),
        )
        .unwrap()
        .map(|start| start.to_string())
        .collect();
    assert_eq!(
        months,
        [
            "2026-01-01T00:00:00.000Z",
            "2026-02-01T00:00:00.000Z",
            "2026-03-01T00:00:00.000Z"
        ]
    );
    let same = at("2026-03-07T12:00:00Z");
    assert_eq!(
        la.bucket_starts(Bucket::Day, same, same).unwrap().count(),
        0
    );
}

#[test]
fn buckets_near_the_ends_of_time_fail_or_stop_instead_of_panicking() {
    let tokyo = zone("Asia/Tokyo");
    let first = Timestamp::from_unix_millis(-62_167_219_200_000).unwrap();
    assert!(tokyo.bucket_start(Bucket::Day, first).is_err());
    let last = Timestamp::parse("9999-12-31T23:59:59.999Z").unwrap();
    assert!(Zone::utc().next_bucket_start(Bucket::Day, last).is_err());
    let starts: Vec<Timestamp> = Zone::utc()
        .bucket_starts(Bucket::Month, at("9999-11-15T00:00:00Z"), last)
        .unwrap()
        .collect();
    assert_eq!(starts.len(), 2);
}

#[test]
fn names_are_looked_up_without_regard_to_case() {
    assert_eq!(zone("america/los_angeles").name(), "America/Los_Angeles");
    assert_eq!(zone("UTC").name(), "UTC");
    assert_eq!(Zone::utc().name(), "UTC");
    for bad in [
        "",
        "Mars/Olympus_Mons",
        "../../etc/passwd",
        "Europe/Berlin\n",
        "+05:00",
        &"A".repeat(65),
    ] {
        assert!(Zone::named(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn zones_come_from_the_bundled_database_whatever_the_machine_has() {
    assert!(!Zone::database().is_definitively_empty());
    let bundled = jiff::tz::TimeZoneDatabase::bundled();
    let la = Zone::named_in(&bundled, "America/Los_Angeles").unwrap();
    assert_eq!(la, zone("America/Los_Angeles"));
    assert_eq!(
        start(&la, Bucket::Day, "2026-03-08T09:30:00Z"),
        "2026-03-08T08:00:00.000Z"
    );
}

#[test]
fn local_bounds_are_read_in_the_zone() {
    let la = zone("America/Los_Angeles");
    let bound = |text: &str| la.parse_bound(text).map(|at| at.to_string());
    assert_eq!(bound("2026-03-08").unwrap(), "2026-03-08T08:00:00.000Z");
    assert_eq!(bound("2026-03-09").unwrap(), "2026-03-09T07:00:00.000Z");
    assert_eq!(
        bound("2026-03-08T01:59:59.999").unwrap(),
        "2026-03-08T09:59:59.999Z"
    );
    // Skipped by the spring change: read as the same wall time after it.
    assert_eq!(
        bound("2026-03-08T02:30").unwrap(),
        "2026-03-08T10:30:00.000Z"
    );
    // Twice on the autumn change: the first (PDT).
    assert_eq!(
        bound("2026-11-01T01:30:00").unwrap(),
        "2026-11-01T08:30:00.000Z"
    );
    // With an offset the zone does not matter; sub-millisecond digits round up.
    assert_eq!(
        bound("2026-03-08T00:00:00Z").unwrap(),
        "2026-03-08T00:00:00.000Z"
    );
    assert_eq!(
        bound("2026-03-08T00:00:00.0001").unwrap(),
        "2026-03-08T08:00:00.001Z"
    );
    for bad in [
        "",
        "yesterday",
        "2026-3-8",
        "2026-03-08 00:00",
        "2026-03-08T00:00-05:00",
        "2026-03-08T",
        "2026-02-30",
        "2026-03-08T25:00",
        "20260308",
        "+2026-03-08",
    ] {
        assert!(la.parse_bound(bad).is_err(), "{bad:?} was accepted");
    }
}
