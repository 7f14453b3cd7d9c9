//! The family journal compacted while writers keep appending: the snapshot is written beside the
//! appends, the journal then keeps exactly the lines written since, and nothing is lost.

mod common;

use std::sync::Arc;

use common::{child, task, token, user};
use tracking_model::Timestamp;
use tracking_store::{FamilyRepository, FileStore, FileStoreOptions, JOURNAL_FILE, SNAPSHOT_FILE};

const CHILDREN: usize = 8;
const ACTIVATIONS: usize = 40;

fn seq_of(line: &str) -> u64 {
    let record: serde_json::Value = serde_json::from_str(line).unwrap();
    record["seq"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lines_written_while_a_snapshot_is_written_are_kept_and_covered_ones_cut() {
    let dir = tempfile::tempdir().unwrap();
    // Every round past the first line starts or finishes a compaction.
    let always = FileStoreOptions {
        compact_after_bytes: 1,
        ..FileStoreOptions::default()
    };
    let store = Arc::new(FileStore::open(dir.path(), always.clone()).unwrap());
    let parent = user("Alex");
    store.create_user(&parent, &token(1)).await.unwrap();
    let chore = task(parent.id, 5, true);
    store.create_task(&chore).await.unwrap();
    let mut kids = Vec::new();
    for number in 0..CHILDREN {
        let kid = child(parent.id, &format!("Kid {number}"), 0);
        store.create_child(&kid).await.unwrap();
        kids.push(kid);
    }
    let writers: Vec<_> = kids
        .iter()
        .map(|kid| {
            let (store, kid) = (Arc::clone(&store), kid.id);
            tokio::spawn(async move {
                for _ in 0..ACTIVATIONS {
                    store
                        .apply(
                            common::activation(parent.id, kid, chore.id),
                            Timestamp::now(),
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
    store.close().unwrap();

    let snapshot: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(SNAPSHOT_FILE)).unwrap()).unwrap();
    let covered = snapshot["last_seq"].as_u64().unwrap();
    let journal = std::fs::read_to_string(dir.path().join(JOURNAL_FILE)).unwrap();
    let kept: Vec<u64> = journal.lines().map(seq_of).collect();
    assert!(
        kept.iter().all(|&seq| seq > covered),
        "the journal keeps lines the snapshot covers (up to {covered}): {kept:?}"
    );
    assert!(
        kept.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "the journal's lines are not consecutive: {kept:?}"
    );
    assert!(
        !dir.path().join(format!("{JOURNAL_FILE}.tmp")).exists(),
        "a cut left its temporary file"
    );

    let store = FileStore::open(dir.path(), always).unwrap();
    for kid in &kids {
        let points = store.get_child(parent.id, kid.id).await.unwrap().points;
        assert_eq!(points, 5 * ACTIVATIONS as i64, "{}", kid.name);
    }
    assert_eq!(
        store.outbox_len().await.unwrap(),
        (CHILDREN * ACTIVATIONS) as u64
    );
}
