//! Opens many live event streams (`GET /events`) and counts what each one receives, for the load
//! measurement "every event delivered to every stream of its parent" (`scripts/load/run.sh`).
//!
//! ```sh
//! cargo run --release -p tracking-server --example sse_count -- \
//!     --addr 127.0.0.1:8080 --parents fixture/parents.txt --streams 1000 \
//!     --ready-file /tmp/ready --out /tmp/sse.json
//! ```
//!
//! `--parents` is the seed's `parents.txt` (`TOKEN USER_ID` a line); the streams are dealt out
//! round-robin over its parents. Once every stream has its `200` head the program writes
//! `--ready-file`. On SIGINT or SIGTERM (or after `--max-seconds`) it waits until no event has
//! arrived for `--quiet-ms`, then writes per parent: streams opened, streams that ended early, and
//! the sum, minimum and maximum of `tracking_event_created` events received per stream, as JSON.
//! It reads every stream with one `awc` client, on one thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use awc::Connector;
use clap::Parser;
use futures_util::StreamExt;
use serde_json::{Map, Value};
use tokio::signal::unix::{SignalKind, signal};

/// Opens live event streams and counts the events each receives.
#[derive(Debug, Parser)]
struct Args {
    /// The server's address, `HOST:PORT`.
    #[arg(long)]
    addr: String,
    /// `TOKEN USER_ID` lines, one per parent.
    #[arg(long)]
    parents: PathBuf,
    /// Streams to open, dealt round-robin over the parents.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Written once every stream is open.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Where the JSON result goes.
    #[arg(long)]
    out: PathBuf,
    /// After the stop signal, how long no event may arrive before counting ends.
    #[arg(long, default_value_t = 2000)]
    quiet_ms: u64,
    /// Stops by itself after this long even without a signal.
    #[arg(long, default_value_t = 900)]
    max_seconds: u64,
}

/// What one stream saw.
#[derive(Debug, Default)]
struct Counts {
    events: AtomicU64,
    ids: AtomicU64,
    comments: AtomicU64,
    /// Set when the stream ended (or failed) before counting stopped.
    ended: AtomicBool,
    /// Set once the `200` head arrived.
    open: AtomicBool,
}

/// The time of the last event any stream received, in milliseconds since the start.
#[derive(Debug)]
struct Clock {
    start: Instant,
    last_event_ms: AtomicU64,
}

impl Clock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// One open stream: its parent's user id, what it saw, and the task reading it.
type Stream = (String, Arc<Counts>, actix_rt::task::JoinHandle<()>);

