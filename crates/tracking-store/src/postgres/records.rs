//! Children, tasks, rewards and pending reward requests: each row names its family, and every read
//! or delete is by (family, id), so another family's record is not found. Each record's table is
//! described once, by its [`Record`] implementation; the store's reads, deletes and creates and the
//! import's copies all go through it.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgExecutor, Postgres};
use tracking_model::{
    Child, ChildId, Reward, RewardId, RewardRequest, RewardRequestStatus, Task, TaskId, UserId,
};

use super::errors::Unreadable;
use super::{PostgresStore, rows};
use crate::FamilyError;

/// An insert statement with its arguments bound.
pub(super) type Insert<'q> = Query<'q, Postgres, PgArguments>;

/// A family's record kept in a table of its own, keyed by (family, id): its statements, how its
/// row reads back, and how it binds to its insert.
pub(super) trait Record: Sized + Send + 'static {
    type Id: ToString + Send;
    /// The row the selects read.
    type Row: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin;
    /// The record `$2` of family `$1`.
    const SELECT_ONE: &'static str;
    /// Every record of family `$1`, by id (so oldest first).
    const SELECT_FAMILY: &'static str;
    /// The record `$2` of family `$1` deleted.
    const DELETE: &'static str;
    /// The record, `$1` its family and `$2` its id.
    const INSERT: &'static str;

    fn read(owner: UserId, row: Self::Row) -> Result<Self, Unreadable>;

    /// Binds the record's columns to [`Self::INSERT`].
    fn bind<'q>(&'q self, insert: Insert<'q>) -> Insert<'q>;
}

/// Implements [`Record`] for a model type whose table holds, after `family_id`, its `id`, the
/// `$field`s as the model has them, and `created_at_ms`; `$row` is the row its selects read, and
/// `$values` the insert's placeholders, one per column.
macro_rules! record {
    ($model:ident($id:ty) in $table:literal as $row:ident {
        $($field:ident: $kind:ty),* $(,)?
    } values $values:literal) => {
        #[doc = concat!("A row of `", $table, "`.")]
        #[derive(sqlx::FromRow)]
        pub(super) struct $row {
            pub(super) id: String,
            $(pub(super) $field: $kind,)*
            pub(super) created_at_ms: i64,
        }

        impl Record for $model {
            type Id = $id;
            type Row = $row;
            const SELECT_ONE: &'static str = concat!(
                "SELECT id, ", $(stringify!($field), ", ",)* "created_at_ms FROM ", $table,
                " WHERE family_id = $1 AND id = $2"
            );
            const SELECT_FAMILY: &'static str = concat!(
                "SELECT id, ", $(stringify!($field), ", ",)* "created_at_ms FROM ", $table,
                " WHERE family_id = $1 ORDER BY id"
            );
            const DELETE: &'static str =
                concat!("DELETE FROM ", $table, " WHERE family_id = $1 AND id = $2");
            const INSERT: &'static str = concat!(
                "INSERT INTO ", $table, " (family_id, id, ", $(stringify!($field), ", ",)*
                "created_at_ms) VALUES (", $values, ")"
            );

            fn read(owner: UserId, row: $row) -> Result<Self, Unreadable> {
                Ok(Self {
                    id: rows::id(&row.id)?,
                    user_id: owner,
                    $($field: row.$field,)*
                    created_at: rows::time(row.created_at_ms)?,
                })
            }

            fn bind<'q>(&'q self, insert: Insert<'q>) -> Insert<'q> {
                insert
                    .bind(self.user_id.to_string())
                    .bind(self.id.to_string())
                    $(.bind(&self.$field))*
                    .bind(self.created_at.unix_millis())
            }
        }
    };
}

record!(Child(ChildId) in "children" as ChildRow {
    name: String,
    points: i64,
} values "$1, $2, $3, $4, $5");

record!(Task(TaskId) in "tasks" as TaskRow {
    name: String,
    points: i64,
    is_good: bool,
} values "$1, $2, $3, $4, $5, $6");

record!(Reward(RewardId) in "rewards" as RewardRow {
    name: String,
    cost: i64,
} values "$1, $2, $3, $4, $5");

/// Inserts a record through the pool, a keyed create's transaction or an import's.
pub(super) async fn insert<'e, R: Record>(
    executor: impl PgExecutor<'e>,
    record: &R,
) -> Result<(), sqlx::Error> {
    record
        .bind(sqlx::query(R::INSERT))
        .execute(executor)
        .await?;
    Ok(())
}

/// Inserts a pending request of `family`'s (the import's: a tracked action files its request in
/// its own write, `mutation.rs`).
pub(super) async fn insert_pending<'e>(
    executor: impl PgExecutor<'e>,
    family: UserId,
    request: &RewardRequest,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reward_requests (family_id, id, child_id, reward_id, requested_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(family.to_string())
    .bind(request.id.to_string())
    .bind(request.child_id.to_string())
    .bind(request.reward_id.to_string())
    .bind(request.requested_at.unix_millis())
    .execute(executor)
    .await?;
    Ok(())
}

/// The child's pending request `id` for `reward`, requested at `requested_at_ms` (a row of
/// `reward_requests`: every one kept is pending).
pub(super) fn pending(
    id: &str,
    child: ChildId,
    reward: RewardId,
    requested_at_ms: i64,
) -> Result<RewardRequest, Unreadable> {
    Ok(RewardRequest {
        id: rows::id(id)?,
        child_id: child,
        reward_id: reward,
        status: RewardRequestStatus::Pending,
        requested_at: rows::time(requested_at_ms)?,
        resolved_at: None,
    })
}

impl PostgresStore {
    /// The owner's record `id`; not found when another family holds it.
    pub(super) async fn find<R: Record>(&self, owner: UserId, id: R::Id) -> Result<R, FamilyError> {
        let row: Option<R::Row> = sqlx::query_as(R::SELECT_ONE)
            .bind(owner.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(R::read(owner, row.ok_or(FamilyError::NotFound)?)?)
    }

    /// Every record of the owner's family, oldest first.
    pub(super) async fn family_records<R: Record>(
        &self,
        owner: UserId,
    ) -> Result<Vec<R>, FamilyError> {
        let found: Vec<R::Row> = sqlx::query_as(R::SELECT_FAMILY)
            .bind(owner.to_string())
            .fetch_all(&self.pool)
            .await?;
        Ok(found
            .into_iter()
            .map(|row| R::read(owner, row))
            .collect::<Result<_, _>>()?)
    }

    /// Deletes the owner's record `id`; pending requests of a child or reward go with it (the
    /// foreign keys' cascade).
    pub(super) async fn remove<R: Record>(
        &self,
        owner: UserId,
        id: R::Id,
    ) -> Result<(), FamilyError> {
        let removed = sqlx::query(R::DELETE)
            .bind(owner.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(FamilyError::NotFound);
        }
        Ok(())
    }

    /// The child's pending requests, oldest first; the child must be the owner's.
    pub(super) async fn child_pending(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        self.find::<Child>(owner, child).await?;
        let found: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, reward_id, requested_at_ms FROM reward_requests \
             WHERE family_id = $1 AND child_id = $2 ORDER BY id",
        )
        .bind(owner.to_string())
        .bind(child.to_string())
        .fetch_all(&self.pool)
        .await?;
        found
            .into_iter()
            .map(|(id, reward, requested)| Ok(pending(&id, child, rows::id(&reward)?, requested)?))
            .collect()
    }
}
