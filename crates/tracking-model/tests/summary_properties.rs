//! Property tests of the summary arithmetic against an independent reference: random histories,
//! random ranges, zones with daylight saving time (some with clock changes at midnight).
//!
//! The reference groups events by their local calendar label (date, ISO week, month) and finds
//! each period's start by bisection over instants, using only the instant-to-local-time direction
//! of the zone; it shares no code with `Zone::bucket_start`.

mod support;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use proptest::prelude::*;
use support::event;
use tracking_model::{
    Action, Bucket, ChildId, EntityType, RunningTotals, SummaryParams, Timestamp, Totals,
    TrackingEvent, Zone, summarize, summarize_running,
};

const ZONES: [&str; 9] = [
    "UTC",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Australia/Lord_Howe", // 30-minute DST shift
    "Asia/Kolkata",        // +05:30, no DST
    "Pacific/Chatham",     // +12:45 / +13:45
    "America/Santiago",    // spring change at midnight: the day starts at 01:00
    "America/Havana",      // spring change at midnight, autumn fold at 01:00
    "Pacific/Apia",        // skipped 30 December 2011, DST until 2021
];

const DAY_MS: i64 = 86_400_000;
/// 2010-01-01T00:00:00Z and 2032-01-01T00:00:00Z.
const WINDOW: (i64, i64) = (1_262_304_000_000, 1_956_528_000_000);

fn kind() -> impl Strategy<Value = (EntityType, Action, i64)> {
    prop_oneof![
        (0_i64..=50).prop_map(|d| (EntityType::Task, Action::Activated, d)),
        (0_i64..=50).prop_map(|d| (EntityType::Penalty, Action::Activated, -d)),
        Just((EntityType::Reward, Action::Requested, 0)),
        (1_i64..=50).prop_map(|d| (EntityType::Reward, Action::Redeemed, -d)),
        Just((EntityType::Reward, Action::Cancelled, 0)),
    ]
}

/// Up to 60 events of two children within 150 days after a random start.
fn history() -> impl Strategy<Value = (Vec<ChildId>, Vec<TrackingEvent>)> {
    let children = vec![ChildId::generate(), ChildId::generate()];
    let base = WINDOW.0..WINDOW.1 - 200 * DAY_MS;
    (
        base,
        prop::collection::vec((0_i64..150 * DAY_MS, kind(), any::<bool>()), 0..60),
    )
        .prop_map(move |(base, steps)| {
            let events = steps
                .into_iter()
                .map(|(offset, (entity_type, action, delta), second)| {
                    let child = children[usize::from(second)];
                    let occurred_at = Timestamp::from_unix_millis(base + offset).unwrap();
                    event(child, entity_type, action, delta, occurred_at, "x")
                })
                .collect();
            (children.clone(), events)
        })
}

/// A bound as text: absent, an RFC 3339 instant, or a local date or date-time in the zone.
fn bound() -> impl Strategy<Value = Option<String>> {
    let instant = WINDOW.0..WINDOW.1;
    prop_oneof![
        1 => Just(None),
        2 => instant.clone().prop_map(|ms| Some(Timestamp::from_unix_millis(ms).unwrap().to_string())),
        2 => instant.clone().prop_map(|ms| Some(
            TimeZone::UTC.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap()).date().to_string()
        )),
        1 => instant.prop_map(|ms| Some(
            TimeZone::UTC.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap()).to_string()
        )),
    ]
}

fn bucket() -> impl Strategy<Value = Option<Bucket>> {
    prop_oneof![
        Just(None),
        Just(Some(Bucket::Day)),
        Just(Some(Bucket::Week)),
        Just(Some(Bucket::Month))
    ]
}

/// A period's label, ordered like the periods.
fn label(tz: &TimeZone, bucket: Bucket, millis: i64) -> (i16, i8, i8) {
    let date = tz
        .to_datetime(jiff::Timestamp::from_millisecond(millis).unwrap())
        .date();
    match bucket {
        Bucket::Day => (date.year(), date.month(), date.day()),
        Bucket::Week => {
            let week = date.iso_week_date();
            (week.year(), week.week(), 0)
        }
        Bucket::Month => (date.year(), date.month(), 0),
    }
}

