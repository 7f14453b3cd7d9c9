//! `family.snapshot.json`: the whole family state as of one journal line, written atomically.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use tracking_model::{
    Child, ChildId, Moments, Reward, RewardRequest, Task, Timestamp, TrackingEvent, User, UserId,
};

use super::{OpenError, sync_dir};
use crate::KeyRecord;
use crate::state::{FamilyState, StoredHash};

/// The name of the snapshot file in the data directory.
pub const SNAPSHOT_FILE: &str = "family.snapshot.json";

/// The snapshot format this code writes and reads.
const SNAPSHOT_FORMAT: u32 = 1;

/// The snapshot file's contents: the whole state as of journal line `last_seq`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Snapshot {
    format: u32,
    last_seq: u64,
    users: Vec<StoredUser>,
    users_to_anonymize: Vec<UserId>,
    children: Vec<StoredChild>,
    tasks: Vec<Task>,
    rewards: Vec<Reward>,
    pending_requests: Vec<RewardRequest>,
    outbox: Vec<OutboxEntry>,
    /// The idempotency keys still kept when the snapshot was written; absent before keys existed.
    #[serde(default)]
    idempotency_keys: Vec<KeyRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredUser {
    user: User,
    token_hash: StoredHash,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredChild {
    child: Child,
    last_event: Option<LastEvent>,
    /// The hashes of the child's own tokens (absent in snapshots written before they existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    token_hashes: Vec<StoredHash>,
}

/// When a child's last event happened, so that the next one orders after it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct LastEvent {
    occurred_at: Timestamp,
    created_at: Timestamp,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxEntry {
    seq: u64,
    event: TrackingEvent,
    /// The event's family sequence number; absent in snapshots written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    family_sequence: Option<u64>,
}

impl Snapshot {
    /// The whole state, as of journal line `last_seq`.
    pub(crate) fn of(state: &FamilyState, last_seq: u64) -> Self {
        let mut child_tokens: HashMap<ChildId, Vec<StoredHash>> = HashMap::new();
        for (token, child) in &state.child_tokens {
            child_tokens
                .entry(*child)
                .or_default()
                .push(StoredHash(*token));
        }
        for tokens in child_tokens.values_mut() {
            tokens.sort_by_key(|token| token.0);
        }
        Self {
            format: SNAPSHOT_FORMAT,
            last_seq,
            users: state
                .users
                .values()
                .map(|(user, token)| StoredUser {
                    user: user.clone(),
                    token_hash: StoredHash(*token),
                })
                .collect(),
            users_to_anonymize: state.to_anonymize.iter().copied().collect(),
            children: state
                .children
                .values()
                .map(|child| StoredChild {
                    child: child.clone(),
                    last_event: state.last_events.get(&child.id).map(|last| LastEvent {
                        occurred_at: last.occurred_at,
                        created_at: last.created_at,
                    }),
                    token_hashes: child_tokens.remove(&child.id).unwrap_or_default(),
                })
                .collect(),
            tasks: state.tasks.values().cloned().collect(),
            rewards: state.rewards.values().cloned().collect(),
            pending_requests: state.pending.values().cloned().collect(),
            outbox: state
                .outbox
                .iter()
                .map(|(seq, waiting)| OutboxEntry {
                    seq,
                    event: waiting.event.clone(),
                    family_sequence: (waiting.sequence > 0).then_some(waiting.sequence),
                })
                .collect(),
            // Compaction is where expired keys leave the disk.
            idempotency_keys: state.keys.live(Timestamp::now()),
        }
    }

    fn into_state(self) -> FamilyState {
        let mut state = FamilyState {
            last_seq: self.last_seq,
            to_anonymize: self.users_to_anonymize.into_iter().collect(),
            tasks: self.tasks.into_iter().map(|task| (task.id, task)).collect(),
            rewards: (self.rewards.into_iter())
                .map(|reward| (reward.id, reward))
                .collect(),
            pending: (self.pending_requests.into_iter())
                .map(|request| (request.id, request))
                .collect(),
            ..FamilyState::default()
        };
        for stored in self.users {
            let (user, token) = (stored.user, stored.token_hash.0);
            state.tokens.insert(token, user.id);
            state.users.insert(user.id, (user, token));
        }
        for stored in self.children {
            if let Some(last) = stored.last_event {
                let moments = Moments {
                    occurred_at: last.occurred_at,
                    created_at: last.created_at,
                };
                state.last_events.insert(stored.child.id, moments);
            }
            for token in stored.token_hashes {
                state.child_tokens.insert(token.0, stored.child.id);
            }
            state.children.insert(stored.child.id, stored.child);
        }
        for record in self.idempotency_keys {
            state.keys.insert(record);
        }
        for entry in self.outbox {
            let number = entry.family_sequence.unwrap_or(0);
            state.outbox.insert(entry.seq, entry.event, number);
        }
        state
    }
}

/// Loads the snapshot in `dir`: the state and the last journal line it covers; an empty state
/// when there is none.
pub(crate) fn read(dir: &Path) -> Result<(FamilyState, u64), OpenError> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok((FamilyState::default(), 0));
        }
        Err(source) => return Err(OpenError::Io { path, source }),
    };
    let corrupt = |reason| OpenError::Corrupt {
        file: path.clone(),
        line: 1,
        reason,
    };
    let snapshot: Snapshot =
        serde_json::from_slice(&bytes).map_err(|err| corrupt(err.to_string()))?;
    if snapshot.format != SNAPSHOT_FORMAT {
        return Err(corrupt(format!("unknown format {}", snapshot.format)));
    }
    let last_seq = snapshot.last_seq;
    Ok((snapshot.into_state(), last_seq))
}

/// The size of the snapshot in `dir`, 0 when there is none.
pub(crate) fn size(dir: &Path) -> u64 {
    std::fs::metadata(dir.join(SNAPSHOT_FILE))
        .map(|meta| meta.len())
        .unwrap_or(0)
}

/// Writes the snapshot atomically: temporary file, fsync, rename, directory fsync. Returns its
/// size.
pub(crate) fn write(dir: &Path, snapshot: &Snapshot) -> io::Result<u64> {
    let temporary = dir.join(format!("{SNAPSHOT_FILE}.tmp"));
    let bytes = serde_json::to_vec(snapshot).map_err(io::Error::from)?;
    let mut file = private_fs::open_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)?;
    file.write_all(&bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(SNAPSHOT_FILE))?;
    sync_dir(dir)?;
    Ok(bytes.len() as u64 + 1)
}
