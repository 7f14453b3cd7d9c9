//! The crash test on PostgreSQL (cargo feature `crash-postgres`): two servers on one schema of
//! the database in `TRACKING_TEST_CRASH_DATABASE_URL` (a cluster of its own: the test restarts
//! it), sharing one log dir, under the file test's workload with the writers spread over both.
//! Each round ends with SIGKILL of one server or of both, at random, or — every fifth round —
//! with an immediate restart of the database in the middle of the load, which then goes on for a
//! while. After every round the killed servers start again, each request whose answer was lost
//! (to a kill, or answered `5xx` while the database was down) is retried with its key on the
//! servers in turn, and the file test's checks must hold: every attempted mutation in the history
//! exactly once as answered, exact chains, and each event in its user's audit files exactly once
//! — across kills of the audit writer and restarts of the database that take its lock away.

mod database;
mod servers;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_rt::task::JoinHandle;
use tracking_model::test_support::{Rng, seeded};

use self::database::Database;
use self::servers::Pair;
use crate::report::Stats;
use crate::support::Client;
use crate::workload::{self, Shared, World};
use crate::{RUN_MS, checks, one_at_a_time, seed};

/// Rounds in one run: every sixth restarts the database, every sixth (from the third) stalls the
/// audit writer, the others kill servers.
const ROUNDS: usize = 18;
const DATABASE_EVERY: usize = 6;
const STALL_AT: usize = 3;
/// Concurrent writers of tracked mutations, half of them on each server.
const WRITERS: usize = 8;

#[test]
fn acknowledged_mutations_survive_server_kills_and_database_restarts() {
    let _turn = one_at_a_time();
    let database = Database::from_env();
    actix_rt::System::new().block_on(async {
        let mut run = Run::start(&database, seed()).await;
        for round in 1..=ROUNDS {
            let outcome = run.round(round).await;
            run.recover_and_check(round).await;
            run.report_round(round, &outcome);
        }
        run.finish();
    });
    database.drop_schema();
}

/// What a server logs when it takes the audit writer's role.
const TAKEOVER: &str = "this server writes the audit files";

/// What a server logs when, taking the role over, it finds the previous writer still holding the
/// audit files (it waits until that one has stood by).
const FENCED: &str = "waiting for the previous writer to let go of the files";

/// How often `server` took the audit writer's role since it started.
fn takeovers(server: &crate::support::Server) -> usize {
    (server.stderr_lines().iter())
        .filter(|line| line.contains(TAKEOVER))
        .count()
}

/// What the run counted beyond the file test's [`Stats`].
#[derive(Default)]
struct Figures {
    server_kills: usize,
    /// Kills that took the server writing the audit files.
    writer_kills: usize,
    /// Rounds that killed both servers at once.
    both_killed: usize,
    database_restarts: usize,
    database_restart_ms_max: u128,
    /// Rounds that stalled the audit writer while another took its role.
    writer_stalls: usize,
    /// Times a server took the audit writer's role (its log says so).
    takeovers: usize,
    /// Of those, the times it had to wait for the previous writer to let go of the files.
    fenced: usize,
    error_lines: Vec<String>,
}

struct Run<'a> {
    seed: u64,
    rng: Rng,
    started: Instant,
    database: &'a Database,
    pair: Pair,
    world: Shared,
    stats: Stats,
    figures: Figures,
    /// The servers killed this round, to start again.
    killed: Vec<usize>,
}

impl<'a> Run<'a> {
    async fn start(database: &'a Database, seed: u64) -> Self {
        let pair = Pair::start(database);
        let client = Client::new(pair.servers[0].base());
        let families = workload::create_families(&client).await;
        Self {
            seed,
            rng: seeded(seed),
            started: Instant::now(),
            database,
            pair,
            world: Rc::new(RefCell::new(World {
                families,
                ..World::default()
            })),
            stats: Stats::default(),
            figures: Figures::default(),
            killed: Vec::new(),
        }
    }

