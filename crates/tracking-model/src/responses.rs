//! The bodies of answers that are not a single record.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Child, RewardRequest, Timestamp, TrackingEvent, User};

/// `POST /admin/users`: the new user and its token, shown this once only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CreatedUser {
    pub user: User,
    /// The parent's bearer token; only its hash is kept.
    pub token: String,
}

/// The answer of the four tracked mutations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TrackedMutation {
    /// The child with its points after the action.
    pub child: Child,
    /// The one event the action recorded.
    pub tracking_event: TrackingEvent,
    /// The request created or resolved, where one is involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reward_request: Option<RewardRequest>,
}

/// `POST /events/ticket`: a one-time ticket for `GET /events?ticket=...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct EventTicket {
    pub ticket: String,
    /// The ticket works once, until this instant.
    pub expires_at: Timestamp,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `"ok"` while the server serves.
    pub status: String,
    /// Tracking events committed with their points change but not yet in the history.
    pub tracking_backlog: u64,
}
