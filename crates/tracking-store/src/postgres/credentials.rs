//! The credentials beside the records: the children's token hashes and the idempotency keys,
//! read for a census and written by an import.

use sqlx::PgConnection;
use tracking_model::Timestamp;

use super::{ImportError, PostgresStore, keys, rows, tokens};
use crate::{ChildToken, Credentials, FamilyError, KEY_LIFETIME_MILLIS, KeyRecord};

type KeyRow = (String, String, String, Option<String>, i64, i32, String);

impl PostgresStore {
    /// The children's tokens and the idempotency keys still kept at `now`.
    pub async fn credentials(&self, now: Timestamp) -> Result<Credentials, FamilyError> {
        let tokens: Vec<(Vec<u8>, String, String)> =
            sqlx::query_as("SELECT token_hash, family_id, child_id FROM child_tokens")
                .fetch_all(&self.pool)
                .await?;
        let child_tokens = (tokens.into_iter())
            .map(|(hash, family, child)| {
                let hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
                    FamilyError::Corrupt(format!("a child token hash of {} bytes", hash.len()))
                })?;
                Ok(ChildToken {
                    hash: crate::TokenHash(hash),
                    family: rows::id(&family)?,
                    child: rows::id(&child)?,
                })
            })
            .collect::<Result<Vec<_>, FamilyError>>()?;
        let keys: Vec<KeyRow> = sqlx::query_as(
            "SELECT owner, key, fingerprint, family_id, stored_at_ms, status, body \
             FROM idempotency_keys WHERE stored_at_ms > $1",
        )
        .bind(now.unix_millis().saturating_sub(KEY_LIFETIME_MILLIS))
        .fetch_all(&self.pool)
        .await?;
        let keys = (keys.into_iter())
            .map(key_record)
            .collect::<Result<Vec<_>, FamilyError>>()?;
        Ok(Credentials::new(child_tokens, keys))
    }
}

fn key_record(
    (owner, key, fingerprint, family, stored_at, status, body): KeyRow,
) -> Result<KeyRecord, FamilyError> {
    Ok(KeyRecord {
        family: family.as_deref().map(rows::id).transpose()?,
        stored_at: rows::time(stored_at)?,
        answer: keys::answer(&key, status, body)?,
        owner,
        key,
        fingerprint,
    })
}

/// Writes the credentials into the import's transaction, after the users and children.
pub(super) async fn copy(
    connection: &mut PgConnection,
    credentials: &Credentials,
) -> Result<(), ImportError> {
    for token in &credentials.child_tokens {
        if !tokens::insert_child_token(&mut *connection, token).await? {
            // A parent's token with the same hash: the data directory holds it twice.
            return Err(FamilyError::Duplicate.into());
        }
    }
    for key in &credentials.keys {
        keys::insert_key(&mut *connection, key).await?;
    }
    Ok(())
}
