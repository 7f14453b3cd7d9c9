//! Users, their token hashes, and the deleted users awaiting anonymization.

use tracking_model::{User, UserId};

use sqlx::PgExecutor;

use super::{PostgresStore, errors, notify, rows};
use crate::{FamilyError, TokenHash};

macro_rules! select_users {
    ($rest:literal) => {
        concat!("SELECT id, name, created_at_ms FROM users ", $rest)
    };
}

/// Inserts a user with its token's hash, on the pool or in a transaction (a keyed create's); a
/// hash a parent's or a child's token has is a duplicate.
pub(super) async fn insert_user<'e>(
    executor: impl PgExecutor<'e>,
    user: &User,
    token: &TokenHash,
) -> Result<(), FamilyError> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, name, created_at_ms, token_hash) SELECT $1, $2, $3, $4 \
             WHERE NOT EXISTS (SELECT 1 FROM child_tokens WHERE token_hash = $4)",
    )
    .bind(user.id.to_string())
    .bind(&user.name)
    .bind(user.created_at.unix_millis())
    .bind(token.0.as_slice())
    .execute(executor)
    .await
    .map_err(errors::family)?;
    if inserted.rows_affected() == 0 {
        return Err(FamilyError::Duplicate);
    }
    Ok(())
}

impl PostgresStore {
    pub(super) async fn find_user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        let row: Option<rows::UserRow> = sqlx::query_as(select_users!("WHERE token_hash = $1"))
            .bind(token.0.as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(errors::family)?;
        Ok(rows::user(row.ok_or(FamilyError::NotFound)?)?)
    }

    pub(super) async fn find_user(&self, id: UserId) -> Result<User, FamilyError> {
        let row: Option<rows::UserRow> = sqlx::query_as(select_users!("WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(errors::family)?;
        Ok(rows::user(row.ok_or(FamilyError::NotFound)?)?)
    }

    pub(super) async fn all_users(&self) -> Result<Vec<User>, FamilyError> {
        let found: Vec<rows::UserRow> = sqlx::query_as(select_users!("ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(errors::family)?;
        Ok(found
            .into_iter()
            .map(rows::user)
            .collect::<Result<_, _>>()?)
    }

    /// Removes the user (its records go with it, by the foreign keys' cascade) and remembers the
    /// id for anonymization, in one transaction.
    pub(super) async fn remove_user(&self, user: UserId) -> Result<(), FamilyError> {
        let id = user.to_string();
        let mut transaction = self.pool.begin().await.map_err(errors::family)?;
        let removed = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(&id)
            .execute(&mut *transaction)
            .await
            .map_err(errors::family)?;
        if removed.rows_affected() == 0 {
            return Err(FamilyError::NotFound);
        }
        sqlx::query("INSERT INTO users_to_anonymize (user_id) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(&id)
            .execute(&mut *transaction)
            .await
            .map_err(errors::family)?;
        notify::notify_deleted(&mut transaction, user).await?;
        transaction.commit().await.map_err(errors::family)
    }

    pub(super) async fn awaiting_anonymization(&self) -> Result<Vec<UserId>, FamilyError> {
        let ids: Vec<(String,)> =
            sqlx::query_as("SELECT user_id FROM users_to_anonymize ORDER BY user_id")
                .fetch_all(&self.pool)
                .await
                .map_err(errors::family)?;
        Ok(ids
            .iter()
            .map(|(id,)| rows::id(id))
            .collect::<Result<_, _>>()?)
    }

    pub(super) async fn anonymization_done(&self, id: UserId) -> Result<(), FamilyError> {
        sqlx::query("DELETE FROM users_to_anonymize WHERE user_id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(errors::family)?;
        Ok(())
    }
}
