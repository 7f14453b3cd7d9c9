//! The file store keeps its latest appended events whole for the readers that follow a family's
//! sequence (the audit follower, the live streams): what they read from memory is what the lines
//! hold, before and after the oldest fall out of memory.

use tracking_model::test_support::EventBuilder;
use tracking_model::{ChildId, SequencedEvent, Timestamp, UserId};
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
    let child = ChildId::generate();
    let mut appended = Vec::new();
    for sequence in 1..=EVENTS {
        let event = EventBuilder::new()
            .kind(sequence as usize)
            .user(parent)
            .child(child)
            .occurred_at(Timestamp::from_unix_millis(1_700_000_000_000 + sequence as i64).unwrap())
            .build();
        let sequenced = SequencedEvent { sequence, event };
        store.append_unsynced(&sequenced).await.unwrap();
        appended.push(sequenced);
    }
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
