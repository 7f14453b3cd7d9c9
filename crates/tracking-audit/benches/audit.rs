//! Audit lines per second: for one user, and for 1,000 users round-robin under several bounds on
//! open files.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tracking_audit::{AuditConfig, AuditLog, DEFAULT_MAX_OPEN_FILES};
use tracking_model::test_support::EventBuilder;
use tracking_model::{Timestamp, TrackingEvent, UserId};

const USERS: usize = 1_000;

/// A typical event: a task activation with the entity's name in its metadata.
fn event(user: UserId) -> TrackingEvent {
    EventBuilder::new()
        .user(user)
        .points_before(10)
        .occurred_at(Timestamp::now())
        .created_later_by(0)
        .metadata(serde_json::from_value(json!({ "entity_name": "Make bed", "points": 5 })).ok())
        .build()
}

fn one_user(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = AuditLog::new(AuditConfig::new(dir.path())).expect("an audit log");
    let event = event(UserId::generate());
    let mut group = c.benchmark_group("audit");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_user", |b| {
        b.iter(|| log.record(black_box(&event), 0).expect("a written line"));
    });
    group.finish();
}

fn round_robin(c: &mut Criterion) {
    let events: Vec<TrackingEvent> = (0..USERS).map(|_| event(UserId::generate())).collect();
    let mut group = c.benchmark_group("audit_1000_users_round_robin");
    group.throughput(Throughput::Elements(1));
    for bound in [8, DEFAULT_MAX_OPEN_FILES, 2 * USERS] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = AuditLog::new(AuditConfig {
            max_open_files: bound,
            ..AuditConfig::new(dir.path())
        })
        .expect("an audit log");
        let mut next = 0;
        group.bench_function(BenchmarkId::new("max_open_files", bound), |b| {
            b.iter(|| {
                log.record(black_box(&events[next]), 0)
                    .expect("a written line");
                next = (next + 1) % USERS;
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    targets = one_user, round_robin
}
criterion_main!(benches);
