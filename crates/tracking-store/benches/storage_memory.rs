//! Resident memory and open time of a file store holding 1,000,000 events: builds the data set,
//! then opens it in a fresh process and reports the growth of its resident set per event.
//!
//! `cargo bench -p tracking-store --bench storage_memory`

mod support;

use std::time::Instant;

use tracking_store::{FileStore, FileStoreOptions};

const CHILD_DIR: &str = "TRACKING_STORE_MEMORY_DIR";

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        measure(std::path::Path::new(&dir));
        return;
    }
    let events: usize = std::env::var("STORAGE_BENCH_EVENTS")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    support::write_history(dir.path(), &support::Family::new(1_000), events);
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD_DIR, dir.path())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Opens the store three times in this fresh process and reports the first open's memory.
fn measure(dir: &std::path::Path) {
    let before = support::resident_bytes();
    let start = Instant::now();
    let store = FileStore::open(dir, FileStoreOptions::default()).unwrap();
    let first_open = start.elapsed();
    let after = support::resident_bytes();
    let events = store.open_report().history_events;
    let index = store.history_index_bytes();
    drop(store);
    let mut opens = vec![first_open];
    for _ in 0..2 {
        let start = Instant::now();
        drop(FileStore::open(dir, FileStoreOptions::default()).unwrap());
        opens.push(start.elapsed());
    }
    opens.sort();
    let history = std::fs::metadata(dir.join(tracking_store::HISTORY_FILE))
        .unwrap()
        .len();
    eprintln!("events stored:           {events}");
    eprintln!(
        "history file:            {} bytes ({} per event)",
        history,
        history / events.max(1)
    );
    eprintln!("open, median of 3:       {:.3} s", opens[1].as_secs_f64());
    eprintln!(
        "resident growth on open: {} bytes ({} per event)",
        after - before,
        (after - before) / events.max(1)
    );
    eprintln!(
        "index heap estimate:     {} bytes ({} per event)",
        index,
        index as u64 / events.max(1)
    );
}
