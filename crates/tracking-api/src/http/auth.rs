//! The extractors that tell a parent from the admin by the request's bearer token.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use subtle::ConstantTimeEq;
use tracking_model::{InvalidField, User};
use tracking_store::{FamilyError, TokenHash};

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
fn presented_hash(request: &HttpRequest) -> Result<TokenHash, ApiError> {
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
/// As a handler argument it answers 401 without a known parent token and 403 for the admin
/// token. It needs `web::Data<ApiState>` registered in the app, as [`crate::configure`] does.
#[derive(Debug, Clone)]
pub struct Parent(pub User);

/// Proof that a request carries the admin token: 401 without a known token, 403 for a parent's.
/// It needs `web::Data<ApiState>` registered in the app, as [`crate::configure`] does.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

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

/// The app's state and the hash of the request's bearer token; 401 without a token.
fn credentials(request: &HttpRequest) -> Result<(web::Data<ApiState>, TokenHash), ApiError> {
    let state = state(request)?;
    Ok((state, presented_hash(request)?))
}

/// The parent whose token hashes to `token`.
pub(crate) async fn parent_for(state: &ApiState, token: &TokenHash) -> Result<Parent, ApiError> {
    match state.tracker.family().user_by_token(token).await {
        Ok(user) => Ok(Parent(user)),
        Err(FamilyError::NotFound) if state.admin.matches(token) => Err(ApiError::Forbidden),
        Err(FamilyError::NotFound) => Err(ApiError::Unauthorized),
        Err(other) => Err(other.into()),
    }
}

/// The admin, if `token` is the admin token's hash.
async fn admin_for(state: &ApiState, token: &TokenHash) -> Result<Admin, ApiError> {
    if state.admin.matches(token) {
        return Ok(Admin);
    }
    match state.tracker.family().user_by_token(token).await {
        Ok(_) => Err(ApiError::Forbidden),
        Err(FamilyError::NotFound) => Err(ApiError::Unauthorized),
        Err(other) => Err(other.into()),
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
}
