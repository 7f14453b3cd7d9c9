//! The one credential check that tells the admin, a parent and a child apart by the request's
//! bearer token, and the extractors built on it.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use subtle::ConstantTimeEq;
use tracking_model::{Actor, Child, ChildId, InvalidField, User, UserId};
use tracking_store::{FamilyError, TokenHash, TokenHolder};

use crate::{ApiError, ApiState, hash_token};

/// The operator's credential: only its hash is held.
#[derive(Clone)]
pub struct AdminCredential(TokenHash);

impl AdminCredential {
    /// The credential whose token hashes to `hash`.
    pub fn from_hash(hash: TokenHash) -> Self {
        Self(hash)
    }

    /// Whether `presented` is the admin token's hash, compared in constant time.
    pub fn matches(&self, presented: &TokenHash) -> bool {
        self.0.0.ct_eq(&presented.0).into()
    }
}

impl std::fmt::Debug for AdminCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminCredential(..)")
    }
}

/// Whom a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Admin,
    Parent(User),
    /// A token a parent issued for the child's own device.
    Child(Child),
}

/// The one credential check of every route: whom the token with this hash belongs to, `None`
/// for nobody.
///
/// Every token takes the same steps whatever it turns out to be — the constant-time comparison
/// with the admin's hash and one lookup of the hash among the parents' and children's — so which
/// checks run does not tell the kinds of credential apart (`docs/api.md` says what the timing
/// reveals).
pub async fn authenticate(
    state: &ApiState,
    token: &TokenHash,
) -> Result<Option<Credential>, ApiError> {
    let admin = state.admin.matches(token);
    let holder = state.tracker.family().token_holder(token).await;
    if admin {
        return Ok(Some(Credential::Admin));
    }
    match holder {
        Ok(TokenHolder::Parent(user)) => Ok(Some(Credential::Parent(user))),
        Ok(TokenHolder::Child(child)) => Ok(Some(Credential::Child(child))),
        Err(FamilyError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The bearer token of a request, if it carries one. Two `Authorization` headers are refused:
/// a proxy in front may read the other one.
pub(crate) fn bearer(request: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let mut values = request
        .headers()
        .get_all(actix_web::http::header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(InvalidField::new("Authorization", "must be sent once").into());
    }
    Ok(bearer_token(value.to_str().ok()))
}

fn bearer_token(value: Option<&str>) -> Option<&str> {
    let (scheme, token) = value?.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// The hash of the request's bearer token; 401 without one.
pub(crate) fn presented_hash(request: &HttpRequest) -> Result<TokenHash, ApiError> {
    bearer(request)?
        .map(hash_token)
        .ok_or(ApiError::Unauthorized)
}

pub(crate) fn state(request: &HttpRequest) -> Result<web::Data<ApiState>, ApiError> {
    request
        .app_data::<web::Data<ApiState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("ApiState is not registered"))
}

/// The authenticated parent of a request; its family is the only one it can reach.
///
/// As a handler argument it answers 401 without a known token and 403 for the admin's or a
/// child's token. It needs `web::Data<ApiState>` registered in the app, as [`crate::configure`]
/// does.
#[derive(Debug, Clone)]
pub struct Parent(pub User);

/// Proof that a request carries the admin token: 401 without a known token, 403 for a parent's
/// or a child's. It needs `web::Data<ApiState>` registered in the app, as [`crate::configure`]
/// does.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// A member of a family: its parent, or one child on its own device with a token its parent
/// issued. As a handler argument it answers 401 without a known token and 403 for the admin's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Parent(User),
    Child(Child),
}

impl Caller {
    /// The parent whose family the caller belongs to.
    pub fn family(&self) -> UserId {
        match self {
            Self::Parent(user) => user.id,
            Self::Child(child) => child.user_id,
        }
    }

    /// Who acts when this caller records an event.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Parent(_) => Actor::Parent,
            Self::Child(_) => Actor::Child,
        }
    }

    /// Whether the caller may see the child `id` at all: a parent any child (its own family's,
    /// as the store then checks), a child token only its own.
    pub fn may_see(&self, id: ChildId) -> bool {
        match self {
            Self::Parent(_) => true,
            Self::Child(child) => child.id == id,
        }
    }

    /// The child `id` as the caller sees it: another family's child, and for a child token any
    /// child but its own, is 404.
    pub async fn child(&self, state: &ApiState, id: ChildId) -> Result<Child, ApiError> {
        if !self.may_see(id) {
            return Err(ApiError::NotFound);
        }
        Ok(state.tracker.family().get_child(self.family(), id).await?)
    }

    /// The parent, for a route only a parent may use: 403 for a child token.
    pub fn parent(&self) -> Result<&User, ApiError> {
        match self {
            Self::Parent(user) => Ok(user),
            Self::Child(_) => Err(ApiError::Forbidden),
        }
    }

    /// The parent, for a route about the child `id` that only a parent may use: a child token is
    /// 404 for another child (it learns nothing about it) and 403 for its own.
    pub fn parent_of(&self, id: ChildId) -> Result<&User, ApiError> {
        if !self.may_see(id) {
            return Err(ApiError::NotFound);
        }
        self.parent()
    }
}

