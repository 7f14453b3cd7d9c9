//! One conformance suite for every implementation of the two repositories, run on
//! `MemoryStore`, on `FileStore` (which is also closed and reopened between steps), and with the
//! cargo feature `postgres` on `PostgresStore`, each test in a fresh schema of the database named
//! by `TRACKING_TEST_DATABASE_URL` (reopening is a new connection pool on that schema).

mod common;
#[cfg(feature = "postgres")]
mod postgres;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{at, child, event, reward, task, token, user};
use tracking_model::test_support::{EventBuilder, KINDS};
use tracking_model::test_support::{Rng, seeded};
use tracking_model::{
    Action, Actor, Bucket, ChildId, EntityType, EventId, MAX_POINTS, Refusal, RewardRequestStatus,
    SequencedEvent, SortOrder, SummaryParams, Timestamp, TrackingEvent, TrackingQuery, UserId,
    Zone, summarize,
};
use tracking_store::{
    ActionTarget, Applied, ChildAction, Created, Durability, FamilyError, FamilyRepository,
    FileStore, FileStoreOptions, HistoryError, IdempotencyKey, KEY_LIFETIME_MILLIS, Keyed, Keying,
    MemoryStore, RenderAnswer, SequenceRead, StoredAnswer, TokenHolder, TrackingRepository,
    family_events_after,
};

/// A store under test, and how to close and reopen it (a no-op for a store in memory).
trait Subject: Sized + Send {
    type Store: FamilyRepository + TrackingRepository;
    fn store(&self) -> &Self::Store;
    fn shared(&self) -> Arc<Self::Store>;
    fn reopen(self) -> Self;
}

struct Memory(Arc<MemoryStore>);

impl Subject for Memory {
    type Store = MemoryStore;
    fn store(&self) -> &MemoryStore {
        &self.0
    }
    fn shared(&self) -> Arc<MemoryStore> {
        Arc::clone(&self.0)
    }
    fn reopen(self) -> Self {
        self
    }
}

struct Files {
    dir: tempfile::TempDir,
    options: FileStoreOptions,
    store: Arc<FileStore>,
}

impl Files {
    fn new(durability: Durability) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = FileStoreOptions {
            durability,
            // Small, so that the suite also crosses snapshots.
            compact_after_bytes: 2048,
        };
        let store = Arc::new(FileStore::open(dir.path(), options.clone()).unwrap());
        Self {
            dir,
            options,
            store,
        }
    }
}

impl Subject for Files {
    type Store = FileStore;
    fn store(&self) -> &FileStore {
        &self.store
    }
    fn shared(&self) -> Arc<FileStore> {
        Arc::clone(&self.store)
    }
    fn reopen(self) -> Self {
        let Self {
            dir,
            options,
            store,
        } = self;
        drop(Arc::into_inner(store).expect("no other handle on the store"));
        let store = Arc::new(FileStore::open(dir.path(), options.clone()).unwrap());
        Self {
            dir,
            options,
            store,
        }
    }
}

#[cfg(feature = "postgres")]
struct Postgres {
    // Dropped first: the pool closes before the schema goes.
    store: Arc<tracking_store::PostgresStore>,
    schema: postgres::TestSchema,
}

#[cfg(feature = "postgres")]
impl Postgres {
    /// Connects from a test's (multi-threaded) runtime without an await: `Subject` is sync.
    fn connect(schema: postgres::TestSchema) -> Self {
        let options = schema.options();
        let store = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current()
                .block_on(tracking_store::PostgresStore::connect(&options))
        })
        .unwrap();
        Self {
            store: Arc::new(store),
            schema,
        }
    }
}

#[cfg(feature = "postgres")]
impl Subject for Postgres {
    type Store = tracking_store::PostgresStore;
    fn store(&self) -> &tracking_store::PostgresStore {
        &self.store
    }
    fn shared(&self) -> Arc<tracking_store::PostgresStore> {
        Arc::clone(&self.store)
    }
    fn reopen(self) -> Self {
        let Self { store, schema } = self;
        drop(store);
        Self::connect(schema)
    }
}

#[cfg(feature = "postgres")]
fn postgres() -> Postgres {
    Postgres::connect(postgres::TestSchema::new())
}

fn memory() -> Memory {
    Memory(Arc::new(MemoryStore::new()))
}

fn durable() -> Files {
    Files::new(Durability::Durable)
}

fn interval() -> Files {
    Files::new(Durability::Interval(std::time::Duration::from_millis(5)))
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::memory()).await;
            })*
        }
        mod on_durable_files {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::durable()).await;
            })*
        }
        mod on_interval_files {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::interval()).await;
            })*
        }
        #[cfg(feature = "postgres")]
        mod on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::postgres()).await;
            })*
        }
    };
}

conformance!(
    users_are_stored_and_found_by_token,
    family_records_belong_to_their_owner,
    tracked_mutations_follow_the_rules,
    refused_mutations_change_nothing,
    outbox_keeps_commit_order_until_confirmed,
    deleting_cascades_and_remembers_anonymization,
    history_append_is_idempotent,
    unsynced_appends_are_read_at_once_and_kept_once_synced,
    history_queries_match_a_reference,
    anonymizing_clears_only_that_user,
    concurrent_mutations_on_one_child_keep_the_chain,
    family_sequence_numbers_events_in_commit_order,
    concurrent_children_of_one_family_number_without_gaps,
    summaries_match_the_reference_fold,
    summaries_survive_anonymization_and_take_late_events,
    reading_on_by_key_visits_every_match_once,
    child_tokens_belong_to_their_child_and_die_with_it,
    keyed_requests_replay_their_first_answer,
    keyed_refusals_are_kept_or_judged_afresh,
    keys_expire_after_a_day,
);

async fn users_are_stored_and_found_by_token<S: Subject>(subject: S) {
    let alex = user("Alex");
    let sam = user("Sam");
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    store.create_user(&sam, &token(2)).await.unwrap();
    assert!(matches!(
        store.create_user(&alex, &token(3)).await,
        Err(FamilyError::Duplicate)
    ));
    assert!(matches!(
        store.create_user(&user("Other"), &token(1)).await,
        Err(FamilyError::Duplicate)
    ));
    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(store.user_by_token(&token(1)).await.unwrap(), alex);
    assert_eq!(store.get_user(sam.id).await.unwrap(), sam);
    assert!(matches!(
        store.user_by_token(&token(3)).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.get_user(UserId::generate()).await,
        Err(FamilyError::NotFound)
    ));
    assert_eq!(store.list_users().await.unwrap(), vec![alex, sam]);
}

