//! The family data in memory, rebuilt from the snapshot and the journal, and the changes the
//! journal records.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use tracking_model::{
    Child, ChildId, EventId, Reward, RewardId, RewardRequest, RewardRequestId, RewardRequestStatus,
    Task, TaskId, Timestamp, TrackingEvent, User, UserId,
};

use crate::{FamilyError, TokenHash};

/// A token hash as stored: 64 lowercase hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredHash(pub(crate) TokenHash);

impl Serialize for StoredHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_hex())
    }
}

impl<'de> Deserialize<'de> for StoredHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TokenHash::from_hex(&text)
            .map(Self)
            .ok_or_else(|| serde::de::Error::custom("a token hash is 64 hex characters"))
    }
}

/// One change of the family data: a line of the journal (with its sequence number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Change {
    UserCreated {
        user: User,
        token_hash: StoredHash,
    },
    UserDeleted {
        user_id: UserId,
    },
    UserAnonymized {
        user_id: UserId,
    },
    ChildCreated {
        child: Child,
    },
    ChildDeleted {
        child_id: ChildId,
    },
    TaskCreated {
        task: Task,
    },
    TaskDeleted {
        task_id: TaskId,
    },
    RewardCreated {
        reward: Reward,
    },
    RewardDeleted {
        reward_id: RewardId,
    },
    /// A tracked mutation: the child's points become the event's `points_after`, the request is
    /// stored or resolved, and the event waits in the outbox.
    Applied {
        event: TrackingEvent,
        reward_request: Option<RewardRequest>,
    },
    /// These events are in the history; they leave the outbox.
    Delivered {
        event_ids: Vec<EventId>,
    },
}

/// A journal line: a change and its sequence number.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) seq: u64,
    #[serde(flatten)]
    pub(crate) change: Change,
}

/// When a child's last event happened, so that the next one orders after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LastEvent {
    pub(crate) occurred_at: Timestamp,
    pub(crate) created_at: Timestamp,
}

/// Every family record, the outbox and the users awaiting anonymization.
#[derive(Debug, Default)]
pub(crate) struct FamilyState {
    pub(crate) users: BTreeMap<UserId, (User, TokenHash)>,
    pub(crate) tokens: HashMap<TokenHash, UserId>,
    pub(crate) to_anonymize: BTreeSet<UserId>,
    pub(crate) children: BTreeMap<ChildId, Child>,
    pub(crate) last_events: HashMap<ChildId, LastEvent>,
    pub(crate) tasks: BTreeMap<TaskId, Task>,
    pub(crate) rewards: BTreeMap<RewardId, Reward>,
    pub(crate) pending: BTreeMap<RewardRequestId, RewardRequest>,
    /// Undelivered events by journal sequence number: commit order.
    pub(crate) outbox: BTreeMap<u64, TrackingEvent>,
    pub(crate) outbox_seqs: HashMap<EventId, u64>,
    /// Set when a deleted user's erasure is confirmed: the journal still holds the user's name,
    /// token hash and events, so it is compacted at the next chance whatever its size.
    pub(crate) compact_soon: bool,
}

/// The snapshot file's contents: the whole state as of journal line `last_seq`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Snapshot {
    pub(crate) format: u32,
    pub(crate) last_seq: u64,
    pub(crate) users: Vec<StoredUser>,
    pub(crate) users_to_anonymize: Vec<UserId>,
    pub(crate) children: Vec<StoredChild>,
    pub(crate) tasks: Vec<Task>,
    pub(crate) rewards: Vec<Reward>,
    pub(crate) pending_requests: Vec<RewardRequest>,
    pub(crate) outbox: Vec<OutboxEntry>,
}

