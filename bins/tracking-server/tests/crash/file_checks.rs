//! What must hold for the files after every restart: the store's JSON Lines files and snapshot,
//! and the audit files with their lines.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::AUDIT_BACKUPS;
use crate::checks::Restarted;
use crate::harness::audit_file;
use crate::report::Stats;

/// Every JSON Lines file of the data dir parses line by line and ends with its newline; the
/// history file holds exactly the events the API shows, each once; the snapshot parses.
pub fn data_files_are_whole_and_hold_the_history(
    round: usize,
    by_id: &HashMap<&str, &Value>,
    data: &Path,
    stats: &mut Stats,
) {
    for entry in std::fs::read_dir(data).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        if name.ends_with(".jsonl") {
            let lines = json_lines_are_whole(round, &name, &bytes);
            if name == "tracking_events.jsonl" {
                history_file_matches_the_api(round, &name, &lines, by_id);
            }
            if name == "family.journal.jsonl" {
                let written = bytes
                    .iter()
                    .rposition(|&byte| byte != 0)
                    .map_or(0, |at| at + 1);
                stats.journal_bytes_max = stats.journal_bytes_max.max(written as u64);
            }
        } else if name == "family.snapshot.json" {
            let snapshot: Value = serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!("round {round}: {name} does not parse after the restart: {error}")
            });
            let last_seq = snapshot["last_seq"].as_u64();
            stats
                .snapshots
                .insert(last_seq.expect("a snapshot has last_seq"));
        }
    }
}

/// The file ends with its newline and every line is JSON; the lines, parsed. The zeros the
/// running server preallocated after the lines are not part of them.
fn json_lines_are_whole(round: usize, name: &str, bytes: &[u8]) -> Vec<Value> {
    let end = bytes
        .iter()
        .rposition(|&byte| byte != 0)
        .map_or(0, |at| at + 1);
    let bytes = &bytes[..end];
    assert!(
        bytes.is_empty() || bytes.ends_with(b"\n"),
        "round {round}: {name} ends inside a line after the restart"
    );
    let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
    // The piece after the last newline is empty (checked above).
    lines[..lines.len() - 1]
        .iter()
        .enumerate()
        .map(|(at, line)| {
            serde_json::from_slice(line).unwrap_or_else(|error| {
                panic!(
                    "round {round}: {name}, line {}: not JSON after the restart ({error}): {}",
                    at + 1,
                    String::from_utf8_lossy(line)
                )
            })
        })
        .collect()
}

/// The history file holds each event the API shows once, and nothing else.
fn history_file_matches_the_api(
    round: usize,
    name: &str,
    lines: &[Value],
    by_id: &HashMap<&str, &Value>,
) {
    let mut ids = HashSet::new();
    for (at, value) in lines.iter().enumerate() {
        let id = value["id"].as_str().expect("a stored event has an id");
        assert!(
            by_id.contains_key(id),
            "round {round}: {name}, line {}: event {id} is stored but the API does not show it",
            at + 1
        );
        assert!(
            ids.insert(id.to_owned()),
            "round {round}: {name}, line {}: event {id} is stored twice",
            at + 1
        );
    }
    assert_eq!(
        ids.len(),
        by_id.len(),
        "round {round}: the history file and the API disagree"
    );
}

/// The empty file whose lock the audit writer holds, among servers sharing the log dir.
const WRITER_LOCK: &str = "audit-writer.lock";

/// Audit files exist only for users that exist, named `.log` or `.log.1` … `.log.N` with N at
/// most `--audit-backups`. Returns each user's file numbers.
pub fn audit_files_belong_to_existing_users(
    seen: &Restarted,
    logs: &Path,
    stats: &mut Stats,
) -> BTreeMap<String, Vec<u32>> {
    let round = seen.round;
    let families = &seen.world.families;
    let mut files: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for entry in std::fs::read_dir(logs).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == WRITER_LOCK {
            continue;
        }
        let (user, number) = audit_file(&name)
            .unwrap_or_else(|| panic!("round {round}: unexpected file {name} in the log dir"));
        assert!(
            number <= AUDIT_BACKUPS,
            "round {round}: {name}: more rolled files than --audit-backups {AUDIT_BACKUPS}"
        );
        let family = families.iter().find(|family| family.user == user);
        match family {
            Some(family) if !family.deletion.done() => {}
            Some(family) => panic!(
                "round {round}: audit file {name} remains although its user was deleted ({:?})",
                family.deletion
            ),
            None => {
                panic!("round {round}: audit file {name} remains although no such user was created")
            }
        }
        files.entry(user).or_default().push(number);
    }
    let count = files.values().map(Vec::len).sum();
    stats.audit_files_max = stats.audit_files_max.max(count);
    files
}

/// What the audit lines seen so far established.
#[derive(Default)]
struct AuditTally {
    /// Events with a line.
    seen: HashSet<String>,
    lines: usize,
    /// The family sequence numbers of the current user's lines, oldest file first.
    numbers: Vec<u64>,
}