async fn family_records_belong_to_their_owner<S: Subject>(subject: S) {
    let (alex, other) = (user("Alex"), user("Other"));
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    store.create_user(&other, &token(2)).await.unwrap();
    let (kim, lee) = (child(alex.id, "Kim", 0), child(alex.id, "Lee", 3));
    let bed = task(alex.id, 5, true);
    let ice = reward(alex.id, 20);
    store.create_child(&kim).await.unwrap();
    store.create_child(&lee).await.unwrap();
    store.create_task(&bed).await.unwrap();
    store.create_reward(&ice).await.unwrap();
    assert!(matches!(
        store.create_child(&kim).await,
        Err(FamilyError::Duplicate)
    ));
    assert!(matches!(
        store.create_task(&bed).await,
        Err(FamilyError::Duplicate)
    ));
    assert!(matches!(
        store.create_reward(&ice).await,
        Err(FamilyError::Duplicate)
    ));
    let orphan = UserId::generate();
    assert!(matches!(
        store.create_child(&child(orphan, "Nobody", 0)).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.create_task(&task(orphan, 1, true)).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.create_reward(&reward(orphan, 1)).await,
        Err(FamilyError::NotFound)
    ));

    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(store.get_child(alex.id, kim.id).await.unwrap(), kim);
    assert_eq!(
        store.list_children(alex.id).await.unwrap(),
        vec![kim.clone(), lee.clone()]
    );
    assert_eq!(store.list_tasks(alex.id).await.unwrap(), vec![bed.clone()]);
    assert_eq!(
        store.list_rewards(alex.id).await.unwrap(),
        vec![ice.clone()]
    );
    assert_eq!(store.get_task(alex.id, bed.id).await.unwrap(), bed);
    assert_eq!(store.get_reward(alex.id, ice.id).await.unwrap(), ice);
    // Another family sees nothing and can delete nothing.
    assert!(matches!(
        store.get_child(other.id, kim.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.get_task(other.id, bed.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.get_reward(other.id, ice.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.delete_child(other.id, kim.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.delete_task(other.id, bed.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.delete_reward(other.id, ice.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.pending_requests(other.id, kim.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(store.list_children(other.id).await.unwrap().is_empty());

    store.delete_child(alex.id, kim.id).await.unwrap();
    store.delete_task(alex.id, bed.id).await.unwrap();
    store.delete_reward(alex.id, ice.id).await.unwrap();
    let subject = subject.reopen();
    let store = subject.store();
    assert!(matches!(
        store.get_child(alex.id, kim.id).await,
        Err(FamilyError::NotFound)
    ));
    assert_eq!(store.list_children(alex.id).await.unwrap(), vec![lee]);
    assert!(store.list_tasks(alex.id).await.unwrap().is_empty());
    assert!(store.list_rewards(alex.id).await.unwrap().is_empty());
}

async fn tracked_mutations_follow_the_rules<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    let kim = child(alex.id, "Kim", 0);
    let (bed, hit) = (task(alex.id, 30, true), task(alex.id, 4, false));
    let ice = reward(alex.id, 20);
    store.create_child(&kim).await.unwrap();
    store.create_task(&bed).await.unwrap();
    store.create_task(&hit).await.unwrap();
    store.create_reward(&ice).await.unwrap();
    let (owner, id) = (alex.id, kim.id);

    let effect = store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Activate(bed.id),
                actor: Actor::Parent,
            },
            at(0),
        )
        .await
        .unwrap()
        .effect;
    assert_eq!((effect.child.points, effect.event.delta()), (30, 30));
    assert_eq!(effect.event.entity_type(), EntityType::Task);
    let effect = store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Activate(hit.id),
                actor: Actor::Parent,
            },
            at(1),
        )
        .await
        .unwrap()
        .effect;
    assert_eq!(effect.child.points, 26);
    assert_eq!(effect.event.entity_type(), EntityType::Penalty);
    let effect = store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Request(ice.id),
                actor: Actor::Parent,
            },
            at(2),
        )
        .await
        .unwrap()
        .effect;
    let request = effect.reward_request.clone().unwrap();
    assert_eq!(request.status, RewardRequestStatus::Pending);
    assert_eq!(
        store.pending_requests(owner, id).await.unwrap(),
        vec![request.clone()]
    );
    assert!(matches!(
        store
            .apply(
                ChildAction {
                    owner,
                    child: id,
                    target: ActionTarget::Request(ice.id),
                    actor: Actor::Parent
                },
                at(3)
            )
            .await,
        Err(FamilyError::Refused(Refusal::AlreadyRequested))
    ));

    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(store.get_child(owner, id).await.unwrap().points, 26);
    assert_eq!(
        store.pending_requests(owner, id).await.unwrap(),
        vec![request.clone()]
    );
    let effect = store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Redeem(ice.id),
                actor: Actor::Parent,
            },
            at(4),
        )
        .await
        .unwrap()
        .effect;
    assert_eq!(effect.child.points, 6);
    let resolved = effect.reward_request.unwrap();
    assert_eq!(
        (resolved.id, resolved.status),
        (request.id, RewardRequestStatus::Redeemed)
    );
    assert!(store.pending_requests(owner, id).await.unwrap().is_empty());
    assert!(matches!(
        store
            .apply(
                ChildAction {
                    owner,
                    child: id,
                    target: ActionTarget::Cancel(ice.id),
                    actor: Actor::Parent
                },
                at(5)
            )
            .await,
        Err(FamilyError::Refused(Refusal::NoPendingRequest))
    ));
    assert!(matches!(
        store
            .apply(
                ChildAction {
                    owner,
                    child: id,
                    target: ActionTarget::Redeem(ice.id),
                    actor: Actor::Parent
                },
                at(5)
            )
            .await,
        Err(FamilyError::Refused(Refusal::InsufficientPoints {
            points: 6,
            cost: 20
        }))
    ));
    // A penalty may take a child below zero.
    for _ in 0..2 {
        store
            .apply(
                ChildAction {
                    owner,
                    child: id,
                    target: ActionTarget::Activate(hit.id),
                    actor: Actor::Parent,
                },
                at(6),
            )
            .await
            .unwrap();
    }
    let effect = store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Activate(bed.id),
                actor: Actor::Parent,
            },
            at(7),
        )
        .await
        .unwrap()
        .effect;
    assert_eq!(effect.child.points, 28);
    store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Request(ice.id),
                actor: Actor::Parent,
            },
            at(8),
        )
        .await
        .unwrap();
    let effect = store
        .apply(
            ChildAction {
                owner,
                child: id,
                target: ActionTarget::Cancel(ice.id),
                actor: Actor::Parent,
            },
            at(9),
        )
        .await
        .unwrap()
        .effect;
    assert_eq!(
        effect.reward_request.unwrap().status,
        RewardRequestStatus::Cancelled
    );
    assert_eq!(effect.event.action(), Action::Cancelled);

    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(store.get_child(owner, id).await.unwrap().points, 28);
    assert!(store.pending_requests(owner, id).await.unwrap().is_empty());
    let chain: Vec<TrackingEvent> = store
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|waiting| waiting.event)
        .collect();
    assert_eq!(chain.len(), 9);
    assert_chain(&chain, 0, 28);
}

