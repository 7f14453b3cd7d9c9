//! The on-disk format of the family data: a snapshot and a journal written as `docs/storage.md`
//! describes them (the store's framing spelled out here as text, the records in the contract's
//! JSON) open with every record, so data directories of earlier versions keep working.

mod common;

use common::{at, child, reward, task, token, user};
use serde_json::json;
use tracking_model::{
    Actor, Effect, Moments, RewardRequestStatus, SequencedEvent, TrackedAction, TrackingEvent,
    decide,
};
use tracking_store::{
    ActionTarget, ChildAction, FamilyError, FamilyRepository, FileStore, FileStoreOptions,
    HISTORY_FILE, JOURNAL_FILE, SNAPSHOT_FILE, SequenceRead, TokenHolder, TrackingRepository,
    family_events_after,
};

fn moments(millis: i64) -> Moments {
    Moments {
        occurred_at: at(millis),
        created_at: at(millis),
    }
}

fn applied(seq: u64, effect: &Effect) -> serde_json::Value {
    json!({"seq": seq, "op": "applied", "event": effect.event, "reward_request": effect.reward_request})
}

fn last_event(event: &TrackingEvent) -> serde_json::Value {
    json!({"occurred_at": event.occurred_at(), "created_at": event.created_at()})
}

#[tokio::test]
async fn a_snapshot_and_journal_in_the_documented_format_open_with_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let ghost = user("Ghost");
    let gone = user("Gone");
    let erased = user("Erased");
    let sam = child(alex.id, "Sam", 10);
    let make_bed = task(alex.id, 5, true);
    let ice_cream = reward(alex.id, 8);
    let delivered = decide(
        &sam,
        &TrackedAction::Activate(make_bed.clone()),
        None,
        moments(0),
        Actor::Parent,
    )
    .unwrap();
    let sam = delivered.child.clone();
    let activated = decide(
        &sam,
        &TrackedAction::Activate(make_bed.clone()),
        None,
        moments(10),
        Actor::Parent,
    )
    .unwrap();
    let requested = decide(
        &activated.child,
        &TrackedAction::Request(ice_cream.clone()),
        None,
        moments(20),
        Actor::Parent,
    )
    .unwrap();
    let request = requested.reward_request.clone().unwrap();
    let gone_child = child(gone.id, "Kim", 0);
    let other_task = task(alex.id, 2, false);
    let other_reward = reward(alex.id, 3);
    let other_child = child(alex.id, "Lee", 0);

    let snapshot = json!({
        "format": 1,
        "last_seq": 3,
        "users": [{"user": alex, "token_hash": token(1).to_hex()}],
        "users_to_anonymize": [erased.id],
        "children": [{"child": sam, "last_event": last_event(&delivered.event)}],
        "tasks": [make_bed],
        "rewards": [],
        "pending_requests": [],
        "outbox": [{"seq": 3, "event": delivered.event}],
    });
    std::fs::write(dir.path().join(SNAPSHOT_FILE), format!("{snapshot}\n")).unwrap();
    let lines = [
        // Covered by the snapshot already: skipped.
        json!({"seq": 2, "op": "user_created", "user": ghost, "token_hash": token(9).to_hex()}),
        json!({"seq": 4, "op": "reward_created", "reward": ice_cream}),
        applied(5, &activated),
        applied(6, &requested),
        json!({"seq": 7, "op": "delivered", "event_ids": [delivered.event.id()]}),
        json!({"seq": 8, "op": "user_created", "user": gone, "token_hash": token(2).to_hex()}),
        json!({"seq": 9, "op": "child_created", "child": gone_child}),
        json!({"seq": 10, "op": "user_deleted", "user_id": gone.id}),
        json!({"seq": 11, "op": "user_anonymized", "user_id": erased.id}),
        json!({"seq": 12, "op": "task_created", "task": other_task}),
        json!({"seq": 13, "op": "task_deleted", "task_id": other_task.id}),
        json!({"seq": 14, "op": "reward_created", "reward": other_reward}),
        json!({"seq": 15, "op": "reward_deleted", "reward_id": other_reward.id}),
        json!({"seq": 16, "op": "child_created", "child": other_child}),
        json!({"seq": 17, "op": "child_deleted", "child_id": other_child.id}),
    ];
    let journal: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(dir.path().join(JOURNAL_FILE), journal).unwrap();
    // The history of that version: events without a family sequence number.
    let history = format!("{}\n", json!(delivered.event));
    std::fs::write(dir.path().join(HISTORY_FILE), history).unwrap();

    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    assert!(store.open_report().torn.is_empty());
    assert_eq!(store.list_users().await.unwrap(), vec![alex.clone()]);
    assert_eq!(store.user_by_token(&token(1)).await.unwrap(), alex);
    assert!(matches!(
        store.get_user(ghost.id).await,
        Err(FamilyError::NotFound)
    ));
    assert!(matches!(
        store.user_by_token(&token(2)).await,
        Err(FamilyError::NotFound)
    ));
    assert_eq!(store.users_to_anonymize().await.unwrap(), vec![gone.id]);
    assert_eq!(
        store.list_children(alex.id).await.unwrap(),
        vec![requested.child.clone()]
    );
    assert_eq!(store.list_tasks(alex.id).await.unwrap(), vec![make_bed]);
    assert_eq!(
        store.list_rewards(alex.id).await.unwrap(),
        vec![ice_cream.clone()]
    );
    assert_eq!(
        store.pending_requests(alex.id, sam.id).await.unwrap(),
        vec![request]
    );
    // Events stored without a family sequence number are numbered on open: those in the history
    // by their order, then those in the outbox in commit order.
    let numbered = |sequence: u64, effect: &Effect| SequencedEvent {
        sequence,
        event: effect.event.clone(),
    };
    assert_eq!(
        store.outbox().await.unwrap(),
        vec![numbered(2, &activated), numbered(3, &requested)]
    );
    assert_eq!(store.family_sequence(alex.id).await.unwrap(), 3);

    // The next event orders after the last one the journal holds, even stamped before it.
    let redeemed = store
        .apply(
            ChildAction {
                owner: alex.id,
                child: sam.id,
                target: ActionTarget::Redeem(ice_cream.id),
                actor: Actor::Parent,
            },
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(redeemed.sequence, 4);
    let redeemed = redeemed.effect;
    assert!(redeemed.event.occurred_at() >= requested.event.occurred_at());
    assert_eq!(redeemed.event.points_before(), requested.child.points);
    assert_eq!(redeemed.child.points, requested.child.points - 8);
    let resolved = redeemed.reward_request.clone().unwrap();
    assert_eq!(resolved.status, RewardRequestStatus::Redeemed);
    assert!(
        store
            .pending_requests(alex.id, sam.id)
            .await
            .unwrap()
            .is_empty()
    );
    let expected = vec![
        numbered(1, &delivered),
        numbered(2, &activated),
        numbered(3, &requested),
        numbered(4, &redeemed),
    ];
    assert_eq!(
        family_events_after(
            &store,
            &store,
            SequenceRead {
                family: alex.id,
                after: 0,
                limit: 10
            }
        )
        .await
        .unwrap(),
        expected
    );
    // Every open numbers them alike, and a delivered one keeps its number in the history.
    let waiting = store.outbox().await.unwrap();
    store.append(&waiting[0]).await.unwrap();
    store
        .confirm_delivered(&[waiting[0].event.id()])
        .await
        .unwrap();
    drop(store);
    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    assert_eq!(
        family_events_after(
            &store,
            &store,
            SequenceRead {
                family: alex.id,
                after: 0,
                limit: 10
            }
        )
        .await
        .unwrap(),
        expected
    );
}

