//! Crash consistency of the built binary: concurrent tracked mutations of every kind on many
//! children of many families, user deletions, audit files that roll over every few lines and a
//! family journal that is compacted many times, all cut short by SIGKILL at seeded pseudo-random
//! moments (some of them a few milliseconds after a user's deletion was sent). After every restart
//! on the same data and log directories, everything the server acknowledged must be there, once,
//! as it was answered; the point chains must be exact; deleted users must be anonymized and their
//! audit files gone; and every stored and audit line must be whole. `docs/reliability.md`
//! describes it and records its runs.
//!
//! `TRACKING_CRASH_SEED=<u64>` replays another sequence of delays and targets.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use awc::http::Method;
use serde_json::{Value, json};

const ADMIN: &str = "crash-test-admin-token-0123456789abcdef";
/// Kills (and restarts) in one run.
const ROUNDS: usize = 24;
/// Tiny audit files: a line is about 450 bytes, so every third line or so rolls a file over.
const AUDIT_MAX_BYTES: u64 = 1024;
const AUDIT_BACKUPS: u32 = 5;
/// A small journal limit, so that snapshots are written and the journal emptied all the time.
const JOURNAL_COMPACT_BYTES: u64 = 32 * 1024;
/// Families that live through the whole run.
const STABLE_FAMILIES: usize = 4;
/// Families deleted during the run, one at a time.
const DOOMED_FAMILIES: usize = 8;
const CHILDREN_PER_FAMILY: usize = 2;
/// Concurrent writers of tracked mutations.
const WRITERS: usize = 6;
/// How long a round's workload runs before the kill, in milliseconds.
const RUN_MS: (u64, u64) = (150, 650);
const DEFAULT_SEED: u64 = 0x5eed_2026_c0ff_ee07;

const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
const START_TIMEOUT: Duration = Duration::from_secs(20);
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(5);

