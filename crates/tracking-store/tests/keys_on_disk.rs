//! Idempotency keys in the file store: a key and its mutation are one journal line, so a crash
//! keeps both or neither; compaction leaves expired keys behind.

mod common;

use std::path::Path;

use common::{child, task, token, user};
use tracking_model::{Actor, Timestamp};
use tracking_store::{
    ActionTarget, Applied, ChildAction, FamilyError, FamilyRepository, FileStore, FileStoreOptions,
    IdempotencyKey, JOURNAL_FILE, KEY_LIFETIME_MILLIS, Keyed, Keying, RenderAnswer, SNAPSHOT_FILE,
    StoredAnswer,
};

fn open(dir: &Path, compact_after_bytes: u64) -> FileStore {
    let options = FileStoreOptions {
        compact_after_bytes,
        ..FileStoreOptions::default()
    };
    FileStore::open(dir, options).unwrap()
}

fn key(key: &str, at: Timestamp) -> IdempotencyKey {
    IdempotencyKey {
        owner: "user:alex".into(),
        key: key.into(),
        fingerprint: "POST /children/kim/tasks/bed/activate".into(),
        family: None,
        at,
    }
}

/// The answers kept under a key, for the store under test.
fn render() -> RenderAnswer<Applied> {
    std::sync::Arc::new(answer_of)
}

fn answer_of(done: Result<&Applied, &FamilyError>) -> Option<StoredAnswer> {
    done.ok().map(|applied| StoredAnswer {
        status: 200,
        body: applied.effect.event.id().to_string(),
    })
}

#[tokio::test]
async fn a_crash_keeps_a_key_and_its_mutation_together_or_neither() {
    let source = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    let target = ActionTarget::Activate(bed.id);
    let tap = key("tap", Timestamp::now());
    {
        let store = open(source.path(), u64::MAX);
        store.create_user(&alex, &token(1)).await.unwrap();
        store.create_child(&kim).await.unwrap();
        store.create_task(&bed).await.unwrap();
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent,
                },
                Keying {
                    key: &tap,
                    render: render(),
                },
            )
            .await
            .unwrap();
    }
    let bytes = std::fs::read(source.path().join(JOURNAL_FILE)).unwrap();
    let last = String::from_utf8_lossy(&bytes)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let line: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(line["op"], "keyed");
    assert_eq!(line["idempotency"]["key"], "tap");
    assert_eq!(line["change"]["op"], "applied");
    let start = bytes.len() - last.len() - 1;
    for cut in start..=bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(JOURNAL_FILE), &bytes[..cut]).unwrap();
        let store = open(dir.path(), u64::MAX);
        let whole = cut == bytes.len();
        // The retry either replays the answer or performs the request for the first time.
        let retry = store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent,
                },
                Keying {
                    key: &tap,
                    render: render(),
                },
            )
            .await
            .unwrap();
        assert_eq!(matches!(retry, Keyed::Replayed(_)), whole, "cut at {cut}");
        assert_eq!(matches!(retry, Keyed::Fresh(_)), !whole, "cut at {cut}");
        assert_eq!(store.get_child(alex.id, kim.id).await.unwrap().points, 5);
        assert_eq!(store.outbox_len().await.unwrap(), 1, "cut at {cut}");
    }
}

#[tokio::test]
async fn compaction_drops_expired_keys_and_keeps_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let kim = child(alex.id, "Kim", 0);
    let bed = task(alex.id, 5, true);
    let target = ActionTarget::Activate(bed.id);
    let yesterday = Timestamp::now()
        .plus_millis(-KEY_LIFETIME_MILLIS - 1000)
        .unwrap();
    {
        let store = open(dir.path(), u64::MAX);
        store.create_user(&alex, &token(1)).await.unwrap();
        store.create_child(&kim).await.unwrap();
        store.create_task(&bed).await.unwrap();
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent,
                },
                Keying {
                    key: &key("stale-key", yesterday),
                    render: render(),
                },
            )
            .await
            .unwrap();
    }
    {
        let store = open(dir.path(), 1);
        store
            .apply_keyed(
                ChildAction {
                    owner: alex.id,
                    child: kim.id,
                    target,
                    actor: Actor::Parent,
                },
                Keying {
                    key: &key("fresh-key", Timestamp::now()),
                    render: render(),
                },
            )
            .await
            .unwrap();
    }
    let snapshot = std::fs::read_to_string(dir.path().join(SNAPSHOT_FILE)).unwrap();
    assert!(snapshot.contains("fresh-key"));
    assert!(!snapshot.contains("stale-key"));
    assert_eq!(
        std::fs::metadata(dir.path().join(JOURNAL_FILE))
            .unwrap()
            .len(),
        0
    );
    let store = open(dir.path(), u64::MAX);
    let replay = store
        .apply_keyed(
            ChildAction {
                owner: alex.id,
                child: kim.id,
                target,
                actor: Actor::Parent,
            },
            Keying {
                key: &key("fresh-key", Timestamp::now()),
                render: render(),
            },
        )
        .await
        .unwrap();
    assert!(matches!(replay, Keyed::Replayed(_)));
    assert_eq!(store.get_child(alex.id, kim.id).await.unwrap().points, 10);
}