#[tokio::test]
async fn child_tokens_and_events_without_an_actor_open_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let alex = user("Alex");
    let (sam, lee) = (child(alex.id, "Sam", 0), child(alex.id, "Lee", 0));
    let make_bed = task(alex.id, 5, true);
    let activated = decide(
        &sam,
        &TrackedAction::Activate(make_bed.clone()),
        None,
        moments(0),
        Actor::Parent,
    )
    .unwrap();
    // An event as version 1 wrote it: no actor in its metadata.
    let mut version_one = serde_json::to_value(&activated.event).unwrap();
    version_one["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("actor");
    let snapshot = json!({
        "format": 1,
        "last_seq": 3,
        "users": [{"user": alex, "token_hash": token(1).to_hex()}],
        "users_to_anonymize": [],
        "children": [
            {"child": sam, "last_event": null, "token_hashes": [token(10).to_hex()]},
            {"child": lee, "last_event": null},
        ],
        "tasks": [make_bed],
        "rewards": [],
        "pending_requests": [],
        "outbox": [],
    });
    std::fs::write(dir.path().join(SNAPSHOT_FILE), format!("{snapshot}\n")).unwrap();
    let lines = [
        json!({"seq": 4, "op": "child_token_added", "child_id": sam.id, "token_hash": token(11).to_hex()}),
        json!({"seq": 5, "op": "child_token_added", "child_id": lee.id, "token_hash": token(12).to_hex()}),
        json!({"seq": 6, "op": "child_tokens_revoked", "child_id": lee.id}),
        json!({"seq": 7, "op": "applied", "event": version_one, "reward_request": null}),
    ];
    let journal: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(dir.path().join(JOURNAL_FILE), journal).unwrap();

    let store = FileStore::open(dir.path(), FileStoreOptions::default()).unwrap();
    assert!(store.open_report().torn.is_empty());
    for sams in [token(10), token(11)] {
        assert_eq!(
            store.token_holder(&sams).await.unwrap(),
            TokenHolder::Child(activated.child.clone())
        );
    }
    assert!(matches!(
        store.token_holder(&token(12)).await,
        Err(FamilyError::NotFound)
    ));
    let outbox: Vec<TrackingEvent> = (store.outbox().await.unwrap().into_iter())
        .map(|waiting| waiting.event)
        .collect();
    assert_eq!(outbox, vec![activated.event.clone()]);
    assert_eq!(outbox[0].metadata().unwrap().actor, Actor::Parent);
}
