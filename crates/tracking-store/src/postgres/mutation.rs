//! A tracked action in two statements: one reads the child with the action's target (and, for a
//! reward, the child's pending request for it), the rules decide in the process, and one writes
//! everything the decision changes — the child's points and last moments, the request, the
//! family's next number and the event in the outbox — so that it commits together, or nothing
//! does. The commit notice naming the family follows in a statement of its own (`notify.rs`).
//!
//! The write changes the child only if the child still is what was read (its points and last
//! moments, which every action moves forward): an action that lost the child to another, on any
//! server, changes nothing and reads again. So each event's `points_before` is the previous
//! event's `points_after` without holding the child's row across a round trip. Alone, the two
//! statements commit on their own (the write is the one durable commit); inside a caller's
//! transaction (an idempotency key's) the same two statements run there after a third that locks
//! the child's row (`FOR UPDATE`), so that the key and the action commit on the child as it was
//! read.
//!
//! The family's number comes from its row in `family_sequences`, which stays locked until the
//! commit, so a family's numbers follow the order its events commit in, without gaps (a
//! rolled-back action gives its number back).

use sqlx::PgConnection;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use tracking_model::{
    Child, ChildId, Moments, Reward, RewardRequest, RewardRequestStatus, Task, Timestamp,
    TrackedAction, UserId, after_last, decide,
};

use super::errors::Unreadable;
use super::records::{self, ChildRow, Record, RewardRow, TaskRow};
use super::{PostgresStore, notify, rows};
use crate::{ActionTarget, Applied, ChildAction, FamilyError};

/// The child's columns, selected first by every read (named apart from the target's).
macro_rules! child_columns {
    () => {
        "SELECT c.id AS child_id, c.name AS child_name, c.points AS child_points, \
         c.created_at_ms AS child_created_at_ms, c.last_occurred_at_ms, c.last_created_at_ms, "
    };
}

/// The child `$2` of family `$1` with the task `$3`; no row without either.
macro_rules! read_task {
    () => {
        concat!(
            child_columns!(),
            "t.id, t.name, t.points, t.is_good, t.created_at_ms \
             FROM children c JOIN tasks t ON t.family_id = c.family_id AND t.id = $3 \
             WHERE c.family_id = $1 AND c.id = $2"
        )
    };
}

/// The child `$2` of family `$1` with the reward `$3` (no row without either), and the child's
/// pending request for it.
macro_rules! read_reward {
    () => {
        concat!(
            child_columns!(),
            "r.id, r.name, r.cost, r.created_at_ms, q.id AS request_id, q.requested_at_ms \
             FROM children c JOIN rewards r ON r.family_id = c.family_id AND r.id = $3 \
             LEFT JOIN reward_requests q ON q.family_id = c.family_id AND q.child_id = c.id \
             AND q.reward_id = r.id \
             WHERE c.family_id = $1 AND c.id = $2"
        )
    };
}

/// The write: `$1` family, `$2` child, `$3`–`$5` the new points and moments, `$6`–`$8` the ones
/// read (the child changes only if it still holds them), `$9`, `$10` the event's id and JSON;
/// `$request` is one more `WITH` item (or none) for the reward request. Answers the event's number,
/// or no row if the child changed since it was read.
macro_rules! write {
    ($request:literal) => {
        concat!(
            "WITH moved AS (UPDATE children \
             SET points = $3, last_occurred_at_ms = $4, last_created_at_ms = $5 \
             WHERE family_id = $1 AND id = $2 AND points = $6 \
             AND last_occurred_at_ms IS NOT DISTINCT FROM $7 \
             AND last_created_at_ms IS NOT DISTINCT FROM $8 RETURNING family_id), ",
            $request,
            "numbered AS (INSERT INTO family_sequences (family_id, last_number) \
             SELECT family_id, 1 FROM moved ON CONFLICT (family_id) \
             DO UPDATE SET last_number = family_sequences.last_number + 1 RETURNING last_number), \
             queued AS (INSERT INTO outbox (family_id, family_sequence, event_id, event) \
             SELECT $1, last_number, $9, $10::jsonb FROM numbered RETURNING family_sequence) \
             SELECT family_sequence FROM queued"
        )
    };
}

