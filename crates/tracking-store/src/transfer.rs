//! What moving a store's family data elsewhere needs beyond the repository traits, which never
//! hand out a token hash, a child's last moments or an idempotency key: read from any store that
//! keeps a [`FamilyState`](crate::state::FamilyState) (the file store, the memory store).

use std::collections::HashMap;

use tracking_model::{ChildId, Moments, Timestamp, User};

use crate::census::{ChildToken, Credentials};
use crate::state::StateStore;
use crate::{FamilyError, FileStore, TokenHash};

/// Every user with the hash of its token, oldest first.
pub fn users_with_tokens(store: &impl StateStore) -> Vec<(User, TokenHash)> {
    store.read(|state| state.users.values().cloned().collect())
}

/// When each child's last event happened (its next event orders after it).
pub fn last_moments(store: &impl StateStore) -> HashMap<ChildId, Moments> {
    store.read(|state| state.last_events.clone())
}

/// The hashes of the children's own tokens and the idempotency keys still kept at `now`.
pub fn credentials(store: &impl StateStore, now: Timestamp) -> Result<Credentials, FamilyError> {
    store.read(|state| {
        let child_tokens = (state.child_tokens.iter())
            .map(|(hash, child)| {
                let owner = (state.children.get(child))
                    .ok_or_else(|| {
                        FamilyError::Corrupt(format!("a token of the unknown child {child}"))
                    })?
                    .user_id;
                Ok(ChildToken {
                    hash: *hash,
                    family: owner,
                    child: *child,
                })
            })
            .collect::<Result<Vec<_>, FamilyError>>()?;
        Ok(Credentials::new(child_tokens, state.keys.live(now)))
    })
}

/// The credentials of a data directory's store: its children's tokens, its keys kept at `now`.
pub fn file_credentials(files: &FileStore, now: Timestamp) -> Result<Credentials, FamilyError> {
    credentials(files, now)
}