/// Implements `FromRequest` for an extractor by an async check of the request's bearer token.
macro_rules! authenticated_by {
    ($extractor:ty, $check:ident) => {
        impl FromRequest for $extractor {
            type Error = ApiError;
            type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

            fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
                let credentials = credentials(request);
                Box::pin(async move {
                    let (state, token) = credentials?;
                    $check(&state, &token).await
                })
            }
        }
    };
}

authenticated_by!(Parent, parent_for);
authenticated_by!(Admin, admin_for);
authenticated_by!(Caller, caller_for);

/// The app's state and the hash of the request's bearer token; 401 without a token.
fn credentials(request: &HttpRequest) -> Result<(web::Data<ApiState>, TokenHash), ApiError> {
    let state = state(request)?;
    Ok((state, presented_hash(request)?))
}

/// The credential of `token`; 401 for nobody's.
async fn known(state: &ApiState, token: &TokenHash) -> Result<Credential, ApiError> {
    authenticate(state, token)
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// The parent whose token hashes to `token`.
async fn parent_for(state: &ApiState, token: &TokenHash) -> Result<Parent, ApiError> {
    match known(state, token).await? {
        Credential::Parent(user) => Ok(Parent(user)),
        Credential::Admin | Credential::Child(_) => Err(ApiError::Forbidden),
    }
}

/// The admin, if `token` is the admin token's hash.
async fn admin_for(state: &ApiState, token: &TokenHash) -> Result<Admin, ApiError> {
    match known(state, token).await? {
        Credential::Admin => Ok(Admin),
        Credential::Parent(_) | Credential::Child(_) => Err(ApiError::Forbidden),
    }
}

/// The family member whose token hashes to `token`.
pub(crate) async fn caller_for(state: &ApiState, token: &TokenHash) -> Result<Caller, ApiError> {
    match known(state, token).await? {
        Credential::Parent(user) => Ok(Caller::Parent(user)),
        Credential::Child(child) => Ok(Caller::Child(child)),
        Credential::Admin => Err(ApiError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_credential_matches_only_its_token() {
        let admin = AdminCredential::from_hash(hash_token("a".repeat(32).as_str()));
        assert!(admin.matches(&hash_token(&"a".repeat(32))));
        assert!(!admin.matches(&hash_token(&"b".repeat(32))));
    }

    fn child(id: ChildId) -> Child {
        Child {
            id,
            user_id: UserId::generate(),
            name: "Sam".into(),
            points: 0,
            created_at: tracking_model::Timestamp::now(),
        }
    }

    #[test]
    fn a_child_token_reaches_only_its_own_child_and_never_as_a_parent() {
        let (own, sibling) = (ChildId::generate(), ChildId::generate());
        let caller = Caller::Child(child(own));
        assert!(caller.may_see(own));
        assert!(!caller.may_see(sibling));
        assert_eq!(caller.actor(), Actor::Child);
        assert!(matches!(caller.parent(), Err(ApiError::Forbidden)));
        assert!(matches!(caller.parent_of(own), Err(ApiError::Forbidden)));
        assert!(matches!(caller.parent_of(sibling), Err(ApiError::NotFound)));
        let user = User {
            id: UserId::generate(),
            name: "Alex".into(),
            created_at: tracking_model::Timestamp::now(),
        };
        let parent = Caller::Parent(user.clone());
        assert!(parent.may_see(sibling));
        assert_eq!(parent.parent_of(own).unwrap(), &user);
        assert_eq!((parent.family(), parent.actor()), (user.id, Actor::Parent));
    }
}
