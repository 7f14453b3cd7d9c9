//! What an event records besides its numbers: the entity's name and size, and who acted.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::points::check_in_range;
use crate::{ModelError, RewardRequestId};

/// Who performed a tracked action: the parent, or the child on its own device.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    TS,
    ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The family's parent (every event of version 1 was made by one).
    #[default]
    Parent,
    /// The child, with a token of its own.
    Child,
}

impl Actor {
    /// The name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Parent => "parent",
            Self::Child => "child",
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts an event keeps so that the history reads well after the entity is deleted, and who
/// acted. Unknown keys are ignored when an event is read. The fields are in alphabetical order,
/// so the JSON is written as version 1 wrote its free-form metadata (a sorted map).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct EventMetadata {
    /// Who acted; an event stored before version 2 has none and was made by a parent.
    #[serde(default)]
    pub actor: Actor,
    /// The reward's cost; only on reward events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cost: Option<i64>,
    /// The task's or reward's name when the action happened.
    pub entity_name: String,
    /// Whether the activated task was good (`false`: a penalty); only on activations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub is_good: Option<bool>,
    /// A task's or penalty's magnitude (positive); only on activations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub points: Option<i64>,
    /// The request created or resolved by a reward event, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reward_request_id: Option<RewardRequestId>,
}

impl EventMetadata {
    /// Metadata naming the entity, made by `actor`, with no other facts.
    pub fn named(entity_name: impl Into<String>, actor: Actor) -> Self {
        Self {
            entity_name: entity_name.into(),
            actor,
            points: None,
            is_good: None,
            cost: None,
            reward_request_id: None,
        }
    }

    /// Refuses numbers a JavaScript client could not read exactly.
    pub(crate) fn check(&self) -> Result<(), ModelError> {
        for value in [self.points, self.cost].into_iter().flatten() {
            check_in_range("metadata", value).map_err(|_| ModelError::MetadataOutOfRange {
                value: value.to_string(),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::MAX_POINTS;

    #[test]
    fn metadata_without_an_actor_was_made_by_a_parent() {
        let old: EventMetadata = serde_json::from_value(
            json!({"entity_name": "Make bed", "is_good": true, "points": 5}),
        )
        .unwrap();
        assert_eq!(old.actor, Actor::Parent);
        assert_eq!(old.points, Some(5));
        assert_eq!(
            serde_json::to_value(&old).unwrap(),
            json!({"actor": "parent", "entity_name": "Make bed", "is_good": true, "points": 5})
        );
    }

    #[test]
    fn the_actor_reads_and_writes_in_lowercase() {
        let child = EventMetadata::named("Ice cream", Actor::Child);
        let text = serde_json::to_string(&child).unwrap();
        assert_eq!(text, r#"{"actor":"child","entity_name":"Ice cream"}"#);
        assert_eq!(serde_json::from_str::<EventMetadata>(&text).unwrap(), child);
        assert!(
            serde_json::from_value::<EventMetadata>(json!({"entity_name": "x", "actor": "dog"}))
                .is_err()
        );
    }

    #[test]
    fn numbers_past_what_javascript_reads_exactly_are_refused() {
        let mut metadata = EventMetadata::named("Big", Actor::Parent);
        metadata.cost = Some(MAX_POINTS);
        assert!(metadata.check().is_ok());
        metadata.cost = Some(MAX_POINTS + 1);
        assert!(metadata.check().is_err());
    }
}
