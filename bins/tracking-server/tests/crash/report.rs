//! What the runs found: counted along the way, printed at the end (and recorded in
//! `docs/reliability.md`).

use std::collections::HashSet;

use crate::workload::World;

#[derive(Debug, Default)]
pub struct Stats {
    pub kills: usize,
    pub deletions_acknowledged: usize,
    pub deletions_cut: usize,
    pub deletions_cut_found_done: usize,
    pub deletions_cut_not_done: usize,
    pub kills_mid_anonymization: usize,
    /// Kills in a compaction: while its snapshot was written, or its journal cut.
    pub kills_mid_snapshot: usize,
    pub kills_mid_rollover: usize,
    pub store_torn_tails: usize,
    /// Kills after which the history held lines the family files did not confirm yet.
    pub kills_before_history_sync: usize,
    /// Of those, the kills followed by a simulated power loss of the history's unsynced tail.
    pub history_tails_lost: usize,
    /// Unconfirmed lines in the tails cut, and the bytes cut.
    pub history_lines_at_risk: usize,
    pub history_bytes_lost: u64,
    /// Audit lines checked after the last restart.
    pub audit_lines: usize,
    pub audit_files_max: usize,
    pub snapshots: HashSet<u64>,
    pub journal_bytes_max: u64,
    pub events: usize,
    pub anonymization_ms_max: u64,
    pub error_lines: Vec<String>,
}

/// Users whose deletion is done.
pub fn deleted(world: &World) -> usize {
    world
        .families
        .iter()
        .filter(|family| family.deletion.done())
        .count()
}

/// The summary line of a run, and the server's error lines.
pub fn print_summary(seed: u64, world: &World, stats: &Stats, seconds: f64) {
    eprintln!(
        "seed {seed:#x}: {} kills, {} mutations acknowledged, {} refused (409), lost answers \
         retried with their key: {} replayed, {} performed afresh, {} unsettled (family \
         deleted); {} events stored; {} users deleted ({} acknowledged, {} cut by the \
         kill: {} found done, {} not done and sent again); kills that left evidence of an \
         interrupted anonymization: {}, snapshot: {}, audit roll-over: {}; kills between an \
         answer and the history's sync: {}, of them followed by a lost history tail: {} ({} \
         unconfirmed lines, {} bytes cut); torn tails dropped by the store: {}; audit lines checked (last round): {}, audit files \
         at most: {}; distinct snapshots: {}, journal at \
         most {} bytes; slowest acknowledged deletion {} ms; {seconds:.1} s",
        stats.kills,
        world.ledger.acked.len(),
        world.ledger.refused,
        world.ledger.retries_replayed,
        world.ledger.retries_performed,
        world.ledger.unanswered.values().sum::<u64>(),
        stats.events,
        deleted(world),
        stats.deletions_acknowledged,
        stats.deletions_cut,
        stats.deletions_cut_found_done,
        stats.deletions_cut_not_done,
        stats.kills_mid_anonymization,
        stats.kills_mid_snapshot,
        stats.kills_mid_rollover,
        stats.kills_before_history_sync,
        stats.history_tails_lost,
        stats.history_lines_at_risk,
        stats.history_bytes_lost,
        stats.store_torn_tails,
        stats.audit_lines,
        stats.audit_files_max,
        stats.snapshots.len(),
        stats.journal_bytes_max,
        stats.anonymization_ms_max,
    );
    if !stats.error_lines.is_empty() {
        eprintln!("server errors:\n{}", stats.error_lines.join("\n"));
    }
}
