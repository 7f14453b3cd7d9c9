//! The window between an answer and the history's own sync. A mutation is answered once its
//! journal line is durable; its history line is written before the answer but synced later, and
//! its `delivered` confirmation is written only after that sync. So after a kill the history file
//! may end with lines the family files do not confirm yet: those a power loss could have taken.
//!
//! [`look`] finds them; [`lose`] simulates that power loss by cutting the history file back to a
//! point its last sync may have left (at or after the end of the last line that is confirmed, or
//! that an anonymization rewrote, since a rewrite is synced before it replaces the file), often
//! in the middle of a line. The restarted server must then deliver the cut events again from the
//! outbox: nothing acknowledged lost, nothing doubled.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;
use tracking_model::test_support::Rng;

/// The history file's tail that a power loss could take.
pub struct Unsynced {
    /// Where that tail begins: every line before it is confirmed or rewritten.
    pub from: u64,
    /// Where the lines end.
    pub end: u64,
    /// History lines in the tail whose events the family files do not confirm.
    pub lines: usize,
}

/// Reads the data directory of a killed server.
pub fn look(data: &Path) -> Unsynced {
    let unconfirmed = unconfirmed_events(data);
    let history = std::fs::read(data.join("tracking_events.jsonl")).unwrap_or_default();
    let mut from = 0;
    let mut lines = 0;
    let mut offset = 0;
    // The zeros the server preallocated after the lines are not part of them.
    let end = history
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |at| at + 1);
    for line in history[..end].split_inclusive(|&byte| byte == b'\n') {
        let end = offset + line.len() as u64;
        if let Ok(event) = serde_json::from_slice::<Value>(line) {
            let id = event["id"].as_str().unwrap_or_default();
            if !unconfirmed.contains(id) || event["user_id"].is_null() {
                from = end;
                lines = 0;
            } else {
                lines += 1;
            }
        }
        offset = end;
    }
    Unsynced {
        from,
        end: end as u64,
        lines,
    }
}

/// Cuts the history file at a random point of its unsynced tail, at least one byte into its
/// lines; returns the bytes of lines cut.
pub fn lose(data: &Path, unsynced: &Unsynced, rng: &mut Rng) -> u64 {
    let at = rng.u64(unsynced.from..unsynced.end);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(data.join("tracking_events.jsonl"))
        .unwrap();
    file.set_len(at).unwrap();
    file.sync_all().unwrap();
    unsynced.end - at
}

/// The ids of the events in the outbox as the files say: committed by the snapshot's outbox or a
/// journal line after it, and not confirmed by a `delivered` line after it.
fn unconfirmed_events(data: &Path) -> HashSet<String> {
    let snapshot: Value = std::fs::read(data.join("family.snapshot.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    let last_seq = snapshot["last_seq"].as_u64().unwrap_or(0);
    let mut waiting: HashSet<String> = snapshot["outbox"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["event"]["id"].as_str().map(str::to_owned))
        .collect();
    let journal = std::fs::read(data.join("family.journal.jsonl")).unwrap_or_default();
    // A torn last line (a kill in the middle of a write) does not parse and is skipped.
    for line in journal.split(|&byte| byte == b'\n') {
        let Ok(record) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if record["seq"].as_u64().unwrap_or(0) <= last_seq {
            continue;
        }
        if let Some(id) = applied_event(&record) {
            waiting.insert(id.to_owned());
        }
        if record["op"] == "delivered" {
            for id in record["event_ids"].as_array().into_iter().flatten() {
                waiting.remove(id.as_str().unwrap_or_default());
            }
        }
    }
    waiting
}

/// The id of the event a journal change commits: an `applied` line, or one inside a keyed line.
fn applied_event(change: &Value) -> Option<&str> {
    match change["op"].as_str()? {
        "applied" => change["event"]["id"].as_str(),
        "keyed" => applied_event(&change["change"]),
        _ => None,
    }
}
