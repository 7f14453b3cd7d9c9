//! What a store holds, counted, and its history summed up, through the repository traits, with
//! the credentials the traits never hand out (children's token hashes, idempotency keys) read by
//! the store's own means: two stores hold the same exactly when their censuses are equal (an
//! import checks that the database holds what the files held).

use std::collections::BTreeSet;
use std::fmt;

use sha2::{Digest, Sha256};
use tracking_model::{ChildId, SortOrder, TrackingQuery, UserId};

use crate::{
    FamilyRepository, FeedError, HistoryError, KeyRecord, SequenceRead, TokenHash,
    TrackingRepository,
};

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
    pub child_tokens: u64,
    pub idempotency_keys: u64,
    /// See [`Credentials::checksum`].
    pub credentials_checksum: String,
    pub history_events: u64,
    /// See [`history_checksum`].
    pub history_checksum: String,
}

/// The hash of a token for a child's own device, with the child it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildToken {
    pub hash: TokenHash,
    pub family: UserId,
    pub child: ChildId,
}

/// The children's tokens and the live idempotency keys of a store, in a fixed order (tokens by
/// hash, keys by owner and key) whatever order the store kept them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub child_tokens: Vec<ChildToken>,
    pub keys: Vec<KeyRecord>,
}

impl Credentials {
    pub fn new(mut child_tokens: Vec<ChildToken>, mut keys: Vec<KeyRecord>) -> Self {
        child_tokens.sort_by_key(|token| token.hash);
        keys.sort_by(|a, b| (&a.owner, &a.key).cmp(&(&b.owner, &b.key)));
        Self { child_tokens, keys }
    }

    /// The SHA-256 (lowercase hex) of a line per token (`hash family child`), then of every
    /// key's record as JSON, one per line: equal exactly when both hold the same credentials.
    pub fn checksum(&self) -> String {
        let mut digest = Sha256::new();
        for token in &self.child_tokens {
            let line = format!("{} {} {}\n", token.hash.to_hex(), token.family, token.child);
            digest.update(line.as_bytes());
        }
        for key in &self.keys {
            let json = serde_json::to_vec(key).expect("a key record always serializes");
            digest.update(&json);
            digest.update(b"\n");
        }
        hex(digest)
    }
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "users {}, children {}, tasks {}, rewards {}, pending requests {}, users to anonymize {}, \
             outbox {}, child tokens {}, idempotency keys {}, credentials sha256 {}, \
             history {} events, history sha256 {}",
            self.users,
            self.children,
            self.tasks,
            self.rewards,
            self.pending_requests,
            self.users_to_anonymize,
            self.outbox,
            self.child_tokens,
            self.idempotency_keys,
            self.credentials_checksum,
            self.history_events,
            self.history_checksum
        )
    }
}

/// Counts everything in the two repositories and the credentials, and sums up the history and
/// the credentials.
pub async fn census(
    family: &dyn FamilyRepository,
    history: &dyn TrackingRepository,
    credentials: &Credentials,
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
        child_tokens: credentials.child_tokens.len() as u64,
        idempotency_keys: credentials.keys.len() as u64,
        credentials_checksum: credentials.checksum(),
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
        let mut read = SequenceRead {
            family,
            after: 0,
            limit: BATCH as usize,
        };
        while let Some(numbered) = read.next_stored(history).await? {
            for event in &numbered {
                let line = format!("{family} {} {}\n", event.sequence, event.event.id());
                digest.update(line.as_bytes());
            }
        }
    }
    Ok((count, hex(digest)))
}

fn hex(digest: Sha256) -> String {
    digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