    /// Starts the writers, half on each server, and ends the round with a kill or a restart of
    /// the database; waits for the writers to stop. Returns what the round did.
    async fn round(&mut self, round: usize) -> String {
        let clients = self.pair.clients(round);
        {
            let mut world = self.world.borrow_mut();
            world.killing = false;
            world.stopping = false;
            world.outage = false;
        }
        let writers: Vec<JoinHandle<()>> = (0..WRITERS)
            .map(|at| {
                let rng = seeded(self.rng.u64(..));
                let client = clients[at % clients.len()].clone();
                actix_rt::spawn(workload::writer(self.world.clone(), client, rng, round))
            })
            .collect();
        let ran = Duration::from_millis(self.rng.u64(RUN_MS.0..=RUN_MS.1));
        let outcome = if round % DATABASE_EVERY == STALL_AT {
            self.stall_the_audit_writer(ran).await
        } else if round.is_multiple_of(DATABASE_EVERY) {
            tokio::time::sleep(ran / 2).await;
            self.world.borrow_mut().outage = true;
            let took = self.database.restart_immediately().await;
            self.figures.database_restarts += 1;
            self.figures.database_restart_ms_max =
                self.figures.database_restart_ms_max.max(took.as_millis());
            // The load goes on against the database restarted.
            tokio::time::sleep(ran / 2).await;
            self.world.borrow_mut().stopping = true;
            format!("restarted the database ({} ms)", took.as_millis())
        } else {
            tokio::time::sleep(ran).await;
            let targets = match self.rng.usize(..5) {
                0 | 1 => vec![0],
                2 | 3 => vec![1],
                _ => vec![0, 1],
            };
            self.world.borrow_mut().killing = true;
            let mut killed = Vec::new();
            for &target in &targets {
                let server = &mut self.pair.servers[target];
                let writer = Pair::writes_audit(server);
                server.kill();
                self.count_log(target);
                self.figures.server_kills += 1;
                self.figures.writer_kills += usize::from(writer);
                killed.push(format!(
                    "server {target}{}",
                    if writer { " (the audit writer)" } else { "" }
                ));
            }
            self.figures.both_killed += usize::from(targets.len() == 2);
            self.killed = targets;
            format!("killed {}", killed.join(" and "))
        };
        for writer in writers {
            writer.await.expect("a writer does not panic");
        }
        let unexpected = std::mem::take(&mut self.world.borrow_mut().ledger.unexpected);
        assert!(
            unexpected.is_empty(),
            "unexpected answers:\n{}",
            unexpected.join("\n")
        );
        format!("ran {:4} ms, {outcome}", ran.as_millis())
    }

