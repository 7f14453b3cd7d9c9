//! The family data in memory and its rules, once for every store: what a request may change
//! ([`Command::check`]) and what a change does ([`FamilyState::apply`]). A store keeps this state
//! and only translates each [`Change`] to its storage.

mod change;
mod command;
mod commit_order;
mod keys;
mod outbox;
mod repository;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tracking_model::{
    Child, ChildId, EventId, Moments, Reward, RewardId, RewardRequest, RewardRequestId,
    RewardRequestStatus, SequencedEvent, Task, TaskId, Timestamp, TrackingEvent, User, UserId,
};

pub use self::change::{Change, StoredHash};
pub use self::command::{Command, RecordId, Request, TrackedRequest, Turn};
pub(crate) use self::keys::Keys;
pub use self::keys::{KeyedAnswer, KeyedCommand};
pub use self::outbox::Outbox;
pub use self::repository::StateStore;
use crate::{FamilyError, KeyRecord, SequenceRead, TokenHash, TokenHolder};

/// Every family record, the outbox and the users awaiting anonymization.
#[derive(Debug, Default)]
pub struct FamilyState {
    pub(crate) users: BTreeMap<UserId, (User, TokenHash)>,
    pub(crate) tokens: HashMap<TokenHash, UserId>,
    /// The hashes of the tokens of children's own devices.
    pub(crate) child_tokens: HashMap<TokenHash, ChildId>,
    pub(crate) to_anonymize: BTreeSet<UserId>,
    pub(crate) children: BTreeMap<ChildId, Child>,
    /// When each child's last event happened, so that the next one orders after it.
    pub(crate) last_events: HashMap<ChildId, Moments>,
    pub(crate) tasks: BTreeMap<TaskId, Task>,
    pub(crate) rewards: BTreeMap<RewardId, Reward>,
    pub(crate) pending: BTreeMap<RewardRequestId, RewardRequest>,
    /// Undelivered events, and each family's last sequence number.
    pub(crate) outbox: Outbox,
    /// The highest sequence number applied.
    pub(crate) last_seq: u64,
    /// The idempotency keys of the last 24 hours and their answers.
    pub(crate) keys: Keys,
}

/// A record that belongs to one user's family.
trait Owned: Clone {
    fn owner(&self) -> UserId;
}

impl Owned for Child {
    fn owner(&self) -> UserId {
        self.user_id
    }
}

impl Owned for Task {
    fn owner(&self) -> UserId {
        self.user_id
    }
}

impl Owned for Reward {
    fn owner(&self) -> UserId {
        self.user_id
    }
}

/// The record `id` of `owner`'s family; another family's is not found either.
fn owned<K: Ord, V: Owned>(
    records: &BTreeMap<K, V>,
    owner: UserId,
    id: &K,
) -> Result<V, FamilyError> {
    records
        .get(id)
        .filter(|record| record.owner() == owner)
        .cloned()
        .ok_or(FamilyError::NotFound)
}

/// Every record of `owner`'s family, in id order (oldest first).
fn all_owned<K, V: Owned>(records: &BTreeMap<K, V>, owner: UserId) -> Vec<V> {
    records
        .values()
        .filter(|record| record.owner() == owner)
        .cloned()
        .collect()
}

impl FamilyState {
    /// The parent or the child whose token has this hash: one lookup for both.
    pub fn token_holder(&self, token: &TokenHash) -> Result<TokenHolder, FamilyError> {
        if let Some(child) = self.child_tokens.get(token) {
            let child = self.children.get(child).ok_or(FamilyError::NotFound)?;
            return Ok(TokenHolder::Child(child.clone()));
        }
        self.user_by_token(token).map(TokenHolder::Parent)
    }

    /// Whether a parent or a child holds a token with this hash.
    pub fn token_in_use(&self, token: &TokenHash) -> bool {
        self.tokens.contains_key(token) || self.child_tokens.contains_key(token)
    }

    /// How many tokens the child has.
    pub fn child_token_count(&self, child: ChildId) -> usize {
        self.child_tokens
            .values()
            .filter(|&&id| id == child)
            .count()
    }

