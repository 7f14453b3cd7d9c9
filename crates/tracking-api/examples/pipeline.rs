//! The recording pipeline alone, without HTTP: a durable file store in a fresh directory, one
//! tracked mutation read by a live stream, then the shutdown order.
//!
//! Builds without the `http` feature, so it pulls in no actix crate:
//! `cargo run -p tracking-api --no-default-features --example pipeline [DATA_DIR]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tracking_api::{LiveItem, NoAudit, StreamOptions, Tracker, hash_token, new_token};
use tracking_model::{CreateChild, CreateTask, Timestamp, User, UserId};
use tracking_store::{ActionTarget, FileStore, FileStoreOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os().nth(1).map_or_else(
        || std::env::temp_dir().join(format!("tracking-pipeline-{}", std::process::id())),
        PathBuf::from,
    );
    // One store serves as both repositories; the caller owns it and closes it at the end.
    let store = Arc::new(FileStore::open(&dir, FileStoreOptions::default())?);
    let tracker = Arc::new(Tracker::new(
        store.clone(),
        store.clone(),
        Arc::new(NoAudit),
    ));
    // At start: deliver what a crash left in the outbox and finish interrupted erasures.
    let caught_up = tracker.catch_up().await?;
    eprintln!("opened {}; caught up: {caught_up:?}", dir.display());
    // While running: retry the same every second whenever something waits.
    let catch_up = tracker.spawn_catch_up(Duration::from_secs(1));

    let now = Timestamp::now();
    let parent = User {
        id: UserId::generate(),
        name: "Alex".into(),
        created_at: now,
    };
    let family = tracker.family();
    family
        .create_user(&parent, &hash_token(&new_token()))
        .await?;
    let child = CreateChild { name: "Sam".into() }.into_child(parent.id, now);
    family.create_child(&child).await?;
    let task = CreateTask {
        name: "Make bed".into(),
        points: 5.into(),
        is_good: true,
    }
    .into_task(parent.id, now);
    family.create_task(&task).await?;

    // A live stream of the family: replayed from a cursor if given, then live.
    let live = tracker
        .open_stream(parent.id, StreamOptions::default())
        .await?;
    let mut live = std::pin::pin!(live);
    let effect = tracker
        .record(parent.id, child.id, ActionTarget::Activate(task.id))
        .await?;
    eprintln!("{} has {} points", effect.child.name, effect.child.points);
    if let Some(LiveItem::Event { cursor, payload }) = live.next().await {
        eprintln!(
            "pushed live: tracking event {} (resume after it with {cursor})",
            payload.tracking_event_id
        );
    }

    // At shutdown: stop the periodic catch-up, write the missing audit lines, close the store.
    catch_up.abort();
    let _ = catch_up.await;
    tracker.close();
    store.close()?;
    Ok(())
}
