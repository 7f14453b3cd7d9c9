//! The file store against SQLite: durable and weak appends, one and 64 appenders, a filtered
//! page over 1,000,000 events, append cost as the history grows, and opening 1,000,000 events;
//! and the file store's append on a tracked mutation's path (visible at once, synced per batch).
//!
//! `cargo bench -p tracking-store --bench storage`; `STORAGE_BENCH_EVENTS` shrinks the big data
//! set for a quick run.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use tracking_model::{ChildId, EntityType, SequencedEvent, Timestamp, TrackingEvent, UserId};
use tracking_store::{Durability, FileStore, FileStoreOptions, TrackingRepository};

use support::{Family, event, page_query, sqlite, sqlite_insert, sqlite_load, sqlite_query};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `count` fresh events of one child.
fn fresh(count: u64) -> Vec<TrackingEvent> {
    let (user, child) = (UserId::generate(), ChildId::generate());
    let at = Timestamp::now();
    (0..count)
        .map(|n| event(Some(user), child, (n % 5) as usize, at))
        .collect()
}

/// `count` fresh events of one child, numbered on from `number`.
fn numbered(count: u64, number: &mut u64) -> Vec<SequencedEvent> {
    fresh(count)
        .into_iter()
        .map(|event| {
            *number += 1;
            SequencedEvent {
                sequence: *number,
                event,
            }
        })
        .collect()
}

fn interval() -> Durability {
    Durability::Interval(Duration::from_millis(100))
}

/// Times `iters` appends to `store` spread over `appenders` concurrent tasks.
fn time_file_appends(
    runtime: &tokio::runtime::Runtime,
    store: &Arc<FileStore>,
    appenders: u64,
    iters: u64,
) -> Duration {
    let mut number = 0;
    let batches: Vec<Vec<SequencedEvent>> = (0..appenders)
        .map(|_| numbered(iters.div_ceil(appenders), &mut number))
        .collect();
    runtime.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = batches
            .into_iter()
            .map(|batch| {
                let store = Arc::clone(store);
                tokio::spawn(async move {
                    for event in &batch {
                        store.append(event).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        start.elapsed()
    })
}

/// Times `iters` one-event transactions on one connection shared by `appenders` threads.
fn time_sqlite_appends(
    db: &Arc<Mutex<rusqlite::Connection>>,
    appenders: u64,
    iters: u64,
) -> Duration {
    let mut number = 0;
    let batches: Vec<Vec<SequencedEvent>> = (0..appenders)
        .map(|_| numbered(iters.div_ceil(appenders), &mut number))
        .collect();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for batch in &batches {
            scope.spawn(move || {
                for event in batch {
                    sqlite_insert(&db.lock().unwrap(), &event.event);
                }
            });
        }
    });
    start.elapsed()
}

fn appends(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let cases = [
        ("append_durable", Durability::Durable, "FULL", 64),
        ("append_durable", Durability::Durable, "FULL", 1),
        ("append_weak", interval(), "NORMAL", 1),
        ("append_weak", interval(), "NORMAL", 64),
    ];
    for (name, durability, synchronous, appenders) in cases {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            FileStore::open(
                dir.path().join("store"),
                FileStoreOptions {
                    durability,
                    ..FileStoreOptions::default()
                },
            )
            .unwrap(),
        );
        group.bench_function(BenchmarkId::new("file_store", appenders), |b| {
            b.iter_custom(|iters| time_file_appends(runtime, &store, appenders, iters));
        });
        let db = Arc::new(Mutex::new(sqlite(&dir.path().join("peer.db"), synchronous)));
        group.bench_function(
            BenchmarkId::new(format!("sqlite_{}", synchronous.to_lowercase()), appenders),
            |b| b.iter_custom(|iters| time_sqlite_appends(&db, appenders, iters)),
        );
        group.finish();
    }
}

/// What a tracked mutation's history write costs its request: `append_unsynced` (visible to every
/// read at once), timed, while another task syncs the history every 2 ms, as the tracker's
/// confirmer does: an append that writes its line itself may wait for the pages a sync is
/// writing out.
fn visible_appends(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let mut group = c.benchmark_group("append_visible");
    group.throughput(Throughput::Elements(1));
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(FileStore::open(dir.path().join("store"), FileStoreOptions::default()).unwrap());
    let mut number = 0;
    group.bench_function(BenchmarkId::new("file_store", "synced_every_2ms"), |b| {
        b.iter_custom(|iters| {
            let events = numbered(iters, &mut number);
            runtime.block_on(async {
                let confirmer = tokio::spawn({
                    let store = Arc::clone(&store);
                    async move {
                        loop {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            store.sync().await.unwrap();
                        }
                    }
                });
                let start = Instant::now();
                for event in &events {
                    store.append_unsynced(event).await.unwrap();
                }
                let elapsed = start.elapsed();
                confirmer.abort();
                elapsed
            })
        });
    });
    group.finish();
}

fn big(c: &mut Criterion, runtime: &tokio::runtime::Runtime) {
    let events: usize = std::env::var("STORAGE_BENCH_EVENTS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(1_000_000);
    let family = Family::new(1_000);
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("store");
    std::fs::create_dir_all(&files).unwrap();
    support::write_history(&files, &family, events);

    let mut group = c.benchmark_group("open");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("file_store", events), |b| {
        b.iter(|| FileStore::open(&files, FileStoreOptions::default()).unwrap());
    });
    group.finish();

    let store = FileStore::open(&files, FileStoreOptions::default()).unwrap();
    let mut db = sqlite(&dir.path().join("peer.db"), "NORMAL");
    sqlite_load(&mut db, &family, events);
    let mut group = c.benchmark_group("query_page");
    for entity_type in [EntityType::Task, EntityType::Reward] {
        let name = format!("{entity_type}_{events}");
        let mut n = 0;
        group.bench_function(BenchmarkId::new("file_store", &name), |b| {
            b.iter(|| {
                n += 1;
                let page = runtime
                    .block_on(store.query(&page_query(&family, n, events, entity_type)))
                    .unwrap();
                assert_eq!(page.items.len(), 50.min(page.total as usize));
                page
            });
        });
        let mut n = 0;
        group.bench_function(BenchmarkId::new("sqlite", &name), |b| {
            b.iter(|| {
                n += 1;
                sqlite_query(&db, &page_query(&family, n, events, entity_type))
            });
        });
    }
    group.finish();
    // Both answer the same page.
    let query = page_query(&family, 7, events, EntityType::Reward);
    assert_eq!(
        runtime.block_on(store.query(&query)).unwrap(),
        sqlite_query(&db, &query)
    );
    drop(store);
    drop(db);

    let mut group = c.benchmark_group("append_growth");
    group.throughput(Throughput::Elements(1));
    let small = dir.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    support::write_history(&small, &family, 10_000);
    for (stored, path) in [(10_000, &small), (events, &files)] {
        let weak = FileStoreOptions {
            durability: interval(),
            ..FileStoreOptions::default()
        };
        let store = Arc::new(FileStore::open(path, weak).unwrap());
        group.bench_function(BenchmarkId::new("file_store_weak", stored), |b| {
            b.iter_custom(|iters| time_file_appends(runtime, &store, 1, iters));
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let runtime = runtime();
    appends(&mut c, &runtime);
    visible_appends(&mut c, &runtime);
    big(&mut c, &runtime);
    c.final_summary();
}
