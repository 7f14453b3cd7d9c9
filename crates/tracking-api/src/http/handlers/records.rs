//! `/children`, `/tasks` and `/rewards`: the records a parent keeps for its family, each created,
//! listed, read and deleted the same way, within the parent's own family only. A child's token
//! reads the family's tasks and rewards and, among the children, only its own; it creates and
//! deletes nothing.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracking_model::{
    Child, ChildId, CreateChild, CreateReward, CreateTask, Reward, RewardId, Task, TaskId,
    Timestamp, UserId,
};
use tracking_store::{Created, FamilyError, FamilyRepository};
use validator::Validate;

use crate::http::auth::{Caller, Parent};
use crate::http::body::{json_in, raw_body};
use crate::http::idempotency::{self, KeyOwner};
use crate::http::incoming::Incoming;
use crate::{ApiError, ApiState};

/// A kind of record of a family, and where the family store keeps it.
pub(crate) trait FamilyRecord: Serialize + Sized {
    type Id: FromStr;
    /// The body of its `POST`.
    type Create: DeserializeOwned + Validate;

    /// The new record `body` asks for, in `owner`'s family.
    fn new(owner: UserId, body: Self::Create) -> Self;
    /// The child a record of this kind is, if it is one: a child token sees only itself.
    fn as_child(id: &Self::Id) -> Option<ChildId>;
    fn id(&self) -> Self::Id;
    /// The record as the family store creates it under an idempotency key.
    fn created(&self) -> Created<'_>;
    async fn insert(family: &dyn FamilyRepository, record: &Self) -> Result<(), FamilyError>;
    async fn list(family: &dyn FamilyRepository, owner: UserId) -> Result<Vec<Self>, FamilyError>;
    async fn get(
        family: &dyn FamilyRepository,
        owner: UserId,
        id: Self::Id,
    ) -> Result<Self, FamilyError>;
    async fn delete(
        family: &dyn FamilyRepository,
        owner: UserId,
        id: Self::Id,
    ) -> Result<(), FamilyError>;
}

/// Implements [`FamilyRecord`] for `$record`: made from a `$create` body by `$into`, kept
/// under `$id` by the family store's `$insert`, `$list`, `$get` and `$delete`.
macro_rules! family_record {
    (
        $record:ident: $id:ident, from $create:ident.$into:ident,
        stored by $insert:ident, $list:ident, $get:ident, $delete:ident,
        a child if $as_child:expr
    ) => {
        impl FamilyRecord for $record {
            type Id = $id;
            type Create = $create;

            fn new(owner: UserId, body: $create) -> Self {
                body.$into(owner, Timestamp::now())
            }

            fn as_child(id: &$id) -> Option<ChildId> {
                $as_child(id)
            }

            fn id(&self) -> $id {
                self.id
            }

            fn created(&self) -> Created<'_> {
                Created::$record(self)
            }

            async fn insert(
                family: &dyn FamilyRepository,
                record: &Self,
            ) -> Result<(), FamilyError> {
                family.$insert(record).await
            }

            async fn list(
                family: &dyn FamilyRepository,
                owner: UserId,
            ) -> Result<Vec<Self>, FamilyError> {
                family.$list(owner).await
            }

            async fn get(
                family: &dyn FamilyRepository,
                owner: UserId,
                id: $id,
            ) -> Result<Self, FamilyError> {
                family.$get(owner, id).await
            }

            async fn delete(
                family: &dyn FamilyRepository,
                owner: UserId,
                id: $id,
            ) -> Result<(), FamilyError> {
                family.$delete(owner, id).await
            }
        }
    };
}

// A child starts with 0 points; deleting it keeps its history, for the admin.
family_record! {
    Child: ChildId, from CreateChild.into_child,
    stored by create_child, list_children, get_child, delete_child,
    a child if |id: &ChildId| Some(*id)
}
// A task, or a penalty (`is_good: false`); deleting it keeps its tracking records.
family_record! {
    Task: TaskId, from CreateTask.into_task,
    stored by create_task, list_tasks, get_task, delete_task,
    a child if |_: &TaskId| None
}
// What children spend points on; deleting it drops its pending requests and keeps its tracking
// records.
family_record! {
    Reward: RewardId, from CreateReward.into_reward,
    stored by create_reward, list_rewards, get_reward, delete_reward,
    a child if |_: &RewardId| None
}

/// `POST /children`, `/tasks`, `/rewards`: 201 with the new record.
pub(crate) async fn create<R: FamilyRecord>(
    Parent(user): Parent,
    state: web::Data<ApiState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = raw_body(&request, payload).await?;
    let owner = KeyOwner::User(user.id);
    let keyed = idempotency::start(&state.in_flight, &request, owner, Some(user.id), &bytes)?;
    let body: R::Create = json_in(&request, &bytes)?;
    let record = R::new(user.id, body);
    let answer = idempotency::stored(StatusCode::CREATED, &record);
    let Some(keyed) = keyed else {
        R::insert(state.tracker.family(), &record).await?;
        return Ok(idempotency::send(answer, false));
    };
    idempotency::create(&state, keyed, record.created(), answer).await
}

/// Whether `caller` may see the record `id`: a child token sees no other child.
fn visible<R: FamilyRecord>(caller: &Caller, id: &R::Id) -> bool {
    R::as_child(id).is_none_or(|child| caller.may_see(child))
}

/// `GET /children`, `/tasks`, `/rewards`: the family's; a child token's list of children holds
/// only itself.
pub(crate) async fn list<R: FamilyRecord>(
    caller: Caller,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let mut records = R::list(state.tracker.family(), caller.family()).await?;
    records.retain(|record| visible::<R>(&caller, &record.id()));
    Ok(HttpResponse::Ok().json(records))
}

/// `GET /children/{child_id}`, `/tasks/{task_id}`, `/rewards/{reward_id}`.
pub(crate) async fn get<R: FamilyRecord>(
    caller: Caller,
    incoming: Incoming,
) -> Result<HttpResponse, ApiError> {
    let id: R::Id = incoming.id()?;
    if !visible::<R>(&caller, &id) {
        return Err(ApiError::NotFound);
    }
    let record = R::get(incoming.state.tracker.family(), caller.family(), id).await?;
    Ok(HttpResponse::Ok().json(record))
}

/// `DELETE /children/{child_id}`, `/tasks/{task_id}`, `/rewards/{reward_id}`: 204. A child token
/// is 403, but 404 for another child (its existence is not told).
pub(crate) async fn delete<R: FamilyRecord>(
    caller: Caller,
    mut incoming: Incoming,
) -> Result<HttpResponse, ApiError> {
    let id: R::Id = incoming.bodiless_id().await?;
    if !visible::<R>(&caller, &id) {
        return Err(ApiError::NotFound);
    }
    let user = caller.parent()?;
    R::delete(incoming.state.tracker.family(), user.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
