//! A second process opening a data directory in use gets a clear error, and opens it once the
//! first store is gone.
//!
//! Its own test binary without the libtest harness: run plainly it is the test; run with
//! `PROBE_DIR` set it is the second process. Kept apart from the other tests because a process
//! spawned while another test thread holds a store would inherit that store's lock until it execs.

#![allow(clippy::print_stdout)] // Without the harness, stdout is how this test reports.

use std::process::{Command, ExitCode};

use tracking_store::{FileStore, FileStoreOptions};

const PROBE_DIR: &str = "TRACKING_STORE_LOCK_PROBE_DIR";

fn main() -> ExitCode {
    if let Ok(dir) = std::env::var(PROBE_DIR) {
        match FileStore::open(&dir, FileStoreOptions::default()) {
            Ok(_) => println!("probe: opened"),
            Err(err) => println!("probe: {err}"),
        }
        return ExitCode::SUCCESS;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = || {
        let output = Command::new(std::env::current_exe().unwrap())
            .env(PROBE_DIR, dir.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let refused = probe();
    let opened_after_drop = {
        drop(store);
        probe()
    };
    let passed = refused.contains("probe: data directory")
        && refused.contains("is in use by another process")
        && opened_after_drop.contains("probe: opened");
    if passed {
        println!("test a_second_process_gets_a_clear_error ... ok");
        println!("1 passed, 0 failed");
        ExitCode::SUCCESS
    } else {
        println!("test a_second_process_gets_a_clear_error ... FAILED");
        println!("while the store was open the probe said: {refused}");
        println!("after it was dropped the probe said: {opened_after_drop}");
        println!("0 passed, 1 failed");
        ExitCode::FAILURE
    }
}
