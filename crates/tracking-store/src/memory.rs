//! Both repositories in memory: for tests, and for embedders that keep nothing on disk.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use parking_lot::{Mutex, MutexGuard};
use tracking_model::{
    Child, ChildId, Effect, EventId, Page, Reward, RewardId, RewardRequest, RewardRequestId,
    RewardRequestStatus, SortOrder, Task, TaskId, Timestamp, TrackedAction, TrackingEvent,
    TrackingQuery, User, UserId, decide,
};

use crate::family::after_last;
use crate::{
    ActionTarget, FamilyError, FamilyRepository, HistoryError, TokenHash, TrackingRepository,
};

/// Family data and history in memory, behind one lock. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    family: Mutex<Family>,
    history: Mutex<BTreeMap<EventId, TrackingEvent>>,
}

#[derive(Debug, Default)]
struct Family {
    users: BTreeMap<UserId, (User, TokenHash)>,
    tokens: HashMap<TokenHash, UserId>,
    to_anonymize: BTreeSet<UserId>,
    children: BTreeMap<ChildId, Child>,
    tasks: BTreeMap<TaskId, Task>,
    rewards: BTreeMap<RewardId, Reward>,
    pending: BTreeMap<RewardRequestId, RewardRequest>,
    /// When each child's last event happened, so that the next one orders after it.
    last_events: HashMap<ChildId, (Timestamp, Timestamp)>,
    outbox: Vec<TrackingEvent>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn family(&self) -> MutexGuard<'_, Family> {
        self.family.lock()
    }

    fn history(&self) -> MutexGuard<'_, BTreeMap<EventId, TrackingEvent>> {
        self.history.lock()
    }
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

fn insert_new<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: V) -> Result<(), FamilyError> {
    if map.contains_key(&key) {
        return Err(FamilyError::Duplicate);
    }
    map.insert(key, value);
    Ok(())
}

impl Family {
    fn child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        owned(self.children.get(&id), |child| child.user_id, owner)
    }

    fn pending_for(&self, child: ChildId, reward: RewardId) -> Option<&RewardRequest> {
        self.pending
            .values()
            .find(|request| request.child_id == child && request.reward_id == reward)
    }

    fn remove_child(&mut self, id: ChildId) {
        self.children.remove(&id);
        self.last_events.remove(&id);
        self.pending.retain(|_, request| request.child_id != id);
    }
}

#[async_trait]
impl FamilyRepository for MemoryStore {
    async fn create_user(&self, user: &User, token: &TokenHash) -> Result<(), FamilyError> {
        let mut family = self.family();
        if family.tokens.contains_key(token) {
            return Err(FamilyError::Duplicate);
        }
        insert_new(&mut family.users, user.id, (user.clone(), *token))?;
        family.tokens.insert(*token, user.id);
        Ok(())
    }

