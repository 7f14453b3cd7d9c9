//! [`FileStore`] as both repositories: checks against the in-memory state, then a journal or
//! history line, acknowledged once durable.

use std::sync::Arc;

use async_trait::async_trait;
use tracking_model::{
    Child, ChildId, Effect, EventId, Page, Reward, RewardId, RewardRequest, Task, TaskId,
    Timestamp, TrackedAction, TrackingEvent, TrackingQuery, User, UserId, decide,
};

use super::FileStore;
use super::log::Wait;
use super::state::{Change, StoredHash};
use crate::family::after_last;
use crate::{
    ActionTarget, FamilyError, FamilyRepository, HistoryError, TokenHash, TrackingRepository,
};

impl FileStore {
    /// Checks `check` against the state and commits `change`, with no tracked mutation running.
    async fn structural(
        &self,
        check: impl FnOnce(&super::state::FamilyState) -> Result<(), FamilyError>,
        change: Change,
    ) -> Result<(), FamilyError> {
        let _exclusive = self.family.structure.write().await;
        check(&self.family.state())?;
        self.family.commit(change, Wait::Durable).await
    }
}

#[async_trait]
impl FamilyRepository for FileStore {
    async fn create_user(&self, user: &User, token: &TokenHash) -> Result<(), FamilyError> {
        self.structural(
            |state| {
                if state.users.contains_key(&user.id) || state.tokens.contains_key(token) {
                    return Err(FamilyError::Duplicate);
                }
                Ok(())
            },
            Change::UserCreated {
                user: user.clone(),
                token_hash: StoredHash(*token),
            },
        )
        .await
    }

