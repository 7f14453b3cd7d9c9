//! Process control for the crash test: the server started with settings that make the rare
//! paths common, what each kill interrupted (seen in the directories before the restart), and
//! the wait until the restarted server has caught up.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use awc::http::Method;

use crate::report::Stats;
use crate::support::{Client, Dirs, Server};
use crate::{AUDIT_BACKUPS, AUDIT_MAX_BYTES, JOURNAL_COMPACT_BYTES};

const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(5);

/// The server in durable mode, with tiny audit files and a small journal limit.
pub fn start(dirs: &Dirs) -> Server {
    let flags = [
        ("--durability", "durable".to_owned()),
        ("--audit-max-bytes", AUDIT_MAX_BYTES.to_string()),
        ("--audit-backups", AUDIT_BACKUPS.to_string()),
        ("--journal-compact-bytes", JOURNAL_COMPACT_BYTES.to_string()),
    ];
    let flags: Vec<String> = flags
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect();
    Server::start(dirs, &flags)
}

/// Restarts on the same directories and counts the torn tails the store reports dropping.
pub fn restart(server: &mut Server, stats: &mut Stats) {
    server.restart();
    stats.store_torn_tails += server
        .stderr_lines()
        .iter()
        .filter(|line| line.contains("dropped a torn last line"))
        .count();
}

/// Waits until `GET /health` reports no tracking event waiting for the history and none missing
/// from the audit files (the audit follower has read every family's files back and caught up).
pub async fn wait_for_catch_up(client: &Client, server: &Server, round: usize) {
    let deadline = Instant::now() + CATCH_UP_TIMEOUT;
    loop {
        let (status, health) = client.call(Method::GET, "/health", "", None).await;
        assert_eq!(status, 200, "round {round}: GET /health: {health}");
        assert_eq!(health["status"], "ok", "round {round}: {health}");
        if health["tracking_backlog"] == 0 && health["audit_backlog"] == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "round {round}: {} tracking events still wait for the history and {} for the audit \
             files {CATCH_UP_TIMEOUT:?} after the restart; server stderr:\n{}",
            health["tracking_backlog"],
            health["audit_backlog"],
            server.stderr_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Counts the error lines of the server's stderr, to report them.
pub fn count_errors(server: &Server, stats: &mut Stats) {
    for line in server.stderr_lines() {
        if line.contains(" ERROR ") || line.contains("repeated event ids") {
            stats.error_lines.push(line);
        }
    }
}

/// The server's last error and warning lines, for assertion messages.
pub fn server_errors(server: &Server) -> String {
    let lines: Vec<String> = server
        .stderr_lines()
        .into_iter()
        .filter(|line| line.contains(" ERROR ") || line.contains(" WARN "))
        .collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// What the previous kills left in the directories, so that only new evidence is counted.
#[derive(Default)]
pub struct Evidence {
    anonymizing_tmp: Option<(u64, SystemTime)>,
    snapshot_tmp: Option<(u64, SystemTime)>,
    journal_tmp: Option<(u64, SystemTime)>,
    rollovers: Vec<(String, Vec<(u32, u64)>)>,
}

impl Evidence {
    /// Looks at the directories after a kill, before the restart repairs anything.
    pub fn look(&mut self, dirs: &Dirs, stats: &mut Stats) {
        let tmp = signature(&dirs.data().join("tracking_events.jsonl.tmp"));
        if tmp.is_some() && tmp != self.anonymizing_tmp {
            stats.kills_mid_anonymization += 1;
        }
        self.anonymizing_tmp = tmp;
        let tmp = signature(&dirs.data().join("family.snapshot.json.tmp"));
        if tmp.is_some() && tmp != self.snapshot_tmp {
            stats.kills_mid_snapshot += 1;
        }
        self.snapshot_tmp = tmp;
        let tmp = signature(&dirs.data().join("family.journal.jsonl.tmp"));
        if tmp.is_some() && tmp != self.journal_tmp {
            stats.kills_mid_snapshot += 1;
        }
        self.journal_tmp = tmp;
        let interrupted = interrupted_rollovers(dirs.logs());
        if interrupted
            .iter()
            .any(|state| !self.rollovers.contains(state))
        {
            stats.kills_mid_rollover += 1;
        }
        self.rollovers = interrupted;
    }
}

/// A file's identity, to see whether a leftover temporary file is a new one.
fn signature(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// The users whose rolled audit files have a hole (`.log.5` without `.log.4`: the kill landed
/// between two renames of a roll-over) or whose live file is past the limit (between a line and
/// its roll-over), each with its files' numbers and sizes, so that a state seen before (no line
/// of that user written since) is not counted again.
fn interrupted_rollovers(logs: &Path) -> Vec<(String, Vec<(u32, u64)>)> {
    let mut files: BTreeMap<String, Vec<(u32, u64)>> = BTreeMap::new();
    for entry in std::fs::read_dir(logs).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((user, number)) = audit_file(&name) {
            let len = entry.metadata().unwrap().len();
            files.entry(user).or_default().push((number, len));
        }
    }
    files
        .into_iter()
        .filter(|(_, numbers)| {
            let has = |wanted: u32| numbers.iter().any(|&(number, _)| number == wanted);
            numbers.iter().any(|&(number, len)| {
                (number == 0 && len > AUDIT_MAX_BYTES) || (number > 1 && !has(number - 1))
            })
        })
        .map(|(user, mut numbers)| {
            numbers.sort_unstable();
            (user, numbers)
        })
        .collect()
}

/// `tracking_user_<id>.log` → (id, 0); `tracking_user_<id>.log.<n>` → (id, n).
pub fn audit_file(name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix("tracking_user_")?;
    let (user, suffix) = rest.split_once(".log")?;
    let number = match suffix {
        "" => 0,
        _ => suffix.strip_prefix('.')?.parse().ok()?,
    };
    Some((user.to_owned(), number))
}