    pub fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        let id = self.tokens.get(token).ok_or(FamilyError::NotFound)?;
        self.user(*id)
    }

    pub fn user(&self, id: UserId) -> Result<User, FamilyError> {
        self.users
            .get(&id)
            .map(|(user, _)| user.clone())
            .ok_or(FamilyError::NotFound)
    }

    pub fn users(&self) -> Vec<User> {
        self.users.values().map(|(user, _)| user.clone()).collect()
    }

    pub fn users_to_anonymize(&self) -> Vec<UserId> {
        self.to_anonymize.iter().copied().collect()
    }

    pub fn child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        owned(&self.children, owner, &id)
    }

    pub fn children(&self, owner: UserId) -> Vec<Child> {
        all_owned(&self.children, owner)
    }

    pub fn task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        owned(&self.tasks, owner, &id)
    }

    pub fn tasks(&self, owner: UserId) -> Vec<Task> {
        all_owned(&self.tasks, owner)
    }

    pub fn reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        owned(&self.rewards, owner, &id)
    }

    pub fn rewards(&self, owner: UserId) -> Vec<Reward> {
        all_owned(&self.rewards, owner)
    }

    /// The child's pending requests, oldest first.
    pub fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        self.child(owner, child)?;
        Ok(self
            .pending
            .values()
            .filter(|request| request.child_id == child)
            .cloned()
            .collect())
    }

    /// The child's pending request for this reward.
    pub fn pending_for(&self, child: ChildId, reward: RewardId) -> Option<&RewardRequest> {
        self.pending
            .values()
            .find(|request| request.child_id == child && request.reward_id == reward)
    }

    /// `owner`'s idempotency key `key`, if it is still kept at `now`.
    pub fn idempotency_key(&self, owner: &str, key: &str, now: Timestamp) -> Option<KeyRecord> {
        self.keys.get(owner, key, now).cloned()
    }

    /// How many idempotency keys the state holds, expired ones not yet dropped included.
    pub fn idempotency_keys_held(&self) -> usize {
        self.keys.len()
    }

    /// The undelivered events, in commit order.
    pub fn outbox(&self) -> Vec<SequencedEvent> {
        self.outbox.iter().map(|(_, event)| event.clone()).collect()
    }

    pub fn outbox_len(&self) -> u64 {
        self.outbox.len() as u64
    }

    /// The undelivered events of `family` numbered after `after`, in number order.
    pub fn outbox_after(&self, read: SequenceRead) -> Vec<SequencedEvent> {
        self.outbox.after(read)
    }

    /// The number of the last event `family` committed.
    pub fn family_sequence(&self, family: UserId) -> u64 {
        self.outbox.head(family)
    }

    /// The number `family`'s next event takes.
    pub fn next_number(&self, family: UserId) -> u64 {
        self.outbox.head(family) + 1
    }

    /// Every family's last number.
    pub fn family_sequences(&self) -> HashMap<UserId, u64> {
        self.outbox.heads().clone()
    }

    /// Notes the history's last number per family (`stored`) and numbers the outbox events of
    /// changes stored before the family sequence existed; see [`Outbox::number_the_unnumbered`].
    pub fn number_the_unnumbered(&mut self, stored: &HashMap<UserId, u64>) {
        self.outbox.number_the_unnumbered(stored);
    }

    /// Applies one checked change, numbered `seq` by the store (its order among the changes).
    /// Changes are checked before they are stored, so this never refuses one.
    pub fn apply(&mut self, seq: u64, change: Change) {
        self.last_seq = self.last_seq.max(seq);
        match change {
            Change::UserCreated { user, token_hash } => {
                self.tokens.insert(token_hash.0, user.id);
                self.users.insert(user.id, (user, token_hash.0));
            }
            Change::UserDeleted { user_id } => {
                self.keys.forget_family(user_id);
                self.remove_user(user_id);
            }
            Change::UserAnonymized { user_id } => {
                self.to_anonymize.remove(&user_id);
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
                family_sequence,
            } => self.record_event(seq, event, reward_request, family_sequence.unwrap_or(0)),
            Change::ChildTokenAdded {
                child_id,
                token_hash,
            } => {
                self.child_tokens.insert(token_hash.0, child_id);
            }
            Change::ChildTokensRevoked { child_id } => self.revoke_child_tokens(child_id),
            Change::Delivered { event_ids } => {
                for id in event_ids {
                    self.outbox.remove(id);
                }
            }
            Change::Keyed {
                idempotency,
                change,
            } => {
                if let Some(change) = change {
                    self.apply(seq, *change);
                }
                self.keys.insert(idempotency);
            }
        }
    }

    /// Applies a change numbered after every one applied so far.
    pub fn apply_next(&mut self, change: Change) {
        self.apply(self.last_seq + 1, change);
    }

    /// Drops from the outbox the events `delivered` says are in the history already; returns how
    /// many.
    pub fn forget_delivered(&mut self, delivered: impl Fn(EventId) -> bool) -> usize {
        let event_ids: Vec<EventId> = self
            .outbox
            .iter()
            .map(|(_, waiting)| waiting.event.id())
            .filter(|&id| delivered(id))
            .collect();
        let count = event_ids.len();
        self.apply(0, Change::Delivered { event_ids });
        count
    }

    fn remove_user(&mut self, id: UserId) {
        if let Some((_, token)) = self.users.remove(&id) {
            self.tokens.remove(&token);
        }
        let children: Vec<ChildId> = self
            .children
            .values()
            .filter(|child| child.user_id == id)
            .map(|child| child.id)
            .collect();
        for child in children {
            self.remove_child(child);
        }
        self.tasks.retain(|_, task| task.user_id != id);
        self.rewards.retain(|_, reward| reward.user_id != id);
        self.to_anonymize.insert(id);
    }

    fn revoke_child_tokens(&mut self, id: ChildId) {
        self.child_tokens.retain(|_, child| *child != id);
    }

    fn remove_child(&mut self, id: ChildId) {
        self.revoke_child_tokens(id);
        self.children.remove(&id);
        self.last_events.remove(&id);
        self.pending.retain(|_, request| request.child_id != id);
    }

    /// A tracked mutation: the child's points become the event's `points_after`, the request is
    /// stored or resolved, and the event waits in the outbox.
    fn record_event(
        &mut self,
        seq: u64,
        event: TrackingEvent,
        request: Option<RewardRequest>,
        number: u64,
    ) {
        if let Some(child) = self.children.get_mut(&event.child_id()) {
            child.points = event.points_after();
            self.last_events.insert(
                child.id,
                Moments {
                    occurred_at: event.occurred_at(),
                    created_at: event.created_at(),
                },
            );
        }
        if let Some(request) = request {
            if request.status == RewardRequestStatus::Pending {
                self.pending.insert(request.id, request);
            } else {
                self.pending.remove(&request.id);
            }
        }
        self.outbox.insert(seq, event, number);
    }
}
