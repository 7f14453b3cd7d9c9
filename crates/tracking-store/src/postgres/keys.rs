//! Idempotency keys on PostgreSQL: a keyed request's transaction first takes a lock on its key
//! (`pg_advisory_xact_lock`, so the same key's requests run one at a time on every server), looks
//! the key up, and otherwise performs the request and stores the key with its answer before the
//! one commit. Storing a key drops the keys expired at its time.

use std::future::Future;
use std::pin::Pin;

use sqlx::{PgConnection, PgExecutor};
use tracking_model::{Child, ChildId, Reward, Task, User, UserId};

use super::{PostgresStore, records, tokens, users};
use crate::{
    Created, FamilyError, IdempotencyKey, KEY_LIFETIME_MILLIS, KeyRecord, Keyed, Keying,
    StoredAnswer, TokenHash,
};

/// A [`Created`] record, owned so that its insert can run on the store's runtime.
pub(super) enum NewRow {
    User(User, TokenHash),
    Child(Child),
    Task(Task),
    Reward(Reward),
    ChildToken {
        owner: UserId,
        child: ChildId,
        token: TokenHash,
    },
}

impl From<Created<'_>> for NewRow {
    fn from(record: Created<'_>) -> Self {
        match record {
            Created::User(user, token) => Self::User(user.clone(), *token),
            Created::Child(child) => Self::Child(child.clone()),
            Created::Task(task) => Self::Task(task.clone()),
            Created::Reward(reward) => Self::Reward(reward.clone()),
            Created::ChildToken {
                owner,
                child,
                token,
            } => Self::ChildToken {
                owner,
                child,
                token: *token,
            },
        }
    }
}

impl PostgresStore {
    /// Performs `work` under an idempotency key, in one transaction with the key and its answer.
    pub(super) async fn keyed<T>(
        &self,
        keying: Keying<'_, T>,
        work: impl for<'c> FnOnce(&'c mut PgConnection) -> Work<'c, T>,
    ) -> Result<Keyed<T>, FamilyError> {
        let Keying { key, render } = keying;
        let mut transaction = self.pool.begin().await?;
        if let Some(found) = earlier(&mut transaction, key).await? {
            return Ok(found);
        }
        let done = work(&mut transaction).await;
        match (render(done.as_ref()), done) {
            (Some(answer), done) => {
                store(&mut transaction, &KeyRecord::new(key, answer)).await?;
                transaction.commit().await?;
                done.map(Keyed::Fresh)
            }
            // Not kept: the request is performed without its key (nothing else is written for a
            // refusal that is not kept; an error rolls back).
            (None, Ok(performed)) => {
                transaction.commit().await?;
                Ok(Keyed::Fresh(performed))
            }
            (None, Err(error)) => Err(error),
        }
    }

    pub(super) async fn create_record(&self, row: NewRow) -> Result<(), FamilyError> {
        let mut connection = self.pool.acquire().await?;
        insert(&mut connection, row).await
    }
}

/// A keyed request's work inside its transaction.
pub(super) type Work<'c, T> = Pin<Box<dyn Future<Output = Result<T, FamilyError>> + Send + 'c>>;

/// Inserts the new record's row.
pub(super) async fn insert(connection: &mut PgConnection, row: NewRow) -> Result<(), FamilyError> {
    match row {
        NewRow::User(user, token) => match users::insert_user(connection, &user, &token).await? {
            true => Ok(()),
            false => Err(FamilyError::Duplicate),
        },
        NewRow::Child(child) => Ok(records::insert(connection, &child).await?),
        NewRow::Task(task) => Ok(records::insert(connection, &task).await?),
        NewRow::Reward(reward) => Ok(records::insert(connection, &reward).await?),
        NewRow::ChildToken {
            owner,
            child,
            token,
        } => tokens::add_child_token(connection, owner, child, token).await,
    }
}

/// Locks the key for the transaction and answers what an earlier request with it decided: its
/// answer again for the same request, a reuse for another; `None` for a key not kept.
async fn earlier<T>(
    connection: &mut PgConnection,
    key: &IdempotencyKey,
) -> Result<Option<Keyed<T>>, FamilyError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))")
        .bind(&key.owner)
        .bind(&key.key)
        .execute(&mut *connection)
        .await?;
    let found: Option<(String, i64, i32, String)> = sqlx::query_as(
        "SELECT fingerprint, stored_at_ms, status, body FROM idempotency_keys \
         WHERE owner = $1 AND key = $2",
    )
    .bind(&key.owner)
    .bind(&key.key)
    .fetch_optional(connection)
    .await?;
    let Some((fingerprint, stored_at, status, body)) = found else {
        return Ok(None);
    };
    if key.at.unix_millis() >= stored_at.saturating_add(KEY_LIFETIME_MILLIS) {
        return Ok(None);
    }
    Ok(Some(if fingerprint == key.fingerprint {
        Keyed::Replayed(answer(&key.key, status, body)?)
    } else {
        Keyed::Reused
    }))
}

/// Stores the key with its answer, and drops every key expired at its time.
async fn store(connection: &mut PgConnection, record: &KeyRecord) -> Result<(), FamilyError> {
    let at = record.stored_at.unix_millis();
    sqlx::query("DELETE FROM idempotency_keys WHERE stored_at_ms <= $1")
        .bind(at.saturating_sub(KEY_LIFETIME_MILLIS))
        .execute(&mut *connection)
        .await?;
    insert_key(connection, record).await?;
    Ok(())
}

/// Inserts a key with its answer (over an expired record of the same key), in a keyed request's
/// transaction or an import's.
pub(super) async fn insert_key<'e>(
    executor: impl PgExecutor<'e>,
    record: &KeyRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO idempotency_keys \
         (owner, key, fingerprint, family_id, stored_at_ms, status, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (owner, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, \
         family_id = EXCLUDED.family_id, stored_at_ms = EXCLUDED.stored_at_ms, \
         status = EXCLUDED.status, body = EXCLUDED.body",
    )
    .bind(&record.owner)
    .bind(&record.key)
    .bind(&record.fingerprint)
    .bind(record.family.map(|family| family.to_string()))
    .bind(record.stored_at.unix_millis())
    .bind(i32::from(record.answer.status))
    .bind(&record.answer.body)
    .execute(executor)
    .await?;
    Ok(())
}

/// A kept answer as read back: the stored status must be an HTTP status.
pub(super) fn answer(key: &str, status: i32, body: String) -> Result<StoredAnswer, FamilyError> {
    let status = u16::try_from(status)
        .map_err(|_| FamilyError::Corrupt(format!("idempotency key {key}: status {status}")))?;
    Ok(StoredAnswer { status, body })
}
