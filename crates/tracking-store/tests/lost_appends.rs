//! On PostgreSQL a history append answers before it is on disk, so a database that crashes and
//! comes back between an append and its confirmation has lost the append while the confirmation
//! still arrives: the outbox must keep every event the history does not hold, or the event is
//! gone from both and its family's numbers have a gap that the audit files and the live streams
//! wait at forever. The state after such a crash is built here directly: the event committed, its
//! append absent, its confirmation sent.

#![cfg(feature = "postgres")]

mod common;
mod postgres;

use tracking_model::SequencedEvent;
use tracking_store::{
    FamilyRepository, PostgresStore, SequenceRead, TrackingRepository, family_events_after,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_keeps_the_events_the_history_lost() {
    let schema = postgres::TestSchema::new();
    let store = PostgresStore::connect(&schema.options()).await.unwrap();
    let parent = common::user("Parent");
    store.create_user(&parent, &common::token(7)).await.unwrap();
    let kid = common::child(parent.id, "Kid", 0);
    store.create_child(&kid).await.unwrap();
    let chore = common::task(parent.id, 3, true);
    store.create_task(&chore).await.unwrap();
    let mut recorded: Vec<SequencedEvent> = Vec::new();
    for step in 0..3 {
        let applied = store
            .apply(
                common::activation(parent.id, kid.id, chore.id),
                common::at(step),
            )
            .await
            .unwrap();
        recorded.push(common::recorded(&applied));
    }

    // The first and the last reach the history; the second's append was lost.
    store.append(&recorded[0]).await.unwrap();
    store.append(&recorded[2]).await.unwrap();
    let ids: Vec<_> = recorded
        .iter()
        .map(|numbered| numbered.event.id())
        .collect();
    store.confirm_delivered(&ids).await.unwrap();

    assert_eq!(store.outbox().await.unwrap(), vec![recorded[1].clone()]);
    let all = SequenceRead {
        family: parent.id,
        after: 0,
        limit: 10,
    };
    assert_eq!(
        family_events_after(&store, &store, all).await.unwrap(),
        recorded,
        "the family's events, read without a gap"
    );

    // Delivered again, it is confirmed like any other.
    store.append(&recorded[1]).await.unwrap();
    store.confirm_delivered(&ids[1..2]).await.unwrap();
    assert_eq!(store.outbox_len().await.unwrap(), 0);
}
