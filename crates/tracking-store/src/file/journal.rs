//! `family.journal.jsonl`: one change of the family data per line, numbered by `seq`, replayed
//! over the snapshot on open and compacted into a new snapshot as it grows ([`super::compaction`]).

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tracking_model::UserId;

use super::compaction::Compactor;
use super::group_commit::{AppendError, Log, LogConfig, Wait};
use super::lines::{ReadOutcome, json_line, open_lines, read_lines};
use super::{Durability, OpenError};
use crate::state::{Change, FamilyState};

/// The name of the journal file in the data directory.
pub const JOURNAL_FILE: &str = "family.journal.jsonl";

/// A journal line: a change and its sequence number.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    seq: u64,
    #[serde(flatten)]
    change: Change,
}

/// The journal's writer: each change is applied to the state once its line is durable.
#[derive(Debug)]
pub(crate) struct Journal {
    log: Log<(u64, Change)>,
    compactor: Arc<Compactor>,
    /// The last family sequence number each family took, by lines written (durable or not):
    /// ahead of the state's while lines wait for their sync.
    numbers: Mutex<HashMap<UserId, u64>>,
}

impl Journal {
    /// Replays the journal in `dir` onto `state`, which the snapshot filled up to line
    /// `last_seq`, and starts the writer.
    pub(crate) fn open(
        dir: &Path,
        state: &Arc<Mutex<FamilyState>>,
        last_seq: u64,
        durability: Durability,
        compact_after: u64,
    ) -> Result<(Self, ReadOutcome), OpenError> {
        let path = dir.join(JOURNAL_FILE);
        let mut file = open_lines(&path)?;
        // Set once a deleted user's erasure is confirmed: the journal still holds the user's
        // name, token hash and events, so it is compacted at the next chance whatever its size.
        let compact_soon = Arc::new(AtomicBool::new(false));
        let mut seq = last_seq;
        let outcome = {
            let mut state = state.lock();
            read_lines(&mut file, &path, |_, _, line| {
                let record: Record = serde_json::from_slice(line)
                    .map_err(|err| format!("not a journal record: {err}"))?;
                if record.seq > last_seq {
                    seq = seq.max(record.seq);
                    note_erasure(&compact_soon, &record.change);
                    state.apply(record.seq, record.change);
                }
                Ok(())
            })?
        };
        let publish = {
            let (state, compact_soon) = (Arc::clone(state), Arc::clone(&compact_soon));
            Box::new(move |changes: Vec<(u64, Change)>| {
                let mut state = state.lock();
                for (seq, change) in changes {
                    note_erasure(&compact_soon, &change);
                    state.apply(seq, change);
                }
            })
        };
        let compactor = Arc::new(Compactor::new(
            dir.to_owned(),
            Arc::clone(state),
            compact_after,
            compact_soon,
        ));
        let log = Log::start(LogConfig {
            name: "journal",
            file,
            path: path.clone(),
            len: outcome.len,
            seq,
            // Nothing reads the journal while it runs: replay reads it at open.
            write_behind: true,
            durability,
            publish,
            maintain: Some(compactor.maintain()),
            after_round: None,
        })
        .map_err(OpenError::io(&path))?;
        Ok((
            Self {
                log,
                compactor,
                numbers: Mutex::default(),
            },
            outcome,
        ))
    }

    /// Starts numbering each family's events after `numbers`, every number stored so far.
    pub(crate) fn start_numbering(&self, numbers: HashMap<UserId, u64>) {
        *self.numbers.lock() = numbers;
    }

    /// Syncs the journal, refuses every later change, and completes a compaction under way.
    pub(crate) fn close(&self) -> io::Result<()> {
        let closed = self.log.close();
        self.compactor.finish_at_close(&mut self.log.state());
        closed
    }

    /// Writes `change` as the next line; returns once it is durable and applied, or at once when
    /// it may be lost. A tracked mutation's event takes the next number of its family here, under
    /// the journal's lock as its line is written, so that each family's numbers follow the order
    /// of the lines, which is the order changes become visible in (two children of one family
    /// commit in either order); a line that fails gives its number back. Returns that number.
    pub(crate) async fn write(&self, mut change: Change) -> Result<Option<u64>, AppendError> {
        let wait = if change.may_be_lost() {
            Wait::Lazy
        } else {
            Wait::Durable
        };
        let taken: Mutex<Option<(UserId, u64)>> = Mutex::new(None);
        let give_back = || {
            if let Some((family, number)) = *taken.lock() {
                self.numbers.lock().insert(family, number - 1);
            }
        };
        self.log
            .append_or_undo(
                wait,
                |log| {
                    *taken.lock() = change.take_number(|family| {
                        let mut numbers = self.numbers.lock();
                        let number = numbers.entry(family).or_default();
                        *number += 1;
                        *number
                    });
                    let record = Record {
                        seq: log.seq + 1,
                        change,
                    };
                    let line = match record_line(&record) {
                        Ok(line) => line,
                        Err(err) => {
                            give_back();
                            return Err(err.into());
                        }
                    };
                    log.seq += 1;
                    Ok(Some((line, (record.seq, record.change))))
                },
                |_| give_back(),
            )
            .await?;
        let taken = *taken.lock();
        Ok(taken.map(|(_, number)| number))
    }
}

impl Drop for Journal {
    /// Leaves no snapshot's thread running past the store, which may be opened again at once.
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// The record's line: what serializing it writes, a tracked mutation's around its event's text
/// written once ([`tracking_model::TrackingEvent::json`]).
fn record_line(record: &Record) -> serde_json::Result<Vec<u8>> {
    let Change::Applied {
        event,
        reward_request,
        family_sequence,
    } = &record.change
    else {
        return json_line(record);
    };
    let event = event.json()?;
    let mut line = Vec::with_capacity(event.len() + 128);
    line.extend_from_slice(br#"{"seq":"#);
    serde_json::to_writer(&mut line, &record.seq)?;
    line.extend_from_slice(br#","op":"applied","event":"#);
    line.extend_from_slice(event.as_bytes());
    line.extend_from_slice(br#","reward_request":"#);
    serde_json::to_writer(&mut line, reward_request)?;
    if let Some(number) = family_sequence {
        line.extend_from_slice(br#","family_sequence":"#);
        serde_json::to_writer(&mut line, number)?;
    }
    line.extend_from_slice(b"}\n");
    Ok(line)
}

fn note_erasure(compact_soon: &AtomicBool, change: &Change) {
    if matches!(change, Change::UserAnonymized { .. }) {
        compact_soon.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use tracking_model::test_support::EventBuilder;
    use tracking_model::{
        RewardId, RewardRequest, RewardRequestId, RewardRequestStatus, Timestamp, UserId,
    };

    use super::*;

    #[test]
    fn a_tracked_mutations_line_is_what_serializing_its_record_writes() {
        for kind in 0..5 {
            let event = EventBuilder::new()
                .kind(kind)
                .user(UserId::generate())
                .build();
            let reward_request = (kind % 2 == 0).then(|| RewardRequest {
                id: RewardRequestId::generate(),
                child_id: event.child_id(),
                reward_id: RewardId::generate(),
                status: RewardRequestStatus::Pending,
                requested_at: Timestamp::now(),
                resolved_at: None,
            });
            let family_sequence = (kind != 3).then_some(kind as u64 * 1000);
            let record = Record {
                seq: 1 << (kind * 12),
                change: Change::Applied {
                    event,
                    reward_request,
                    family_sequence,
                },
            };
            assert_eq!(record_line(&record).unwrap(), json_line(&record).unwrap());
        }
    }
}
