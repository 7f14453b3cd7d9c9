//! Crash consistency of the built binary: concurrent tracked mutations of every kind on many
//! children of many families, user deletions, audit files that roll over every few lines and a
//! family journal that is compacted many times, all cut short by SIGKILL at seeded pseudo-random
//! moments (some of them a few milliseconds after a user's deletion was sent; many between an
//! answer and the history's own sync, where every other such kill also loses the history's
//! unsynced tail, as a power loss would: `power_loss`). Every mutation carries an
//! `Idempotency-Key`; after every restart on the same data and log directories, each request
//! whose answer the kill took is retried with its key, and then every attempted mutation must be
//! in the history exactly once, as it was answered; the point chains must be exact; deleted
//! users must be anonymized and their
//! audit files gone; and every stored and audit line must be whole. `docs/reliability.md`
//! describes it and records its runs.
//!
//! `harness` starts, kills and restarts the process; `workload` sends the mutations and deletions
//! and records every answer; `checks` and `file_checks` say what must hold after each restart.
//!
//! `postgres/` runs the same workload and checks against two servers on one PostgreSQL database,
//! killing the servers and restarting the database (cargo feature `crash-postgres`).
//!
//! `TRACKING_CRASH_SEED=<u64>` replays another sequence of delays and targets.

#[path = "../support/mod.rs"]
mod support;

mod checks;
mod file_checks;
mod harness;
#[cfg(feature = "crash-postgres")]
mod postgres;
mod power_loss;
mod report;
mod workload;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use actix_rt::task::JoinHandle;
use tracking_model::test_support::{Rng, seeded};

use report::Stats;
use support::{Client, Dirs, Server};
use workload::{Deletion, Shared, World};

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

#[test]
fn acknowledged_mutations_and_deletions_survive_sigkill() {
    let _turn = one_at_a_time();
    actix_rt::System::new().block_on(async {
        let mut run = Run::start(seed()).await;
        for round in 1..=ROUNDS {
            let load = run.load_until_kill(round).await;
            let ran = run.kill(round, load).await;
            run.restart_and_check(round).await;
            run.report_round(round, &ran);
        }
        run.finish();
    });
}