/// The snapshot format this code writes and reads.
pub(crate) const SNAPSHOT_FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredUser {
    user: User,
    token_hash: StoredHash,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredChild {
    child: Child,
    last_event: Option<LastEvent>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutboxEntry {
    seq: u64,
    event: TrackingEvent,
}

fn owned<T: Clone>(
    record: Option<&T>,
    owner_of: impl Fn(&T) -> UserId,
    owner: UserId,
) -> Result<T, FamilyError> {
    record
        .filter(|record| owner_of(record) == owner)
        .cloned()
        .ok_or(FamilyError::NotFound)
}

impl FamilyState {
    pub(crate) fn child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        owned(self.children.get(&id), |child| child.user_id, owner)
    }

    pub(crate) fn task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        owned(self.tasks.get(&id), |task| task.user_id, owner)
    }

    pub(crate) fn reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        owned(self.rewards.get(&id), |reward| reward.user_id, owner)
    }

    pub(crate) fn pending_for(&self, child: ChildId, reward: RewardId) -> Option<&RewardRequest> {
        self.pending
            .values()
            .find(|request| request.child_id == child && request.reward_id == reward)
    }

    fn remove_child(&mut self, id: ChildId) {
        self.children.remove(&id);
        self.last_events.remove(&id);
        self.pending.retain(|_, request| request.child_id != id);
    }

    /// Applies one journal change; changes are checked before they are written, so this never
    /// refuses one.
    pub(crate) fn apply(&mut self, seq: u64, change: Change) {
        match change {
            Change::UserCreated { user, token_hash } => {
                self.tokens.insert(token_hash.0, user.id);
                self.users.insert(user.id, (user, token_hash.0));
            }
            Change::UserDeleted { user_id } => {
                if let Some((_, token)) = self.users.remove(&user_id) {
                    self.tokens.remove(&token);
                }
                let children: Vec<ChildId> = self
                    .children
                    .values()
                    .filter(|child| child.user_id == user_id)
                    .map(|child| child.id)
                    .collect();
                for child in children {
                    self.remove_child(child);
                }
                self.tasks.retain(|_, task| task.user_id != user_id);
                self.rewards.retain(|_, reward| reward.user_id != user_id);
                self.to_anonymize.insert(user_id);
            }
            Change::UserAnonymized { user_id } => {
                self.to_anonymize.remove(&user_id);
                self.compact_soon = true;
            }
            Change::ChildCreated { child } => {
                self.children.insert(child.id, child);
            }
            Change::ChildDeleted { child_id } => self.remove_child(child_id),
            Change::TaskCreated { task } => {
                self.tasks.insert(task.id, task);
            }
            Change::TaskDeleted { task_id } => {
                self.tasks.remove(&task_id);
            }
            Change::RewardCreated { reward } => {
                self.rewards.insert(reward.id, reward);
            }
            Change::RewardDeleted { reward_id } => {
                self.rewards.remove(&reward_id);
                self.pending
                    .retain(|_, request| request.reward_id != reward_id);
            }
            Change::Applied {
                event,
                reward_request,
            } => {
                if let Some(child) = self.children.get_mut(&event.child_id()) {
                    child.points = event.points_after();
                    self.last_events.insert(
                        child.id,
                        LastEvent {
                            occurred_at: event.occurred_at(),
                            created_at: event.created_at(),
                        },
                    );
                }
                if let Some(request) = reward_request {
                    if request.status == RewardRequestStatus::Pending {
                        self.pending.insert(request.id, request);
                    } else {
                        self.pending.remove(&request.id);
                    }
                }
                self.outbox_seqs.insert(event.id(), seq);
                self.outbox.insert(seq, event);
            }
            Change::Delivered { event_ids } => {
                for id in event_ids {
                    if let Some(seq) = self.outbox_seqs.remove(&id) {
                        self.outbox.remove(&seq);
                    }
                }
            }
        }
    }

    /// Drops from the outbox the events `delivered` says are in the history already.
    pub(crate) fn forget_delivered(&mut self, delivered: impl Fn(EventId) -> bool) -> usize {
        let done: Vec<EventId> = self
            .outbox
            .values()
            .map(TrackingEvent::id)
            .filter(|&id| delivered(id))
            .collect();
        let count = done.len();
        self.apply(0, Change::Delivered { event_ids: done });
        count
    }

    /// The whole state, as of journal line `last_seq`.
    pub(crate) fn snapshot(&self, last_seq: u64) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            last_seq,
            users: self
                .users
                .values()
                .map(|(user, token)| StoredUser {
                    user: user.clone(),
                    token_hash: StoredHash(*token),
                })
                .collect(),
            users_to_anonymize: self.to_anonymize.iter().copied().collect(),
            children: self
                .children
                .values()
                .map(|child| StoredChild {
                    child: child.clone(),
                    last_event: self.last_events.get(&child.id).copied(),
                })
                .collect(),
            tasks: self.tasks.values().cloned().collect(),
            rewards: self.rewards.values().cloned().collect(),
            pending_requests: self.pending.values().cloned().collect(),
            outbox: self
                .outbox
                .iter()
                .map(|(&seq, event)| OutboxEntry {
                    seq,
                    event: event.clone(),
                })
                .collect(),
        }
    }

    /// The state a snapshot holds.
    pub(crate) fn from_snapshot(snapshot: Snapshot) -> Self {
        let mut state = Self::default();
        for stored in snapshot.users {
            state.tokens.insert(stored.token_hash.0, stored.user.id);
            state
                .users
                .insert(stored.user.id, (stored.user, stored.token_hash.0));
        }
        state.to_anonymize = snapshot.users_to_anonymize.into_iter().collect();
        for stored in snapshot.children {
            if let Some(last) = stored.last_event {
                state.last_events.insert(stored.child.id, last);
            }
            state.children.insert(stored.child.id, stored.child);
        }
        state.tasks = snapshot
            .tasks
            .into_iter()
            .map(|task| (task.id, task))
            .collect();
        state.rewards = snapshot
            .rewards
            .into_iter()
            .map(|reward| (reward.id, reward))
            .collect();
        state.pending = snapshot
            .pending_requests
            .into_iter()
            .map(|request| (request.id, request))
            .collect();
        for entry in snapshot.outbox {
            state.outbox_seqs.insert(entry.event.id(), entry.seq);
            state.outbox.insert(entry.seq, entry.event);
        }
        state
    }
}
