//! A tracked action as one transaction: the child's row is locked (`FOR UPDATE`), so actions on
//! one child run one at a time on every server and each event's `points_before` is the previous
//! event's `points_after`; the points, the request, the family's next number and the event in the
//! outbox commit together, or nothing does, and with them the commit notice naming the family
//! (`notify.rs`).
//!
//! The family's number is taken last, from its row in `family_sequences`: that row stays locked
//! until the commit, so a family's numbers follow the order its events commit in, without gaps
//! (a rolled-back action gives its number back).

use sqlx::PgConnection;
use tracking_model::{
    Child, ChildId, Moments, RewardId, RewardRequest, RewardRequestStatus, Timestamp,
    TrackedAction, TrackingEvent, UserId, after_last, decide,
};

use super::records::{reward_in, task_in};
use super::{PostgresStore, errors, notify, rows};
use crate::{ActionTarget, Applied, ChildAction, FamilyError};

/// `SELECT id, name, points, created_at_ms, last_occurred_at_ms, last_created_at_ms`.
type LockedChild = (String, String, i64, i64, Option<i64>, Option<i64>);

impl PostgresStore {
    pub(super) async fn apply_action(
        &self,
        action: ChildAction,
        occurred_at: Timestamp,
    ) -> Result<Applied, FamilyError> {
        let mut transaction = self.pool.begin().await.map_err(errors::family)?;
        let applied = act(&mut transaction, action, occurred_at).await?;
        transaction.commit().await.map_err(errors::family)?;
        Ok(applied)
    }
}

/// The tracked action inside the caller's transaction, which commits it (with an idempotency key,
/// say) or rolls it back. A refusal is decided before anything is written.
pub(super) async fn act(
    connection: &mut PgConnection,
    action: ChildAction,
    occurred_at: Timestamp,
) -> Result<Applied, FamilyError> {
    let ChildAction {
        owner,
        child,
        target,
        actor,
    } = action;
    let (current, last) = lock_child(connection, owner, child).await?;
    let (action, reward) = match target {
        ActionTarget::Activate(id) => (
            TrackedAction::Activate(task_in(&mut *connection, owner, id).await?),
            None,
        ),
        ActionTarget::Request(id) => (
            TrackedAction::Request(reward_in(&mut *connection, owner, id).await?),
            Some(id),
        ),
        ActionTarget::Redeem(id) => (
            TrackedAction::Redeem(reward_in(&mut *connection, owner, id).await?),
            Some(id),
        ),
        ActionTarget::Cancel(id) => (
            TrackedAction::Cancel(reward_in(&mut *connection, owner, id).await?),
            Some(id),
        ),
    };
    let pending = match reward {
        Some(reward) => pending_for(connection, owner, child, reward).await?,
        None => None,
    };
    let moments = after_last(last, occurred_at, Timestamp::now());
    let effect = decide(&current, &action, pending.as_ref(), moments, actor)?;
    store_points(connection, &effect.event).await?;
    if let Some(request) = &effect.reward_request {
        store_request(connection, owner, request).await?;
    }
    let sequence = next_number(connection, owner).await?;
    sqlx::query(
        "INSERT INTO outbox (family_id, family_sequence, event_id, event) \
             VALUES ($1, $2, $3, $4::jsonb)",
    )
    .bind(owner.to_string())
    .bind(rows::big(sequence))
    .bind(effect.event.id().to_string())
    .bind(rows::event_json(&effect.event))
    .execute(&mut *connection)
    .await
    .map_err(errors::family)?;
    notify::notify_committed(connection, owner).await?;
    Ok(Applied { effect, sequence })
}

/// The owner's child, locked until the transaction ends, and when its last event happened.
async fn lock_child(
    connection: &mut PgConnection,
    owner: UserId,
    child: ChildId,
) -> Result<(Child, Option<Moments>), FamilyError> {
    let row: Option<LockedChild> = sqlx::query_as(
        "SELECT id, name, points, created_at_ms, last_occurred_at_ms, last_created_at_ms \
         FROM children WHERE family_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(owner.to_string())
    .bind(child.to_string())
    .fetch_optional(connection)
    .await
    .map_err(errors::family)?;
    let (id, name, points, created, last_occurred, last_created) =
        row.ok_or(FamilyError::NotFound)?;
    let last = match (last_occurred, last_created) {
        (Some(occurred), Some(created)) => Some(Moments {
            occurred_at: rows::time(occurred)?,
            created_at: rows::time(created)?,
        }),
        _ => None,
    };
    Ok((rows::child(owner, (id, name, points, created))?, last))
}

/// The child's pending request for `reward`.
async fn pending_for(
    connection: &mut PgConnection,
    owner: UserId,
    child: ChildId,
    reward: RewardId,
) -> Result<Option<RewardRequest>, FamilyError> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT id, requested_at_ms FROM reward_requests \
         WHERE family_id = $1 AND child_id = $2 AND reward_id = $3",
    )
    .bind(owner.to_string())
    .bind(child.to_string())
    .bind(reward.to_string())
    .fetch_optional(connection)
    .await
    .map_err(errors::family)?;
    let Some((id, requested)) = row else {
        return Ok(None);
    };
    Ok(Some(RewardRequest {
        id: rows::id(&id)?,
        child_id: child,
        reward_id: reward,
        status: RewardRequestStatus::Pending,
        requested_at: rows::time(requested)?,
        resolved_at: None,
    }))
}

/// The child's points become the event's `points_after`, and its last moments the event's.
async fn store_points(
    connection: &mut PgConnection,
    event: &TrackingEvent,
) -> Result<(), FamilyError> {
    let owner = event.user_id().ok_or(FamilyError::NotFound)?;
    sqlx::query(
        "UPDATE children SET points = $3, last_occurred_at_ms = $4, last_created_at_ms = $5 \
         WHERE family_id = $1 AND id = $2",
    )
    .bind(owner.to_string())
    .bind(event.child_id().to_string())
    .bind(event.points_after())
    .bind(event.occurred_at().unix_millis())
    .bind(event.created_at().unix_millis())
    .execute(connection)
    .await
    .map_err(errors::family)?;
    Ok(())
}

/// A new request is stored; a redeemed or cancelled one leaves the pending requests. A reward
/// deleted meanwhile fails the insert's foreign key: not found.
async fn store_request(
    connection: &mut PgConnection,
    owner: UserId,
    request: &RewardRequest,
) -> Result<(), FamilyError> {
    let query = if request.status == RewardRequestStatus::Pending {
        sqlx::query(
            "INSERT INTO reward_requests (family_id, id, child_id, reward_id, requested_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(owner.to_string())
        .bind(request.id.to_string())
        .bind(request.child_id.to_string())
        .bind(request.reward_id.to_string())
        .bind(request.requested_at.unix_millis())
    } else {
        sqlx::query("DELETE FROM reward_requests WHERE family_id = $1 AND id = $2")
            .bind(owner.to_string())
            .bind(request.id.to_string())
    };
    query.execute(connection).await.map_err(errors::family)?;
    Ok(())
}

/// Takes the family's next number; its row stays locked until the transaction ends.
async fn next_number(connection: &mut PgConnection, family: UserId) -> Result<u64, FamilyError> {
    let (number,): (i64,) = sqlx::query_as(
        "INSERT INTO family_sequences (family_id, last_number) VALUES ($1, 1) \
         ON CONFLICT (family_id) DO UPDATE SET last_number = family_sequences.last_number + 1 \
         RETURNING last_number",
    )
    .bind(family.to_string())
    .fetch_one(connection)
    .await
    .map_err(errors::family)?;
    Ok(rows::count(number))
}
