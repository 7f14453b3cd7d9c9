//! Seeds a data directory for the load measurements (`scripts/load/run.sh`): parents with their
//! tokens, children, a task, a penalty and a reward per family, and then `--events` tracked
//! mutations applied through the store's public API and moved into the history.
//!
//! ```sh
//! cargo run --release -p tracking-server --example seed -- \
//!     --data-dir /tmp/load/data --out /tmp/load/fixture --events 1000000
//! ```
//!
//! The events are spread evenly over the `--span-days` before now (so `from`/`to` filters select
//! real ranges) and cycle per child through task, task, penalty, task, reward request, task,
//! reward redeem, task, penalty, task: every kind of event the history indexes. The store is
//! opened with `interval` durability by default (a write is acknowledged once the operating system
//! has it; everything is synced when the store closes), which is what makes a million events take
//! seconds rather than minutes; the data it leaves is the same.
//!
//! It writes into `--out`:
//! - `parents.txt`: `TOKEN USER_ID`, one parent a line;
//! - `targets.txt`: `TOKEN USER_ID CHILD_ID TASK_ID`, one child a line, with its family's task;
//! - `admin_queries.txt`: `/admin/tracking?...` paths with `child_id`, `entity_type`, `from`, `to`
//!   and `limit=50`, for random children and 90-day windows inside the seeded span.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use tracking_api::{hash_token, new_token};
use tracking_model::test_support::seeded;
use tracking_model::{
    Actor, Child, ChildId, EventId, Reward, RewardId, Task, TaskId, Timestamp, User, UserId,
};
use tracking_store::{
    ActionTarget, ChildAction, Durability, FamilyError, FamilyRepository, FileStore,
    FileStoreOptions, TrackingRepository,
};

/// Seeds a data directory for the load measurements.
#[derive(Debug, Parser)]
struct Args {
    /// The data directory to seed (created if missing; must not be in use).
    #[arg(long)]
    data_dir: PathBuf,
    /// Where to write the tokens, targets and admin query paths.
    #[arg(long)]
    out: PathBuf,
    /// Parent accounts.
    #[arg(long, default_value_t = 10)]
    parents: usize,
    /// Children of each parent.
    #[arg(long, default_value_t = 100)]
    children_per_parent: usize,
    /// Tracked mutations to apply, spread round-robin over every child.
    #[arg(long, default_value_t = 0)]
    events: u64,
    /// The events' `occurred_at` spans this many days before now.
    #[arg(long, default_value_t = 365)]
    span_days: i64,
    /// Admin query paths to write.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// How the store writes while seeding.
    #[arg(long, value_enum, default_value_t = SeedDurability::Interval)]
    durability: SeedDurability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SeedDurability {
    Durable,
    Interval,
}

/// One family: its parent's token and id, its children, its task, penalty and reward.
struct Family {
    token: String,
    user: UserId,
    children: Vec<ChildId>,
    task: TaskId,
    penalty: TaskId,
    reward: RewardId,
}

/// Confirmations are written in batches of this many events.
const CONFIRM_BATCH: usize = 1024;
const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The events' time range: `start` plus `step` per event, over `span` milliseconds.
struct Span {
    start: i64,
    span: i64,
    step: i64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.parents == 0 || args.children_per_parent == 0 {
        bail!("--parents and --children-per-parent must be at least 1");
    }
    let started = Instant::now();
    let store = open_empty_store(&args).await?;
    let families = create_families(&store, &args).await?;
    let span = args.span_days.max(1) * DAY_MILLIS;
    let span = Span {
        start: Timestamp::now().unix_millis() - span,
        span,
        step: span / i64::try_from(args.events.max(1))?,
    };
    let (applied, refused) = apply_events(&store, &families, &span, args.events, started).await?;
    let outbox = store.outbox_len().await?;
    drop(store);

