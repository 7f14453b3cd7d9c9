//! The family data: users, children, tasks, rewards, reward requests, and the tracked mutations.

use async_trait::async_trait;
use tracking_model::{
    Actor, Child, ChildId, Effect, EventId, Reward, RewardId, RewardRequest, SequencedEvent, Task,
    TaskId, Timestamp, User, UserId,
};

use crate::{FamilyError, Keyed, Keying, SequenceRead, TokenHash};

/// The task or reward a tracked mutation acts on, by id; the store looks it up in the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionTarget {
    Activate(TaskId),
    Request(RewardId),
    Redeem(RewardId),
    Cancel(RewardId),
}

/// One tracked action asked of the store: the target, for the owner's child, done by `actor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildAction {
    pub owner: UserId,
    pub child: ChildId,
    pub target: ActionTarget,
    /// Who acts: recorded in the event's metadata.
    pub actor: Actor,
}

/// What [`FamilyRepository::apply`] committed: the effect, and the number its event took in the
/// owner's family sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub effect: Effect,
    pub sequence: u64,
}

/// Who holds a bearer token: a parent, or a child on its own device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHolder {
    Parent(User),
    Child(Child),
}

/// A new record, for [`FamilyRepository::create`] and [`FamilyRepository::create_keyed`].
#[derive(Debug, Clone, Copy)]
pub enum Created<'a> {
    /// A user, with the hash of its token.
    User(&'a User, &'a TokenHash),
    Child(&'a Child),
    Task(&'a Task),
    Reward(&'a Reward),
    /// A token for the owner's child's own device, by its hash.
    ChildToken {
        owner: UserId,
        child: ChildId,
        token: &'a TokenHash,
    },
}

/// Users and their families. Every read or change of a family's record names the owner, and a
/// record of another family is [`FamilyError::NotFound`].
#[async_trait]
pub trait FamilyRepository: Send + Sync + 'static {
    /// Stores a new record; what `create_user`, `create_child`, `create_task`, `create_reward`
    /// and `add_child_token` do.
    async fn create(&self, record: Created<'_>) -> Result<(), FamilyError>;

    /// Stores a new user with the hash of its token.
    async fn create_user(&self, user: &User, token: &TokenHash) -> Result<(), FamilyError> {
        self.create(Created::User(user, token)).await
    }
    /// The user whose token has this hash.
    async fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError>;
    /// The parent or the child whose token has this hash, in one lookup.
    async fn token_holder(&self, token: &TokenHash) -> Result<TokenHolder, FamilyError>;
    /// Stores the hash of a new token for the owner's child; a child may hold several. The
    /// tokens go when the child or the owner is deleted.
    async fn add_child_token(
        &self,
        owner: UserId,
        child: ChildId,
        token: &TokenHash,
    ) -> Result<(), FamilyError> {
        self.create(Created::ChildToken {
            owner,
            child,
            token,
        })
        .await
    }
    /// Revokes every token of the owner's child.
    async fn revoke_child_tokens(&self, owner: UserId, child: ChildId) -> Result<(), FamilyError>;
    async fn get_user(&self, id: UserId) -> Result<User, FamilyError>;
    /// Every user, oldest first.
    async fn list_users(&self) -> Result<Vec<User>, FamilyError>;
    /// Removes the user, its token, children, tasks, rewards and requests, and remembers the id
    /// in [`Self::users_to_anonymize`] until [`Self::user_anonymized`] is called.
    async fn delete_user(&self, id: UserId) -> Result<(), FamilyError>;
    /// Deleted users whose history is not yet confirmed anonymized.
    async fn users_to_anonymize(&self) -> Result<Vec<UserId>, FamilyError>;
    /// Confirms that the history of this deleted user is anonymized.
    async fn user_anonymized(&self, id: UserId) -> Result<(), FamilyError>;

    async fn create_child(&self, child: &Child) -> Result<(), FamilyError> {
        self.create(Created::Child(child)).await
    }
    async fn get_child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError>;
    /// The owner's children, oldest first.
    async fn list_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError>;
    /// Removes the child and its pending requests; its history stays.
    async fn delete_child(&self, owner: UserId, id: ChildId) -> Result<(), FamilyError>;

    async fn create_task(&self, task: &Task) -> Result<(), FamilyError> {
        self.create(Created::Task(task)).await
    }
    async fn get_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError>;
    async fn list_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError>;
    async fn delete_task(&self, owner: UserId, id: TaskId) -> Result<(), FamilyError>;

    async fn create_reward(&self, reward: &Reward) -> Result<(), FamilyError> {
        self.create(Created::Reward(reward)).await
    }
    async fn get_reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError>;
    async fn list_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError>;
    /// Removes the reward and the pending requests for it.
    async fn delete_reward(&self, owner: UserId, id: RewardId) -> Result<(), FamilyError>;

    /// The child's pending reward requests, oldest first.
    async fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError>;

    /// Applies one tracked action to the owner's child, one action per child at a time, with
    /// [`tracking_model::decide`]. Its whole effect — points, request, and the tracking event
    /// in the outbox with the next number of the owner's family sequence — is durable together
    /// before this returns, or nothing changed.
    async fn apply(
        &self,
        action: ChildAction,
        occurred_at: Timestamp,
    ) -> Result<Applied, FamilyError>;

    /// [`Self::apply`] under an idempotency key. A repeat of the key's request within 24 hours
    /// replays its first answer and changes nothing; the key used for another request is
    /// [`Keyed::Reused`]. Otherwise the action is applied, and when `render` keeps its answer
    /// (or its refusal) that answer is stored under the key in the same commit as the effect.
    async fn apply_keyed(
        &self,
        action: ChildAction,
        keying: Keying<'_, Applied>,
    ) -> Result<Keyed<Applied>, FamilyError>;

    /// Creates a record under an idempotency key, as [`Self::apply_keyed`] does: its answer
    /// ([`Keying::answering`]) is stored with the record in one commit.
    async fn create_keyed(
        &self,
        record: Created<'_>,
        keying: Keying<'_, ()>,
    ) -> Result<Keyed<()>, FamilyError>;

    /// Events committed by [`Self::apply`] whose delivery to the history is not yet confirmed,
    /// in commit order.
    async fn outbox(&self) -> Result<Vec<SequencedEvent>, FamilyError>;
    /// The outbox events `read` asks for.
    async fn outbox_after(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, FamilyError>;
    /// The number of the last event committed in `family`'s sequence; 0 before its first.
    async fn family_sequence(&self, family: UserId) -> Result<u64, FamilyError>;
    /// How many events wait in the outbox.
    async fn outbox_len(&self) -> Result<u64, FamilyError>;
    /// Confirms that these events are in the history. Unknown ids are ignored. A store that
    /// holds the history too takes an event out only if the history has it (an append lost in a
    /// crash of the database after it answered must not take the event's last copy with it).
    async fn confirm_delivered(&self, ids: &[EventId]) -> Result<(), FamilyError>;
}
