//! Children, tasks, rewards and pending reward requests: each row names its family, and every read
//! or delete is by (family, id), so another family's record is not found.

use tracking_model::{
    Child, ChildId, Reward, RewardId, RewardRequest, RewardRequestStatus, Task, TaskId, UserId,
};

use sqlx::PgExecutor;

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
        let row: Option<rows::ChildRow> =
            sqlx::query_as(select_children!("WHERE family_id = $1 AND id = $2"))
                .bind(owner.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(errors::family)?;
        Ok(rows::child(owner, row.ok_or(FamilyError::NotFound)?)?)
    }

    pub(super) async fn family_children(&self, owner: UserId) -> Result<Vec<Child>, FamilyError> {
        let found: Vec<rows::ChildRow> =
            sqlx::query_as(select_children!("WHERE family_id = $1 ORDER BY id"))
                .bind(owner.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(errors::family)?;
        Ok(found
            .into_iter()
            .map(|row| rows::child(owner, row))
            .collect::<Result<_, _>>()?)
    }

    pub(super) async fn find_task(&self, owner: UserId, id: TaskId) -> Result<Task, FamilyError> {
        task_in(&self.pool, owner, id).await
    }

    pub(super) async fn family_tasks(&self, owner: UserId) -> Result<Vec<Task>, FamilyError> {
        let found: Vec<rows::TaskRow> =
            sqlx::query_as(select_tasks!("WHERE family_id = $1 ORDER BY id"))
                .bind(owner.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(errors::family)?;
        Ok(found
            .into_iter()
            .map(|row| rows::task(owner, row))
            .collect::<Result<_, _>>()?)
    }

    pub(super) async fn find_reward(
        &self,
        owner: UserId,
        id: RewardId,
    ) -> Result<Reward, FamilyError> {
        reward_in(&self.pool, owner, id).await
    }

    pub(super) async fn family_rewards(&self, owner: UserId) -> Result<Vec<Reward>, FamilyError> {
        let found: Vec<rows::RewardRow> =
            sqlx::query_as(select_rewards!("WHERE family_id = $1 ORDER BY id"))
                .bind(owner.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(errors::family)?;
        Ok(found
            .into_iter()
            .map(|row| rows::reward(owner, row))
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
    executor: impl sqlx::PgExecutor<'c>,
    owner: UserId,
    id: TaskId,
) -> Result<Task, FamilyError> {
    let row: Option<rows::TaskRow> =
        sqlx::query_as(select_tasks!("WHERE family_id = $1 AND id = $2"))
            .bind(owner.to_string())
            .bind(id.to_string())
            .fetch_optional(executor)
            .await
            .map_err(errors::family)?;
    Ok(rows::task(owner, row.ok_or(FamilyError::NotFound)?)?)
}

/// The owner's reward `id`, read through `executor`.
pub(super) async fn reward_in<'c>(
    executor: impl sqlx::PgExecutor<'c>,
    owner: UserId,
    id: RewardId,
) -> Result<Reward, FamilyError> {
    let row: Option<rows::RewardRow> =
        sqlx::query_as(select_rewards!("WHERE family_id = $1 AND id = $2"))
            .bind(owner.to_string())
            .bind(id.to_string())
            .fetch_optional(executor)
            .await
            .map_err(errors::family)?;
    Ok(rows::reward(owner, row.ok_or(FamilyError::NotFound)?)?)
}
