//! Children, tasks, rewards and pending reward requests: each row names its family, and every read
//! or delete is by (family, id), so another family's record is not found.

use tracking_model::{
    Child, ChildId, Reward, RewardId, RewardRequest, RewardRequestStatus, Task, TaskId, UserId,
};

use sqlx::PgExecutor;
use sqlx::postgres::PgRow;

use super::errors::Unreadable;
use super::{PostgresStore, errors, rows};
use crate::FamilyError;

macro_rules! select_children {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, points, created_at_ms FROM children ",
            $rest
        )
    };
}

macro_rules! select_tasks {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, points, is_good, created_at_ms FROM tasks ",
            $rest
        )
    };
}

macro_rules! select_rewards {
    ($rest:literal) => {
        concat!("SELECT id, name, cost, created_at_ms FROM rewards ", $rest)
    };
}

/// The tables of a family's records.
#[derive(Debug, Clone, Copy)]
pub(super) enum Table {
    Children,
    Tasks,
    Rewards,
}

impl Table {
    fn delete(self) -> &'static str {
        match self {
            Self::Children => "DELETE FROM children WHERE family_id = $1 AND id = $2",
            Self::Tasks => "DELETE FROM tasks WHERE family_id = $1 AND id = $2",
            Self::Rewards => "DELETE FROM rewards WHERE family_id = $1 AND id = $2",
        }
    }
}

/// Inserts a record; a missing owner is [`FamilyError::NotFound`] (the foreign key), a taken id
/// [`FamilyError::Duplicate`].
async fn insert<'e>(
    executor: impl PgExecutor<'e>,
    query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<(), FamilyError> {
    query.execute(executor).await.map_err(errors::family)?;
    Ok(())
}

/// The record inserts, on the pool or in a transaction (a keyed create's).
pub(super) async fn insert_child<'e>(
    executor: impl PgExecutor<'e>,
    child: &Child,
) -> Result<(), FamilyError> {
    insert(
        executor,
        sqlx::query(
            "INSERT INTO children (family_id, id, name, points, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(child.user_id.to_string())
        .bind(child.id.to_string())
        .bind(&child.name)
        .bind(child.points)
        .bind(child.created_at.unix_millis()),
    )
    .await
}

pub(super) async fn insert_task<'e>(
    executor: impl PgExecutor<'e>,
    task: &Task,
) -> Result<(), FamilyError> {
    insert(
        executor,
        sqlx::query(
            "INSERT INTO tasks (family_id, id, name, points, is_good, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(task.user_id.to_string())
        .bind(task.id.to_string())
        .bind(&task.name)
        .bind(task.points)
        .bind(task.is_good)
        .bind(task.created_at.unix_millis()),
    )
    .await
}

pub(super) async fn insert_reward<'e>(
    executor: impl PgExecutor<'e>,
    reward: &Reward,
) -> Result<(), FamilyError> {
    insert(
        executor,
        sqlx::query(
            "INSERT INTO rewards (family_id, id, name, cost, created_at_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(reward.user_id.to_string())
        .bind(reward.id.to_string())
        .bind(&reward.name)
        .bind(reward.cost)
        .bind(reward.created_at.unix_millis()),
    )
    .await
}

impl PostgresStore {
    /// Deletes the owner's record `id` from `table`; pending requests of a child or reward go
    /// with it (the foreign keys' cascade).
    pub(super) async fn remove(
        &self,
        table: Table,
        owner: UserId,
        id: String,
    ) -> Result<(), FamilyError> {
        let removed = sqlx::query(table.delete())
            .bind(owner.to_string())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(errors::family)?;
        if removed.rows_affected() == 0 {
            return Err(FamilyError::NotFound);
        }
        Ok(())
    }

    pub(super) async fn find_child(
        &self,
        owner: UserId,
        id: ChildId,
    ) -> Result<Child, FamilyError> {
        let select = select_children!("WHERE family_id = $1 AND id = $2");
        record_in(&self.pool, select, owner, id.to_string(), rows::child).await
    }

    pub(super) async fn family_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        let select = select_children!("WHERE family_id = $1 ORDER BY id");
        self.family_records(select, owner, rows::child).await
    }

    pub(super) async fn find_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        task_in(&self.pool, owner, id).await
    }

    pub(super) async fn family_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        let select = select_tasks!("WHERE family_id = $1 ORDER BY id");
        self.family_records(select, owner, rows::task).await
    }

    pub(super) async fn find_reward(
        &self,
        owner: UserId,
        id: RewardId,
    ) -> Result<Reward, FamilyError> {
        reward_in(&self.pool, owner, id).await
    }

    pub(super) async fn family_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        let select = select_rewards!("WHERE family_id = $1 ORDER BY id");
        self.family_records(select, owner, rows::reward).await
    }

    /// Every record `select` finds in the owner's family (`$1`), each built by `build`.
    async fn family_records<R: Record, T>(
        &self,
        select: &'static str,
        owner: UserId,
        build: fn(UserId, R) -> Result<T, Unreadable>,
    ) -> Result<Vec<T>, FamilyError> {
        let found: Vec<R> = sqlx::query_as(select)
            .bind(owner.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(errors::family)?;
        Ok(found
            .into_iter()
            .map(|row| build(owner, row))
            .collect::<Result<_, _>>()?)
    }

    /// The child's pending requests, oldest first; the child must be the owner's.
    pub(super) async fn child_pending(
        &self,
        owner: UserId,
        child: ChildId,
    ) -> Result<Vec<RewardRequest>, FamilyError> {
        self.find_child(owner, child).await?;
        let found: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, reward_id, requested_at_ms FROM reward_requests \
             WHERE family_id = $1 AND child_id = $2 ORDER BY id",
        )
        .bind(owner.to_string())
        .bind(child.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(errors::family)?;
        found
            .into_iter()
            .map(|(id, reward, requested)| {
                Ok(RewardRequest {
                    id: rows::id(&id)?,
                    child_id: child,
                    reward_id: rows::id(&reward)?,
                    status: RewardRequestStatus::Pending,
                    requested_at: rows::time(requested)?,
                    resolved_at: None,
                })
            })
            .collect()
    }
}

/// The owner's task `id`, read through `executor` (the pool, or a mutation's transaction).
pub(super) async fn task_in<'c>(
    executor: impl PgExecutor<'c>,
    owner: UserId,
    id: TaskId,
) -> Result<Task, FamilyError> {
    let select = select_tasks!("WHERE family_id = $1 AND id = $2");
    record_in(executor, select, owner, id.to_string(), rows::task).await
}

/// The owner's reward `id`, read through `executor`.
pub(super) async fn reward_in<'c>(
    executor: impl PgExecutor<'c>,
    owner: UserId,
    id: RewardId,
) -> Result<Reward, FamilyError> {
    let select = select_rewards!("WHERE family_id = $1 AND id = $2");
    record_in(executor, select, owner, id.to_string(), rows::reward).await
}

/// A row of one of the record tables, as a tuple of its columns.
trait Record: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {}

impl<R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin> Record for R {}

/// The record `select` finds by the owner's family (`$1`) and `id` (`$2`), read through
/// `executor` and built by `build`; not found when another family holds it.
async fn record_in<'c, R: Record, T>(
    executor: impl PgExecutor<'c>,
    select: &'static str,
    owner: UserId,
    id: String,
    build: fn(UserId, R) -> Result<T, Unreadable>,
) -> Result<T, FamilyError> {
    let row: Option<R> = sqlx::query_as(select)
        .bind(owner.to_string())
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(errors::family)?;
    Ok(build(owner, row.ok_or(FamilyError::NotFound)?)?)
}
