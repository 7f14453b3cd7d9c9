//! The bodies of answers that are not a single record.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::{Child, ChildId, RewardRequest, Timestamp, TrackingEvent, User};

/// `POST /admin/users`: the new user and its token, shown this once only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatedUser {
    pub user: User,
    /// The parent's bearer token; only its hash is kept.
    pub token: String,
}

/// `POST /children/{child_id}/tokens`: a token for the child's own device, shown this once only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildToken {
    /// The child's bearer token; only its hash is kept.
    pub token: String,
    pub child_id: ChildId,
}

/// `GET /me`: who the bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Me {
    /// A parent's token: the user's own fields next to `"role": "parent"`.
    Parent(User),
    /// A child's token: the child it belongs to.
    Child { child: Child },
}

// Written out because a derived schema would say `allOf: [User, {role}]`, which no parent's
// answer matches: `User` allows no property besides its own, `role` included.
impl utoipa::PartialSchema for Me {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
        use utoipa::openapi::{Ref, RefOr};
        let role = |name: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([name]))
        };
        // A parent: the user's own fields and its role, side by side.
        let mut parent = match User::schema() {
            RefOr::T(Schema::Object(user)) => user,
            _ => unreachable!("User is an object schema"),
        };
        parent
            .properties
            .insert("role".into(), role("parent").into());
        parent.required.insert(0, "role".into());
        parent.description =
            Some("A parent's token: the user's own fields next to `\"role\": \"parent\"`.".into());
        let child = ObjectBuilder::new()
            .description(Some("A child's token: the child it belongs to."))
            .property("role", role("child"))
            .property("child", Ref::from_schema_name(<Child as ToSchema>::name()))
            .required("role")
            .required("child")
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        OneOfBuilder::new()
            .description(Some("`GET /me`: who the bearer token belongs to."))
            .item(parent)
            .item(child)
            .into()
    }
}

impl ToSchema for Me {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            <Child as ToSchema>::name().into_owned(),
            <Child as utoipa::PartialSchema>::schema(),
        ));
        <Child as ToSchema>::schemas(schemas);
        <User as ToSchema>::schemas(schemas);
    }
}

/// The answer of the four tracked mutations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
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

impl TrackedMutation {
    /// The answer's JSON, what serializing it with `serde_json` writes, around the event's text
    /// written once ([`TrackingEvent::json`]).
    pub fn json(&self) -> serde_json::Result<String> {
        let event = self.tracking_event.json()?;
        let mut text = Vec::with_capacity(event.len() + 256);
        text.extend_from_slice(br#"{"child":"#);
        serde_json::to_writer(&mut text, &self.child)?;
        text.extend_from_slice(br#","tracking_event":"#);
        text.extend_from_slice(event.as_bytes());
        if let Some(request) = &self.reward_request {
            text.extend_from_slice(br#","reward_request":"#);
            serde_json::to_writer(&mut text, request)?;
        }
        text.push(b'}');
        String::from_utf8(text).map_err(serde::ser::Error::custom)
    }
}

/// `POST /events/ticket`: a one-time ticket for `GET /events?ticket=...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTicket {
    pub ticket: String,
    /// The ticket works once, until this instant.
    pub expires_at: Timestamp,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `"ok"` while the server serves.
    pub status: String,
    /// Tracking events committed with their points change but not yet in the history.
    pub tracking_backlog: u64,
    /// Committed tracking events not yet known to be in their user's audit files; after a start,
    /// every event of a family counts until its files have been read back.
    pub audit_backlog: u64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{ChildId, UserId};

    #[test]
    fn me_names_the_role_next_to_the_record() {
        let user = User {
            id: UserId::generate(),
            name: "Alex".into(),
            created_at: Timestamp::now(),
        };
        let parent = serde_json::to_value(Me::Parent(user.clone())).unwrap();
        assert_eq!(
            parent,
            json!({"role": "parent", "id": user.id, "name": "Alex", "created_at": user.created_at})
        );
        assert_eq!(
            serde_json::from_value::<Me>(parent).unwrap(),
            Me::Parent(user.clone())
        );
        let child = Child {
            id: ChildId::generate(),
            user_id: user.id,
            name: "Sam".into(),
            points: 3,
            created_at: Timestamp::now(),
        };
        let me = serde_json::to_value(Me::Child {
            child: child.clone(),
        })
        .unwrap();
        assert_eq!(me["role"], "child");
        assert_eq!(me["child"]["name"], "Sam");
        assert_eq!(
            serde_json::from_value::<Me>(me).unwrap(),
            Me::Child { child }
        );
    }
}