    write_fixture(&args, &families, span.start, span.span)?;
    eprintln!(
        "seed: {} parents, {} children, {applied} events applied ({refused} refused), outbox {outbox}, \
         in {:.1} s ({:?} durability)",
        families.len(),
        families
            .iter()
            .map(|family| family.children.len())
            .sum::<usize>(),
        started.elapsed().as_secs_f64(),
        args.durability,
    );
    Ok(())
}

/// The store of `--data-dir`, which must hold nothing yet.
async fn open_empty_store(args: &Args) -> anyhow::Result<FileStore> {
    let durability = match args.durability {
        SeedDurability::Durable => Durability::Durable,
        SeedDurability::Interval => Durability::Interval(Duration::from_secs(1)),
    };
    let store = FileStore::open(
        &args.data_dir,
        FileStoreOptions {
            durability,
            ..FileStoreOptions::default()
        },
    )
    .with_context(|| format!("opening {}", args.data_dir.display()))?;
    if store.open_report().history_events > 0 || !store.list_users().await?.is_empty() {
        bail!("{} is not empty", args.data_dir.display());
    }
    Ok(store)
}

/// Applies `events` mutations round-robin over every child and moves them into the history;
/// how many were applied and refused.
async fn apply_events(
    store: &FileStore,
    families: &[Family],
    span: &Span,
    events: u64,
    started: Instant,
) -> anyhow::Result<(u64, u64)> {
    let children: Vec<(&Family, ChildId)> = families
        .iter()
        .flat_map(|family| family.children.iter().map(move |&child| (family, child)))
        .collect();
    let mut pending: Vec<EventId> = Vec::with_capacity(CONFIRM_BATCH);
    let (mut applied, mut refused) = (0_u64, 0_u64);
    for i in 0..events {
        let (family, child) = children[usize::try_from(i % children.len() as u64)?];
        let target = match (i / children.len() as u64) % 10 {
            2 | 8 => ActionTarget::Activate(family.penalty),
            4 => ActionTarget::Request(family.reward),
            6 => ActionTarget::Redeem(family.reward),
            _ => ActionTarget::Activate(family.task),
        };
        let occurred_at = Timestamp::from_unix_millis(span.start + span.step * i64::try_from(i)?)?;
        match store
            .apply(
                ChildAction {
                    owner: family.user,
                    child,
                    target,
                    actor: Actor::Parent,
                },
                occurred_at,
            )
            .await
        {
            Ok(applied_effect) => {
                let recorded = tracking_model::SequencedEvent {
                    sequence: applied_effect.sequence,
                    event: applied_effect.effect.event,
                };
                store.append(&recorded).await?;
                pending.push(recorded.event.id());
                applied += 1;
            }
            Err(FamilyError::Refused(_)) => refused += 1,
            Err(other) => return Err(other.into()),
        }
        if pending.len() == CONFIRM_BATCH {
            store.confirm_delivered(&pending).await?;
            pending.clear();
        }
        if (i + 1) % 100_000 == 0 {
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("seed: {} events in {seconds:.1} s", i + 1);
        }
    }
    store.confirm_delivered(&pending).await?;
    Ok((applied, refused))
}

async fn create_families(store: &FileStore, args: &Args) -> anyhow::Result<Vec<Family>> {
    let mut families = Vec::with_capacity(args.parents);
    for number in 0..args.parents {
        let token = new_token();
        let user = User {
            id: UserId::generate(),
            name: format!("Parent {number}"),
            created_at: Timestamp::now(),
        };
        store.create_user(&user, &hash_token(&token)).await?;
        let task = Task {
            id: TaskId::generate(),
            user_id: user.id,
            name: "Make bed".into(),
            points: 5,
            is_good: true,
            created_at: Timestamp::now(),
        };
        let penalty = Task {
            id: TaskId::generate(),
            user_id: user.id,
            name: "Shouting".into(),
            points: 2,
            is_good: false,
            created_at: Timestamp::now(),
        };
        let reward = Reward {
            id: RewardId::generate(),
            user_id: user.id,
            name: "Ice cream".into(),
            cost: 5,
            created_at: Timestamp::now(),
        };
        store.create_task(&task).await?;
        store.create_task(&penalty).await?;
        store.create_reward(&reward).await?;
        let mut children = Vec::with_capacity(args.children_per_parent);
        for child_number in 0..args.children_per_parent {
            let child = Child {
                id: ChildId::generate(),
                user_id: user.id,
                name: format!("Child {number}.{child_number}"),
                points: 0,
                created_at: Timestamp::now(),
            };
            store.create_child(&child).await?;
            children.push(child.id);
        }
        families.push(Family {
            token,
            user: user.id,
            children,
            task: task.id,
            penalty: penalty.id,
            reward: reward.id,
        });
    }
    Ok(families)
}

fn write_fixture(args: &Args, families: &[Family], start: i64, span: i64) -> anyhow::Result<()> {
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut parents = String::new();
    let mut targets = String::new();
    let mut all_children = Vec::new();
    for family in families {
        parents.push_str(&format!("{} {}\n", family.token, family.user));
        for child in &family.children {
            targets.push_str(&format!(
                "{} {} {} {}\n",
                family.token, family.user, child, family.task
            ));
            all_children.push(*child);
        }
    }
    let mut queries = String::new();
    // The same seed on every run, so that every run asks the same queries.
    let mut random = seeded(0x5EED);
    let window = 90 * DAY_MILLIS;
    for _ in 0..args.queries {
        let child = all_children[random.usize(..all_children.len())];
        let entity_type = ["task", "penalty", "reward"][random.usize(..3)];
        let latest_from = u64::try_from((span - window).max(1))?;
        let from = Timestamp::from_unix_millis(start + i64::try_from(random.u64(..latest_from))?)?;
        let to = from.plus_millis(window)?;
        queries.push_str(&format!(
            "/admin/tracking?child_id={child}&entity_type={entity_type}&from={from}&to={to}&limit=50\n"
        ));
    }
    for (name, text) in [
        ("parents.txt", parents),
        ("targets.txt", targets),
        ("admin_queries.txt", queries),
    ] {
        let path = args.out.join(name);
        fs::File::create(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
