//! [`FamilyRepository`] and [`TrackingRepository`] for [`PostgresStore`], each method one of the
//! store's queries or transactions in the files beside this one.

use async_trait::async_trait;
use tracking_model::{
    Actor, Child, ChildId, ChildSummary, EventId, Page, Reward, RewardId, RewardRequest,
    SequencedEvent, SummaryParams, Task, TaskId, Timestamp, TrackingEvent, TrackingQuery, User,
    UserId,
};

use super::records::{self, Table};
use super::{PostgresStore, errors, tokens, users};
use crate::{
    ActionTarget, Applied, Created, FamilyError, FamilyRepository, HistoryError, IdempotencyKey,
    Keyed, OrderKey, RenderAnswer, StoredAnswer, TokenHash, TokenHolder, TrackingRepository,
};

#[async_trait]
impl FamilyRepository for PostgresStore {
    async fn create_user(&self, user: &User, token: &TokenHash) -> Result<(), FamilyError> {
        users::insert_user(&self.pool, user, token).await
    }

    async fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        self.find_user_by_token(token).await
    }

    async fn get_user(&self, id: UserId) -> Result<User, FamilyError> {
        self.find_user(id).await
    }

    async fn list_users(&self) -> Result<Vec<User>, FamilyError> {
        self.all_users().await
    }

    async fn delete_user(&self, id: UserId) -> Result<(), FamilyError> {
        self.remove_user(id).await
    }

    async fn users_to_anonymize(&self) -> Result<Vec<UserId>, FamilyError> {
        self.awaiting_anonymization().await
    }

    async fn user_anonymized(&self, id: UserId) -> Result<(), FamilyError> {
        self.anonymization_done(id).await
    }

    async fn create_child(&self, child: &Child) -> Result<(), FamilyError> {
        records::insert_child(&self.pool, child).await
    }

    async fn get_child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        self.find_child(owner, id).await
    }

    async fn list_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        self.family_children(owner).await
    }

    async fn delete_child(&self, owner: UserId, id: ChildId) -> Result<(), FamilyError> {
        self.remove(Table::Children, owner, id.to_string()).await
    }

    async fn create_task(&self, task: &Task) -> Result<(), FamilyError> {
        records::insert_task(&self.pool, task).await
    }

    async fn get_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        self.find_task(owner, id).await
    }

    async fn list_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        self.family_tasks(owner).await
    }

    async fn delete_task(&self, owner: UserId, id: TaskId) -> Result<(), FamilyError> {
        self.remove(Table::Tasks, owner, id.to_string()).await
    }

    async fn create_reward(&self, reward: &Reward) -> Result<(), FamilyError> {
        records::insert_reward(&self.pool, reward).await
    }

    async fn get_reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        self.find_reward(owner, id).await
    }

    async fn list_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        self.family_rewards(owner).await
    }

    async fn delete_reward(&self, owner: UserId, id: RewardId) -> Result<(), FamilyError> {
        self.remove(Table::Rewards, owner, id.to_string()).await
    }

    async fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        self.child_pending(owner, child).await
    }

    async fn apply(
        &self,
        owner: UserId,
        child: ChildId,
        target: ActionTarget,
        actor: Actor,
        occurred_at: Timestamp,
    ) -> Result<Applied, FamilyError> {
        self.apply_action(owner, child, target, actor, occurred_at)
            .await
    }

    async fn apply_keyed(
        &self,
        owner: UserId,
        child: ChildId,
        target: ActionTarget,
        actor: Actor,
        key: &IdempotencyKey,
        render: RenderAnswer<'_, Applied>,
    ) -> Result<Keyed<Applied>, FamilyError> {
        self.apply_keyed_action((owner, child, target, actor), key, render)
            .await
    }

    async fn create_keyed(
        &self,
        record: Created<'_>,
        key: &IdempotencyKey,
        answer: StoredAnswer,
    ) -> Result<Keyed<()>, FamilyError> {
        self.create_keyed_record(record, key, answer).await
    }

    async fn token_holder(&self, token: &TokenHash) -> Result<TokenHolder, FamilyError> {
        self.find_token_holder(token).await
    }

    async fn add_child_token(
        &self,
        owner: UserId,
        child: ChildId,
        token: &TokenHash,
    ) -> Result<(), FamilyError> {
        let mut connection = self.pool.acquire().await.map_err(errors::family)?;
        tokens::insert_child_token(&mut connection, owner, child, token).await
    }

    async fn revoke_child_tokens(&self, owner: UserId, child: ChildId) -> Result<(), FamilyError> {
        self.remove_child_tokens(owner, child).await
    }

    async fn outbox(&self) -> Result<Vec<SequencedEvent>, FamilyError> {
        self.waiting().await
    }

    async fn outbox_after(
        &self,
        family: UserId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<SequencedEvent>, FamilyError> {
        self.waiting_after(family, after, limit).await
    }

    async fn family_sequence(&self, family: UserId) -> Result<u64, FamilyError> {
        self.last_number(family).await
    }

    async fn outbox_len(&self) -> Result<u64, FamilyError> {
        self.waiting_count().await
    }

    async fn confirm_delivered(&self, ids: &[EventId]) -> Result<(), FamilyError> {
        self.delivered(ids).await
    }
}

#[async_trait]
impl TrackingRepository for PostgresStore {
    async fn append(&self, event: &SequencedEvent) -> Result<(), HistoryError> {
        self.append_event(event).await
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.stored_event(id).await
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        self.page(query).await
    }

    async fn family_events(
        &self,
        family: UserId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<SequencedEvent>, HistoryError> {
        self.stored_after(family, after, limit).await
    }

    async fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        self.matches_after(query, after).await
    }

    async fn child_summary(
        &self,
        child: ChildId,
        points: i64,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        self.summary(child, points, params).await
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        self.anonymize(user).await
    }
}
