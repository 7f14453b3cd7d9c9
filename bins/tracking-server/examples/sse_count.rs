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
//! It speaks HTTP/1.1 over plain TCP and decodes the chunked body itself, on one thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.parents)
        .with_context(|| format!("reading {}", args.parents.display()))?;
    let parents: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
        })
        .collect();
    if parents.is_empty() {
        bail!("{} lists no parent", args.parents.display());
    }
    let clock = Arc::new(Clock {
        start: Instant::now(),
        last_event_ms: AtomicU64::new(0),
    });
    let mut streams = Vec::with_capacity(args.streams);
    for number in 0..args.streams {
        let (token, user) = parents[number % parents.len()].clone();
        let counts = Arc::new(Counts::default());
        let task = tokio::spawn(follow(
            args.addr.clone(),
            token,
            Arc::clone(&counts),
            Arc::clone(&clock),
        ));
        streams.push((user, counts, task));
    }

    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let opened = loop {
        let open = streams
            .iter()
            .filter(|(_, counts, _)| counts.open.load(Ordering::Relaxed))
            .count();
        let ended = streams
            .iter()
            .filter(|(_, counts, _)| counts.ended.load(Ordering::Relaxed))
            .count();
        if open + ended >= streams.len() || Instant::now() > deadline {
            break open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "sse_count: {opened} of {} streams open after {} ms",
        streams.len(),
        clock.now_ms()
    );
    if let Some(path) = &args.ready_file {
        std::fs::write(path, format!("{opened}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }

    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
        () = tokio::time::sleep_until(deadline.into()) => {}
    }
    let stopped = clock.now_ms();
    loop {
        let now = clock.now_ms();
        let last = clock.last_event_ms.load(Ordering::Relaxed).max(stopped);
        if now.saturating_sub(last) >= args.quiet_ms || now - stopped > 60_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut users: BTreeMap<String, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
    for (user, counts, task) in &streams {
        task.abort();
        let events = counts.events.load(Ordering::Relaxed);
        let entry = users.entry(user.clone()).or_default();
        let add =
            |entry: &mut serde_json::Map<String, serde_json::Value>, key: &str, value: u64| {
                let old = entry
                    .get(key)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
                entry.insert(key.into(), (old + value).into());
            };
        add(entry, "streams", 1);
        add(
            entry,
            "opened",
            u64::from(counts.open.load(Ordering::Relaxed)),
        );
        add(
            entry,
            "ended_early",
            u64::from(counts.ended.load(Ordering::Relaxed)),
        );
        add(entry, "events_sum", events);
        add(entry, "ids_sum", counts.ids.load(Ordering::Relaxed));
        add(
            entry,
            "comments_sum",
            counts.comments.load(Ordering::Relaxed),
        );
        let min = entry
            .get("events_min")
            .and_then(serde_json::Value::as_u64)
            .map_or(events, |min| min.min(events));
        let max = entry
            .get("events_max")
            .and_then(serde_json::Value::as_u64)
            .map_or(events, |max| max.max(events));
        entry.insert("events_min".into(), min.into());
        entry.insert("events_max".into(), max.into());
    }
    let result = serde_json::json!({
        "streams": streams.len(),
        "opened": opened,
        "drain_ms": clock.now_ms() - stopped,
        "users": users,
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

/// Opens one stream and counts its events until it ends.
async fn follow(addr: String, token: String, counts: Arc<Counts>, clock: Arc<Clock>) {
    if let Err(error) = read_stream(&addr, &token, &counts, &clock).await {
        eprintln!("sse_count: a stream failed: {error:#}");
    }
    counts.ended.store(true, Ordering::Relaxed);
}

async fn read_stream(
    addr: &str,
    token: &str,
    counts: &Counts,
    clock: &Clock,
) -> anyhow::Result<()> {
    let mut socket = TcpStream::connect(addr).await?;
    socket.set_nodelay(true)?;
    let request = format!(
        "GET /events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Accept: text/event-stream\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;

    let mut buffer = vec![0_u8; 64 * 1024];
    let mut head = Vec::new();
    let body_start = loop {
        let read = socket.read(&mut buffer).await?;
        if read == 0 {
            bail!("the server closed the stream before its head");
        }
        head.extend_from_slice(&buffer[..read]);
        if let Some(end) = head.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > 64 * 1024 {
            bail!("no end of head in 64 KiB");
        }
    };
    let head_text = String::from_utf8_lossy(&head[..body_start]).to_ascii_lowercase();
    if !head_text.starts_with("http/1.1 200") {
        bail!(
            "answered {}",
            head_text.lines().next().unwrap_or_default().trim()
        );
    }
    let chunked = head_text.contains("transfer-encoding: chunked");
    counts.open.store(true, Ordering::Relaxed);

    let mut decoder = Decoder::new(chunked);
    let mut lines = Lines::default();
    let mut feed = |bytes: &[u8]| {
        decoder.feed(bytes, |data| {
            lines.feed(data, |line| {
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
        })
    };
    feed(&head[body_start..])?;
    loop {
        let read = socket.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        feed(&buffer[..read])?;
    }
}

/// Decodes a chunked (or plain) body as it arrives.
#[derive(Debug)]
struct Decoder {
    chunked: bool,
    state: State,
    size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex size; `true` once past an extension (`;`).
    Size(bool),
    /// Expecting the `\n` that ends the size line.
    SizeLf,
    Data,
    /// Skipping the `\r\n` after a chunk's data; counts the bytes left.
    DataEnd(u8),
    Done,
}

impl Decoder {
    fn new(chunked: bool) -> Self {
        Self {
            chunked,
            state: State::Size(false),
            size: 0,
        }
    }

    fn feed(&mut self, mut bytes: &[u8], mut data: impl FnMut(&[u8])) -> anyhow::Result<()> {
        if !self.chunked {
            data(bytes);
            return Ok(());
        }
        while let Some(&byte) = bytes.first() {
            match self.state {
                State::Size(extension) => {
                    bytes = &bytes[1..];
                    match byte {
                        b'\r' => self.state = State::SizeLf,
                        b';' => self.state = State::Size(true),
                        _ if extension => {}
                        _ => {
                            let digit =
                                char::from(byte).to_digit(16).context("a bad chunk size")?;
                            self.size = self.size * 16 + u64::from(digit);
                        }
                    }
                }
                State::SizeLf => {
                    bytes = &bytes[1..];
                    if byte != b'\n' {
                        bail!("a chunk size line without \\n");
                    }
                    self.state = if self.size == 0 {
                        State::Done
                    } else {
                        State::Data
                    };
                }
                State::Data => {
                    let take = usize::try_from(self.size)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    data(&bytes[..take]);
                    bytes = &bytes[take..];
                    self.size -= take as u64;
                    if self.size == 0 {
                        self.state = State::DataEnd(2);
                    }
                }
                State::DataEnd(left) => {
                    bytes = &bytes[1..];
                    self.state = if left == 1 {
                        State::Size(false)
                    } else {
                        State::DataEnd(left - 1)
                    };
                }
                State::Done => return Ok(()),
            }
        }
        Ok(())
    }
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
