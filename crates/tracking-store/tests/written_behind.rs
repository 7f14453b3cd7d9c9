//! In durable mode the history writes its lines behind: an append that does not wait leaves its
//! line in memory for the next sync round, and every read takes the event from memory until the
//! line is in the file. Nothing is missed by a read, by an anonymization's copy, or by a reopen.

mod common;

use common::append_unsynced_events;
use tracking_model::{SequencedEvent, TrackingEvent, TrackingQuery, UserId};
use tracking_store::{FileStore, FileStoreOptions, HISTORY_FILE, HistoryError, TrackingRepository};

fn file_holds(dir: &std::path::Path, event: &TrackingEvent) -> bool {
    let bytes = std::fs::read(dir.join(HISTORY_FILE)).unwrap();
    let id = event.id().to_string();
    bytes
        .windows(id.len())
        .any(|window| window == id.as_bytes())
}

async fn read(store: &FileStore, event: &TrackingEvent) -> Result<TrackingEvent, HistoryError> {
    store.get(event.id()).await
}

#[tokio::test]
async fn a_line_written_behind_is_read_from_memory_until_a_sync_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let family = UserId::generate();
    let appended = append_unsynced_events(&store, family, 3).await;
    let last = &appended[2].event;

    assert!(!file_holds(dir.path(), last), "the line waits in memory");
    assert_eq!(&read(&store, last).await.unwrap(), last);
    let page = store
        .query(&TrackingQuery {
            child_id: Some(last.child_id()),
            ..TrackingQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 3);

    store.sync().await.unwrap();
    assert!(file_holds(dir.path(), last));
    store.close().unwrap();
}

#[tokio::test]
async fn lines_nobody_waits_for_reach_the_file_without_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    // More lines than a log keeps behind, and than the index keeps whole.
    let appended = append_unsynced_events(&store, UserId::generate(), 5_000).await;

    assert!(file_holds(dir.path(), &appended[0].event));
    for sequenced in &appended {
        assert_eq!(
            read(&store, &sequenced.event).await.unwrap(),
            sequenced.event
        );
    }
    store.close().unwrap();
}

#[tokio::test]
async fn an_anonymization_copies_the_lines_written_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let (leaving, staying) = (UserId::generate(), UserId::generate());
    let gone = append_unsynced_events(&store, leaving, 4).await;
    let kept = append_unsynced_events(&store, staying, 4).await;
    assert!(!file_holds(dir.path(), &kept[3].event));

    assert_eq!(store.anonymize_user(leaving).await.unwrap(), 4);

    assert_anonymized(&store, &gone, &kept).await;
    store.close().unwrap();
    drop(store);
    let reopened = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    assert_anonymized(&reopened, &gone, &kept).await;
}

async fn assert_anonymized(store: &FileStore, gone: &[SequencedEvent], kept: &[SequencedEvent]) {
    for sequenced in gone {
        let event = read(store, &sequenced.event).await.unwrap();
        assert_eq!(event, sequenced.event.clone().anonymized());
    }
    for sequenced in kept {
        assert_eq!(
            read(store, &sequenced.event).await.unwrap(),
            sequenced.event
        );
    }
}
