//! The credentials beside the records: the children's token hashes and the idempotency keys,
//! read for a census and written by an import.

use sqlx::PgConnection;
use tracking_model::Timestamp;

use super::{PostgresStore, errors, rows};
use crate::{ChildToken, Credentials, FamilyError, KEY_LIFETIME_MILLIS, KeyRecord, StoredAnswer};

type KeyRow = (String, String, String, Option<String>, i64, i32, String);

impl PostgresStore {
    /// The children's tokens and the idempotency keys still kept at `now`.
    pub async fn credentials(&self, now: Timestamp) -> Result<Credentials, FamilyError> {
        let tokens: Vec<(Vec<u8>, String, String)> =
            sqlx::query_as("SELECT token_hash, family_id, child_id FROM child_tokens")
                .fetch_all(&self.pool)
                .await
                .map_err(errors::family)?;
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
        .await
        .map_err(errors::family)?;
        let keys = (keys.into_iter())
            .map(key_record)
            .collect::<Result<Vec<_>, FamilyError>>()?;
        Ok(Credentials::new(child_tokens, keys))
    }
}

fn key_record(
    (owner, key, fingerprint, family, stored_at, status, body): KeyRow,
) -> Result<KeyRecord, FamilyError> {
    let status = u16::try_from(status)
        .map_err(|_| FamilyError::Corrupt(format!("idempotency key {key}: status {status}")))?;
    Ok(KeyRecord {
        family: family.as_deref().map(rows::id).transpose()?,
        stored_at: rows::time(stored_at)?,
        owner,
        key,
        fingerprint,
        answer: StoredAnswer { status, body },
    })
}

/// Writes the credentials into the import's transaction, after the users and children.
pub(super) async fn copy(
    connection: &mut PgConnection,
    credentials: &Credentials,
) -> Result<(), sqlx::Error> {
    for token in &credentials.child_tokens {
        sqlx::query(
            "INSERT INTO child_tokens (token_hash, family_id, child_id) VALUES ($1, $2, $3)",
        )
        .bind(token.hash.0.as_slice())
        .bind(token.family.to_string())
        .bind(token.child.to_string())
        .execute(&mut *connection)
        .await?;
    }
    for key in &credentials.keys {
        sqlx::query(
            "INSERT INTO idempotency_keys \
             (owner, key, fingerprint, family_id, stored_at_ms, status, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.owner)
        .bind(&key.key)
        .bind(&key.fingerprint)
        .bind(key.family.map(|family| family.to_string()))
        .bind(key.stored_at.unix_millis())
        .bind(i32::from(key.answer.status))
        .bind(&key.answer.body)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}
