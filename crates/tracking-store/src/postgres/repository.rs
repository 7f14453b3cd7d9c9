//! [`FamilyRepository`] and [`TrackingRepository`] for [`PostgresStore`], each method one of the
//! store's queries or transactions in the files beside this one, run on the store's runtime
//! (`engine.rs`) with its arguments moved there.

use async_trait::async_trait;
use tracking_model::{
    Child, ChildId, ChildSummary, EventId, Page, Reward, RewardId, RewardRequest, SequencedEvent,
    SummaryParams, Task, TaskId, Timestamp, TrackingEvent, TrackingQuery, User, UserId,
};

use super::PostgresStore;
use super::keys::{NewRow, insert};
use super::mutation::{Turn, act};
use super::rows::{self, Numbered};
use crate::{
    Appended, Applied, ChildAction, Created, FamilyError, FamilyRepository, HistoryError, Keyed,
    Keying, OrderKey, SequenceRead, TokenHash, TokenHolder, TrackingRepository,
};

/// Runs `$work` (an expression on `store`, a handle to this store) on the store's runtime; a
/// failure of the runtime is `$failed`.
macro_rules! on_engine {
    ($self:ident, $failed:path, |$store:ident| $work:expr) => {{
        let $store = $self.clone();
        $self.engine.run(async move { $work.await }, $failed).await
    }};
}

/// [`on_engine!`] for the family data.
macro_rules! family {
    ($self:ident, |$store:ident| $work:expr) => {
        on_engine!($self, FamilyError::Backend, |$store| $work)
    };
}

/// [`on_engine!`] for the history.
macro_rules! history {
    ($self:ident, |$store:ident| $work:expr) => {
        on_engine!($self, HistoryError::Backend, |$store| $work)
    };
}

#[async_trait]
impl FamilyRepository for PostgresStore {
    async fn create(&self, record: Created<'_>) -> Result<(), FamilyError> {
        let row = NewRow::from(record);
        family!(self, |store| store.create_record(row))
    }

    async fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        let token = *token;
        family!(self, |store| store.find_user_by_token(&token))
    }

    async fn get_user(&self, id: UserId) -> Result<User, FamilyError> {
        family!(self, |store| store.find_user(id))
    }

    async fn list_users(&self) -> Result<Vec<User>, FamilyError> {
        family!(self, |store| store.all_users())
    }

    async fn delete_user(&self, id: UserId) -> Result<(), FamilyError> {
        family!(self, |store| store.remove_user(id))
    }

    async fn users_to_anonymize(&self) -> Result<Vec<UserId>, FamilyError> {
        family!(self, |store| store.awaiting_anonymization())
    }

    async fn user_anonymized(&self, id: UserId) -> Result<(), FamilyError> {
        family!(self, |store| store.anonymization_done(id))
    }

    // A family's records, through one generic find, list and delete (`records.rs`).

    async fn get_child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        family!(self, |store| store.find(owner, id))
    }

    async fn get_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        family!(self, |store| store.find(owner, id))
    }

    async fn get_reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        family!(self, |store| store.find(owner, id))
    }

    async fn list_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        family!(self, |store| store.family_records(owner))
    }

    async fn list_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        family!(self, |store| store.family_records(owner))
    }

    async fn list_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        family!(self, |store| store.family_records(owner))
    }

    async fn delete_child(&self, owner: UserId, id: ChildId) -> Result<(), FamilyError> {
        family!(self, |store| store.remove::<Child>(owner, id))
    }

    async fn delete_task(&self, owner: UserId, id: TaskId) -> Result<(), FamilyError> {
        family!(self, |store| store.remove::<Task>(owner, id))
    }

    async fn delete_reward(&self, owner: UserId, id: RewardId) -> Result<(), FamilyError> {
        family!(self, |store| store.remove::<Reward>(owner, id))
    }

    async fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        family!(self, |store| store.child_pending(owner, child))
    }

    async fn apply(
        &self,
        action: ChildAction,
        occurred_at: Timestamp,
    ) -> Result<Applied, FamilyError> {
        family!(self, |store| store.apply_action(action, occurred_at))
    }

    async fn apply_keyed(
        &self,
        action: ChildAction,
        keying: Keying<'_, Applied>,
    ) -> Result<Keyed<Applied>, FamilyError> {
        let (key, render, owner) = (keying.key.clone(), keying.render, action.owner);
        family!(self, |store| async move {
            let keyed = store
                .keyed(Keying { key: &key, render }, |connection| {
                    Box::pin(act(connection, Turn::Locked, action, key.at))
                })
                .await?;
            if let Keyed::Fresh(_) = &keyed {
                store.notify_committed(owner).await;
            }
            Ok(keyed)
        })
    }

    async fn create_keyed(
        &self,
        record: Created<'_>,
        keying: Keying<'_, ()>,
    ) -> Result<Keyed<()>, FamilyError> {
        let (row, key, render) = (NewRow::from(record), keying.key.clone(), keying.render);
        family!(self, |store| store
            .keyed(Keying { key: &key, render }, |connection| {
                Box::pin(insert(connection, row))
            }))
    }

    async fn token_holder(&self, token: &TokenHash) -> Result<TokenHolder, FamilyError> {
        let token = *token;
        family!(self, |store| store.find_token_holder(&token))
    }

    async fn revoke_child_tokens(&self, owner: UserId, child: ChildId) -> Result<(), FamilyError> {
        family!(self, |store| store.remove_child_tokens(owner, child))
    }

    async fn outbox(&self) -> Result<Vec<SequencedEvent>, FamilyError> {
        family!(self, |store| store.waiting())
    }

    async fn outbox_after(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, FamilyError> {
        family!(self, |store| rows::family_after(
            &store.pool,
            Numbered::Outbox,
            read
        ))
    }

    async fn family_sequence(&self, family: UserId) -> Result<u64, FamilyError> {
        family!(self, |store| store.last_number(family))
    }

    async fn outbox_len(&self) -> Result<u64, FamilyError> {
        family!(self, |store| store.waiting_count())
    }

    async fn confirm_delivered(&self, ids: &[EventId]) -> Result<(), FamilyError> {
        let ids = ids.to_vec();
        family!(self, |store| store.delivered(&ids))
    }
}

#[async_trait]
impl TrackingRepository for PostgresStore {
    async fn append(&self, event: &SequencedEvent) -> Result<(), HistoryError> {
        let event = event.clone();
        history!(self, |store| store.append_event(&event))
    }

    /// The same statement as `append`: it never waits for the disk (`history.rs`), so the event
    /// is visible, and durable with the confirmation's commit.
    async fn append_unsynced(&self, event: &SequencedEvent) -> Result<Appended, HistoryError> {
        self.append(event).await.map(|()| Appended::Visible)
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        history!(self, |store| store.stored_event(id))
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        let query = query.clone();
        history!(self, |store| store.page(&query))
    }

    async fn family_events(&self, read: SequenceRead) -> Result<Vec<SequencedEvent>, HistoryError> {
        history!(self, |store| rows::family_after(
            &store.pool,
            Numbered::History,
            read
        ))
    }

    async fn query_after(
        &self,
        query: &TrackingQuery,
        after: Option<OrderKey>,
    ) -> Result<Vec<TrackingEvent>, HistoryError> {
        let query = query.clone();
        history!(self, |store| store.matches_after(&query, after))
    }

    async fn events_summary(
        &self,
        child: ChildId,
        params: &SummaryParams,
    ) -> Result<ChildSummary, HistoryError> {
        let params = params.clone();
        history!(self, |store| store.summary(child, &params))
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        history!(self, |store| store.anonymize(user))
    }
}