/// A new pending request `$11` for reward `$12`, requested at `$13`.
const WRITE_FILED: &str = write!(
    "filed AS (INSERT INTO reward_requests \
     (family_id, id, child_id, reward_id, requested_at_ms) \
     SELECT family_id, $11, $2, $12, $13 FROM moved), "
);
/// The pending request `$11` redeemed or cancelled: it leaves the pending requests.
const WRITE_RESOLVED: &str = write!(
    "resolved AS (DELETE FROM reward_requests \
     WHERE family_id = $1 AND id = $11 AND EXISTS (SELECT FROM moved)), "
);
const WRITE_POINTS: &str = write!("");

/// The child as the reads select it first, with the moments of its last event.
#[derive(sqlx::FromRow)]
struct ChildState {
    child_id: String,
    child_name: String,
    child_points: i64,
    child_created_at_ms: i64,
    last_occurred_at_ms: Option<i64>,
    last_created_at_ms: Option<i64>,
}

impl ChildState {
    fn read(self, owner: UserId) -> Result<(Child, Option<Moments>), Unreadable> {
        let last = match (self.last_occurred_at_ms, self.last_created_at_ms) {
            (Some(occurred), Some(created)) => Some(Moments {
                occurred_at: rows::time(occurred)?,
                created_at: rows::time(created)?,
            }),
            _ => None,
        };
        let child = ChildRow {
            id: self.child_id,
            name: self.child_name,
            points: self.child_points,
            created_at_ms: self.child_created_at_ms,
        };
        Ok((Child::read(owner, child)?, last))
    }
}

/// `read_task!`'s row.
#[derive(sqlx::FromRow)]
struct TaskRead {
    #[sqlx(flatten)]
    child: ChildState,
    #[sqlx(flatten)]
    task: TaskRow,
}

/// `read_reward!`'s row: the pending request's columns are null without one.
#[derive(sqlx::FromRow)]
struct RewardRead {
    #[sqlx(flatten)]
    child: ChildState,
    #[sqlx(flatten)]
    reward: RewardRow,
    request_id: Option<String>,
    requested_at_ms: Option<i64>,
}

/// Whether the read locks the child's row until the transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Turn {
    /// Two statements on their own: the write changes nothing if the child changed meanwhile.
    Optimistic,
    /// Inside the caller's transaction, the child's row locked before the read.
    Locked,
}

/// What the read found: the child, its last moments, the action and the pending request.
struct Found {
    child: Child,
    last: Option<Moments>,
    action: TrackedAction,
    pending: Option<RewardRequest>,
}

impl PostgresStore {
    pub(super) async fn apply_action(
        &self,
        action: ChildAction,
        occurred_at: Timestamp,
    ) -> Result<Applied, FamilyError> {
        let owner = action.owner;
        let mut connection = self.pool.acquire().await?;
        let applied = act(&mut connection, Turn::Optimistic, action, occurred_at).await?;
        notify::notify_committed(&mut connection, owner).await;
        Ok(applied)
    }
}

/// The tracked action on `connection` (in the caller's transaction when `turn` is `Locked`). A
/// refusal is decided before anything is written.
pub(super) async fn act(
    connection: &mut PgConnection,
    turn: Turn,
    action: ChildAction,
    occurred_at: Timestamp,
) -> Result<Applied, FamilyError> {
    let ChildAction {
        owner,
        child,
        target,
        actor,
    } = action;
    loop {
        let found = read(connection, turn, owner, child, target).await?;
        let moments = after_last(found.last, occurred_at, Timestamp::now());
        let effect = decide(
            &found.child,
            &found.action,
            found.pending.as_ref(),
            moments,
            actor,
        )?;
        if let Some(sequence) = write(connection, &found, &effect).await? {
            return Ok(Applied { effect, sequence });
        }
        if turn == Turn::Locked {
            return Err(FamilyError::Corrupt(format!(
                "child {child} changed while its row was locked"
            )));
        }
    }
}

