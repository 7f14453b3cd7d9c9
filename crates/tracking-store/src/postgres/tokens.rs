//! Child tokens: the hashes of the tokens a parent issued for its children's devices, and the one
//! lookup that finds whoever holds a token, parent or child.

use sqlx::{PgConnection, PgExecutor};
use tracking_model::{Child, ChildId, UserId};

use super::records::{ChildRow, Record};
use super::{PostgresStore, rows};
use crate::{ChildToken, FamilyError, TokenHash, TokenHolder};

/// A child holding a token, with its family.
#[derive(sqlx::FromRow)]
struct HolderRow {
    family_id: String,
    #[sqlx(flatten)]
    child: ChildRow,
}

impl PostgresStore {
    pub(super) async fn find_token_holder(
        &self,
        token: &TokenHash,
    ) -> Result<TokenHolder, FamilyError> {
        let row: Option<HolderRow> = sqlx::query_as(
            "SELECT c.family_id, c.id, c.name, c.points, c.created_at_ms \
             FROM child_tokens t \
             JOIN children c ON c.family_id = t.family_id AND c.id = t.child_id \
             WHERE t.token_hash = $1",
        )
        .bind(token.0.as_slice())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(HolderRow { family_id, child }) => {
                let child = Child::read(rows::id(&family_id)?, child)?;
                Ok(TokenHolder::Child(child))
            }
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
        self.find::<Child>(owner, child).await?;
        sqlx::query("DELETE FROM child_tokens WHERE family_id = $1 AND child_id = $2")
            .bind(owner.to_string())
            .bind(child.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Adds a token of the owner's child, on a connection of the pool or a transaction's (a keyed
/// create's): not found for another family's child, a duplicate for a hash a parent or a child
/// already holds.
pub(super) async fn add_child_token(
    connection: &mut PgConnection,
    owner: UserId,
    child: ChildId,
    hash: TokenHash,
) -> Result<(), FamilyError> {
    let found: Option<(i32,)> =
        sqlx::query_as("SELECT 1 FROM children WHERE family_id = $1 AND id = $2")
            .bind(owner.to_string())
            .bind(child.to_string())
            .fetch_optional(&mut *connection)
            .await?;
    found.ok_or(FamilyError::NotFound)?;
    let token = ChildToken {
        hash,
        family: owner,
        child,
    };
    match insert_child_token(connection, &token).await? {
        true => Ok(()),
        false => Err(FamilyError::Duplicate),
    }
}

/// Inserts a child's token, in a keyed create's transaction or an import's. `false`, inserting
/// nothing, when a parent's token has the hash (a child's is the unique violation).
pub(super) async fn insert_child_token<'e>(
    executor: impl PgExecutor<'e>,
    token: &ChildToken,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO child_tokens (token_hash, family_id, child_id) \
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM users WHERE token_hash = $1)",
    )
    .bind(token.hash.0.as_slice())
    .bind(token.family.to_string())
    .bind(token.child.to_string())
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
