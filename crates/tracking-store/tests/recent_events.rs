//! The file store keeps its latest appended events whole for the readers that follow a family's
//! sequence (the audit follower, the live streams): what they read from memory is what the lines
//! hold, before and after the oldest fall out of memory.

mod common;

use common::append_unsynced_events;
use tracking_model::{SequencedEvent, UserId};
use tracking_store::{FileStore, FileStoreOptions, SequenceRead, TrackingRepository};

/// More events than the store keeps whole.
const EVENTS: u64 = 5_000;

async fn whole_family(store: &FileStore, family: UserId) -> Vec<SequencedEvent> {
    store
        .family_events(SequenceRead {
            family,
            after: 0,
            limit: usize::MAX,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_latest_events_read_from_memory_equal_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let parent = UserId::generate();
    let appended = append_unsynced_events(&store, parent, EVENTS).await;
    let read = whole_family(&store, parent).await;
    assert_eq!(read, appended);
    let tail = store
        .family_events(SequenceRead {
            family: parent,
            after: EVENTS - 10,
            limit: 5,
        })
        .await
        .unwrap();
    assert_eq!(
        tail,
        appended[(EVENTS - 10) as usize..(EVENTS - 5) as usize]
    );

    store.sync().await.unwrap();
    store.close().unwrap();
    drop(store);
    let reopened = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    assert_eq!(whole_family(&reopened, parent).await, appended);
}
