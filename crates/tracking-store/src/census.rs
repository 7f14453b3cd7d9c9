//! What a store holds, counted, and its history summed up, through the repository traits alone:
//! two stores read the same through them exactly when their censuses are equal (an import checks
//! that the database holds what the files held).

use std::collections::BTreeSet;
use std::fmt;

use sha2::{Digest, Sha256};
use tracking_model::{SortOrder, TrackingQuery};

use crate::{FamilyRepository, FeedError, HistoryError, TrackingRepository};

/// How many events one read takes.
const BATCH: u32 = 500;

/// The records of a store, counted, and a checksum of its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Census {
    pub users: u64,
    pub children: u64,
    pub tasks: u64,
    pub rewards: u64,
    pub pending_requests: u64,
    pub users_to_anonymize: u64,
    pub outbox: u64,
    pub history_events: u64,
    /// See [`history_checksum`].
    pub history_checksum: String,
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "users {}, children {}, tasks {}, rewards {}, pending requests {}, users to anonymize {}, \
             outbox {}, history {} events, history sha256 {}",
            self.users,
            self.children,
            self.tasks,
            self.rewards,
            self.pending_requests,
            self.users_to_anonymize,
            self.outbox,
            self.history_events,
            self.history_checksum
        )
    }
}

/// Counts everything in the two repositories and sums up the history.
pub async fn census(
    family: &dyn FamilyRepository,
    history: &dyn TrackingRepository,
) -> Result<Census, FeedError> {
    let users = family.list_users().await?;
    let (mut children, mut tasks, mut rewards, mut pending_requests) = (0, 0, 0, 0);
    for user in &users {
        let kids = family.list_children(user.id).await?;
        for kid in &kids {
            pending_requests += family.pending_requests(user.id, kid.id).await?.len() as u64;
        }
        children += kids.len() as u64;
        tasks += family.list_tasks(user.id).await?.len() as u64;
        rewards += family.list_rewards(user.id).await?.len() as u64;
    }
    let (history_events, history_checksum) = history_checksum(history).await?;
    Ok(Census {
        users: users.len() as u64,
        children,
        tasks,
        rewards,
        pending_requests,
        users_to_anonymize: family.users_to_anonymize().await?.len() as u64,
        outbox: family.outbox_len().await?,
        history_events,
        history_checksum,
    })
}

/// The number of events in the history and the SHA-256 (lowercase hex) of every event's JSON in
/// the history's order, one per line, followed by `family number event-id` for every event of
/// every family in number order: equal exactly when both the events and their numbers are.
pub async fn history_checksum(
    history: &dyn TrackingRepository,
) -> Result<(u64, String), HistoryError> {
    let query = TrackingQuery {
        limit: Some(BATCH),
        order: Some(SortOrder::Asc),
        ..TrackingQuery::default()
    };
    let mut digest = Sha256::new();
    let mut families = BTreeSet::new();
    let mut count = 0;
    let mut after = None;
    loop {
        let batch = history.query_after(&query, after).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.order_key());
        for event in &batch {
            let json = serde_json::to_vec(event).expect("an event always serializes");
            digest.update(&json);
            digest.update(b"\n");
            families.extend(event.user_id());
            count += 1;
        }
    }
    for family in families {
        let mut after = 0;
        loop {
            let numbered = history.family_events(family, after, BATCH as usize).await?;
            let Some(last) = numbered.last() else { break };
            after = last.sequence;
            for event in &numbered {
                let line = format!("{family} {} {}\n", event.sequence, event.event.id());
                digest.update(line.as_bytes());
            }
        }
    }
    let hex = digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok((count, hex))
}