async fn refused_mutations_change_nothing<S: Subject>(subject: S) {
    let (alex, other) = (user("Alex"), user("Other"));
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    store.create_user(&other, &token(2)).await.unwrap();
    let rich = child(alex.id, "Rich", MAX_POINTS - 1);
    let bed = task(alex.id, 5, true);
    let foreign = task(other.id, 5, true);
    store.create_child(&rich).await.unwrap();
    store.create_task(&bed).await.unwrap();
    store.create_task(&foreign).await.unwrap();
    assert!(matches!(
        store
            .apply(
                ChildAction {
                    owner: alex.id,
                    child: rich.id,
                    target: ActionTarget::Activate(bed.id),
                    actor: Actor::Parent
                },
                at(0)
            )
            .await,
        Err(FamilyError::Refused(Refusal::PointsOutOfRange))
    ));
    assert!(matches!(
        store
            .apply(
                ChildAction {
                    owner: alex.id,
                    child: rich.id,
                    target: ActionTarget::Activate(foreign.id),
                    actor: Actor::Parent
                },
                at(0)
            )
            .await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store
            .apply(
                ChildAction {
                    owner: other.id,
                    child: rich.id,
                    target: ActionTarget::Activate(foreign.id),
                    actor: Actor::Parent
                },
                at(0)
            )
            .await,
        Err(FamilyError::NotFound)
    ));
    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(store.get_child(alex.id, rich.id).await.unwrap(), rich);
    assert_eq!(store.outbox_len().await.unwrap(), 0);
}

async fn outbox_keeps_commit_order_until_confirmed<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    let (kim, lee) = (child(alex.id, "Kim", 0), child(alex.id, "Lee", 0));
    let bed = task(alex.id, 2, true);
    store.create_child(&kim).await.unwrap();
    store.create_child(&lee).await.unwrap();
    store.create_task(&bed).await.unwrap();
    let mut recorded = Vec::new();
    for step in 0..6 {
        let kid = if step % 2 == 0 { kim.id } else { lee.id };
        let applied = store
            .apply(common::activation(alex.id, kid, bed.id), at(step))
            .await
            .unwrap();
        recorded.push(common::recorded(&applied));
    }
    let committed: Vec<TrackingEvent> = recorded.iter().map(|one| one.event.clone()).collect();
    assert_eq!(outbox_events(store).await, committed);
    assert_eq!(store.outbox_len().await.unwrap(), 6);
    // Confirmed once in the history (a store holding both may check that they are).
    store.append(&recorded[0]).await.unwrap();
    store.append(&recorded[3]).await.unwrap();
    let confirmed: Vec<EventId> = vec![committed[0].id(), committed[3].id(), EventId::generate()];
    store.confirm_delivered(&confirmed).await.unwrap();
    let waiting: Vec<TrackingEvent> = committed
        .iter()
        .filter(|event| !confirmed.contains(&event.id()))
        .cloned()
        .collect();
    assert_eq!(outbox_events(store).await, waiting);
    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(outbox_events(store).await, waiting);
    assert_eq!(store.outbox_len().await.unwrap(), 4);
    for delivered in recorded
        .iter()
        .filter(|one| !confirmed.contains(&one.event.id()))
    {
        store.append(delivered).await.unwrap();
    }
    let ids: Vec<EventId> = waiting.iter().map(TrackingEvent::id).collect();
    store.confirm_delivered(&ids).await.unwrap();
    store.confirm_delivered(&ids).await.unwrap();
    let subject = subject.reopen();
    assert_eq!(subject.store().outbox_len().await.unwrap(), 0);
}

