//! An explicit close, while other handles to the store remain: later writes fail, what was
//! written is kept, and the data directory opens again at once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{at, child, task, token, user};
use tracking_model::Actor;
use tracking_store::{
    ActionTarget, ChildAction, Durability, FamilyRepository, FileStore, FileStoreOptions,
    TrackingRepository,
};

async fn close_then_reopen(durability: Durability) {
    let dir = tempfile::tempdir().unwrap();
    let options = FileStoreOptions {
        durability,
        ..FileStoreOptions::default()
    };
    let store = Arc::new(FileStore::open(dir.path(), options.clone()).unwrap());
    let still_held = Arc::clone(&store);
    let parent = user("Alex");
    store.create_user(&parent, &token(1)).await.unwrap();
    let kid = child(parent.id, "Sam", 0);
    store.create_child(&kid).await.unwrap();
    let chore = task(parent.id, 5, true);
    store.create_task(&chore).await.unwrap();
    let effect = store
        .apply(common::activation(parent.id, kid.id, chore.id), at(1_000))
        .await
        .unwrap();
    store.append(&common::recorded(&effect)).await.unwrap();

    store.close().unwrap();

    assert!(
        still_held
            .create_user(&user("Late"), &token(2))
            .await
            .is_err(),
        "a family write after close fails"
    );
    assert!(
        still_held
            .apply(
                ChildAction {
                    owner: parent.id,
                    child: kid.id,
                    target: ActionTarget::Activate(chore.id),
                    actor: Actor::Parent
                },
                at(2_000)
            )
            .await
            .is_err(),
        "a tracked mutation after close fails"
    );
    assert!(still_held.anonymize_user(parent.id).await.is_err());
    let reopened = FileStore::open(dir.path(), options).expect("the directory is free at once");
    assert_eq!(
        reopened.get_child(parent.id, kid.id).await.unwrap().points,
        5
    );
    assert_eq!(
        reopened.get(effect.effect.event.id()).await.unwrap(),
        effect.effect.event,
        "the history kept the event"
    );
    assert_eq!(reopened.list_users().await.unwrap(), vec![parent]);
    drop(still_held);
    drop(store);
    reopened
        .create_user(&user("Later"), &token(3))
        .await
        .expect("dropping the closed handles leaves the new store alone");
}

#[tokio::test]
async fn a_closed_durable_store_refuses_writes_and_reopens_at_once() {
    close_then_reopen(Durability::Durable).await;
}

#[tokio::test]
async fn a_closed_interval_store_refuses_writes_and_reopens_at_once() {
    close_then_reopen(Durability::Interval(Duration::from_secs(3600))).await;
}
