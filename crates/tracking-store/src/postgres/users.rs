//! Users, their token hashes, and the deleted users awaiting anonymization.

use tracking_model::{User, UserId};

use sqlx::PgExecutor;

use super::errors::Unreadable;
use super::{PostgresStore, notify, rows};
use crate::{FamilyError, TokenHash};

macro_rules! select_users {
    ($rest:literal) => {
        concat!("SELECT id, name, created_at_ms FROM users ", $rest)
    };
}

/// A row of `users`, as `select_users!` reads it.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    name: String,
    created_at_ms: i64,
}

impl UserRow {
    fn read(self) -> Result<User, Unreadable> {
        Ok(User {
            id: rows::id(&self.id)?,
            name: self.name,
            created_at: rows::time(self.created_at_ms)?,
        })
    }
}

/// Inserts a user with its token's hash, through the pool or a transaction (a keyed create's, an
/// import's). `false`, inserting nothing, when a child's token has the hash (a parent's is the
/// unique violation).
pub(super) async fn insert_user<'e>(
    executor: impl PgExecutor<'e>,
    user: &User,
    token: &TokenHash,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, name, created_at_ms, token_hash) SELECT $1, $2, $3, $4 \
         WHERE NOT EXISTS (SELECT 1 FROM child_tokens WHERE token_hash = $4)",
    )
    .bind(user.id.to_string())
    .bind(&user.name)
    .bind(user.created_at.unix_millis())
    .bind(token.0.as_slice())
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Remembers a deleted user's id until its history is anonymized, in the deletion's transaction
/// or an import's.
pub(super) async fn to_anonymize<'e>(
    executor: impl PgExecutor<'e>,
    user: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO users_to_anonymize (user_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(user.to_string())
        .execute(executor)
        .await?;
    Ok(())
}

impl PostgresStore {
    pub(super) async fn find_user_by_token(&self, token: &TokenHash) -> Result<User, FamilyError> {
        let row: Option<UserRow> = sqlx::query_as(select_users!("WHERE token_hash = $1"))
            .bind(token.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.ok_or(FamilyError::NotFound)?.read()?)
    }

    pub(super) async fn find_user(&self, id: UserId) -> Result<User, FamilyError> {
        let row: Option<UserRow> = sqlx::query_as(select_users!("WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.ok_or(FamilyError::NotFound)?.read()?)
    }

    pub(super) async fn all_users(&self) -> Result<Vec<User>, FamilyError> {
        let found: Vec<UserRow> = sqlx::query_as(select_users!("ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        Ok(found
            .into_iter()
            .map(UserRow::read)
            .collect::<Result<_, _>>()?)
    }

    /// Removes the user (its records go with it, by the foreign keys' cascade) and remembers the
    /// id for anonymization, in one transaction.
    pub(super) async fn remove_user(&self, user: UserId) -> Result<(), FamilyError> {
        let mut transaction = self.pool.begin().await?;
        let removed = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user.to_string())
            .execute(&mut *transaction)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(FamilyError::NotFound);
        }
        to_anonymize(&mut *transaction, user).await?;
        notify::notify_deleted(&mut transaction, user).await?;
        Ok(transaction.commit().await?)
    }

    pub(super) async fn awaiting_anonymization(&self) -> Result<Vec<UserId>, FamilyError> {
        let ids: Vec<(String,)> =
            sqlx::query_as("SELECT user_id FROM users_to_anonymize ORDER BY user_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(ids
            .iter()
            .map(|(id,)| rows::id(id))
            .collect::<Result<_, _>>()?)
    }

    pub(super) async fn anonymization_done(&self, id: UserId) -> Result<(), FamilyError> {
        sqlx::query("DELETE FROM users_to_anonymize WHERE user_id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