    async fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        let state = self.family.state();
        let id = state.tokens.get(token).ok_or(FamilyError::NotFound)?;
        Ok(state.users[id].0.clone())
    }

    async fn get_user(&self, id: UserId) -> Result<User, FamilyError> {
        self.family
            .state()
            .users
            .get(&id)
            .map(|(user, _)| user.clone())
            .ok_or(FamilyError::NotFound)
    }

    async fn list_users(&self) -> Result<Vec<User>, FamilyError> {
        Ok(self
            .family
            .state()
            .users
            .values()
            .map(|(user, _)| user.clone())
            .collect())
    }

    async fn delete_user(&self, id: UserId) -> Result<(), FamilyError> {
        let _exclusive = self.family.structure.write().await;
        if !self.family.state().users.contains_key(&id) {
            return Err(FamilyError::NotFound);
        }
        self.family
            .commit(Change::UserDeleted { user_id: id }, Wait::Durable)
            .await
    }

    async fn users_to_anonymize(&self) -> Result<Vec<UserId>, FamilyError> {
        Ok(self.family.state().to_anonymize.iter().copied().collect())
    }

    async fn user_anonymized(&self, id: UserId) -> Result<(), FamilyError> {
        if !self.family.state().to_anonymize.contains(&id) {
            return Ok(());
        }
        self.family
            .commit(Change::UserAnonymized { user_id: id }, Wait::Durable)
            .await
    }

    async fn create_child(&self, child: &Child) -> Result<(), FamilyError> {
        self.structural(
            |state| {
                if !state.users.contains_key(&child.user_id) {
                    return Err(FamilyError::NotFound);
                }
                if state.children.contains_key(&child.id) {
                    return Err(FamilyError::Duplicate);
                }
                Ok(())
            },
            Change::ChildCreated {
                child: child.clone(),
            },
        )
        .await
    }

    async fn get_child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        self.family.state().child(owner, id)
    }

    async fn list_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        Ok(self
            .family
            .state()
            .children
            .values()
            .filter(|child| child.user_id == owner)
            .cloned()
            .collect())
    }

    async fn delete_child(&self, owner: UserId, id: ChildId) -> Result<(), FamilyError> {
        self.structural(
            |state| state.child(owner, id).map(drop),
            Change::ChildDeleted { child_id: id },
        )
        .await
    }

    async fn create_task(&self, task: &Task) -> Result<(), FamilyError> {
        self.structural(
            |state| {
                if !state.users.contains_key(&task.user_id) {
                    return Err(FamilyError::NotFound);
                }
                if state.tasks.contains_key(&task.id) {
                    return Err(FamilyError::Duplicate);
                }
                Ok(())
            },
            Change::TaskCreated { task: task.clone() },
        )
        .await
    }

    async fn get_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        self.family.state().task(owner, id)
    }

    async fn list_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        Ok(self
            .family
            .state()
            .tasks
            .values()
            .filter(|task| task.user_id == owner)
            .cloned()
            .collect())
    }

    async fn delete_task(&self, owner: UserId, id: TaskId) -> Result<(), FamilyError> {
        self.structural(
            |state| state.task(owner, id).map(drop),
            Change::TaskDeleted { task_id: id },
        )
        .await
    }

    async fn create_reward(&self, reward: &Reward) -> Result<(), FamilyError> {
        self.structural(
            |state| {
                if !state.users.contains_key(&reward.user_id) {
                    return Err(FamilyError::NotFound);
                }
                if state.rewards.contains_key(&reward.id) {
                    return Err(FamilyError::Duplicate);
                }
                Ok(())
            },
            Change::RewardCreated {
                reward: reward.clone(),
            },
        )
        .await
    }

    async fn get_reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        self.family.state().reward(owner, id)
    }

    async fn list_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        Ok(self
            .family
            .state()
            .rewards
            .values()
            .filter(|reward| reward.user_id == owner)
            .cloned()
            .collect())
    }

    async fn delete_reward(&self, owner: UserId, id: RewardId) -> Result<(), FamilyError> {
        self.structural(
            |state| state.reward(owner, id).map(drop),
            Change::RewardDeleted { reward_id: id },
        )
        .await
    }

    async fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        let state = self.family.state();
        state.child(owner, child)?;
        Ok(state
            .pending
            .values()
            .filter(|request| request.child_id == child)
            .cloned()
            .collect())
    }

    async fn apply(
        &self,
        owner: UserId,
        child: ChildId,
        target: ActionTarget,
        occurred_at: Timestamp,
    ) -> Result<Effect, FamilyError> {
        let _shared = self.family.structure.read().await;
        let _one_at_a_time = self.family.child_turn(child).await;
        let effect = {
            let state = self.family.state();
            let current = state.child(owner, child)?;
            let (action, reward) = match target {
                ActionTarget::Activate(id) => {
                    (TrackedAction::Activate(state.task(owner, id)?), None)
                }
                ActionTarget::Request(id) => {
                    (TrackedAction::Request(state.reward(owner, id)?), Some(id))
                }
                ActionTarget::Redeem(id) => {
                    (TrackedAction::Redeem(state.reward(owner, id)?), Some(id))
                }
                ActionTarget::Cancel(id) => {
                    (TrackedAction::Cancel(state.reward(owner, id)?), Some(id))
                }
            };
            let pending = reward.and_then(|id| state.pending_for(child, id));
            let moments = after_last(
                state
                    .last_events
                    .get(&child)
                    .map(|last| (last.occurred_at, last.created_at)),
                occurred_at,
            );
            decide(&current, &action, pending, moments)?
        };
        self.family
            .commit(
                Change::Applied {
                    event: effect.event.clone(),
                    reward_request: effect.reward_request.clone(),
                },
                Wait::Durable,
            )
            .await?;
        Ok(effect)
    }

    async fn outbox(&self) -> Result<Vec<TrackingEvent>, FamilyError> {
        Ok(self.family.state().outbox.values().cloned().collect())
    }

    async fn outbox_len(&self) -> Result<u64, FamilyError> {
        Ok(self.family.state().outbox.len() as u64)
    }

    async fn confirm_delivered(&self, ids: &[EventId]) -> Result<(), FamilyError> {
        let event_ids: Vec<EventId> = {
            let state = self.family.state();
            ids.iter()
                .copied()
                .filter(|id| state.outbox_seqs.contains_key(id))
                .collect()
        };
        if event_ids.is_empty() {
            return Ok(());
        }
        // A lost confirmation only makes the event be delivered again, which changes nothing.
        self.family
            .commit(Change::Delivered { event_ids }, Wait::Lazy)
            .await
    }
}

#[async_trait]
impl TrackingRepository for FileStore {
    async fn append(&self, event: &TrackingEvent) -> Result<(), HistoryError> {
        self.history.append(event).await
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.history.get(id)
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        self.history.query(query)
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        let history = Arc::clone(&self.history);
        tokio::task::spawn_blocking(move || history.anonymize(user))
            .await
            .map_err(|err| HistoryError::Io(std::io::Error::other(err)))?
    }
}
