//! Child tokens: the hashes of the tokens a parent issued for its children's devices, and the one
//! lookup that finds whoever holds a token, parent or child.

use sqlx::PgConnection;
use tracking_model::{ChildId, UserId};

use super::{PostgresStore, errors, rows};
use crate::{FamilyError, TokenHash, TokenHolder};

impl PostgresStore {
    pub(super) async fn find_token_holder(
        &self,
        token: &TokenHash,
    ) -> Result<TokenHolder, FamilyError> {
        let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT c.family_id, c.id, c.name, c.points, c.created_at_ms \
             FROM child_tokens t \
             JOIN children c ON c.family_id = t.family_id AND c.id = t.child_id \
             WHERE t.token_hash = $1",
        )
        .bind(token.0.as_slice())
        .fetch_optional(&self.pool)
        .await
        .map_err(errors::family)?;
        match row {
            Some((family, id, name, points, created)) => Ok(TokenHolder::Child(rows::child(
                rows::id(&family)?,
                (id, name, points, created),
            )?)),
            None => self
                .find_user_by_token(token)
                .await
                .map(TokenHolder::Parent),
        }
    }

    pub(super) async fn remove_child_tokens(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<(), FamilyError> {
        self.find_child(owner, child).await?;
        sqlx::query("DELETE FROM child_tokens WHERE family_id = $1 AND child_id = $2")
            .bind(owner.to_string())
            .bind(child.to_string())
            .execute(&self.pool)
            .await
            .map_err(errors::family)?;
        Ok(())
    }
}

/// Adds a token of the owner's child, on a connection of the pool or a transaction's (a keyed
/// create's): not found for another family's child, a duplicate for a hash a parent or a child
/// already holds.
pub(super) async fn insert_child_token(
    connection: &mut PgConnection,
    owner: UserId,
    child: ChildId,
    token: &TokenHash,
) -> Result<(), FamilyError> {
    let found: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM children WHERE family_id = $1 AND id = $2")
            .bind(owner.to_string())
            .bind(child.to_string())
            .fetch_optional(&mut *connection)
            .await
            .map_err(errors::family)?;
    found.ok_or(FamilyError::NotFound)?;
    let inserted = sqlx::query(
        "INSERT INTO child_tokens (token_hash, family_id, child_id) \
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM users WHERE token_hash = $1)",
    )
    .bind(token.0.as_slice())
    .bind(owner.to_string())
    .bind(child.to_string())
    .execute(connection)
    .await
    .map_err(errors::family)?;
    if inserted.rows_affected() == 0 {
        return Err(FamilyError::Duplicate);
    }
    Ok(())
}