    /// The audit writer stalls (SIGSTOP) and its lock's session is ended meanwhile, so that the
    /// other server takes the role over and writes; then the stalled one resumes (SIGCONT) where
    /// it stopped, perhaps in the middle of writing, before it can notice that it lost the lock.
    /// Its lines and its successor's must still hold each event once.
    async fn stall_the_audit_writer(&mut self, ran: Duration) -> String {
        tokio::time::sleep(ran / 2).await;
        let Some(stalled) = (0..2).find(|&at| Pair::writes_audit(&self.pair.servers[at])) else {
            self.world.borrow_mut().stopping = true;
            return "found no audit writer to stall".to_owned();
        };
        let other = 1 - stalled;
        let takeovers_before = takeovers(&self.pair.servers[other]);
        self.pair.servers[stalled].signal("STOP");
        let ended = self.database.end_audit_writer_session().await;
        assert_eq!(ended, 1, "the audit writer's lock is held by one session");
        // The other server takes the lock within a second and writes 2 s later; the writers
        // sending to it go on meanwhile, those sending to the stalled one wait for it.
        let deadline = Instant::now() + Duration::from_secs(30);
        while takeovers(&self.pair.servers[other]) == takeovers_before {
            assert!(
                Instant::now() < deadline,
                "server {other} did not take the audit writer's role over from the stalled                  server {stalled}; its log:\n{}",
                self.pair.servers[other].stderr_tail(10)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(ran / 2).await;
        self.pair.servers[stalled].signal("CONT");
        self.figures.writer_stalls += 1;
        tokio::time::sleep(ran / 2).await;
        self.world.borrow_mut().stopping = true;
        format!("stalled the audit writer, server {stalled}, while server {other} took over")
    }

    /// Counts what a server's log says before it is replaced: errors, and takeovers of the audit
    /// writer's role.
    fn count_log(&mut self, target: usize) {
        for line in self.pair.servers[target].stderr_lines() {
            self.figures.takeovers += usize::from(line.contains(TAKEOVER));
            self.figures.fenced += usize::from(line.contains(FENCED));
            if line.contains(" ERROR ") {
                self.figures.error_lines.push(line);
            }
        }
    }

    /// Starts the killed servers again, retries the lost requests with their keys on both
    /// servers in turn, waits until the audit files have caught up, and runs every check.
    async fn recover_and_check(&mut self, round: usize) {
        for target in std::mem::take(&mut self.killed) {
            self.pair.servers[target].restart();
        }
        let clients = self.pair.clients(round);
        let each: Vec<&Client> = clients.iter().map(Rc::as_ref).collect();
        workload::retry_lost(&self.world, &each, round).await;
        let unexpected = std::mem::take(&mut self.world.borrow_mut().ledger.unexpected);
        assert!(
            unexpected.is_empty(),
            "unexpected answers to retries:\n{}",
            unexpected.join("\n")
        );
        self.pair.wait_for_catch_up(&clients, round).await;
        let users = checks::list_users(&clients[0], round).await;
        checks::deletions_are_all_or_nothing(
            round,
            &users,
            &mut self.world.borrow_mut(),
            &mut self.stats,
        );
        // Nothing else runs now; the world is taken out so that no borrow spans an await.
        let world = std::mem::take(&mut *self.world.borrow_mut());
        // The checks read through either server: alternate.
        let client = &clients[round % clients.len()];
        checks::after_restart(
            round,
            client,
            self.pair.errors(),
            &world,
            checks::Store::Postgres,
            self.pair.logs(),
            &mut self.stats,
        )
        .await;
        *self.world.borrow_mut() = world;
    }

    fn report_round(&self, round: usize, outcome: &str) {
        let world = self.world.borrow();
        eprintln!(
            "round {round:2}: {outcome}, {} acknowledged, {} events, {:.1} s",
            world.ledger.acked.len(),
            self.stats.events,
            self.started.elapsed().as_secs_f64()
        );
    }

    /// The summary, and what the run must have exercised to prove anything.
    fn finish(mut self) {
        for target in 0..self.pair.servers.len() {
            self.pair.servers[target].kill();
            self.count_log(target);
        }
        let world = self.world.borrow();
        let (ledger, figures, stats) = (&world.ledger, &self.figures, &self.stats);
        eprintln!(
            "seed {:#x} on PostgreSQL ({}): {} server kills ({} of the audit writer, {} rounds \
             killing both), {} database restarts (the slowest {} ms), {} stalls of the audit \
             writer while another took over; {} mutations sent, {} \
             acknowledged, {} refused (409), {} answered 5xx while the database restarted; \
             lost answers retried with their key: {} replayed, {} performed afresh; {} events \
             stored; audit writer taken over {} times ({} of them waiting for the previous writer to let go \
             of the files), audit lines checked (last round): {}, \
             audit files at most: {}; error lines in the servers' logs: {}; {:.1} s",
            self.seed,
            self.database.cluster(),
            figures.server_kills,
            figures.writer_kills,
            figures.both_killed,
            figures.database_restarts,
            figures.database_restart_ms_max,
            figures.writer_stalls,
            ledger.sent,
            ledger.acked.len(),
            ledger.refused,
            ledger.outage_errors,
            ledger.retries_replayed,
            ledger.retries_performed,
            stats.events,
            figures.takeovers,
            figures.fenced,
            stats.audit_lines,
            stats.audit_files_max,
            figures.error_lines.len(),
            self.started.elapsed().as_secs_f64()
        );
        if !figures.error_lines.is_empty() {
            eprintln!("server errors:\n{}", figures.error_lines.join("\n"));
        }
        assert!(figures.server_kills >= 10, "at least 10 server kills");
        assert!(
            figures.database_restarts >= 2,
            "at least 2 database restarts"
        );
        assert!(
            figures.writer_stalls >= 2,
            "only {} rounds stalled the audit writer while another took over",
            figures.writer_stalls
        );
        assert!(
            figures.writer_kills >= 2,
            "only {} kills took the audit writer: its takeover was hardly tested",
            figures.writer_kills
        );
        let acked = ledger.acked.len();
        assert!(
            acked >= 20 * ROUNDS,
            "only {acked} mutations were acknowledged: too few to prove anything"
        );
        assert!(
            ledger.retries_replayed > 0 && ledger.retries_performed > 0,
            "no lost answer was both replayed and performed afresh by a retry: the run says \
             nothing about exactly once"
        );
    }
}