/// `TRACKING_CRASH_SEED`, or the default.
fn seed() -> u64 {
    std::env::var("TRACKING_CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// The crash tests of this binary run one after the other: each loads the machine on its own.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One run: the server, what the workload did, and what the kills found.
struct Run {
    seed: u64,
    rng: Rng,
    started: Instant,
    dirs: Dirs,
    server: Server,
    world: Shared,
    stats: Stats,
    /// Families to delete next, in turn.
    to_delete: Vec<usize>,
    /// How long the last acknowledged deletion took, in milliseconds: the window a kill aims at.
    last_deletion_ms: u64,
    evidence: harness::Evidence,
}

/// A round's load in flight when the kill comes.
struct Load {
    writers: Vec<JoinHandle<()>>,
    /// A deletion sent just before the kill, whose answer the kill may take.
    cut_deletion: Option<(usize, JoinHandle<Option<u16>>)>,
    ran: Ran,
}

/// What a round did before its kill, for its report line.
struct Ran {
    millis: u128,
    /// The family whose deletion the round sent.
    deleted: Option<usize>,
}

impl Run {
    async fn start(seed: u64) -> Self {
        let dirs = Dirs::new();
        let server = harness::start(&dirs);
        let families = workload::create_families(&Client::new(server.base())).await;
        Self {
            seed,
            rng: seeded(seed),
            started: Instant::now(),
            dirs,
            server,
            world: Rc::new(RefCell::new(World {
                families,
                ..World::default()
            })),
            stats: Stats::default(),
            to_delete: (STABLE_FAMILIES..STABLE_FAMILIES + DOOMED_FAMILIES).collect(),
            last_deletion_ms: 20,
            evidence: harness::Evidence::default(),
        }
    }

    fn client(&self, round: usize) -> Rc<Client> {
        Rc::new(Client::new(self.server.base()).within(format!("round {round}")))
    }

    /// Starts the writers and lets them run for a random while; every other round also deletes
    /// a family: in turn, one whose 204 is awaited before the kill and one killed a few
    /// milliseconds after the request left (while it anonymizes).
    async fn load_until_kill(&mut self, round: usize) -> Load {
        let client = self.client(round);
        self.world.borrow_mut().killing = false;
        let writers = (0..WRITERS)
            .map(|_| {
                let rng = seeded(self.rng.u64(..));
                actix_rt::spawn(workload::writer(
                    self.world.clone(),
                    client.clone(),
                    rng,
                    round,
                ))
            })
            .collect();
        let ran = Duration::from_millis(self.rng.u64(RUN_MS.0..=RUN_MS.1));
        let deleted = (round.is_multiple_of(2) && !self.to_delete.is_empty())
            .then(|| self.to_delete.remove(0));
        let mut cut_deletion = None;
        match deleted {
            None => tokio::time::sleep(ran).await,
            Some(family) if round % 4 == 2 => {
                tokio::time::sleep(ran / 2).await;
                self.delete_awaited(&client, family, round).await;
                tokio::time::sleep(ran / 2).await;
            }
            Some(family) => {
                tokio::time::sleep(ran).await;
                let deleting = actix_rt::spawn(workload::delete_user(
                    self.world.clone(),
                    client,
                    family,
                    round,
                ));
                let delay = self.rng.u64(..=self.last_deletion_ms);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                cut_deletion = Some((family, deleting));
            }
        }
        let ran = Ran {
            millis: ran.as_millis(),
            deleted,
        };
        Load {
            writers,
            cut_deletion,
            ran,
        }
    }

    /// Deletes `family` while the server is up: the 204 must come.
    async fn delete_awaited(&mut self, client: &Rc<Client>, family: usize, round: usize) {
        let since = Instant::now();
        let status = workload::delete_user(self.world.clone(), client.clone(), family, round).await;
        assert_eq!(
            status,
            Some(204),
            "round {round}: DELETE of user {} while the server was up",
            self.world.borrow().families[family].user
        );
        self.last_deletion_ms = since.elapsed().as_millis() as u64;
        self.stats.anonymization_ms_max =
            self.stats.anonymization_ms_max.max(self.last_deletion_ms);
        self.world.borrow_mut().families[family].deletion = Deletion::Acknowledged { round };
        self.stats.deletions_acknowledged += 1;
    }

    /// SIGKILL; then every answer the writers got must have been one the contract allows, and
    /// the directories are looked at before the restart repairs anything.
    async fn kill(&mut self, round: usize, load: Load) -> Ran {
        self.world.borrow_mut().killing = true;
        self.server.kill();
        self.stats.kills += 1;
        for writer in load.writers {
            writer.await.expect("a writer does not panic");
        }
        if let Some((family, deleting)) = load.cut_deletion {
            match deleting.await.expect("the deletion task does not panic") {
                Some(204) => {
                    let mut world = self.world.borrow_mut();
                    world.families[family].deletion = Deletion::Acknowledged { round };
                    self.stats.deletions_acknowledged += 1;
                }
                Some(status) => panic!("round {round}: DELETE answered {status}"),
                None => self.stats.deletions_cut += 1,
            }
        }
        let unexpected = std::mem::take(&mut self.world.borrow_mut().ledger.unexpected);
        assert!(
            unexpected.is_empty(),
            "unexpected answers:\n{}",
            unexpected.join("\n")
        );
        harness::count_errors(&self.server, &mut self.stats);
        self.evidence.look(&self.dirs, &mut self.stats);
        self.lose_the_unsynced_history();
        load.ran
    }

    /// A kill that left history lines the family files do not confirm yet landed between an
    /// answer and the history's sync; every other one also loses those lines (or part of them).
    fn lose_the_unsynced_history(&mut self) {
        let unsynced = power_loss::look(self.dirs.data());
        if unsynced.lines == 0 {
            return;
        }
        self.stats.kills_before_history_sync += 1;
        if self.stats.kills_before_history_sync % 2 == 1 {
            self.stats.history_tails_lost += 1;
            self.stats.history_lines_at_risk += unsynced.lines;
            self.stats.history_bytes_lost +=
                power_loss::lose(self.dirs.data(), &unsynced, &mut self.rng);
        }
    }

    /// Restarts on the same directories, waits for the catch-up, retries with their keys the
    /// requests whose answers the kill took, settles the deletions the kill cut short, and runs
    /// every check.
    async fn restart_and_check(&mut self, round: usize) {
        harness::restart(&mut self.server, &mut self.stats);
        let client = self.client(round);
        harness::wait_for_catch_up(&client, &self.server, round).await;
        workload::retry_lost(&self.world, &[&client], round).await;
        // The retries performed afresh have their own audit lines and deliveries to wait for.
        harness::wait_for_catch_up(&client, &self.server, round).await;
        let unexpected = std::mem::take(&mut self.world.borrow_mut().ledger.unexpected);
        assert!(
            unexpected.is_empty(),
            "unexpected answers to retries:\n{}",
            unexpected.join("\n")
        );
        let users = checks::list_users(&client, round).await;
        let not_done = checks::deletions_are_all_or_nothing(
            round,
            &users,
            &mut self.world.borrow_mut(),
            &mut self.stats,
        );
        self.to_delete.extend(not_done);
        // Nothing else runs now; the world is taken out so that no borrow spans an await.
        let world = std::mem::take(&mut *self.world.borrow_mut());
        let store = checks::Store::Files {
            data: self.dirs.data(),
        };
        let errors = harness::server_errors(&self.server);
        checks::after_restart(
            round,
            &client,
            errors,
            &world,
            store,
            self.dirs.logs(),
            &mut self.stats,
        )
        .await;
        *self.world.borrow_mut() = world;
    }

    fn report_round(&self, round: usize, ran: &Ran) {
        let world = self.world.borrow();
        let deleted = match ran.deleted {
            Some(family) => format!(
                ", deleted user #{family} ({:?})",
                world.families[family].deletion
            ),
            None => String::new(),
        };
        eprintln!(
            "round {round:2}: ran {:4} ms{deleted}, {} acknowledged, {} events, {:.1} s",
            ran.millis,
            world.ledger.acked.len(),
            self.stats.events,
            self.started.elapsed().as_secs_f64()
        );
    }

    /// The summary, and what the whole run must have exercised to prove anything.
    fn finish(mut self) {
        self.server.kill();
        harness::count_errors(&self.server, &mut self.stats);
        let world = self.world.borrow();
        let stats = &self.stats;
        report::print_summary(
            self.seed,
            &world,
            stats,
            self.started.elapsed().as_secs_f64(),
        );
        let acked = world.ledger.acked.len();
        let deleted = report::deleted(&world);
        assert!(stats.kills >= 20, "at least 20 kills");
        assert!(
            acked >= 20 * ROUNDS,
            "only {acked} mutations were acknowledged: too few to prove anything"
        );
        assert!(deleted >= 3, "only {deleted} users were deleted");
        assert!(
            stats.history_tails_lost >= 1,
            "no kill landed between an answer and the history's sync, so no power loss of the \
             history's unsynced tail was simulated"
        );
        assert!(
            world.ledger.retries_replayed > 0 && world.ledger.retries_performed > 0,
            "no lost answer was both replayed and performed afresh by a retry: the run says \
             nothing about exactly once"
        );
        // The snapshot holds a day of idempotency keys with their answers, and the journal is
        // compacted once it outgrows the snapshot too: fewer snapshots than rounds is expected.
        assert!(
            stats.snapshots.len() >= ROUNDS / 3,
            "the family journal was compacted into only {} distinct snapshots over {ROUNDS} \
             rounds although --journal-compact-bytes is {JOURNAL_COMPACT_BYTES} (journal at \
             most {} bytes): the setting seems to have no effect",
            stats.snapshots.len(),
            stats.journal_bytes_max
        );
    }
}