#[actix_rt::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let parents = read_parents(&args.parents)?;
    let clock = Arc::new(Clock {
        start: Instant::now(),
        last_event_ms: AtomicU64::new(0),
    });
    let streams = open_streams(&args, &parents, &clock);
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let opened = wait_until_open(&streams, deadline).await;
    eprintln!(
        "sse_count: {opened} of {} streams open after {} ms",
        streams.len(),
        clock.now_ms()
    );
    if let Some(path) = &args.ready_file {
        std::fs::write(path, format!("{opened}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }

    wait_for_stop(deadline).await?;
    let stopped = clock.now_ms();
    wait_until_quiet(&clock, stopped, args.quiet_ms).await;
    let result = serde_json::json!({
        "streams": streams.len(),
        "opened": opened,
        "drain_ms": clock.now_ms() - stopped,
        "users": per_user(&streams),
    });
    std::fs::write(&args.out, serde_json::to_vec_pretty(&result)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!(
        "sse_count: done, {} events over all streams",
        streams
            .iter()
            .map(|(_, counts, _)| counts.events.load(Ordering::Relaxed))
            .sum::<u64>()
    );
    Ok(())
}

/// The `TOKEN USER_ID` lines of the seed's `parents.txt`.
fn read_parents(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let parents: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
        })
        .collect();
    if parents.is_empty() {
        bail!("{} lists no parent", path.display());
    }
    Ok(parents)
}

/// Starts reading `--streams` streams, dealt round-robin over the parents.
fn open_streams(args: &Args, parents: &[(String, String)], clock: &Arc<Clock>) -> Vec<Stream> {
    // No limit on connections (awc's default is 100) and no deadline: a stream stays open.
    let client = awc::Client::builder()
        .connector(Connector::new().limit(0))
        .disable_timeout()
        .finish();
    let url = format!("http://{}/events", args.addr);
    (0..args.streams)
        .map(|number| {
            let (token, user) = parents[number % parents.len()].clone();
            let counts = Arc::new(Counts::default());
            let request = client
                .get(&url)
                .bearer_auth(token)
                .insert_header(("Accept", "text/event-stream"));
            let task = actix_rt::spawn(follow(request, Arc::clone(&counts), Arc::clone(clock)));
            (user, counts, task)
        })
        .collect()
}

/// Waits until every stream is open or has ended (or the deadline); how many are open.
async fn wait_until_open(streams: &[Stream], deadline: Instant) -> usize {
    loop {
        let count = |flag: fn(&Counts) -> &AtomicBool| {
            streams
                .iter()
                .filter(|(_, counts, _)| flag(counts).load(Ordering::Relaxed))
                .count()
        };
        let (open, ended) = (count(|counts| &counts.open), count(|counts| &counts.ended));
        if open + ended >= streams.len() || Instant::now() > deadline {
            return open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Returns on SIGINT, SIGTERM or at the deadline.
async fn wait_for_stop(deadline: Instant) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
        () = tokio::time::sleep_until(deadline.into()) => {}
    }
    Ok(())
}

/// Waits until no event has arrived for `quiet_ms` (at most a minute after `stopped`).
async fn wait_until_quiet(clock: &Clock, stopped: u64, quiet_ms: u64) {
    loop {
        let now = clock.now_ms();
        let last = clock.last_event_ms.load(Ordering::Relaxed).max(stopped);
        if now.saturating_sub(last) >= quiet_ms || now - stopped > 60_000 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Per parent: streams, opened, ended early, and the sum, minimum and maximum of events per
/// stream (plus ids and comments); stops every stream.
fn per_user(streams: &[Stream]) -> BTreeMap<String, Map<String, Value>> {
    let mut users: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (user, counts, task) in streams {
        task.abort();
        let events = counts.events.load(Ordering::Relaxed);
        let entry = users.entry(user.clone()).or_default();
        let mut add = |key: &str, value: u64| {
            let old = entry.get(key).and_then(Value::as_u64).unwrap_or(0);
            entry.insert(key.into(), (old + value).into());
        };
        add("streams", 1);
        add("opened", u64::from(counts.open.load(Ordering::Relaxed)));
        add(
            "ended_early",
            u64::from(counts.ended.load(Ordering::Relaxed)),
        );
        add("events_sum", events);
        add("ids_sum", counts.ids.load(Ordering::Relaxed));
        add("comments_sum", counts.comments.load(Ordering::Relaxed));
        let min = entry.get("events_min").and_then(Value::as_u64);
        let max = entry.get("events_max").and_then(Value::as_u64);
        entry.insert(
            "events_min".into(),
            min.map_or(events, |min| min.min(events)).into(),
        );
        entry.insert(
            "events_max".into(),
            max.map_or(events, |max| max.max(events)).into(),
        );
    }
    users
}

/// Opens one stream and counts its events until it ends.
async fn follow(request: awc::ClientRequest, counts: Arc<Counts>, clock: Arc<Clock>) {
    if let Err(error) = read_stream(request, &counts, &clock).await {
        eprintln!("sse_count: a stream failed: {error:#}");
    }
    counts.ended.store(true, Ordering::Relaxed);
}

async fn read_stream(
    request: awc::ClientRequest,
    counts: &Counts,
    clock: &Clock,
) -> anyhow::Result<()> {
    let mut response = request
        .send()
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    if response.status() != awc::http::StatusCode::OK {
        bail!("answered {}", response.status());
    }
    counts.open.store(true, Ordering::Relaxed);
    let mut lines = Lines::default();
    while let Some(bytes) = response.next().await {
        lines.feed(&bytes?, |line| {
            if line == b"event: tracking_event_created" {
                counts.events.fetch_add(1, Ordering::Relaxed);
                clock
                    .last_event_ms
                    .fetch_max(clock.now_ms(), Ordering::Relaxed);
            } else if line.starts_with(b"id:") {
                counts.ids.fetch_add(1, Ordering::Relaxed);
            } else if line.starts_with(b":") {
                counts.comments.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    Ok(())
}

/// Splits a byte stream into lines, keeping only each line's first bytes (enough to tell them).
#[derive(Debug, Default)]
struct Lines {
    current: Vec<u8>,
}

/// The longest line start kept; `event: tracking_event_created` is 29 bytes.
const KEEP: usize = 64;

impl Lines {
    fn feed(&mut self, mut bytes: &[u8], mut line: impl FnMut(&[u8])) {
        while !bytes.is_empty() {
            match bytes.iter().position(|&byte| byte == b'\n') {
                Some(end) => {
                    self.keep(&bytes[..end]);
                    let text = self.current.strip_suffix(b"\r").unwrap_or(&self.current);
                    line(text);
                    self.current.clear();
                    bytes = &bytes[end + 1..];
                }
                None => {
                    self.keep(bytes);
                    bytes = &[];
                }
            }
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = KEEP.saturating_sub(self.current.len());
        self.current
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }
}