async fn deleting_cascades_and_remembers_anonymization<S: Subject>(subject: S) {
    let (alex, other) = (user("Alex"), user("Other"));
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    store.create_user(&other, &token(2)).await.unwrap();
    let (kim, lee) = (child(alex.id, "Kim", 50), child(alex.id, "Lee", 50));
    let (ice, cake) = (reward(alex.id, 10), reward(alex.id, 10));
    let keep = child(other.id, "Keep", 0);
    store.create_child(&kim).await.unwrap();
    store.create_child(&lee).await.unwrap();
    store.create_child(&keep).await.unwrap();
    store.create_reward(&ice).await.unwrap();
    store.create_reward(&cake).await.unwrap();
    for kid in [kim.id, lee.id] {
        for prize in [ice.id, cake.id] {
            store
                .apply(
                    ChildAction {
                        owner: alex.id,
                        child: kid,
                        target: ActionTarget::Request(prize),
                        actor: Actor::Parent,
                    },
                    at(0),
                )
                .await
                .unwrap();
        }
    }
    store.delete_reward(alex.id, cake.id).await.unwrap();
    let pending = store.pending_requests(alex.id, lee.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].reward_id, ice.id);
    store.delete_child(alex.id, kim.id).await.unwrap();
    assert!(matches!(
        store.pending_requests(alex.id, kim.id).await,
        Err(FamilyError::NotFound)
    ));
    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(
        store.pending_requests(alex.id, lee.id).await.unwrap(),
        pending
    );
    store.delete_user(alex.id).await.unwrap();
    assert!(matches!(
        store.delete_user(alex.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.get_user(alex.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.user_by_token(&token(1)).await,
        Err(FamilyError::NotFound)
    ));
    assert!(store.list_children(alex.id).await.unwrap().is_empty());
    assert!(store.list_rewards(alex.id).await.unwrap().is_empty());
    assert_eq!(store.users_to_anonymize().await.unwrap(), vec![alex.id]);
    // The events of a deleted family still wait in the outbox: the history keeps them.
    assert_eq!(store.outbox_len().await.unwrap(), 4);
    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(store.users_to_anonymize().await.unwrap(), vec![alex.id]);
    assert_eq!(store.list_children(other.id).await.unwrap(), vec![keep]);
    store.user_anonymized(alex.id).await.unwrap();
    store.user_anonymized(alex.id).await.unwrap();
    let subject = subject.reopen();
    assert!(
        subject
            .store()
            .users_to_anonymize()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(subject.store().list_users().await.unwrap(), vec![other]);
}

async fn history_append_is_idempotent<S: Subject>(subject: S) {
    let (alex, kid) = (UserId::generate(), ChildId::generate());
    let first = event(Some(alex), kid, 0, at(0), 1);
    let second = event(Some(alex), kid, 3, at(1), 0);
    let store = subject.store();
    store.append(&common::numbered(&first)).await.unwrap();
    store.append(&common::numbered(&first)).await.unwrap();
    store.append(&common::numbered(&second)).await.unwrap();
    assert_eq!(store.get(first.id()).await.unwrap(), first);
    assert!(matches!(
        store.get(EventId::generate()).await,
        Err(HistoryError::NotFound)
    ));
    let subject = subject.reopen();
    let store = subject.store();
    store.append(&common::numbered(&second)).await.unwrap();
    let page = store.query(&TrackingQuery::default()).await.unwrap();
    assert_eq!(page.items, vec![first.clone(), second.clone()]);
    assert_eq!(page.total, 2);
    // Concurrent appends of one id store it once.
    let shared = subject.shared();
    let third = event(None, kid, 2, at(2), 0);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&shared);
            let third = third.clone();
            tokio::spawn(async move { store.append(&common::numbered(&third)).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    drop(shared);
    let subject = subject.reopen();
    let page = subject
        .store()
        .query(&TrackingQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items, vec![first, second, third]);
}

/// An append that does not wait for its sync is seen by every read when it returns, stays
/// idempotent by id, and is kept across a reopen once synced.
async fn unsynced_appends_are_read_at_once_and_kept_once_synced<S: Subject>(subject: S) {
    let (alex, kid) = (UserId::generate(), ChildId::generate());
    let first = SequencedEvent {
        sequence: 1,
        event: event(Some(alex), kid, 0, at(0), 1),
    };
    let second = SequencedEvent {
        sequence: 2,
        event: event(Some(alex), kid, 3, at(1), 0),
    };
    let store = subject.store();
    store.append_unsynced(&first).await.unwrap();
    assert_eq!(store.get(first.event.id()).await.unwrap(), first.event);
    let page = store.query(&TrackingQuery::default()).await.unwrap();
    assert_eq!((page.items, page.total), (vec![first.event.clone()], 1));
    assert_eq!(
        store
            .family_events(SequenceRead {
                family: alex,
                after: 0,
                limit: 10
            })
            .await
            .unwrap(),
        vec![first.clone()]
    );
    let params = SummaryParams::default();
    assert_eq!(
        store.child_summary(kid, 1, &params).await.unwrap(),
        summarize(kid, 1, &params, std::slice::from_ref(&first.event)).unwrap()
    );

    // Again, unsynced or durable: still once.
    store.append_unsynced(&first).await.unwrap();
    store.append(&first).await.unwrap();
    store.append_unsynced(&second).await.unwrap();
    store.sync().await.unwrap();
    let subject = subject.reopen();
    let page = subject
        .store()
        .query(&TrackingQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items, vec![first.event, second.event]);
}

/// Events of 3 children of 2 users (and anonymized ones), every kind, times with ties.
fn history_fixture(rng: &mut Rng) -> (Vec<TrackingEvent>, Vec<UserId>, Vec<ChildId>) {
    let users = vec![UserId::generate(), UserId::generate()];
    let children = vec![
        ChildId::generate(),
        ChildId::generate(),
        ChildId::generate(),
    ];
    let events = (0..240)
        .map(|_| {
            let kid = rng.u64(..3) as usize;
            let owner = match (kid, rng.u64(..10)) {
                (_, 0) => None,
                (2, _) => Some(users[1]),
                _ => Some(users[0]),
            };
            let kind = rng.u64(..5) as usize;
            event(
                owner,
                children[kid],
                kind,
                at(rng.u64(..60) as i64 * 1000),
                rng.u64(..3) as i64,
            )
        })
        .collect();
    (events, users, children)
}

fn reference(events: &[TrackingEvent], query: &TrackingQuery) -> (Vec<TrackingEvent>, u64) {
    let mut matches: Vec<&TrackingEvent> =
        events.iter().filter(|event| query.matches(event)).collect();
    matches.sort_by_key(|event| event.order_key());
    if query.order() == SortOrder::Desc {
        matches.reverse();
    }
    let total = matches.len() as u64;
    let page = matches
        .into_iter()
        .skip(query.offset() as usize)
        .take(query.limit() as usize)
        .cloned()
        .collect();
    (page, total)
}

fn random_query(rng: &mut Rng, users: &[UserId], children: &[ChildId]) -> TrackingQuery {
    let pick = |rng: &mut Rng, odds: u64| rng.u64(..odds) == 0;
    TrackingQuery {
        child_id: pick(rng, 2).then(|| children[rng.u64(..3) as usize]),
        user_id: pick(rng, 3).then(|| users[rng.u64(..2) as usize]),
        entity_type: pick(rng, 2).then(|| EntityType::ALL[rng.u64(..3) as usize]),
        action: pick(rng, 3).then(|| Action::ALL[rng.u64(..4) as usize]),
        from: pick(rng, 3).then(|| at(rng.u64(..60) as i64 * 1000)),
        to: pick(rng, 3).then(|| at(rng.u64(..70) as i64 * 1000)),
        limit: Some(1 + rng.u64(..40) as u32),
        offset: Some(if pick(rng, 4) { 0 } else { rng.u64(..120) }),
        order: Some(if pick(rng, 2) {
            SortOrder::Desc
        } else {
            SortOrder::Asc
        }),
    }
}

async fn history_queries_match_a_reference<S: Subject>(subject: S) {
    let mut rng = seeded(0x9E37_79B9_7F4A_7C15);
    let (events, users, children) = history_fixture(&mut rng);
    for event in &events {
        subject
            .store()
            .append(&common::numbered(event))
            .await
            .unwrap();
    }
    let mut subject = subject;
    for round in 0..2 {
        let store = subject.store();
        for _ in 0..400 {
            let query = random_query(&mut rng, &users, &children);
            let page = store.query(&query).await.unwrap();
            let (items, total) = reference(&events, &query);
            assert_eq!(page.total, total, "round {round}: {query:?}");
            assert_eq!(ids(&page.items), ids(&items), "round {round}: {query:?}");
            assert!(page.items == items, "round {round}: {query:?}");
            assert_eq!((page.limit, page.offset), (query.limit(), query.offset()));
        }
        // Unknown ids match nothing.
        let nobody = TrackingQuery {
            child_id: Some(ChildId::generate()),
            ..TrackingQuery::default()
        };
        assert_eq!(store.query(&nobody).await.unwrap().total, 0);
        subject = subject.reopen();
    }
}

async fn anonymizing_clears_only_that_user<S: Subject>(subject: S) {
    let mut rng = seeded(42);
    let (events, users, children) = history_fixture(&mut rng);
    for event in &events {
        subject
            .store()
            .append(&common::numbered(event))
            .await
            .unwrap();
    }
    let gone = users[0];
    let mut expected: Vec<TrackingEvent> = events
        .iter()
        .map(|event| {
            if event.user_id() == Some(gone) {
                event.clone().anonymized()
            } else {
                event.clone()
            }
        })
        .collect();
    let changed = events
        .iter()
        .filter(|event| event.user_id() == Some(gone))
        .count() as u64;
    assert!(changed > 0);
    assert_eq!(subject.store().anonymize_user(gone).await.unwrap(), changed);
    assert_eq!(subject.store().anonymize_user(gone).await.unwrap(), 0);
    let mut subject = subject;
    for _ in 0..2 {
        let store = subject.store();
        for event in &expected {
            assert!(&store.get(event.id()).await.unwrap() == event, "{event:?}");
        }
        let by_gone = TrackingQuery {
            user_id: Some(gone),
            ..TrackingQuery::default()
        };
        assert_eq!(store.query(&by_gone).await.unwrap().total, 0);
        for _ in 0..100 {
            let query = random_query(&mut rng, &users, &children);
            let page = store.query(&query).await.unwrap();
            let (items, total) = reference(&expected, &query);
            assert_eq!(
                (ids(&page.items), page.total),
                (ids(&items), total),
                "{query:?}"
            );
            assert!(page.items == items, "{query:?}");
        }
        // Appends after the rewrite land in the new file.
        let late = event(Some(users[1]), children[2], 0, at(99_000), 0);
        store.append(&common::numbered(&late)).await.unwrap();
        assert_eq!(store.get(late.id()).await.unwrap(), late);
        expected.push(late.clone());
        subject = subject.reopen();
        assert_eq!(subject.store().get(late.id()).await.unwrap(), late);
    }
}

async fn concurrent_mutations_on_one_child_keep_the_chain<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.shared();
    store.create_user(&alex, &token(1)).await.unwrap();
    let (kim, lee) = (child(alex.id, "Kim", 0), child(alex.id, "Lee", 0));
    let (bed, hit) = (task(alex.id, 3, true), task(alex.id, 2, false));
    store.create_child(&kim).await.unwrap();
    store.create_child(&lee).await.unwrap();
    store.create_task(&bed).await.unwrap();
    store.create_task(&hit).await.unwrap();
    let writers: Vec<_> = (0..32_i64)
        .map(|writer| {
            let store = Arc::clone(&store);
            let (owner, kids, tasks) = (alex.id, [kim.id, lee.id], [bed.id, hit.id]);
            tokio::spawn(async move {
                for step in 0..8_i64 {
                    // Callers stamp times in an order unrelated to the order they get the lock.
                    let stamp = at((writer * 7 + step * 13) % 50);
                    let target = ActionTarget::Activate(tasks[(writer + step) as usize % 2]);
                    let kid = kids[usize::from(writer % 4 == 0)];
                    store
                        .apply(
                            ChildAction {
                                owner,
                                child: kid,
                                target,
                                actor: Actor::Parent,
                            },
                            stamp,
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    drop(store);
    let subject = subject.reopen();
    let store = subject.store();
    let outbox = outbox_events(store).await;
    assert_eq!(outbox.len(), 256);
    for kid in [kim.id, lee.id] {
        let mut events: Vec<TrackingEvent> = outbox
            .iter()
            .filter(|event| event.child_id() == kid)
            .cloned()
            .collect();
        events.sort_by_key(|event| event.order_key());
        let points = store.get_child(alex.id, kid).await.unwrap().points;
        assert_chain(&events, 0, points);
        // The history, given the events in any order, orders them the same way.
        for event in events.iter().rev() {
            store.append(&common::numbered(event)).await.unwrap();
        }
        let page = store
            .query(&TrackingQuery {
                child_id: Some(kid),
                limit: Some(500),
                ..TrackingQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items, events);
    }
    let ids: BTreeSet<EventId> = outbox.iter().map(TrackingEvent::id).collect();
    assert_eq!(ids.len(), 256);
}

fn ids(events: &[TrackingEvent]) -> Vec<EventId> {
    events.iter().map(TrackingEvent::id).collect()
}

/// Each event starts where the one before ended, from `start`, and the last ends at `end`.
fn assert_chain(events: &[TrackingEvent], start: i64, end: i64) {
    let mut points = start;
    for event in events {
        assert_eq!(event.points_before(), points, "{event:?}");
        assert_eq!(event.points_after(), event.points_before() + event.delta());
        points = event.points_after();
    }
    assert_eq!(points, end);
}

/// The committed events of `family` after `after`, from the outbox and the history together.
async fn feed<S: Subject>(
    subject: &S,
    family: UserId,
    after: u64,
    limit: usize,
) -> Vec<SequencedEvent> {
    let store = subject.store();
    family_events_after(
        store,
        store,
        SequenceRead {
            family,
            after,
            limit,
        },
    )
    .await
    .unwrap()
}

fn numbers(events: &[SequencedEvent]) -> Vec<u64> {
    events.iter().map(|event| event.sequence).collect()
}

async fn family_sequence_numbers_events_in_commit_order<S: Subject>(subject: S) {
    let (alex, blair) = (user("Alex"), user("Blair"));
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    store.create_user(&blair, &token(2)).await.unwrap();
    let (kim, lee, sam) = (
        child(alex.id, "Kim", 0),
        child(alex.id, "Lee", 0),
        child(blair.id, "Sam", 0),
    );
    let (bed, dishes) = (task(alex.id, 2, true), task(blair.id, 1, true));
    for kid in [&kim, &lee, &sam] {
        store.create_child(kid).await.unwrap();
    }
    store.create_task(&bed).await.unwrap();
    store.create_task(&dishes).await.unwrap();
    assert_eq!(store.family_sequence(alex.id).await.unwrap(), 0);
    assert!(feed(&subject, alex.id, 0, 10).await.is_empty());

    let mut alex_events = Vec::new();
    let mut blair_events = Vec::new();
    for step in 0..6 {
        let kid = if step % 2 == 0 { kim.id } else { lee.id };
        let applied = store
            .apply(
                ChildAction {
                    owner: alex.id,
                    child: kid,
                    target: ActionTarget::Activate(bed.id),
                    actor: Actor::Parent,
                },
                at(step),
            )
            .await
            .unwrap();
        alex_events.push(SequencedEvent {
            sequence: applied.sequence,
            event: applied.effect.event,
        });
        if step % 3 == 0 {
            let applied = store
                .apply(
                    ChildAction {
                        owner: blair.id,
                        child: sam.id,
                        target: ActionTarget::Activate(dishes.id),
                        actor: Actor::Parent,
                    },
                    at(step),
                )
                .await
                .unwrap();
            blair_events.push(SequencedEvent {
                sequence: applied.sequence,
                event: applied.effect.event,
            });
        }
    }
    assert_eq!(numbers(&alex_events), [1, 2, 3, 4, 5, 6]);
    assert_eq!(numbers(&blair_events), [1, 2]);
    assert_eq!(store.outbox().await.unwrap().len(), 8);

    // Some reach the history, out of order; the rest wait in the outbox.
    for delivered in [
        &alex_events[3],
        &alex_events[0],
        &alex_events[1],
        &blair_events[1],
    ] {
        store.append(delivered).await.unwrap();
        store
            .confirm_delivered(&[delivered.event.id()])
            .await
            .unwrap();
    }
    let mut subject = subject;
    for round in 0..2 {
        let store = subject.store();
        assert_eq!(
            store.family_sequence(alex.id).await.unwrap(),
            6,
            "round {round}"
        );
        assert_eq!(
            store.family_sequence(blair.id).await.unwrap(),
            2,
            "round {round}"
        );
        assert_eq!(
            feed(&subject, alex.id, 0, 100).await,
            alex_events,
            "round {round}"
        );
        assert_eq!(
            feed(&subject, alex.id, 3, 2).await,
            alex_events[3..5],
            "round {round}"
        );
        assert!(feed(&subject, alex.id, 6, 100).await.is_empty());
        assert!(feed(&subject, alex.id, 60, 100).await.is_empty());
        assert!(feed(&subject, alex.id, 0, 0).await.is_empty());
        assert_eq!(
            feed(&subject, blair.id, 0, 100).await,
            blair_events,
            "round {round}"
        );
        assert_eq!(
            numbers(
                &store
                    .outbox_after(SequenceRead {
                        family: alex.id,
                        after: 1,
                        limit: 100
                    })
                    .await
                    .unwrap()
            ),
            [3, 5, 6]
        );
        assert_eq!(
            numbers(
                &store
                    .outbox_after(SequenceRead {
                        family: alex.id,
                        after: 3,
                        limit: 1
                    })
                    .await
                    .unwrap()
            ),
            [5]
        );
        assert_eq!(
            numbers(
                &store
                    .family_events(SequenceRead {
                        family: alex.id,
                        after: 0,
                        limit: 100
                    })
                    .await
                    .unwrap()
            ),
            [1, 2, 4]
        );
        assert_eq!(
            numbers(
                &store
                    .family_events(SequenceRead {
                        family: alex.id,
                        after: 1,
                        limit: 1
                    })
                    .await
                    .unwrap()
            ),
            [2]
        );
        subject = subject.reopen();
    }
    let store = subject.store();
    let next = store
        .apply(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target: ActionTarget::Activate(bed.id),
                actor: Actor::Parent,
            },
            at(9),
        )
        .await
        .unwrap();
    assert_eq!(next.sequence, 7);
    // Once every event is in the history, the history alone answers.
    for waiting in store.outbox().await.unwrap() {
        store.append(&waiting).await.unwrap();
        store
            .confirm_delivered(&[waiting.event.id()])
            .await
            .unwrap();
    }
    let subject = subject.reopen();
    let all = feed(&subject, alex.id, 0, 100).await;
    assert_eq!(numbers(&all), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(all[..6], alex_events[..]);
    assert_eq!(subject.store().family_sequence(alex.id).await.unwrap(), 7);
}

async fn concurrent_children_of_one_family_number_without_gaps<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.shared();
    store.create_user(&alex, &token(1)).await.unwrap();
    let kids: Vec<_> = (0..4)
        .map(|n| child(alex.id, &format!("Kid {n}"), 0))
        .collect();
    for kid in &kids {
        store.create_child(kid).await.unwrap();
    }
    let bed = task(alex.id, 1, true);
    store.create_task(&bed).await.unwrap();
    let writers: Vec<_> = (0..16_usize)
        .map(|writer| {
            let store = Arc::clone(&store);
            let (owner, kid, bed) = (alex.id, kids[writer % 4].id, bed.id);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for step in 0..6 {
                    let applied = store
                        .apply(
                            ChildAction {
                                owner,
                                child: kid,
                                target: ActionTarget::Activate(bed),
                                actor: Actor::Parent,
                            },
                            at(step),
                        )
                        .await
                        .unwrap();
                    mine.push((applied.sequence, applied.effect.event));
                }
                mine
            })
        })
        .collect();
    let mut recorded = Vec::new();
    for writer in writers {
        let mine = writer.await.unwrap();
        // One caller's events are numbered in the order it made them.
        assert!(mine.windows(2).all(|pair| pair[0].0 < pair[1].0));
        recorded.extend(mine);
    }
    recorded.sort_by_key(|(sequence, _)| *sequence);
    let expected: Vec<u64> = (1..=96).collect();
    assert_eq!(
        recorded.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        expected
    );
    // Half the events reach the history, in reverse order.
    for (sequence, event) in recorded.iter().rev().step_by(2) {
        let delivered = SequencedEvent {
            sequence: *sequence,
            event: event.clone(),
        };
        store.append(&delivered).await.unwrap();
        store.confirm_delivered(&[event.id()]).await.unwrap();
    }
    drop(store);
    let subject = subject.reopen();
    let all = feed(&subject, alex.id, 0, 500).await;
    assert_eq!(numbers(&all), expected);
    for (got, (sequence, event)) in all.iter().zip(&recorded) {
        assert_eq!((got.sequence, &got.event), (*sequence, event));
    }
    // Each child's events, in family order, form its points chain.
    for kid in &kids {
        let events: Vec<TrackingEvent> = all
            .iter()
            .filter(|event| event.event.child_id() == kid.id)
            .map(|event| event.event.clone())
            .collect();
        assert_chain(&events, 0, 24);
    }
    let pages: Vec<u64> = {
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = feed(&subject, alex.id, after, 7).await;
            let Some(last) = page.last() else { break };
            after = last.sequence;
            seen.extend(numbers(&page));
        }
        seen
    };
    assert_eq!(pages, expected);
}

/// The events waiting in the outbox, in commit order, without their numbers.
async fn outbox_events(store: &impl FamilyRepository) -> Vec<TrackingEvent> {
    store
        .outbox()
        .await
        .unwrap()
        .into_iter()
        .map(|waiting| waiting.event)
        .collect()
}

const DAY: i64 = 86_400_000;

/// Events of 3 children over about 200 days (across the clock changes of spring and autumn),
/// every kind with random amounts, many sharing a millisecond; in random order, so that most
/// arrive late.
fn summary_fixture(rng: &mut Rng) -> (Vec<TrackingEvent>, Vec<ChildId>) {
    let children: Vec<ChildId> = (0..3).map(|_| ChildId::generate()).collect();
    let mut events: Vec<TrackingEvent> = (0..300)
        .map(|_| {
            let (entity_type, action, sign) = KINDS[rng.usize(..KINDS.len())];
            let delta = sign.signum() * rng.i64(1..50);
            let occurred = if rng.u64(..4) == 0 {
                // Ties on the millisecond, and events on a local midnight.
                at(rng.i64(0..5) * DAY)
            } else {
                at(rng.i64(0..200 * DAY))
            };
            EventBuilder::new()
                .child(children[rng.usize(..3)])
                .user(if rng.bool() {
                    Some(UserId::generate())
                } else {
                    None
                })
                .action(entity_type, action, delta)
                .points_before(100)
                .occurred_at(occurred)
                .created_later_by(rng.i64(0..3))
                .build()
        })
        .collect();
    rng.shuffle(&mut events);
    (events, children)
}

fn random_summary_params(rng: &mut Rng) -> SummaryParams {
    let zones = [
        "UTC",
        "America/Los_Angeles",
        "Europe/Berlin",
        "Australia/Lord_Howe",
    ];
    let bound = |rng: &mut Rng| (rng.u64(..3) > 0).then(|| at(rng.i64(-DAY..201 * DAY)));
    SummaryParams {
        from: bound(rng),
        to: bound(rng),
        zone: Zone::named(zones[rng.usize(..zones.len())]).unwrap(),
        bucket: [
            None,
            Some(Bucket::Day),
            Some(Bucket::Week),
            Some(Bucket::Month),
        ][rng.usize(..4)],
    }
}

async fn assert_summaries_match<S: Subject>(
    subject: &S,
    rng: &mut Rng,
    events: &[TrackingEvent],
    children: &[ChildId],
    rounds: usize,
) {
    let mut unknown = children.to_vec();
    unknown.push(ChildId::generate());
    for _ in 0..rounds {
        let params = random_summary_params(rng);
        let child = unknown[rng.usize(..unknown.len())];
        let points = rng.i64(-5..50);
        let answer = subject
            .store()
            .child_summary(child, points, &params)
            .await
            .unwrap();
        let expected = summarize(child, points, &params, events).unwrap();
        assert_eq!(answer, expected, "{params:?}");
    }
}

async fn summaries_match_the_reference_fold<S: Subject>(subject: S) {
    let mut rng = seeded(0x5EED_0013);
    let (events, children) = summary_fixture(&mut rng);
    for event in &events {
        subject
            .store()
            .append(&common::numbered(event))
            .await
            .unwrap();
    }
    // Appending again changes no total.
    for event in events.iter().take(20) {
        subject
            .store()
            .append(&common::numbered(event))
            .await
            .unwrap();
    }
    let mut subject = subject;
    for _ in 0..2 {
        assert_summaries_match(&subject, &mut rng, &events, &children, 300).await;
        subject = subject.reopen();
    }
}

async fn summaries_survive_anonymization_and_take_late_events<S: Subject>(subject: S) {
    let mut rng = seeded(77);
    let (mut events, children) = summary_fixture(&mut rng);
    for event in &events {
        subject
            .store()
            .append(&common::numbered(event))
            .await
            .unwrap();
    }
    let gone = events.iter().find_map(TrackingEvent::user_id).unwrap();
    assert!(subject.store().anonymize_user(gone).await.unwrap() > 0);
    for event in &mut events {
        if event.user_id() == Some(gone) {
            *event = event.clone().anonymized();
        }
    }
    assert_summaries_match(&subject, &mut rng, &events, &children, 100).await;
    // Redelivered after a crash: events that order before everything stored, and between.
    for occurred in [at(-3 * DAY), at(0), at(17 * DAY + 5)] {
        let late = EventBuilder::new()
            .child(children[0])
            .action(EntityType::Penalty, Action::Activated, -7)
            .occurred_at(occurred)
            .build();
        subject
            .store()
            .append(&common::numbered(&late))
            .await
            .unwrap();
        events.push(late);
    }
    let mut subject = subject;
    for _ in 0..2 {
        assert_summaries_match(&subject, &mut rng, &events, &children, 150).await;
        subject = subject.reopen();
    }
}

async fn reading_on_by_key_visits_every_match_once<S: Subject>(subject: S) {
    let mut rng = seeded(0x00EC_50E7);
    let (events, users, children) = history_fixture(&mut rng);
    for event in &events {
        subject
            .store()
            .append(&common::numbered(event))
            .await
            .unwrap();
    }
    let store = subject.store();
    for _ in 0..60 {
        let mut query = random_query(&mut rng, &users, &children);
        query.offset = Some(rng.u64(..5));
        let all = TrackingQuery {
            limit: Some(500),
            offset: Some(0),
            ..query.clone()
        };
        let (expected, _) = reference(&events, &all);
        let mut read = Vec::new();
        let mut after = None;
        loop {
            let batch = store.query_after(&query, after).await.unwrap();
            assert!(batch.len() <= query.limit() as usize);
            let Some(last) = batch.last() else { break };
            after = Some(last.order_key());
            read.extend(batch);
        }
        assert_eq!(ids(&read), ids(&expected), "{query:?}");
    }
    // A key that no event has still splits the order where it falls.
    let middle: Timestamp = at(30_000);
    let query = TrackingQuery {
        limit: Some(500),
        ..TrackingQuery::default()
    };
    let after = (middle, middle, EventId::generate());
    let batch = store.query_after(&query, Some(after)).await.unwrap();
    let (all, _) = reference(&events, &query);
    let expected: Vec<TrackingEvent> = all
        .into_iter()
        .filter(|event| event.order_key() > after)
        .collect();
    assert_eq!(ids(&batch), ids(&expected));
}

async fn child_tokens_belong_to_their_child_and_die_with_it<S: Subject>(subject: S) {
    let (alex, other) = (user("Alex"), user("Other"));
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    store.create_user(&other, &token(2)).await.unwrap();
    let (kim, lee) = (child(alex.id, "Kim", 20), child(alex.id, "Lee", 0));
    let stranger = child(other.id, "Stranger", 0);
    for kid in [&kim, &lee, &stranger] {
        store.create_child(kid).await.unwrap();
    }
    let ice = reward(alex.id, 10);
    store.create_reward(&ice).await.unwrap();
    store
        .add_child_token(alex.id, kim.id, &token(10))
        .await
        .unwrap();
    store
        .add_child_token(alex.id, kim.id, &token(11))
        .await
        .unwrap();
    store
        .add_child_token(alex.id, lee.id, &token(12))
        .await
        .unwrap();
    assert!(matches!(
        store.add_child_token(other.id, kim.id, &token(13)).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store
            .add_child_token(alex.id, stranger.id, &token(13))
            .await,
        Err(FamilyError::NotFound)
    ));
    for taken in [token(1), token(10)] {
        assert!(matches!(
            store.add_child_token(alex.id, lee.id, &taken).await,
            Err(FamilyError::Duplicate)
        ));
    }
    assert!(matches!(
        store.create_user(&user("New"), &token(11)).await,
        Err(FamilyError::Duplicate)
    ));
    let by_kim = store
        .apply(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target: ActionTarget::Request(ice.id),
                actor: Actor::Child,
            },
            at(0),
        )
        .await
        .unwrap();
    assert_eq!(by_kim.effect.event.metadata().unwrap().actor, Actor::Child);

    let subject = subject.reopen();
    let store = subject.store();
    assert_eq!(
        store.outbox().await.unwrap()[0]
            .event
            .metadata()
            .unwrap()
            .actor,
        Actor::Child
    );
    assert_eq!(
        store.token_holder(&token(1)).await.unwrap(),
        TokenHolder::Parent(alex.clone())
    );
    for kims in [token(10), token(11)] {
        assert_eq!(
            store.token_holder(&kims).await.unwrap(),
            TokenHolder::Child(store.get_child(alex.id, kim.id).await.unwrap())
        );
    }
    assert_eq!(
        store.token_holder(&token(12)).await.unwrap(),
        TokenHolder::Child(lee.clone())
    );
    assert!(matches!(
        store.token_holder(&token(13)).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.user_by_token(&token(10)).await,
        Err(FamilyError::NotFound)
    ));

    store.revoke_child_tokens(alex.id, kim.id).await.unwrap();
    assert!(matches!(
        store.revoke_child_tokens(other.id, lee.id).await,
        Err(FamilyError::NotFound)
    ));
    store
        .add_child_token(alex.id, lee.id, &token(14))
        .await
        .unwrap();
    store
        .add_child_token(other.id, stranger.id, &token(15))
        .await
        .unwrap();
    let subject = subject.reopen();
    let store = subject.store();
    for revoked in [token(10), token(11)] {
        assert!(matches!(
            store.token_holder(&revoked).await,
            Err(FamilyError::NotFound)
        ));
    }
    for lees in [token(12), token(14)] {
        assert_eq!(
            store.token_holder(&lees).await.unwrap(),
            TokenHolder::Child(lee.clone())
        );
    }
    assert_eq!(
        store.token_holder(&token(15)).await.unwrap(),
        TokenHolder::Child(stranger.clone())
    );

    store.delete_child(alex.id, lee.id).await.unwrap();
    store.delete_user(other.id).await.unwrap();
    let subject = subject.reopen();
    let store = subject.store();
    for gone in [token(2), token(12), token(14), token(15)] {
        assert!(matches!(
            store.token_holder(&gone).await,
            Err(FamilyError::NotFound)
        ));
    }
    assert_eq!(
        store.token_holder(&token(1)).await.unwrap(),
        TokenHolder::Parent(alex)
    );
}

/// `owner`'s key `key` for the request `fingerprint`, arriving at `at`.
fn key(owner: &str, key: &str, fingerprint: &str, at: Timestamp) -> IdempotencyKey {
    IdempotencyKey {
        owner: owner.into(),
        key: key.into(),
        fingerprint: fingerprint.into(),
        family: None,
        at,
    }
}

/// Keeps successes (the event id as the body) and refusals (409), as the HTTP layer does.
/// The answers kept under a key, for the store under test.
fn render() -> RenderAnswer<Applied> {
    Arc::new(answer_of)
}

fn answer_of(done: Result<&Applied, &FamilyError>) -> Option<StoredAnswer> {
    match done {
        Ok(applied) => Some(StoredAnswer {
            status: 200,
            body: applied.effect.event.id().to_string(),
        }),
        Err(FamilyError::Refused(refusal)) => Some(StoredAnswer {
            status: 409,
            body: refusal.to_string(),
        }),
        Err(_) => None,
    }
}

async fn keyed_requests_replay_their_first_answer<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.store();
    let created = StoredAnswer {
        status: 201,
        body: "alex".into(),
    };
    let admin_key = key("admin", "make-alex", "POST /admin/users", at(0));
    let first = store
        .create_keyed(
            Created::User(&alex, &token(1)),
            Keying::answering(&admin_key, created.clone()),
        )
        .await
        .unwrap();
    assert_eq!(first, Keyed::Fresh(()));
    // A retry with another generated user is not created: it gets the first answer.
    let again = store
        .create_keyed(
            Created::User(&user("Alex"), &token(2)),
            Keying::answering(&admin_key, created.clone()),
        )
        .await
        .unwrap();
    assert_eq!(again, Keyed::Replayed(created.clone()));
    assert_eq!(store.list_users().await.unwrap(), vec![alex.clone()]);

    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    store.create_child(&kim).await.unwrap();
    store.create_task(&bed).await.unwrap();
    let owner = format!("user:{}", alex.id);
    let done = key(&owner, "tap-1", "POST /activate bed", at(10));
    let target = ActionTarget::Activate(bed.id);
    let Keyed::Fresh(applied) = store
        .apply_keyed(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target,
                actor: Actor::Parent,
            },
            Keying {
                key: &done,
                render: render(),
            },
        )
        .await
        .unwrap()
    else {
        panic!("the first request is performed");
    };
    let answer = StoredAnswer {
        status: 200,
        body: applied.effect.event.id().to_string(),
    };
    let subject = subject.reopen();
    let store = subject.store();
    for _ in 0..2 {
        let retry = store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent,
                },
                Keying {
                    key: &done,
                    render: render(),
                },
            )
            .await
            .unwrap();
        assert_eq!(retry, Keyed::Replayed(answer.clone()));
    }
    assert_eq!(store.get_child(alex.id, kim.id).await.unwrap().points, 5);
    assert_eq!(store.outbox_len().await.unwrap(), 1);
    // The same key for another request is refused and changes nothing.
    let other = key(&owner, "tap-1", "POST /activate other", at(11));
    assert_eq!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent
                },
                Keying {
                    key: &other,
                    render: render()
                }
            )
            .await
            .unwrap(),
        Keyed::Reused
    );
    let user_for_other_request = key(&owner, "tap-1", "POST /admin/users", at(11));
    assert_eq!(
        store
            .create_keyed(
                Created::User(&user("Eve"), &token(3)),
                Keying::answering(&user_for_other_request, created)
            )
            .await
            .unwrap(),
        Keyed::Reused
    );
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    // Keys belong to their owner: another's same key is another request.
    let someone_else = key("user:someone", "tap-1", "POST /activate bed", at(12));
    assert!(matches!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent
                },
                Keying {
                    key: &someone_else,
                    render: render()
                }
            )
            .await
            .unwrap(),
        Keyed::Fresh(_)
    ));
    assert_eq!(store.get_child(alex.id, kim.id).await.unwrap().points, 10);
    assert_eq!(store.outbox_len().await.unwrap(), 2);
}

