//! Idempotency keys: a keyed request's first answer, committed with its change and kept for
//! 24 hours, so that a retry replays it instead of acting twice.

use serde::{Deserialize, Serialize};
use tracking_model::{Timestamp, UserId};

/// How long a key's answer is kept, in milliseconds: 24 hours.
pub const KEY_LIFETIME_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// A key as a request presents it, with what decides whether a later request repeats it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Whose key it is: the credential's user, named by the caller (e.g. `admin`, `user:<id>`).
    pub owner: String,
    /// The key itself, as the client sent it.
    pub key: String,
    /// A digest of the method, path and body: the same key with another one is refused.
    pub fingerprint: String,
    /// The family the answer is about; the key goes when that user is deleted.
    pub family: Option<UserId>,
    /// When the request arrived: the key is kept until 24 hours after it.
    pub at: Timestamp,
}

/// A kept answer: its HTTP status and body, replayed as they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

/// A stored key: the request it belongs to and its first answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    pub owner: String,
    pub key: String,
    pub fingerprint: String,
    pub family: Option<UserId>,
    pub stored_at: Timestamp,
    pub answer: StoredAnswer,
}

impl KeyRecord {
    /// The record of `key`'s first answer.
    pub fn new(key: &IdempotencyKey, answer: StoredAnswer) -> Self {
        Self {
            owner: key.owner.clone(),
            key: key.key.clone(),
            fingerprint: key.fingerprint.clone(),
            family: key.family,
            stored_at: key.at,
            answer,
        }
    }

    /// Whether the key is still kept at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now.unix_millis()
            < self
                .stored_at
                .unix_millis()
                .saturating_add(KEY_LIFETIME_MILLIS)
    }
}

/// What a keyed request got from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyed<T> {
    /// Performed now; its answer is stored under the key.
    Fresh(T),
    /// The key's first answer, from an earlier request with the same method, path and body.
    Replayed(StoredAnswer),
    /// The key was used for another request within 24 hours; nothing changed.
    Reused,
}

/// A request's idempotency key with how to render the answer kept under it.
pub struct Keying<'a, T> {
    pub key: &'a IdempotencyKey,
    pub render: RenderAnswer<T>,
}

impl<T> std::fmt::Debug for Keying<'_, T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Keying")
            .field("key", self.key)
            .finish_non_exhaustive()
    }
}

impl<'a> Keying<'a, ()> {
    /// Keeps `answer` under `key` when the record is created.
    pub fn answering(key: &'a IdempotencyKey, answer: StoredAnswer) -> Self {
        let render: RenderAnswer<()> =
            std::sync::Arc::new(move |done: Result<&(), &_>| done.ok().map(|()| answer.clone()));
        Self { key, render }
    }
}

/// Renders the answer a tracked mutation gives: `None` for an answer that is not kept. It is
/// owned, so that a store may call it from its own runtime.
pub type RenderAnswer<T> =
    std::sync::Arc<dyn Fn(Result<&T, &crate::FamilyError>) -> Option<StoredAnswer> + Send + Sync>;
