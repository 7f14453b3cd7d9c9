//! What callers ask of the family data, and the checks that turn a request into a [`Change`].

use tracking_model::{
    Child, ChildId, EventId, Moments, Reward, RewardId, Task, TaskId, Timestamp, TrackedAction,
    User, UserId, after_last, decide,
};

use super::{Change, FamilyState, StoredHash};
use crate::{ActionTarget, Applied, ChildAction, Created, FamilyError, TokenHash};

/// Which other commands a store must keep out while one is checked and committed, so that the
/// state it was checked against still holds when its change applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Creates and deletes: no other command of the family data at the same time.
    Structure,
    /// A tracked action: one per child at a time, none during a create or delete.
    Child(ChildId),
    /// Changes that hold whatever runs beside them.
    Any,
}

/// A checked request for the family data: the change it commits, if any, and its answer.
pub trait Command: Send {
    /// What the caller gets once the change is committed.
    type Answer: Send;

    fn turn(&self) -> Turn;

    /// Checks the command against `state`: refuses it, or returns its change (none when there is
    /// nothing to change) and the answer to give once that change is committed.
    fn check(self, state: &FamilyState) -> Result<(Option<Change>, Self::Answer), FamilyError>;

    /// Completes the answer with the family sequence number its change took when stored.
    fn numbered(_answer: &mut Self::Answer, _number: u64) {}
}

/// A create or delete, or a confirmation; answered with nothing.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    CreateUser {
        user: &'a User,
        token: TokenHash,
    },
    /// Removes the user and the whole family, and remembers the id until it is anonymized.
    DeleteUser(UserId),
    UserAnonymized(UserId),
    Create(NewRecord<'a>),
    Delete {
        owner: UserId,
        record: RecordId,
    },
    ConfirmDelivered(&'a [EventId]),
    /// A token for the owner's child's own device.
    AddChildToken {
        owner: UserId,
        child: ChildId,
        token: TokenHash,
    },
    /// Revokes every token of the owner's child.
    RevokeChildTokens {
        owner: UserId,
        child: ChildId,
    },
}

impl<'a> From<Created<'a>> for Request<'a> {
    fn from(record: Created<'a>) -> Self {
        match record {
            Created::User(user, token) => Self::CreateUser {
                user,
                token: *token,
            },
            Created::Child(child) => Self::Create(NewRecord::Child(child)),
            Created::Task(task) => Self::Create(NewRecord::Task(task)),
            Created::Reward(reward) => Self::Create(NewRecord::Reward(reward)),
            Created::ChildToken {
                owner,
                child,
                token,
            } => Self::AddChildToken {
                owner,
                child,
                token: *token,
            },
        }
    }
}

/// A new record of a user's family.
#[derive(Debug, Clone, Copy)]
pub enum NewRecord<'a> {
    Child(&'a Child),
    Task(&'a Task),
    Reward(&'a Reward),
}

/// A record of a user's family, by id.
#[derive(Debug, Clone, Copy)]
pub enum RecordId {
    Child(ChildId),
    Task(TaskId),
    Reward(RewardId),
}

impl Command for Request<'_> {
    type Answer = ();

    fn turn(&self) -> Turn {
        match self {
            Self::UserAnonymized(_) | Self::ConfirmDelivered(_) => Turn::Any,
            _ => Turn::Structure,
        }
    }

    fn check(self, state: &FamilyState) -> Result<(Option<Change>, ()), FamilyError> {
        let change = match self {
            Self::CreateUser { user, token } => {
                if state.users.contains_key(&user.id) || state.token_in_use(&token) {
                    return Err(FamilyError::Duplicate);
                }
                Change::UserCreated {
                    user: user.clone(),
                    token_hash: StoredHash(token),
                }
            }
            Self::DeleteUser(user_id) => {
                state.user(user_id)?;
                Change::UserDeleted { user_id }
            }
            Self::UserAnonymized(user_id) => {
                if !state.to_anonymize.contains(&user_id) {
                    return Ok((None, ()));
                }
                Change::UserAnonymized { user_id }
            }
            Self::Create(record) => record.check(state)?,
            Self::Delete { owner, record } => record.check_deleted(state, owner)?,
            Self::AddChildToken {
                owner,
                child,
                token,
            } => {
                state.child(owner, child)?;
                if state.token_in_use(&token) {
                    return Err(FamilyError::Duplicate);
                }
                Change::ChildTokenAdded {
                    child_id: child,
                    token_hash: StoredHash(token),
                }
            }
            Self::RevokeChildTokens { owner, child } => {
                state.child(owner, child)?;
                Change::ChildTokensRevoked { child_id: child }
            }
            Self::ConfirmDelivered(ids) => {
                let event_ids: Vec<EventId> = ids
                    .iter()
                    .copied()
                    .filter(|&id| state.outbox.contains(id))
                    .collect();
                if event_ids.is_empty() {
                    return Ok((None, ()));
                }
                Change::Delivered { event_ids }
            }
        };
        Ok((Some(change), ()))
    }
}

impl NewRecord<'_> {
    /// A new record needs its owner and an unused id.
    fn check(self, state: &FamilyState) -> Result<Change, FamilyError> {
        let (owner, taken) = match self {
            Self::Child(child) => (child.user_id, state.children.contains_key(&child.id)),
            Self::Task(task) => (task.user_id, state.tasks.contains_key(&task.id)),
            Self::Reward(reward) => (reward.user_id, state.rewards.contains_key(&reward.id)),
        };
        state.user(owner)?;
        if taken {
            return Err(FamilyError::Duplicate);
        }
        Ok(match self {
            Self::Child(child) => Change::ChildCreated {
                child: child.clone(),
            },
            Self::Task(task) => Change::TaskCreated { task: task.clone() },
            Self::Reward(reward) => Change::RewardCreated {
                reward: reward.clone(),
            },
        })
    }
}