async fn keyed_refusals_are_kept_or_judged_afresh<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    let kim = child(alex.id, "Kim", 0);
    let ice = reward(alex.id, 20);
    store.create_child(&kim).await.unwrap();
    store.create_reward(&ice).await.unwrap();
    let owner = format!("user:{}", alex.id);
    let redeem = ActionTarget::Redeem(ice.id);
    let refused = key(&owner, "redeem-1", "POST /redeem ice", at(0));
    assert!(matches!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target: redeem,
                    actor: Actor::Parent
                },
                Keying {
                    key: &refused,
                    render: render()
                }
            )
            .await,
        Err(FamilyError::Refused(Refusal::InsufficientPoints { .. }))
    ));
    let subject = subject.reopen();
    let store = subject.store();
    let Keyed::Replayed(answer) = store
        .apply_keyed(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target: redeem,
                actor: Actor::Parent,
            },
            Keying {
                key: &refused,
                render: render(),
            },
        )
        .await
        .unwrap()
    else {
        panic!("a kept refusal is replayed");
    };
    assert_eq!(answer.status, 409);
    assert_eq!(store.outbox_len().await.unwrap(), 0);

    // A not-found answer is not kept: the key is free for a corrected request.
    let missing = ActionTarget::Redeem(tracking_model::RewardId::generate());
    let lost = key(&owner, "redeem-2", "POST /redeem missing", at(1));
    assert!(matches!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target: missing,
                    actor: Actor::Parent
                },
                Keying {
                    key: &lost,
                    render: render()
                }
            )
            .await,
        Err(FamilyError::NotFound)
    ));
    let bed = task(alex.id, 5, true);
    store.create_task(&bed).await.unwrap();
    let corrected = key(&owner, "redeem-2", "POST /activate bed", at(2));
    let request = ActionTarget::Activate(bed.id);
    assert!(matches!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target: request,
                    actor: Actor::Parent
                },
                Keying {
                    key: &corrected,
                    render: render()
                }
            )
            .await
            .unwrap(),
        Keyed::Fresh(_)
    ));
    assert_eq!(store.outbox_len().await.unwrap(), 1);
}