    async fn user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        let family = self.family();
        let id = family.tokens.get(token).ok_or(FamilyError::NotFound)?;
        Ok(family.users[id].0.clone())
    }

    async fn get_user(&self, id: UserId) -> Result<User, FamilyError> {
        self.family()
            .users
            .get(&id)
            .map(|(user, _)| user.clone())
            .ok_or(FamilyError::NotFound)
    }

    async fn list_users(&self) -> Result<Vec<User>, FamilyError> {
        Ok(self
            .family()
            .users
            .values()
            .map(|(user, _)| user.clone())
            .collect())
    }

    async fn delete_user(&self, id: UserId) -> Result<(), FamilyError> {
        let mut family = self.family();
        let (_, token) = family.users.remove(&id).ok_or(FamilyError::NotFound)?;
        family.tokens.remove(&token);
        let children: Vec<ChildId> = family
            .children
            .values()
            .filter(|child| child.user_id == id)
            .map(|child| child.id)
            .collect();
        for child in children {
            family.remove_child(child);
        }
        family.tasks.retain(|_, task| task.user_id != id);
        family.rewards.retain(|_, reward| reward.user_id != id);
        family.to_anonymize.insert(id);
        Ok(())
    }

    async fn users_to_anonymize(&self) -> Result<Vec<UserId>, FamilyError> {
        Ok(self.family().to_anonymize.iter().copied().collect())
    }

    async fn user_anonymized(&self, id: UserId) -> Result<(), FamilyError> {
        self.family().to_anonymize.remove(&id);
        Ok(())
    }

    async fn create_child(&self, child: &Child) -> Result<(), FamilyError> {
        let mut family = self.family();
        if !family.users.contains_key(&child.user_id) {
            return Err(FamilyError::NotFound);
        }
        insert_new(&mut family.children, child.id, child.clone())
    }

    async fn get_child(&self, owner: UserId, id: ChildId) -> Result<Child, FamilyError> {
        self.family().child(owner, id)
    }

    async fn list_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        Ok(self
            .family()
            .children
            .values()
            .filter(|child| child.user_id == owner)
            .cloned()
            .collect())
    }

    async fn delete_child(&self, owner: UserId, id: ChildId) -> Result<(), FamilyError> {
        let mut family = self.family();
        family.child(owner, id)?;
        family.remove_child(id);
        Ok(())
    }

    async fn create_task(&self, task: &Task) -> Result<(), FamilyError> {
        let mut family = self.family();
        if !family.users.contains_key(&task.user_id) {
            return Err(FamilyError::NotFound);
        }
        insert_new(&mut family.tasks, task.id, task.clone())
    }

    async fn get_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        owned(self.family().tasks.get(&id), |task| task.user_id, owner)
    }

    async fn list_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        Ok(self
            .family()
            .tasks
            .values()
            .filter(|task| task.user_id == owner)
            .cloned()
            .collect())
    }

    async fn delete_task(&self, owner: UserId, id: TaskId) -> Result<(), FamilyError> {
        let mut family = self.family();
        owned(family.tasks.get(&id), |task| task.user_id, owner)?;
        family.tasks.remove(&id);
        Ok(())
    }

    async fn create_reward(&self, reward: &Reward) -> Result<(), FamilyError> {
        let mut family = self.family();
        if !family.users.contains_key(&reward.user_id) {
            return Err(FamilyError::NotFound);
        }
        insert_new(&mut family.rewards, reward.id, reward.clone())
    }

    async fn get_reward(&self, owner: UserId, id: RewardId) -> Result<Reward, FamilyError> {
        owned(
            self.family().rewards.get(&id),
            |reward| reward.user_id,
            owner,
        )
    }

    async fn list_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        Ok(self
            .family()
            .rewards
            .values()
            .filter(|reward| reward.user_id == owner)
            .cloned()
            .collect())
    }

    async fn delete_reward(&self, owner: UserId, id: RewardId) -> Result<(), FamilyError> {
        let mut family = self.family();
        owned(family.rewards.get(&id), |reward| reward.user_id, owner)?;
        family.rewards.remove(&id);
        family.pending.retain(|_, request| request.reward_id != id);
        Ok(())
    }

    async fn pending_requests(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        let family = self.family();
        family.child(owner, child)?;
        Ok(family
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
        let mut family = self.family();
        let current = family.child(owner, child)?;
        let reward = |id| {
            owned(
                family.rewards.get(&id),
                |reward: &Reward| reward.user_id,
                owner,
            )
        };
        let (action, reward_id) = match target {
            ActionTarget::Activate(id) => (
                TrackedAction::Activate(owned(family.tasks.get(&id), |task| task.user_id, owner)?),
                None,
            ),
            ActionTarget::Request(id) => (TrackedAction::Request(reward(id)?), Some(id)),
            ActionTarget::Redeem(id) => (TrackedAction::Redeem(reward(id)?), Some(id)),
            ActionTarget::Cancel(id) => (TrackedAction::Cancel(reward(id)?), Some(id)),
        };
        let pending = reward_id.and_then(|id| family.pending_for(child, id));
        let moments = after_last(family.last_events.get(&child).copied(), occurred_at);
        let effect = decide(&current, &action, pending, moments)?;
        family.children.insert(child, effect.child.clone());
        family.last_events.insert(
            child,
            (effect.event.occurred_at(), effect.event.created_at()),
        );
        if let Some(request) = &effect.reward_request {
            if request.status == RewardRequestStatus::Pending {
                family.pending.insert(request.id, request.clone());
            } else {
                family.pending.remove(&request.id);
            }
        }
        family.outbox.push(effect.event.clone());
        Ok(effect)
    }

    async fn outbox(&self) -> Result<Vec<TrackingEvent>, FamilyError> {
        Ok(self.family().outbox.clone())
    }

    async fn outbox_len(&self) -> Result<u64, FamilyError> {
        Ok(self.family().outbox.len() as u64)
    }

    async fn confirm_delivered(&self, ids: &[EventId]) -> Result<(), FamilyError> {
        self.family()
            .outbox
            .retain(|event| !ids.contains(&event.id()));
        Ok(())
    }
}

#[async_trait]
impl TrackingRepository for MemoryStore {
    async fn append(&self, event: &TrackingEvent) -> Result<(), HistoryError> {
        self.history()
            .entry(event.id())
            .or_insert_with(|| event.clone());
        Ok(())
    }

    async fn get(&self, id: EventId) -> Result<TrackingEvent, HistoryError> {
        self.history()
            .get(&id)
            .cloned()
            .ok_or(HistoryError::NotFound)
    }

    async fn query(&self, query: &TrackingQuery) -> Result<Page<TrackingEvent>, HistoryError> {
        let history = self.history();
        let mut matches: Vec<&TrackingEvent> = history
            .values()
            .filter(|event| query.matches(event))
            .collect();
        matches.sort_by_key(|event| event.order_key());
        if query.order() == SortOrder::Desc {
            matches.reverse();
        }
        let offset = usize::try_from(query.offset()).unwrap_or(usize::MAX);
        let items = matches
            .iter()
            .skip(offset)
            .take(query.limit() as usize)
            .map(|event| (*event).clone())
            .collect();
        Ok(Page {
            items,
            total: matches.len() as u64,
            limit: query.limit(),
            offset: query.offset(),
        })
    }

    async fn anonymize_user(&self, user: UserId) -> Result<u64, HistoryError> {
        let mut history = self.history();
        let mut changed = 0;
        for event in history.values_mut() {
            if event.user_id() == Some(user) {
                *event = event.clone().anonymized();
                changed += 1;
            }
        }
        Ok(changed)
    }
}
