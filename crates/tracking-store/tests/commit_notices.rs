//! Commit notices between two stores on one schema (as two servers on one database): a listener
//! on one hears the families whose actions commit on the other, hears nothing of a refused
//! action, and reports `Missed` whenever it (re)connects, also after its connection is killed.

#![cfg(feature = "postgres")]

mod common;
mod postgres;

use std::time::Duration;

use tokio::sync::mpsc;
use tracking_model::{Actor, TaskId, Timestamp, UserId};
use tracking_store::{
    ActionTarget, ChildAction, CommitNotice, FamilyError, FamilyRepository, PostgresStore,
};

/// Long enough for any machine; a notice that never comes fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

async fn next(notices: &mut mpsc::UnboundedReceiver<CommitNotice>) -> CommitNotice {
    tokio::time::timeout(PATIENCE, notices.recv())
        .await
        .expect("a commit notice arrives")
        .expect("the listener is running")
}

/// A family with one child and one task in `store`.
async fn family(store: &PostgresStore) -> (UserId, tracking_model::ChildId, TaskId) {
    let user = common::user("Parent");
    store
        .create_user(&user, &common::token(rand_seed(user.id)))
        .await
        .unwrap();
    let child = common::child(user.id, "Kid", 0);
    store.create_child(&child).await.unwrap();
    let task = common::task(user.id, 5, true);
    store.create_task(&task).await.unwrap();
    (user.id, child.id, task.id)
}

fn rand_seed(user: UserId) -> u8 {
    user.to_string()
        .bytes()
        .fold(0u8, |seed, byte| seed.wrapping_add(byte))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_hears_the_families_committed_on_another_store() {
    let schema = postgres::TestSchema::new();
    let writer = PostgresStore::connect(&schema.options()).await.unwrap();
    let reader = PostgresStore::connect(&schema.options()).await.unwrap();
    let (sender, mut notices) = mpsc::unbounded_channel();
    let _listener = reader.listen_for_commits(move |notice| {
        let _ = sender.send(notice);
    });
    assert_eq!(next(&mut notices).await, CommitNotice::Missed);

    let (first, first_child, first_task) = family(&writer).await;
    let (second, second_child, second_task) = family(&writer).await;
    // Refused before it commits: no notice.
    let refused = writer
        .apply(
            ChildAction {
                owner: first,
                child: first_child,
                target: ActionTarget::Activate(TaskId::generate()),
                actor: Actor::Parent,
            },
            Timestamp::now(),
        )
        .await;
    assert!(matches!(refused, Err(FamilyError::NotFound)), "{refused:?}");
    writer
        .apply(
            ChildAction {
                owner: first,
                child: first_child,
                target: ActionTarget::Activate(first_task),
                actor: Actor::Parent,
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    writer
        .apply(
            ChildAction {
                owner: second,
                child: second_child,
                target: ActionTarget::Activate(second_task),
                actor: Actor::Parent,
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(next(&mut notices).await, CommitNotice::Family(first));
    assert_eq!(next(&mut notices).await, CommitNotice::Family(second));

    reader.close().await;
    writer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_whose_connection_dies_reconnects_and_reports_what_it_may_have_missed() {
    let schema = postgres::TestSchema::new();
    let writer = PostgresStore::connect(&schema.options()).await.unwrap();
    let reader = PostgresStore::connect(&schema.options()).await.unwrap();
    let (sender, mut notices) = mpsc::unbounded_channel();
    let _listener = reader.listen_for_commits(move |notice| {
        let _ = sender.send(notice);
    });
    assert_eq!(next(&mut notices).await, CommitNotice::Missed);
    let (owner, child, task) = family(&writer).await;

    // The listening connection is the one whose last statement listened to this schema's channel.
    let channel: String = sqlx::query_scalar("SELECT 'tracking_committed_' || current_schema()")
        .fetch_one(writer.pool())
        .await
        .unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query LIKE 'LISTEN%' AND query LIKE '%' || $1 || '%'",
    )
    .bind(&channel)
    .fetch_all(writer.pool())
    .await
    .unwrap();
    assert_eq!(killed, vec![true]);
    assert_eq!(next(&mut notices).await, CommitNotice::Missed);

    writer
        .apply(
            ChildAction {
                owner,
                child,
                target: ActionTarget::Activate(task),
                actor: Actor::Parent,
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(next(&mut notices).await, CommitNotice::Family(owner));

    reader.close().await;
    writer.close().await;
}