/// The child and the action's target in one statement; not found if either is missing.
async fn read(
    connection: &mut PgConnection,
    turn: Turn,
    owner: UserId,
    child: ChildId,
    target: ActionTarget,
) -> Result<Found, FamilyError> {
    if turn == Turn::Locked {
        // The lock is taken by a statement of its own, before the read: a read that locked the
        // child itself would, after waiting for a concurrent change of it, see the child's new
        // row joined with the pending request as it was before that change.
        sqlx::query("SELECT 1 FROM children WHERE family_id = $1 AND id = $2 FOR UPDATE")
            .bind(owner.to_string())
            .bind(child.to_string())
            .execute(&mut *connection)
            .await?;
    }
    let reward = match target {
        ActionTarget::Activate(task) => {
            let read: TaskRead =
                fetch(connection, read_task!(), owner, child, task.to_string()).await?;
            let (child, last) = read.child.read(owner)?;
            return Ok(Found {
                child,
                last,
                action: TrackedAction::Activate(Task::read(owner, read.task)?),
                pending: None,
            });
        }
        ActionTarget::Request(id) | ActionTarget::Redeem(id) | ActionTarget::Cancel(id) => id,
    };
    let read: RewardRead =
        fetch(connection, read_reward!(), owner, child, reward.to_string()).await?;
    let (child, last) = read.child.read(owner)?;
    let pending = match (read.request_id, read.requested_at_ms) {
        (Some(id), Some(requested)) => Some(records::pending(&id, child.id, reward, requested)?),
        _ => None,
    };
    let found = Reward::read(owner, read.reward)?;
    let action = match target {
        ActionTarget::Request(_) => TrackedAction::Request(found),
        ActionTarget::Redeem(_) => TrackedAction::Redeem(found),
        ActionTarget::Cancel(_) | ActionTarget::Activate(_) => TrackedAction::Cancel(found),
    };
    Ok(Found {
        child,
        last,
        action,
        pending,
    })
}

/// The row `select` finds for the owner's (`$1`) child (`$2`) and the action's target (`$3`).
async fn fetch<R>(
    connection: &mut PgConnection,
    select: &'static str,
    owner: UserId,
    child: ChildId,
    target: String,
) -> Result<R, FamilyError>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let row: Option<R> = sqlx::query_as(select)
        .bind(owner.to_string())
        .bind(child.to_string())
        .bind(target)
        .fetch_optional(connection)
        .await?;
    row.ok_or(FamilyError::NotFound)
}

/// Writes the effect in one statement; `None` if the child is no longer what `found` read. A
/// reward deleted meanwhile fails the request's foreign key: not found.
async fn write(
    connection: &mut PgConnection,
    found: &Found,
    effect: &tracking_model::Effect,
) -> Result<Option<u64>, FamilyError> {
    let event = &effect.event;
    let sql = match &effect.reward_request {
        None => WRITE_POINTS,
        Some(request) if request.status == RewardRequestStatus::Pending => WRITE_FILED,
        Some(_) => WRITE_RESOLVED,
    };
    let child = &found.child;
    let query: QueryAs<'_, _, (i64,), PgArguments> = sqlx::query_as(sql)
        .bind(child.user_id.to_string())
        .bind(child.id.to_string())
        .bind(event.points_after())
        .bind(event.occurred_at().unix_millis())
        .bind(event.created_at().unix_millis())
        .bind(child.points)
        .bind(found.last.map(|last| last.occurred_at.unix_millis()))
        .bind(found.last.map(|last| last.created_at.unix_millis()))
        .bind(event.id().to_string())
        .bind(rows::event_json(event));
    let query = match &effect.reward_request {
        None => query,
        Some(request) if request.status == RewardRequestStatus::Pending => query
            .bind(request.id.to_string())
            .bind(request.reward_id.to_string())
            .bind(request.requested_at.unix_millis()),
        Some(request) => query.bind(request.id.to_string()),
    };
    let row = query.fetch_optional(connection).await?;
    Ok(row.map(|(number,)| rows::count(number)))
}
