//! Summaries and the export read over 1,000,000 events in the file store, against one page of the
//! admin query: a child's all-time summary, a 90-day daily summary in a zone with clock changes,
//! and reading every match of a child by order key in batches of 500.
//!
//! `cargo bench -p tracking-store --bench summary`; `STORAGE_BENCH_EVENTS` shrinks the data set.

mod support;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use tracking_model::query::MAX_LIMIT;
use tracking_model::{Bucket, EntityType, SummaryParams, Timestamp, TrackingQuery, Zone};
use tracking_store::{FileStore, FileStoreOptions, TrackingRepository};

use support::{Family, START_MILLIS, page_query};

const DAY: i64 = 86_400_000;

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let events: usize = std::env::var("STORAGE_BENCH_EVENTS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(1_000_000);
    let family = Family::new(1_000);
    let dir = tempfile::tempdir().unwrap();
    support::write_history(dir.path(), &family, events);
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();

    let all_time = SummaryParams::default();
    // The data set spans `events` minutes; the window sits in its middle.
    let middle = START_MILLIS + events as i64 * 30_000;
    let daily = SummaryParams {
        from: Some(Timestamp::from_unix_millis(middle - 45 * DAY).unwrap()),
        to: Some(Timestamp::from_unix_millis(middle + 45 * DAY).unwrap()),
        zone: Zone::named("Europe/Berlin").unwrap(),
        bucket: Some(Bucket::Day),
    };
    let mut group = c.benchmark_group("summary");
    for (name, params) in [("all_time", &all_time), ("daily_90_days", &daily)] {
        let mut n = 0;
        group.bench_function(BenchmarkId::new(name, events), |b| {
            b.iter(|| {
                n += 1;
                let child = family.children[n % family.children.len()];
                runtime
                    .block_on(store.child_summary(child, 0, params))
                    .unwrap()
            });
        });
    }
    let mut n = 0;
    group.bench_function(BenchmarkId::new("admin_page", events), |b| {
        b.iter(|| {
            n += 1;
            runtime
                .block_on(store.query(&page_query(&family, n, events, EntityType::Task)))
                .unwrap()
        });
    });
    group.finish();

    // A child's whole history, as the export reads it.
    let mut group = c.benchmark_group("export_read");
    let mut n = 0;
    group.bench_function(BenchmarkId::new("child_all_batches", events), |b| {
        b.iter(|| {
            n += 1;
            let query = TrackingQuery {
                child_id: Some(family.children[n % family.children.len()]),
                limit: Some(MAX_LIMIT),
                ..TrackingQuery::default()
            };
            let mut after = None;
            let mut read = 0;
            loop {
                let batch = runtime.block_on(store.query_after(&query, after)).unwrap();
                read += batch.len();
                match batch.last() {
                    Some(last) => after = Some(last.order_key()),
                    None => break read,
                }
            }
        });
    });
    group.finish();
    c.final_summary();
}
