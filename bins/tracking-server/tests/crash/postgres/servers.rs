//! Two `tracking-server` processes on one PostgreSQL schema, sharing one log dir (the audit files,
//! which the elected writer writes), each with a data dir of its own; which of them writes the
//! audit files, as their logs say; and the wait until both have caught up after a kill or a
//! restart of the database.

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::Value;
use tempfile::TempDir;

use super::database::Database;
use crate::harness::audit_file;
use crate::support::{Client, Server};
use crate::{AUDIT_BACKUPS, AUDIT_MAX_BYTES};

/// How long the audit files may take to catch up after a kill or a restart: a new writer tries
/// for the lock every second and waits 2 s after taking it; after a restart of the database it
/// also waits for its connection to come back.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Pair {
    pub servers: Vec<Server>,
    logs: TempDir,
    /// Kept until the end: each server's data dir.
    _data: Vec<TempDir>,
}

impl Pair {
    /// Two servers on `database`'s schema, with tiny audit files that roll over all the time.
    pub fn start(database: &Database) -> Self {
        let flags = [
            ("--database-url", database.url.clone()),
            ("--database-schema", database.schema.clone()),
            ("--database-connections", "8".to_owned()),
            ("--audit-max-bytes", AUDIT_MAX_BYTES.to_string()),
            ("--audit-backups", AUDIT_BACKUPS.to_string()),
        ];
        let flags: Vec<String> = flags
            .into_iter()
            .flat_map(|(flag, value)| [flag.to_owned(), value])
            .collect();
        let logs = tempfile::tempdir().unwrap();
        let data: Vec<TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
        let servers = data
            .iter()
            .map(|data| Server::start_in(data.path(), logs.path(), &flags))
            .collect();
        Self {
            servers,
            logs,
            _data: data,
        }
    }

    pub fn logs(&self) -> &Path {
        self.logs.path()
    }

    /// A client of each server, as it listens now (a restart picks a new port).
    pub fn clients(&self, round: usize) -> Vec<Rc<Client>> {
        self.servers
            .iter()
            .map(|server| Rc::new(Client::new(server.base()).within(format!("round {round}"))))
            .collect()
    }

    /// Whether `server`'s log says it writes the audit files now.
    pub fn writes_audit(server: &Server) -> bool {
        server
            .stderr_lines()
            .iter()
            .rev()
            .find_map(|line| {
                if line.contains("this server writes the audit files") {
                    Some(true)
                } else if line.contains("this server no longer writes the audit files") {
                    Some(false)
                } else {
                    None
                }
            })
            .unwrap_or(false)
    }

    /// The server's last error and warning lines, for assertion messages.
    pub fn errors(&self) -> String {
        self.servers
            .iter()
            .enumerate()
            .map(|(at, server)| {
                let lines: Vec<String> = (server.stderr_lines().into_iter())
                    .filter(|line| line.contains(" ERROR ") || line.contains(" WARN "))
                    .collect();
                format!(
                    "server {at}:\n{}",
                    lines[lines.len().saturating_sub(5)..].join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until both servers are healthy with nothing waiting for the history, and every
    /// user's audit files reach the user's last event: the highest `family_sequence` in them is
    /// the number of the user's events in the history (lines are written in that order, so the
    /// files hold everything up to it, which the checks then prove line by line).
    pub async fn wait_for_catch_up(&self, clients: &[Rc<Client>], round: usize) {
        let deadline = Instant::now() + CATCH_UP_TIMEOUT;
        let mut heads = HashMap::new();
        loop {
            let (mut healthy, mut delivered) = (true, true);
            for client in clients {
                let (status, health) = client.call(Method::GET, "/health", "", None).await;
                assert_eq!(status, 200, "round {round}: GET /health: {health}");
                delivered &= health["tracking_backlog"] == 0;
                healthy &= health["status"] == "ok" && health["audit_backlog"] == 0;
            }
            healthy &= delivered;
            // Read again once nothing waits for the history: until then it still takes events,
            // so heads read earlier may miss one.
            if delivered {
                heads = history_heads(&clients[0]).await;
            }
            let written = last_audit_numbers(self.logs());
            let behind: Vec<String> = heads
                .iter()
                .filter(|&(user, &head)| written.get(user).copied().unwrap_or(0) != head)
                .map(|(user, head)| {
                    let last = written.get(user).copied().unwrap_or(0);
                    format!("user {user}: audit files at {last} of {head} events")
                })
                .collect();
            if healthy && behind.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: not caught up {CATCH_UP_TIMEOUT:?} after the restart (healthy: \
                 {healthy}): {}; server errors:\n{}",
                behind.join(", "),
                self.errors()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Per user, the number of its events in the history.
async fn history_heads(client: &Client) -> HashMap<String, u64> {
    let mut heads = HashMap::new();
    for event in client.history("").await {
        if let Some(user) = event["user_id"].as_str() {
            *heads.entry(user.to_owned()).or_default() += 1;
        }
    }
    heads
}

/// Per user, the highest `family_sequence` of the whole lines in its audit files.
fn last_audit_numbers(logs: &Path) -> HashMap<String, u64> {
    let mut last: HashMap<String, u64> = HashMap::new();
    for entry in std::fs::read_dir(logs).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((user, _)) = audit_file(&name) else {
            continue;
        };
        // A file may be renamed by a roll-over between the listing and the read.
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let numbers = text
            .split_terminator('\n')
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|line| line["family_sequence"].as_u64());
        for number in numbers {
            let highest = last.entry(user.clone()).or_default();
            *highest = (*highest).max(number);
        }
    }
    last
}
