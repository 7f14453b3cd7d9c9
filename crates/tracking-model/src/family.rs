//! A family's records: the parent user, children with their points, tasks, rewards and reward requests.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{ChildId, RewardId, RewardRequestId, TaskId, Timestamp, UserId};

/// A parent account. Its token is never part of this record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub created_at: Timestamp,
}

/// A child of a user's family, with its current points (may be below 0 after penalties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Child {
    pub id: ChildId,
    pub user_id: UserId,
    pub name: String,
    pub points: i64,
    pub created_at: Timestamp,
}

/// Something a child does for points; with `is_good: false` it is a penalty that takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub id: TaskId,
    pub user_id: UserId,
    pub name: String,
    /// A positive magnitude, 1 to 1,000,000; the sign comes from `is_good`.
    pub points: i64,
    pub is_good: bool,
    pub created_at: Timestamp,
}

impl Task {
    /// The change in points that activating this task makes.
    pub const fn signed_points(&self) -> i64 {
        if self.is_good {
            self.points
        } else {
            -self.points
        }
    }

    /// `task` for a good task, `penalty` otherwise.
    pub const fn entity_type(&self) -> crate::EntityType {
        if self.is_good {
            crate::EntityType::Task
        } else {
            crate::EntityType::Penalty
        }
    }
}

/// Something a child can spend points on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reward {
    pub id: RewardId,
    pub user_id: UserId,
    pub name: String,
    /// 1 to 1,000,000 points.
    pub cost: i64,
    pub created_at: Timestamp,
}

/// Where a reward request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RewardRequestStatus {
    Pending,
    Redeemed,
    Cancelled,
}

/// A child's request for a reward, pending until a parent redeems or cancels it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardRequest {
    pub id: RewardRequestId,
    pub child_id: ChildId,
    pub reward_id: RewardId,
    pub status: RewardRequestStatus,
    pub requested_at: Timestamp,
    /// `null` while pending.
    pub resolved_at: Option<Timestamp>,
}