/// The first instant whose label is `label(at)`, by bisection below `at`.
fn reference_start(tz: &TimeZone, bucket: Bucket, at: i64) -> i64 {
    let target = label(tz, bucket, at);
    let (mut before, mut inside) = (at - 40 * DAY_MS, at);
    assert!(label(tz, bucket, before) < target);
    while inside - before > 1 {
        let middle = before + (inside - before) / 2;
        if label(tz, bucket, middle) >= target {
            inside = middle;
        } else {
            before = middle;
        }
    }
    inside
}

fn reference_totals<'a>(events: impl Iterator<Item = &'a TrackingEvent> + Clone) -> Totals {
    let count = |entity_type: EntityType, action: Action| {
        events
            .clone()
            .filter(|e| e.entity_type() == entity_type && e.action() == action)
            .count() as u64
    };
    let amount = |entity_type: EntityType, action: Action| {
        events
            .clone()
            .filter(|e| e.entity_type() == entity_type && e.action() == action)
            .map(|e| e.delta().unsigned_abs())
            .sum::<u64>()
    };
    Totals {
        earned: amount(EntityType::Task, Action::Activated),
        lost: amount(EntityType::Penalty, Action::Activated),
        spent: amount(EntityType::Reward, Action::Redeemed),
        tasks_activated: count(EntityType::Task, Action::Activated),
        penalties_activated: count(EntityType::Penalty, Action::Activated),
        rewards_requested: count(EntityType::Reward, Action::Requested),
        rewards_redeemed: count(EntityType::Reward, Action::Redeemed),
        rewards_cancelled: count(EntityType::Reward, Action::Cancelled),
    }
}

/// Running totals the way a store's index may keep them: one prefix sum per event, in order.
struct PrefixSums {
    times: Vec<Timestamp>,
    /// `sums[i]`: the totals of the first `i` events.
    sums: Vec<Totals>,
}

impl PrefixSums {
    fn of(child: ChildId, events: &[TrackingEvent]) -> Self {
        let mut own: Vec<&TrackingEvent> =
            events.iter().filter(|e| e.child_id() == child).collect();
        own.sort_by_key(|e| e.order_key());
        let mut sums = vec![Totals::ZERO];
        for e in &own {
            let mut next = *sums.last().unwrap();
            next.record(e);
            sums.push(next);
        }
        Self {
            times: own.iter().map(|e| e.occurred_at()).collect(),
            sums,
        }
    }
}