/// Every audit line is whole and equal to its event (a line a kill tore was cut when the server
/// read the file back, before it wrote on). No event twice; a user's lines of one child come in
/// the child's order; and the lines hold exactly the user's events in the history: their family
/// sequence numbers run without a gap or a repeat up to the number of the user's events, from 1
/// unless the oldest lines were dropped by the roll-over (`.log.N`, N = `--audit-backups`, exists).
pub fn audit_lines_are_whole_in_order_and_once(
    seen: &Restarted,
    files: BTreeMap<String, Vec<u32>>,
    logs: &Path,
    stats: &mut Stats,
) {
    let position: HashMap<&str, usize> = seen
        .chains
        .values()
        .flat_map(|chain| chain.iter().enumerate())
        .map(|(at, event)| (event["id"].as_str().unwrap(), at))
        .collect();
    let mut tally = AuditTally::default();
    let mut events_of: HashMap<&str, u64> = HashMap::new();
    for event in seen.by_id.values() {
        if let Some(user) = event["user_id"].as_str() {
            *events_of.entry(user).or_default() += 1;
        }
    }
    for family in &seen.world.families {
        let user = family.user.as_str();
        let events = events_of.get(user).copied().unwrap_or(0);
        if events > 0 && !family.deletion.done() {
            assert!(
                files.contains_key(user),
                "round {round}: user {user} has {events} events and no audit file",
                round = seen.round
            );
        }
    }
    for (user, mut numbers) in files {
        let window_full = numbers.contains(&AUDIT_BACKUPS);
        // Oldest first: .log.N … .log.1, then the live .log.
        numbers.sort_by_key(|&number| match number {
            0 => u32::MAX,
            rolled => u32::MAX - 1 - rolled,
        });
        let mut last_at: HashMap<String, usize> = HashMap::new();
        for number in numbers {
            let name = match number {
                0 => format!("tracking_user_{user}.log"),
                _ => format!("tracking_user_{user}.log.{number}"),
            };
            let text = audit_file_text(seen.round, &name, logs);
            for (at, line) in text.split_terminator('\n').enumerate() {
                let place = format!("{name}, line {}", at + 1);
                let audit_line = AuditLine {
                    seen,
                    user: &user,
                    place: &place,
                    position: &position,
                };
                audit_line.check(line, &mut last_at, &mut tally);
            }
        }
        let numbers = std::mem::take(&mut tally.numbers);
        let events = events_of.get(user.as_str()).copied().unwrap_or(0);
        let round = seen.round;
        let first = numbers.first().copied().unwrap_or(1);
        let expected: Vec<u64> = (first..=events).collect();
        assert_eq!(
            numbers, expected,
            "round {round}: the audit lines of user {user} are not its {events} events, each \
             once, in family sequence order"
        );
        assert!(
            first == 1 || window_full,
            "round {round}: the audit lines of user {user} start at event {first} although no \
             rolled file was dropped"
        );
    }
    stats.audit_lines = tally.lines;
}

/// The text of one audit file: whole lines only, since a torn last line is cut when the server
/// reads the file back after a start.
fn audit_file_text(round: usize, name: &str, logs: &Path) -> String {
    let text = std::fs::read(logs.join(name)).unwrap();
    let text =
        String::from_utf8(text).unwrap_or_else(|_| panic!("round {round}: {name} is not UTF-8"));
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "round {round}: {name} ends inside a line"
    );
    text
}

/// Where a line of a user's audit file stands, and what it is checked against.
struct AuditLine<'a> {
    seen: &'a Restarted<'a>,
    user: &'a str,
    place: &'a str,
    /// Each event's index in its child's chain.
    position: &'a HashMap<&'a str, usize>,
}

impl AuditLine<'_> {
    fn check(&self, line: &str, last_at: &mut HashMap<String, usize>, tally: &mut AuditTally) {
        let (round, place) = (self.seen.round, self.place);
        let parsed = serde_json::from_str::<Value>(line).ok();
        let id = parsed
            .as_ref()
            .and_then(|value| value["tracking_event_id"].as_str().map(str::to_owned));
        let number = parsed
            .as_ref()
            .and_then(|value| value["family_sequence"].as_u64());
        let (Some(id), Some(number)) = (id, number) else {
            panic!("round {round}: {place}: not a whole audit line: {line:?}");
        };
        let event = self.seen.by_id.get(id.as_str()).unwrap_or_else(|| {
            panic!("round {round}: {place}: a line for event {id}, which is not stored")
        });
        assert_eq!(
            line,
            audit_line(event, self.user, number),
            "round {round}: {place}: not the line of event {id}"
        );
        tally.numbers.push(number);
        assert!(
            tally.seen.insert(id.clone()),
            "round {round}: event {id} has two audit lines"
        );
        let child = event["child_id"].as_str().unwrap().to_owned();
        let here = self.position[id.as_str()];
        assert!(
            last_at.get(&child).is_none_or(|&before| before <= here),
            "round {round}: {place}: the line of event {id} comes after a later event of its child"
        );
        last_at.insert(child, here);
        tally.lines += 1;
    }
}

/// The audit line tracking-audit writes for `event`, number `family_sequence` of its family, in
/// the file of `user` (docs/audit.md).
fn audit_line(event: &Value, user: &str, family_sequence: u64) -> String {
    let mut line = format!(
        "{{\"tracking_event_id\":{},\"user_id\":{}",
        event["id"],
        Value::from(user)
    );
    for field in [
        "child_id",
        "entity_type",
        "entity_id",
        "action",
        "points_before",
        "points_after",
        "delta",
        "occurred_at",
        "created_at",
        "metadata",
    ] {
        write!(line, ",\"{field}\":{}", event[field]).unwrap();
    }
    write!(line, ",\"family_sequence\":{family_sequence}}}").unwrap();
    line
}
