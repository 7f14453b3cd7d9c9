//! [`FamilyRepository`] for every store that keeps a [`FamilyState`]: reads come from the state,
//! changes go through the store's [`StateStore::commit`].

use async_trait::async_trait;
use tracking_model::{
    Child, ChildId, EventId, Reward, RewardId, RewardRequest, SequencedEvent, Task, TaskId,
    Timestamp, User, UserId,
};

use super::{Command, FamilyState, KeyedAnswer, KeyedCommand, RecordId, Request, TrackedRequest};
use crate::{
    Applied, ChildAction, Created, FamilyError, FamilyRepository, Keyed, Keying, SequenceRead,
    TokenHash, TokenHolder,
};

/// Commits `command` under an idempotency key; a kept refusal is given back as the error it is.
async fn commit_keyed<S: StateStore, C: Command>(
    store: &S,
    command: C,
    keying: Keying<'_, C::Answer>,
) -> Result<Keyed<C::Answer>, FamilyError>
where
    C::Answer: Sync,
{
    let Keying { key, render } = keying;
    let keyed = KeyedCommand {
        command,
        key,
        render,
    };
    match store.commit(keyed).await? {
        KeyedAnswer::Keyed(keyed) => Ok(keyed),
        KeyedAnswer::Refused(error) => Err(error),
    }
}

/// A store of the family data: the [`FamilyState`] and the storage its changes go to.
#[async_trait]
pub trait StateStore: Send + Sync + 'static {
    /// Runs `read` on the current state; never held across an await.
    fn read<R>(&self, read: impl FnOnce(&FamilyState) -> R) -> R;

    /// Checks `command` against the state in its [`super::Turn`], stores its change and applies
    /// it, and answers once the change is durable (or at once when it [may be
    /// lost](super::Change::may_be_lost)).
    async fn commit<C: Command>(&self, command: C) -> Result<C::Answer, FamilyError>;
}

/// Commands first (creates, deletes, the rest), then reads; the trait's order is by record.
#[async_trait]
impl<S: StateStore> FamilyRepository for S {
    async fn create(&self, record: Created<'_>) -> Result<(), FamilyError> {
        self.commit(Request::from(record)).await
    }

    async fn delete_user(&self, id: UserId) -> Result<(), FamilyError> {
        self.commit(Request::DeleteUser(id)).await
    }

    async fn delete_child(&self, owner: UserId, id: ChildId) -> Result<(), FamilyError> {
        let record = RecordId::Child(id);
        self.commit(Request::Delete { owner, record }).await
    }

    async fn delete_task(&self, owner: UserId, id: TaskId) -> Result<(), FamilyError> {
        let record = RecordId::Task(id);
        self.commit(Request::Delete { owner, record }).await
    }

    async fn delete_reward(&self, owner: UserId, id: RewardId) -> Result<(), FamilyError> {
        let record = RecordId::Reward(id);
        self.commit(Request::Delete { owner, record }).await
    }

    async fn user_anonymized(&self, id: UserId) -> Result<(), FamilyError> {
        self.commit(Request::UserAnonymized(id)).await
    }

    async fn apply(
        &self,
        action: ChildAction,
        occurred_at: Timestamp,
    ) -> Result<Applied, FamilyError> {
        self.commit(TrackedRequest {
            action,
            occurred_at,
        })
        .await
    }

    async fn revoke_child_tokens(&self, owner: UserId, child: ChildId) -> Result<(), FamilyError> {
        self.commit(Request::RevokeChildTokens { owner, child })
            .await
    }

    async fn apply_keyed(
        &self,
        action: ChildAction,
        keying: Keying<'_, Applied>,
    ) -> Result<Keyed<Applied>, FamilyError> {
        let occurred_at = keying.key.at;
        commit_keyed(
            self,
            TrackedRequest {
                action,
                occurred_at,
            },
            keying,
        )
        .await
    }

    async fn create_keyed(
        &self,
        record: Created<'_>,
        keying: Keying<'_, ()>,
    ) -> Result<Keyed<()>, FamilyError> {
        commit_keyed(self, Request::from(record), keying).await
    }

    async fn confirm_delivered(&self, ids: &[EventId]) -> Result<(), FamilyError> {
        self.commit(Request::ConfirmDelivered(ids)).await
    }

    async fn token_holder(&self, token: &TokenHash) -> Result<TokenHolder, FamilyError> {
        self.read(|state| state.token_holder(token))
    }

    async fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        self.read(|state| state.user_by_token(token))
    }

    async fn get_user(&self, id: UserId) -> Result<User, FamilyError> {
        self.read(|state| state.user(id))
    }

    async fn get_child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        self.read(|state| state.child(owner, id))
    }

    async fn get_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        self.read(|state| state.task(owner, id))
    }

    async fn get_reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        self.read(|state| state.reward(owner, id))
    }

    async fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        self.read(|state| state.pending_requests(owner, child))
    }

    async fn list_users(&self) -> Result<Vec<User>, FamilyError> {
        Ok(self.read(FamilyState::users))
    }

    async fn list_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        Ok(self.read(|state| state.children(owner)))
    }

    async fn list_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        Ok(self.read(|state| state.tasks(owner)))
    }

    async fn list_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        Ok(self.read(|state| state.rewards(owner)))
    }

    async fn users_to_anonymize(&self) -> Result<Vec<UserId>, FamilyError> {
        Ok(self.read(FamilyState::users_to_anonymize))
    }

    async fn outbox(&self) -> Result<Vec<SequencedEvent>, FamilyError> {
        Ok(self.read(FamilyState::outbox))
    }

    async fn outbox_after(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, FamilyError> {
        Ok(self.read(|state| state.outbox_after(read)))
    }

    async fn family_sequence(&self, family: UserId) -> Result<u64, FamilyError> {
        Ok(self.read(|state| state.family_sequence(family)))
    }

    async fn outbox_len(&self) -> Result<u64, FamilyError> {
        Ok(self.read(FamilyState::outbox_len))
    }
}