/// SplitMix64: a small, seeded, deterministic generator of delays and targets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn between(&mut self, (low, high): (u64, u64)) -> u64 {
        low + self.below(high - low + 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// The process

/// A running `tracking-server`; killed when dropped, so a failing test leaves nothing behind.
struct Server {
    process: Child,
    base: String,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Server {
    fn start(data: &Path, logs: &Path, round: usize) -> Self {
        let mut process = Command::new(env!("CARGO_BIN_EXE_tracking-server"))
            .args(["--bind", "127.0.0.1:0", "--admin-token", ADMIN])
            .args(["--workers", "2", "--durability", "durable"])
            .args(["--audit-max-bytes", &AUDIT_MAX_BYTES.to_string()])
            .args(["--audit-backups", &AUDIT_BACKUPS.to_string()])
            .args([
                "--journal-compact-bytes",
                &JOURNAL_COMPACT_BYTES.to_string(),
            ])
            .arg("--data-dir")
            .arg(data)
            .arg("--log-dir")
            .arg(logs)
            // The address is read from the info-level line "listening on http://…".
            .env("TRACKING_LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (address, listening) = mpsc::channel();
        let reader = std::thread::spawn({
            let pipe = process.stderr.take().expect("stderr is piped");
            let stderr = Arc::clone(&stderr);
            move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some((_, base)) = line.split_once("listening on ") {
                        let _ = address.send(base.trim().to_owned());
                    }
                    stderr.lock().unwrap().push(line);
                }
            }
        });
        let mut server = Self {
            process,
            base: String::new(),
            stderr,
            reader: Some(reader),
        };
        match listening.recv_timeout(START_TIMEOUT) {
            Ok(base) => server.base = base,
            Err(_) => {
                let status = server.process.try_wait();
                server.kill();
                panic!(
                    "round {round}: the server did not start within {START_TIMEOUT:?} on the \
                     data dir left by the kill (exit status {status:?}); its stderr:\n{}",
                    server.stderr_tail(40)
                );
            }
        }
        server
    }

    /// SIGKILL, then waits for the process and for the last of its stderr.
    fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }

    fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    fn stderr_tail(&self, count: usize) -> String {
        let lines = self.stderr_lines();
        lines[lines.len().saturating_sub(count)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// Why a request has no answer: it may or may not have reached the server (awc reports a
/// connection broken by the kill as a connect error too, so nothing is assumed).
#[derive(Debug)]
struct NoAnswer(String);

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Client {
    http: awc::Client,
    base: String,
}

impl Client {
    fn new(base: &str) -> Self {
        Self {
            http: awc::Client::builder().timeout(HTTP_TIMEOUT).finish(),
            base: base.to_owned(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), NoAnswer> {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        let sent = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|error| NoAnswer(error.to_string()))?;
        let bytes = response
            .body()
            .limit(1 << 26)
            .await
            .map_err(|error| NoAnswer(error.to_string()))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|error| NoAnswer(error.to_string()))?
        };
        Ok((response.status().as_u16(), body))
    }

    /// A request the server must answer (it is not being killed).
    async fn call(
        &self,
        round: usize,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(method.clone(), path, token, body.as_ref())
            .await
            .unwrap_or_else(|error| panic!("round {round}: {method} {path}: no answer: {error}"))
    }

    async fn create(&self, path: &str, token: &str, body: Value) -> String {
        let (status, answer) = self.call(0, Method::POST, path, token, Some(body)).await;
        assert_eq!(status, 201, "setup: POST {path}: {answer}");
        let id = if path == "/admin/users" {
            &answer["user"]["id"]
        } else {
            &answer["id"]
        };
        id.as_str().expect("an id").to_owned()
    }

    /// The whole history in the contract's order, through the admin query, 500 at a time.
    async fn history(&self, round: usize, filter: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let path = format!("/admin/tracking?{filter}limit=500&offset={}", events.len());
            let (status, page) = self.call(round, Method::GET, &path, ADMIN, None).await;
            assert_eq!(status, 200, "round {round}: GET {path}: {page}");
            let items = page["items"].as_array().expect("a page has items");
            let total = page["total"].as_u64().expect("a page has a total") as usize;
            events.extend(items.iter().cloned());
            if items.is_empty() || events.len() >= total {
                assert_eq!(
                    events.len(),
                    total,
                    "round {round}: the pages of {path} do not add up to their total"
                );
                return events;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the test created and what the server acknowledged

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deletion {
    None,
    /// Sent; no answer yet (or the kill took it).
    Sent,
    /// Answered 204.
    Acknowledged {
        round: usize,
    },
    /// Found done after a restart although its answer was lost to the kill.
    Found {
        round: usize,
    },
}

impl Deletion {
    fn done(self) -> bool {
        matches!(self, Self::Acknowledged { .. } | Self::Found { .. })
    }
}

struct Family {
    user: String,
    token: String,
    children: Vec<String>,
    tasks: Vec<String>,
    penalties: Vec<String>,
    rewards: Vec<String>,
    deletion: Deletion,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Task,
    Penalty,
    Request,
    Redeem,
    Cancel,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::Task,
        Kind::Task,
        Kind::Task,
        Kind::Penalty,
        Kind::Penalty,
        Kind::Request,
        Kind::Request,
        Kind::Redeem,
        Kind::Redeem,
        Kind::Cancel,
    ];

    fn event(self) -> (&'static str, &'static str) {
        match self {
            Kind::Task => ("task", "activated"),
            Kind::Penalty => ("penalty", "activated"),
            Kind::Request => ("reward", "requested"),
            Kind::Redeem => ("reward", "redeemed"),
            Kind::Cancel => ("reward", "cancelled"),
        }
    }

    /// The refusals (409) the contract allows for this mutation here.
    fn refusals(self) -> &'static [&'static str] {
        match self {
            Kind::Task | Kind::Penalty => &[],
            Kind::Request => &["insufficient_points", "already_requested"],
            Kind::Redeem => &["insufficient_points"],
            Kind::Cancel => &["no_pending_request"],
        }
    }
}

struct Acked {
    event: Value,
    family: usize,
    round: usize,
}

#[derive(Default)]
struct Ledger {
    /// Every event answered with 200, by id.
    acked: HashMap<String, Acked>,
    /// Per child: requests that may have reached the server but got no answer.
    unanswered: HashMap<String, u64>,
    refused: u64,
    gone: u64,
    unexpected: Vec<String>,
}

#[derive(Default)]
struct World {
    families: Vec<Family>,
    ledger: Ledger,
    /// Set just before the kill: from then on, a missing answer is expected.
    killing: bool,
}

type Shared = Rc<RefCell<World>>;

/// One mutation: a random live family, child and action.
fn choose(world: &World, rng: &mut Rng) -> Option<(usize, String, Kind, String)> {
    let live: Vec<usize> = (0..world.families.len())
        .filter(|&index| !world.families[index].deletion.done())
        .collect();
    if live.is_empty() {
        return None;
    }
    let index = *rng.pick(&live);
    let family = &world.families[index];
    let child = rng.pick(&family.children).clone();
    let kind = *rng.pick(&Kind::ALL);
    let path = match kind {
        Kind::Task => format!(
            "/children/{child}/tasks/{}/activate",
            rng.pick(&family.tasks)
        ),
        Kind::Penalty => format!(
            "/children/{child}/tasks/{}/activate",
            rng.pick(&family.penalties)
        ),
        Kind::Request | Kind::Redeem | Kind::Cancel => {
            let verb = match kind {
                Kind::Request => "request",
                Kind::Redeem => "redeem",
                _ => "cancel",
            };
            format!(
                "/children/{child}/rewards/{}/{verb}",
                rng.pick(&family.rewards)
            )
        }
    };
    Some((index, child, kind, path))
}

/// Sends mutations one after the other until the kill, recording every answer.
async fn writer(world: Shared, client: Rc<Client>, mut rng: Rng, round: usize) {
    loop {
        let Some((family, child, kind, path, token)) = ({
            let world = world.borrow();
            if world.killing {
                return;
            }
            choose(&world, &mut rng).map(|(family, child, kind, path)| {
                let token = world.families[family].token.clone();
                (family, child, kind, path, token)
            })
        }) else {
            return;
        };
        let answer = client.send(Method::POST, &path, &token, None).await;
        let mut world = world.borrow_mut();
        let killing = world.killing;
        let deleting = world.families[family].deletion != Deletion::None;
        let ledger = &mut world.ledger;
        match answer {
            Ok((200, body)) => {
                let event = body["tracking_event"].clone();
                let (entity_type, action) = kind.event();
                let id = event["id"].as_str().unwrap_or_default().to_owned();
                if event["child_id"] != child.as_str()
                    || event["entity_type"] != entity_type
                    || event["action"] != action
                    || body["child"]["points"] != event["points_after"]
                    || id.is_empty()
                {
                    ledger.unexpected.push(format!(
                        "round {round}: POST {path} answered 200 with another event: {body}"
                    ));
                }
                let before = ledger.acked.insert(
                    id.clone(),
                    Acked {
                        event,
                        family,
                        round,
                    },
                );
                if before.is_some() {
                    ledger
                        .unexpected
                        .push(format!("round {round}: event id {id} answered twice"));
                }
            }
            Ok((409, body))
                if kind
                    .refusals()
                    .contains(&body["error"]["code"].as_str().unwrap_or_default()) =>
            {
                ledger.refused += 1;
            }
            Ok((401 | 404, _)) if deleting => ledger.gone += 1,
            Ok((status, body)) => ledger.unexpected.push(format!(
                "round {round}: POST {path} answered {status}: {body}"
            )),
            Err(_) if killing => {
                *ledger.unanswered.entry(child).or_default() += 1;
                return;
            }
            Err(error) => {
                *ledger.unanswered.entry(child).or_default() += 1;
                ledger.unexpected.push(format!(
                    "round {round}: POST {path}: no answer while the server was up: {error}"
                ));
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the runs found (reported at the end, and in docs/reliability.md)

#[derive(Debug, Default)]
struct Stats {
    kills: usize,
    deletions_acknowledged: usize,
    deletions_cut: usize,
    deletions_cut_found_done: usize,
    deletions_cut_not_done: usize,
    kills_mid_anonymization: usize,
    kills_mid_snapshot: usize,
    kills_mid_rollover: usize,
    store_torn_tails: usize,
    /// The most torn audit lines seen after one restart.
    audit_torn_lines: usize,
    /// Events whose audit line comes before the line of an earlier event of the same child.
    audit_lines: usize,
    audit_files_max: usize,
    snapshots: HashSet<u64>,
    journal_bytes_max: u64,
    events: usize,
    anonymization_ms_max: u64,
    error_lines: Vec<String>,
}

/// A file's identity, to see whether a leftover temporary file is a new one.
fn signature(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

// ---------------------------------------------------------------------------------------------
// The test

#[actix_rt::test]
async fn acknowledged_mutations_and_deletions_survive_sigkill() {
    let started = Instant::now();
    let seed = std::env::var("TRACKING_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut rng = Rng(seed);
    let (data, logs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut server = Server::start(data.path(), logs.path(), 0);
    let world: Shared = Rc::new(RefCell::new(World {
        families: setup(&Client::new(&server.base)).await,
        ledger: Ledger::default(),
        killing: false,
    }));
    let mut stats = Stats::default();
    let mut to_delete: Vec<usize> = (STABLE_FAMILIES..STABLE_FAMILIES + DOOMED_FAMILIES).collect();
    let mut last_deletion_ms = 20_u64;
    let mut anonymizing_tmp = None;
    let mut snapshot_tmp = None;
    let mut rollover = Vec::new();

    for round in 1..=ROUNDS {
        let client = Rc::new(Client::new(&server.base));
        world.borrow_mut().killing = false;
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let rng = Rng(rng.next());
                actix_rt::spawn(writer(world.clone(), client.clone(), rng, round))
            })
            .collect();
        let run = Duration::from_millis(rng.between(RUN_MS));
        // Every other round deletes a family: in turn, one whose 204 is awaited before the kill
        // and one killed a few milliseconds after the request left (while it anonymizes).
        let deletion = (round % 2 == 0 && !to_delete.is_empty()).then(|| to_delete.remove(0));
        let mut cut_deletion = None;
        match deletion {
            None => tokio::time::sleep(run).await,
            Some(family) if round % 4 == 2 => {
                tokio::time::sleep(run / 2).await;
                let since = Instant::now();
                let status = delete_user(&world, &client, family, round).await;
                assert_eq!(
                    status,
                    Some(204),
                    "round {round}: DELETE of user {} while the server was up",
                    world.borrow().families[family].user
                );
                last_deletion_ms = since.elapsed().as_millis() as u64;
                stats.anonymization_ms_max = stats.anonymization_ms_max.max(last_deletion_ms);
                world.borrow_mut().families[family].deletion = Deletion::Acknowledged { round };
                stats.deletions_acknowledged += 1;
                tokio::time::sleep(run / 2).await;
            }
            Some(family) => {
                tokio::time::sleep(run).await;
                let deleting = actix_rt::spawn(delete_user_later(
                    world.clone(),
                    client.clone(),
                    family,
                    round,
                ));
                tokio::time::sleep(Duration::from_millis(rng.below(last_deletion_ms + 1))).await;
                cut_deletion = Some((family, deleting));
            }
        }

        world.borrow_mut().killing = true;
        server.kill();
        stats.kills += 1;
        for writer in writers {
            writer.await.expect("a writer does not panic");
        }
        if let Some((family, deleting)) = cut_deletion {
            match deleting.await.expect("the deletion task does not panic") {
                Some(204) => {
                    world.borrow_mut().families[family].deletion = Deletion::Acknowledged { round };
                    stats.deletions_acknowledged += 1;
                }
                Some(status) => panic!("round {round}: DELETE answered {status}"),
                None => stats.deletions_cut += 1,
            }
        }
        let unexpected = std::mem::take(&mut world.borrow_mut().ledger.unexpected);
        assert!(
            unexpected.is_empty(),
            "unexpected answers:\n{}",
            unexpected.join("\n")
        );
        count_errors(&server, &mut stats);

        // What the kill interrupted, seen before the restart repairs anything.
        let tmp = signature(&data.path().join("tracking_events.jsonl.tmp"));
        if tmp.is_some() && tmp != anonymizing_tmp {
            stats.kills_mid_anonymization += 1;
        }
        anonymizing_tmp = tmp;
        let tmp = signature(&data.path().join("family.snapshot.json.tmp"));
        if tmp.is_some() && tmp != snapshot_tmp {
            stats.kills_mid_snapshot += 1;
        }
        snapshot_tmp = tmp;
        let interrupted = interrupted_rollovers(logs.path());
        if interrupted.iter().any(|state| !rollover.contains(state)) {
            stats.kills_mid_rollover += 1;
        }
        rollover = interrupted;

        server = Server::start(data.path(), logs.path(), round);
        stats.store_torn_tails += server
            .stderr_lines()
            .iter()
            .filter(|line| line.contains("dropped a torn last line"))
            .count();
        let client = Client::new(&server.base);
        wait_for_catch_up(&client, &server, round).await;
        // A deletion the kill cut short is either done (and must be whole) or not done at all.
        let users = list_users(&client, round).await;
        for (index, family) in world.borrow_mut().families.iter_mut().enumerate() {
            let exists = users.contains(&family.user);
            match family.deletion {
                Deletion::None => assert!(
                    exists,
                    "round {round}: user {} is gone but was never deleted",
                    family.user
                ),
                Deletion::Sent if exists => {
                    family.deletion = Deletion::None;
                    stats.deletions_cut_not_done += 1;
                    to_delete.push(index);
                }
                Deletion::Sent => {
                    family.deletion = Deletion::Found { round };
                    stats.deletions_cut_found_done += 1;
                }
                Deletion::Acknowledged { round: deleted } | Deletion::Found { round: deleted } => {
                    assert!(
                        !exists,
                        "round {round}: user {} is back although its deletion was {} in round \
                         {deleted}",
                        family.user,
                        if matches!(family.deletion, Deletion::Found { .. }) {
                            "found done"
                        } else {
                            "acknowledged"
                        }
                    );
                }
            }
        }
        let dirs = (data.path(), logs.path());
        // Nothing else runs now; the world is taken out so that no borrow spans an await.
        let checked = std::mem::take(&mut *world.borrow_mut());
        check(round, &client, &server, &checked, dirs, &mut stats).await;
        *world.borrow_mut() = checked;
        eprintln!(
            "round {round:2}: ran {:4} ms{}, {} acknowledged, {} events, {:.1} s",
            run.as_millis(),
            match deletion {
                Some(family) => format!(
                    ", deleted user #{family} ({:?})",
                    world.borrow().families[family].deletion
                ),
                None => String::new(),
            },
            world.borrow().ledger.acked.len(),
            stats.events,
            started.elapsed().as_secs_f64()
        );
    }
    server.kill();
    count_errors(&server, &mut stats);

    let world = world.borrow();
    let acked = world.ledger.acked.len();
    let deleted = world
        .families
        .iter()
        .filter(|family| family.deletion.done())
        .count();
    eprintln!(
        "seed {seed:#x}: {} kills, {acked} mutations acknowledged, {} refused (409), {} \
         unanswered, {} events stored; {deleted} users deleted ({} acknowledged, {} cut by the \
         kill: {} found done, {} not done and sent again); kills that left evidence of an \
         interrupted anonymization: {}, snapshot: {}, audit roll-over: {}; torn tails dropped by \
         the store: {}; torn audit lines: {}; audit lines checked (last round): {}, audit files \
         at most: {}; distinct snapshots: {}, journal at \
         most {} bytes; slowest acknowledged deletion {} ms; {:.1} s",
        stats.kills,
        world.ledger.refused,
        world.ledger.unanswered.values().sum::<u64>(),
        stats.events,
        stats.deletions_acknowledged,
        stats.deletions_cut,
        stats.deletions_cut_found_done,
        stats.deletions_cut_not_done,
        stats.kills_mid_anonymization,
        stats.kills_mid_snapshot,
        stats.kills_mid_rollover,
        stats.store_torn_tails,
        stats.audit_torn_lines,
        stats.audit_lines,
        stats.audit_files_max,
        stats.snapshots.len(),
        stats.journal_bytes_max,
        stats.anonymization_ms_max,
        started.elapsed().as_secs_f64()
    );
    if !stats.error_lines.is_empty() {
        eprintln!("server errors:\n{}", stats.error_lines.join("\n"));
    }
    assert!(stats.kills >= 20, "at least 20 kills");
    assert!(
        acked >= 20 * ROUNDS,
        "only {acked} mutations were acknowledged: too few to prove anything"
    );
    assert!(deleted >= 3, "only {deleted} users were deleted");
    assert!(
        stats.snapshots.len() >= ROUNDS / 2,
        "the family journal was compacted into only {} distinct snapshots over {ROUNDS} rounds \
         although --journal-compact-bytes is {JOURNAL_COMPACT_BYTES} (journal at most {} bytes): \
         the setting seems to have no effect",
        stats.snapshots.len(),
        stats.journal_bytes_max
    );
}

/// Families with children, tasks, penalties and rewards (names with quotes and non-ASCII).
async fn setup(client: &Client) -> Vec<Family> {
    let mut families = Vec::new();
    for index in 0..STABLE_FAMILIES + DOOMED_FAMILIES {
        let name = format!("Parent «{index}»");
        let (status, created) = client
            .call(
                0,
                Method::POST,
                "/admin/users",
                ADMIN,
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "setup: {created}");
        let user = created["user"]["id"].as_str().unwrap().to_owned();
        let token = created["token"].as_str().unwrap().to_owned();
        let mut children = Vec::new();
        for number in 0..CHILDREN_PER_FAMILY {
            let body = json!({ "name": format!("Sam \"{index}.{number}\" ✓") });
            children.push(client.create("/children", &token, body).await);
        }
        let task = |name: &str, points: u32, is_good: bool| json!({ "name": name, "points": points, "is_good": is_good });
        let tasks = vec![
            client
                .create("/tasks", &token, task("Make bed", 3, true))
                .await,
            client
                .create("/tasks", &token, task("Feed the cat 🐈 \"Mia\"", 5, true))
                .await,
        ];
        let penalties = vec![
            client
                .create("/tasks", &token, task("Slammed the door", 2, false))
                .await,
        ];
        let rewards = vec![
            client
                .create(
                    "/rewards",
                    &token,
                    json!({ "name": "Ice cream 🍦", "cost": 4 }),
                )
                .await,
            client
                .create(
                    "/rewards",
                    &token,
                    json!({ "name": "Cinema \\ night", "cost": 9 }),
                )
                .await,
        ];
        families.push(Family {
            user,
            token,
            children,
            tasks,
            penalties,
            rewards,
            deletion: Deletion::None,
        });
    }
    families
}

/// `DELETE /admin/users/{id}`; `None` when the kill took the answer.
async fn delete_user(world: &Shared, client: &Client, family: usize, round: usize) -> Option<u16> {
    let user = {
        let mut world = world.borrow_mut();
        world.families[family].deletion = Deletion::Sent;
        world.families[family].user.clone()
    };
    let path = format!("/admin/users/{user}");
    match client.send(Method::DELETE, &path, ADMIN, None).await {
        Ok((status, body)) => {
            assert!(
                status == 204,
                "round {round}: DELETE {path} answered {status}: {body}"
            );
            Some(status)
        }
        Err(error) => {
            assert!(
                world.borrow().killing,
                "round {round}: DELETE {path}: no answer while the server was up: {error}"
            );
            None
        }
    }
}

async fn delete_user_later(
    world: Shared,
    client: Rc<Client>,
    family: usize,
    round: usize,
) -> Option<u16> {
    delete_user(&world, &client, family, round).await
}

/// Counts the error lines of the server's stderr, to report them.
fn count_errors(server: &Server, stats: &mut Stats) {
    for line in server.stderr_lines() {
        if line.contains(" ERROR ") || line.contains("repeated event ids") {
            stats.error_lines.push(line);
        }
    }
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
fn audit_file(name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix("tracking_user_")?;
    let (user, suffix) = rest.split_once(".log")?;
    let number = match suffix {
        "" => 0,
        _ => suffix.strip_prefix('.')?.parse().ok()?,
    };
    Some((user.to_owned(), number))
}

async fn list_users(client: &Client, round: usize) -> HashSet<String> {
    let (status, users) = client
        .call(round, Method::GET, "/admin/users", ADMIN, None)
        .await;
    assert_eq!(status, 200, "round {round}: GET /admin/users: {users}");
    users
        .as_array()
        .expect("a list of users")
        .iter()
        .map(|user| user["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until `GET /health` reports no tracking event waiting for the history.
async fn wait_for_catch_up(client: &Client, server: &Server, round: usize) {
    let deadline = Instant::now() + CATCH_UP_TIMEOUT;
    loop {
        let (status, health) = client.call(round, Method::GET, "/health", "", None).await;
        assert_eq!(status, 200, "round {round}: GET /health: {health}");
        assert_eq!(health["status"], "ok", "round {round}: {health}");
        if health["tracking_backlog"] == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "round {round}: {} tracking events still wait for the history {CATCH_UP_TIMEOUT:?} \
             after the restart; server stderr:\n{}",
            health["tracking_backlog"],
            server.stderr_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Everything checked after a restart.
async fn check(
    round: usize,
    client: &Client,
    server: &Server,
    world: &World,
    (data, logs): (&Path, &Path),
    stats: &mut Stats,
) {
    let events = client.history(round, "").await;
    stats.events = events.len();
    let errors = server_errors(server);
    let by_id: HashMap<&str, &Value> = events
        .iter()
        .map(|event| (event["id"].as_str().expect("an event has an id"), event))
        .collect();
    assert_eq!(
        by_id.len(),
        events.len(),
        "round {round}: an event id appears twice in the history the API shows"
    );
    // First the files: a damaged or doubled line explains what the API shows.
    check_data_files(round, &by_id, data, stats);

    let mut owner_of_child: HashMap<&str, usize> = HashMap::new();
    for (index, family) in world.families.iter().enumerate() {
        for child in &family.children {
            owner_of_child.insert(child, index);
        }
    }

    // Per child, in the contract's order: an exact chain from 0; the right user (or none).
    let mut chains: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for event in &events {
        let child = event["child_id"].as_str().expect("an event has a child");
        let id = &event["id"];
        let family = *owner_of_child
            .get(child)
            .unwrap_or_else(|| panic!("round {round}: event {id} of an unknown child {child}"));
        let family = &world.families[family];
        if family.deletion.done() {
            assert!(
                event["user_id"].is_null(),
                "round {round}: event {id} of deleted user {} still has user_id {} \
                 (deletion {:?}); server errors:\n{errors}",
                family.user,
                event["user_id"],
                family.deletion
            );
        } else {
            assert_eq!(
                event["user_id"], family.user,
                "round {round}: event {id} of child {child} has the wrong user_id"
            );
        }
        chains.entry(child).or_default().push(event);
    }
    for (child, chain) in &chains {
        let mut points = 0;
        for event in chain {
            assert_eq!(
                event["points_before"].as_i64(),
                Some(points),
                "round {round}: child {child}: the chain breaks at event {} (points_before \
                 should be the previous points_after, {points})",
                event["id"]
            );
            let after = event["points_after"].as_i64().expect("points_after");
            assert_eq!(
                event["delta"].as_i64(),
                Some(after - points),
                "round {round}: event {}: delta is not points_after - points_before",
                event["id"]
            );
            points = after;
        }
    }

    // Every acknowledged mutation, exactly once (ids are unique above), as answered.
    let mut acked_per_child: HashMap<&str, u64> = HashMap::new();
    for (id, acked) in &world.ledger.acked {
        let stored = by_id.get(id.as_str()).unwrap_or_else(|| {
            panic!(
                "round {round}: event {id} (child {}, answered 200 in round {}) is missing \
                 from the history",
                acked.event["child_id"], acked.round
            )
        });
        let family = &world.families[acked.family];
        assert_eq!(
            without_user(stored),
            without_user(&acked.event),
            "round {round}: event {id} (answered in round {}) differs from its 200 answer",
            acked.round
        );
        if !family.deletion.done() {
            assert_eq!(
                stored["user_id"], acked.event["user_id"],
                "round {round}: event {id}: user_id"
            );
        }
        *acked_per_child
            .entry(acked.event["child_id"].as_str().unwrap())
            .or_default() += 1;
    }
    // Refusals record nothing: events nobody acknowledged come only from lost answers.
    for (child, chain) in &chains {
        let extra = chain.len() as u64 - acked_per_child.get(child).copied().unwrap_or(0);
        let lost = world.ledger.unanswered.get(*child).copied().unwrap_or(0);
        assert!(
            extra <= lost,
            "round {round}: child {child} has {extra} events nobody acknowledged, but only \
             {lost} requests lost their answer"
        );
    }

    // Points of the children that still exist; deleted users are gone and anonymized.
    for family in &world.families {
        if family.deletion.done() {
            let filter = format!("user_id={}&", family.user);
            let found = client.history(round, &filter).await;
            assert!(
                found.is_empty(),
                "round {round}: GET /admin/tracking?user_id={} finds {} events after the \
                 user's deletion ({:?}); server errors:\n{errors}",
                family.user,
                found.len(),
                family.deletion
            );
            let (status, body) = client
                .call(round, Method::GET, "/me", &family.token, None)
                .await;
            assert_eq!(
                status, 401,
                "round {round}: the token of deleted user {} still works: {body}",
                family.user
            );
            continue;
        }
        for child in &family.children {
            let path = format!("/children/{child}");
            let (status, body) = client
                .call(round, Method::GET, &path, &family.token, None)
                .await;
            assert_eq!(status, 200, "round {round}: GET {path}: {body}");
            let last = chains
                .get(child.as_str())
                .and_then(|chain| chain.last())
                .map_or(0, |event| event["points_after"].as_i64().unwrap());
            assert_eq!(
                body["points"].as_i64(),
                Some(last),
                "round {round}: child {child} has {} points, its last event says {last}",
                body["points"]
            );
        }
    }

    check_audit_files(round, world, &by_id, &chains, logs, stats);
}

/// The server's last error and warning lines, for assertion messages.
fn server_errors(server: &Server) -> String {
    let lines: Vec<String> = server
        .stderr_lines()
        .into_iter()
        .filter(|line| line.contains(" ERROR ") || line.contains(" WARN "))
        .collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

fn without_user(event: &Value) -> Value {
    let mut event = event.clone();
    event
        .as_object_mut()
        .expect("an event is an object")
        .remove("user_id");
    event
}

/// The audit line tracking-audit writes for `event` in the file of `user` (docs/audit.md).
fn audit_line(event: &Value, user: &str) -> String {
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
    line.push('}');
    line
}

/// Audit files: only those of users that exist, named `.log` or `.log.1` … `.log.N`; every line
/// whole and equal to its event, except a line torn by a kill, which must stand alone (a prefix
/// of a real line, followed by a newline) — at the end of the live file it may lack the newline
/// until the file is written again. No event twice.
fn check_audit_files(
    round: usize,
    world: &World,
    by_id: &HashMap<&str, &Value>,
    chains: &BTreeMap<&str, Vec<&Value>>,
    logs: &Path,
    stats: &mut Stats,
) {
    let live: HashMap<&str, usize> = world
        .families
        .iter()
        .enumerate()
        .filter(|(_, family)| !family.deletion.done())
        .map(|(index, family)| (family.user.as_str(), index))
        .collect();
    let mut files: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for entry in std::fs::read_dir(logs).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let (user, number) = audit_file(&name)
            .unwrap_or_else(|| panic!("round {round}: unexpected file {name} in the log dir"));
        assert!(
            number <= AUDIT_BACKUPS,
            "round {round}: {name}: more rolled files than --audit-backups {AUDIT_BACKUPS}"
        );
        if !live.contains_key(user.as_str()) {
            let deleted = world.families.iter().find(|family| family.user == user);
            panic!(
                "round {round}: audit file {name} remains although {}",
                match deleted {
                    Some(family) => format!("its user was deleted ({:?})", family.deletion),
                    None => "no such user was created".to_owned(),
                }
            );
        }
        files.entry(user).or_default().push(number);
    }
    stats.audit_files_max = stats
        .audit_files_max
        .max(files.values().map(Vec::len).sum());

    let position: HashMap<&str, usize> = chains
        .values()
        .flat_map(|chain| chain.iter().enumerate())
        .map(|(at, event)| (event["id"].as_str().unwrap(), at))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut lines_checked = 0;
    let mut torn_lines = 0;
    for (user, mut numbers) in files {
        // Oldest first: .log.N … .log.1, then the live .log.
        numbers.sort_by_key(|&number| match number {
            0 => u32::MAX,
            rolled => u32::MAX - 1 - rolled,
        });
        let mut last_at: HashMap<String, usize> = HashMap::new();
        for number in numbers {
            let name = if number == 0 {
                format!("tracking_user_{user}.log")
            } else {
                format!("tracking_user_{user}.log.{number}")
            };
            let text = std::fs::read(logs.join(&name)).unwrap();
            let text = String::from_utf8(text)
                .unwrap_or_else(|_| panic!("round {round}: {name} is not UTF-8"));
            // Only the live file may end inside a line: the next line written adds the newline
            // first. A rolled file was rolled right after a whole line.
            assert!(
                number == 0 || text.is_empty() || text.ends_with('\n'),
                "round {round}: rolled file {name} ends inside a line"
            );
            let lines: Vec<&str> = text.split_terminator('\n').collect();
            for (at, line) in lines.iter().enumerate() {
                let id = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|value| value["tracking_event_id"].as_str().map(str::to_owned));
                let Some(id) = id else {
                    // A torn line: a strict prefix of the line of an event of this user.
                    let torn = !line.is_empty()
                        && by_id.values().any(|event| {
                            event["user_id"] == user.as_str() && {
                                let whole = audit_line(event, &user);
                                whole.len() > line.len() && whole.starts_with(line)
                            }
                        });
                    assert!(
                        torn,
                        "round {round}: {name}, line {}: neither a whole audit line nor a torn \
                         one: {line:?}",
                        at + 1
                    );
                    torn_lines += 1;
                    continue;
                };
                let event = by_id.get(id.as_str()).unwrap_or_else(|| {
                    panic!("round {round}: {name}: a line for event {id}, which is not stored")
                });
                assert_eq!(
                    *line,
                    audit_line(event, &user),
                    "round {round}: {name}, line {}: not the line of event {id}",
                    at + 1
                );
                assert!(
                    seen.insert(id.clone()),
                    "round {round}: event {id} has two audit lines"
                );
                let child = event["child_id"].as_str().unwrap().to_owned();
                let here = position[id.as_str()];
                assert!(
                    last_at.get(&child).is_none_or(|&before| before <= here),
                    "round {round}: {name}: the line of event {id} comes after a later event of its child"
                );
                last_at.insert(child, here);
                lines_checked += 1;
            }
        }
    }
    stats.audit_lines = lines_checked;
    stats.audit_torn_lines = stats.audit_torn_lines.max(torn_lines);
}

/// Every JSON Lines file of the data dir parses line by line and ends with its newline; the
/// history file holds exactly the events the API shows, each once; the snapshot parses.
fn check_data_files(round: usize, by_id: &HashMap<&str, &Value>, data: &Path, stats: &mut Stats) {
    for entry in std::fs::read_dir(data).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        if name.ends_with(".jsonl") {
            assert!(
                bytes.is_empty() || bytes.ends_with(b"\n"),
                "round {round}: {name} ends inside a line after the restart"
            );
            let mut ids = HashSet::new();
            let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
            // The piece after the last newline is empty (checked above).
            for (at, line) in lines[..lines.len() - 1].iter().enumerate() {
                let value: Value = serde_json::from_slice(line).unwrap_or_else(|error| {
                    panic!(
                        "round {round}: {name}, line {}: not JSON after the restart ({error}): \
                         {}",
                        at + 1,
                        String::from_utf8_lossy(line)
                    )
                });
                if name == "tracking_events.jsonl" {
                    let id = value["id"].as_str().expect("a stored event has an id");
                    assert!(
                        by_id.contains_key(id),
                        "round {round}: {name}, line {}: event {id} is stored but the API does \
                         not show it",
                        at + 1
                    );
                    assert!(
                        ids.insert(id.to_owned()),
                        "round {round}: {name}, line {}: event {id} is stored twice",
                        at + 1
                    );
                }
            }
            if name == "tracking_events.jsonl" {
                assert_eq!(
                    ids.len(),
                    by_id.len(),
                    "round {round}: the history file and the API disagree"
                );
            }
            if name == "family.journal.jsonl" {
                stats.journal_bytes_max = stats.journal_bytes_max.max(bytes.len() as u64);
            }
        } else if name == "family.snapshot.json" {
            let snapshot: Value = serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!("round {round}: {name} does not parse after the restart: {error}")
            });
            stats.snapshots.insert(
                snapshot["last_seq"]
                    .as_u64()
                    .expect("a snapshot has last_seq"),
            );
        }
    }
}
