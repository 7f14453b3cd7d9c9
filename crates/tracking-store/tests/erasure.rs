//! Once a deleted user's erasure is confirmed, no file of the store names the user any more.

mod common;

use common::{at, child, task, token, user};
use tracking_store::{
    FamilyRepository, FileStore, FileStoreOptions, HISTORY_FILE, JOURNAL_FILE, SNAPSHOT_FILE,
    TrackingRepository,
};

#[tokio::test]
async fn a_confirmed_erasure_leaves_no_trace_of_the_user_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    let gone = user("Quentin Erasable");
    let kept = user("Kept Parent");
    for (parent, seed) in [(&gone, 1), (&kept, 2)] {
        store.create_user(parent, &token(seed)).await.unwrap();
        let kid = child(parent.id, "Kid", 0);
        store.create_child(&kid).await.unwrap();
        let chore = task(parent.id, 5, true);
        store.create_task(&chore).await.unwrap();
        for step in 0..3 {
            let effect = store
                .apply(common::activation(parent.id, kid.id, chore.id), at(step))
                .await
                .unwrap();
            store.append(&common::recorded(&effect)).await.unwrap();
            store
                .confirm_delivered(&[effect.effect.event.id()])
                .await
                .unwrap();
        }
    }
    store.delete_user(gone.id).await.unwrap();
    store.anonymize_user(gone.id).await.unwrap();
    store.user_anonymized(gone.id).await.unwrap();

    let id = gone.id.to_string();
    for file in [HISTORY_FILE, JOURNAL_FILE, SNAPSHOT_FILE] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap_or_default();
        assert!(
            !text.contains(&id),
            "{file} still names the deleted user's id"
        );
        assert!(
            !text.contains("Quentin Erasable"),
            "{file} still names the deleted user"
        );
    }
    drop(store);
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    assert_eq!(store.list_users().await.unwrap(), vec![kept]);
}
