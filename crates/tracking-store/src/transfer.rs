//! What moving a store's family data elsewhere needs beyond the repository traits, which never
//! hand out a token hash or a child's last moments: read from any store that keeps a
//! [`FamilyState`](crate::state::FamilyState) (the file store, the memory store).

use std::collections::HashMap;

use tracking_model::{ChildId, Moments, User};

use crate::TokenHash;
use crate::state::StateStore;

/// Every user with the hash of its token, oldest first.
pub fn users_with_tokens(store: &impl StateStore) -> Vec<(User, TokenHash)> {
    store.read(|state| state.users.values().cloned().collect())
}

/// When each child's last event happened (its next event orders after it).
pub fn last_moments(store: &impl StateStore) -> HashMap<ChildId, Moments> {
    store.read(|state| state.last_events.clone())
}