impl RecordId {
    /// Only the owner's family's record can be deleted.
    fn check_deleted(self, state: &FamilyState, owner: UserId) -> Result<Change, FamilyError> {
        let found = match self {
            Self::Child(id) => state.children.get(&id).map(|child| child.user_id),
            Self::Task(id) => state.tasks.get(&id).map(|task| task.user_id),
            Self::Reward(id) => state.rewards.get(&id).map(|reward| reward.user_id),
        };
        if found != Some(owner) {
            return Err(FamilyError::NotFound);
        }
        Ok(match self {
            Self::Child(child_id) => Change::ChildDeleted { child_id },
            Self::Task(task_id) => Change::TaskDeleted { task_id },
            Self::Reward(reward_id) => Change::RewardDeleted { reward_id },
        })
    }
}

/// One tracked action on an owner's child; answered with its [`Effect`] and its event's family
/// sequence number.
#[derive(Debug, Clone, Copy)]
pub struct TrackedRequest {
    pub action: ChildAction,
    pub occurred_at: Timestamp,
}

impl Command for TrackedRequest {
    type Answer = Applied;

    fn turn(&self) -> Turn {
        Turn::Child(self.action.child)
    }

    /// Looks the child and the target up in the owner's family and applies the rules.
    fn check(self, state: &FamilyState) -> Result<(Option<Change>, Applied), FamilyError> {
        let Self {
            action:
                ChildAction {
                    owner,
                    child,
                    target,
                    actor,
                },
            occurred_at,
        } = self;
        let current = state.child(owner, child)?;
        let (action, reward) = match target {
            ActionTarget::Activate(id) => (TrackedAction::Activate(state.task(owner, id)?), None),
            ActionTarget::Request(id) => {
                (TrackedAction::Request(state.reward(owner, id)?), Some(id))
            }
            ActionTarget::Redeem(id) => (TrackedAction::Redeem(state.reward(owner, id)?), Some(id)),
            ActionTarget::Cancel(id) => (TrackedAction::Cancel(state.reward(owner, id)?), Some(id)),
        };
        let pending = reward.and_then(|id| state.pending_for(child, id));
        let last: Option<Moments> = state.last_events.get(&child).copied();
        let moments = after_last(last, occurred_at, Timestamp::now());
        let effect = decide(&current, &action, pending, moments, actor)?;
        // Written once, before the clones share it: the journal line, the history line, the
        // answer and the audit line copy this text. A failure shows where each is written. It is
        // written under the state's lock, as the check holds it; rendering later would give each
        // clone a text of its own.
        let _ = effect.event.json();
        let change = Change::Applied {
            event: effect.event.clone(),
            reward_request: effect.reward_request.clone(),
            family_sequence: None,
        };
        Ok((
            Some(change),
            Applied {
                effect,
                sequence: 0,
            },
        ))
    }

    fn numbered(answer: &mut Applied, number: u64) {
        answer.sequence = number;
    }
}