impl RunningTotals for PrefixSums {
    fn before(&self, at: Timestamp) -> Totals {
        self.sums[self.times.partition_point(|t| *t < at)]
    }
    fn total(&self) -> Totals {
        *self.sums.last().unwrap()
    }
    fn span(&self) -> Option<(Timestamp, Timestamp)> {
        Some((*self.times.first()?, *self.times.last()?))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn summaries_equal_the_reference(
        (children, events) in history(),
        zone_index in 0..ZONES.len(),
        from in bound(),
        to in bound(),
        bucket in bucket(),
    ) {
        let name = ZONES[zone_index];
        let mut pairs = vec![("tz", name.to_owned())];
        pairs.extend(from.map(|from| ("from", from)));
        pairs.extend(to.map(|to| ("to", to)));
        pairs.extend(bucket.map(|bucket| ("bucket", bucket.to_string())));
        let params = SummaryParams::from_pairs(pairs, tracking_model::SummaryScope::Child).unwrap();
        let child = children[0];
        let summary = summarize(child, 0, &params, &events).unwrap();
        let from_index = summarize_running(child, 0, &params, &PrefixSums::of(child, &events)).unwrap();
        prop_assert_eq!(&from_index, &summary, "running totals disagree with the fold");

        let in_range: Vec<&TrackingEvent> = events
            .iter()
            .filter(|e| e.child_id() == child)
            .filter(|e| params.from.is_none_or(|from| e.occurred_at() >= from))
            .filter(|e| params.to.is_none_or(|to| e.occurred_at() < to))
            .collect();
        let totals = reference_totals(in_range.iter().copied());
        prop_assert_eq!(summary.totals, totals);
        let share = if totals.earned + totals.lost == 0 {
            None
        } else {
            Some(totals.earned as f64 / (totals.earned + totals.lost) as f64)
        };
        prop_assert_eq!(summary.good_share, share);
        prop_assert_eq!(summary.tz.as_str(), name);
        prop_assert_eq!((summary.from, summary.to), (params.from, params.to));

        match bucket {
            None => prop_assert!(summary.buckets.is_none()),
            Some(bucket) => {
                let tz = Zone::database().get(name).unwrap();
                let mut groups: BTreeMap<(i16, i8, i8), Vec<&TrackingEvent>> = BTreeMap::new();
                for e in &in_range {
                    let key = label(&tz, bucket, e.occurred_at().unix_millis());
                    groups.entry(key).or_default().push(e);
                }
                let expected: Vec<(i64, u64, u64, u64)> = groups
                    .values()
                    .map(|group| {
                        let start = reference_start(&tz, bucket, group[0].occurred_at().unix_millis());
                        let totals = reference_totals(group.iter().copied());
                        (start, totals.earned, totals.lost, totals.spent)
                    })
                    .collect();
                let actual: Vec<(i64, u64, u64, u64)> = summary
                    .buckets
                    .unwrap()
                    .iter()
                    .map(|b| (b.start.unix_millis(), b.earned, b.lost, b.spent))
                    .collect();
                prop_assert_eq!(actual, expected);
            }
        }
    }

    #[test]
    fn bucket_starts_tile_the_range(
        zone_index in 0..ZONES.len(),
        from in WINDOW.0..WINDOW.1 - 400 * DAY_MS,
        length in 0_i64..400 * DAY_MS,
        probes in prop::collection::vec(0.0_f64..1.0, 0..20),
        bucket in prop_oneof![Just(Bucket::Day), Just(Bucket::Week), Just(Bucket::Month)],
    ) {
        let zone = Zone::named(ZONES[zone_index]).unwrap();
        let tz = Zone::database().get(ZONES[zone_index]).unwrap();
        let (from, to) = (
            Timestamp::from_unix_millis(from).unwrap(),
            Timestamp::from_unix_millis(from + length).unwrap(),
        );
        let starts: Vec<Timestamp> = zone.bucket_starts(bucket, from, to).unwrap().collect();
        if length == 0 {
            prop_assert!(starts.is_empty());
            return Ok(());
        }
        prop_assert_eq!(
            starts[0].unix_millis(),
            reference_start(&tz, bucket, from.unix_millis())
        );
        for pair in starts.windows(2) {
            prop_assert!(pair[0] < pair[1] && pair[1] < to);
            // Each period runs up to the next start: the instant before it still belongs to it.
            let last = Timestamp::from_unix_millis(pair[1].unix_millis() - 1).unwrap();
            prop_assert_eq!(zone.bucket_start(bucket, last).unwrap(), pair[0]);
            prop_assert_eq!(zone.bucket_start(bucket, pair[1]).unwrap(), pair[1]);
        }
        for probe in probes {
            let at = from.unix_millis() + (probe * length as f64) as i64;
            let start = zone.bucket_start(bucket, Timestamp::from_unix_millis(at).unwrap()).unwrap();
            prop_assert!(starts.contains(&start));
            prop_assert_eq!(start.unix_millis(), reference_start(&tz, bucket, at));
        }
    }

    #[test]
    fn totals_form_a_group_so_running_totals_subtract_to_ranges(
        (_, events) in history(),
        cut in (0.0_f64..=1.0, 0.0_f64..=1.0),
    ) {
        let running: Vec<Totals> = std::iter::once(Totals::ZERO)
            .chain(events.iter().scan(Totals::ZERO, |sum, e| {
                sum.record(e);
                Some(*sum)
            }))
            .collect();
        let n = events.len();
        let (a, b) = ((cut.0 * n as f64) as usize, (cut.1 * n as f64) as usize);
        let (i, j) = (a.min(b), a.max(b));
        prop_assert_eq!(running[j].since(running[i]), reference_totals(events[i..j].iter()));
        prop_assert_eq!(running[n], reference_totals(events.iter()));
        let (left, right) = (Totals::of_events(&events[..i]), Totals::of_events(&events[i..]));
        prop_assert_eq!(left.combine(right), right.combine(left));
        prop_assert_eq!(left + right, running[n]);
        prop_assert_eq!((left + right) - right, left);
    }
}