async fn keys_expire_after_a_day<S: Subject>(subject: S) {
    let alex = user("Alex");
    let store = subject.store();
    store.create_user(&alex, &token(1)).await.unwrap();
    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    store.create_child(&kim).await.unwrap();
    store.create_task(&bed).await.unwrap();
    let owner = format!("user:{}", alex.id);
    let target = ActionTarget::Activate(bed.id);
    let first = key(&owner, "daily", "POST /activate bed", at(0));
    store
        .apply_keyed(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target,
                actor: Actor::Parent,
            },
            Keying {
                key: &first,
                render: render(),
            },
        )
        .await
        .unwrap();
    let last_moment = key(
        &owner,
        "daily",
        "POST /activate bed",
        at(KEY_LIFETIME_MILLIS - 1),
    );
    assert!(matches!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent
                },
                Keying {
                    key: &last_moment,
                    render: render()
                }
            )
            .await
            .unwrap(),
        Keyed::Replayed(_)
    ));
    let subject = subject.reopen();
    let store = subject.store();
    let next_day = key(
        &owner,
        "daily",
        "POST /activate bed",
        at(KEY_LIFETIME_MILLIS),
    );
    assert!(matches!(
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent
                },
                Keying {
                    key: &next_day,
                    render: render()
                }
            )
            .await
            .unwrap(),
        Keyed::Fresh(_)
    ));
    assert_eq!(store.get_child(alex.id, kim.id).await.unwrap().points, 10);
}
