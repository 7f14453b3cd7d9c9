//! One change of the family data, as every store records it; its JSON is a journal line's.

use serde::{Deserialize, Serialize};
use tracking_model::{
    Child, ChildId, EventId, Reward, RewardId, RewardRequest, Task, TaskId, TrackingEvent, User,
    UserId,
};

use crate::{KeyRecord, TokenHash};

/// One checked change of the family data. Adding a kind of change means a variant here, its
/// effect in [`super::FamilyState::apply`] and the request that produces it in
/// [`super::Request`]; the stores record whatever this enum serializes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
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
        /// The event's number in its family's sequence. The store sets it as it stores the
        /// change (see [`Change::take_number`]); absent on changes stored before the sequence
        /// existed, which are numbered on open.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        family_sequence: Option<u64>,
    },
    /// A token for the child's own device; only its hash is kept.
    ChildTokenAdded {
        child_id: ChildId,
        token_hash: StoredHash,
    },
    /// Every token of the child stops working.
    ChildTokensRevoked {
        child_id: ChildId,
    },
    /// These events are in the history; they leave the outbox.
    Delivered {
        event_ids: Vec<EventId>,
    },
    /// A keyed request's change (none for a kept refusal) and its key with the answer, committed
    /// together so that a retry either replays the answer or performs the request afresh.
    Keyed {
        idempotency: KeyRecord,
        change: Option<Box<Change>>,
    },
}

impl Change {
    /// Gives a tracked mutation's event the next number of its family, `next(family)`, unless
    /// it has one; returns the family and the number taken. A store calls it where it fixes the
    /// order of its changes (under the journal's lock, say), so that each family's numbers follow
    /// the order in which its changes become visible.
    pub fn take_number(&mut self, next: impl FnOnce(UserId) -> u64) -> Option<(UserId, u64)> {
        if let Self::Keyed {
            change: Some(change),
            ..
        } = self
        {
            return change.take_number(next);
        }
        let Self::Applied {
            event,
            family_sequence: family_sequence @ None,
            ..
        } = self
        else {
            return None;
        };
        let family = event.user_id()?;
        let number = next(family);
        *family_sequence = Some(number);
        Some((family, number))
    }

    /// Whether losing this change in a crash is harmless, so that a store need not wait for it
    /// to be durable: a lost delivery mark only makes the event be delivered again, which the
    /// history ignores.
    pub fn may_be_lost(&self) -> bool {
        matches!(self, Self::Delivered { .. })
    }
}

/// A token hash as stored: 64 lowercase hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredHash(pub TokenHash);

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
