//! [`Incoming`]: a request as its handler reads it once the caller is authenticated — the app's
//! state, the id in its path, its body and its query string. Extracting it reads nothing, so the
//! credential is checked first and an anonymous client learns nothing from a malformed path, body
//! or query.

use std::str::FromStr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use tracking_model::{Child, ChildId};

use super::auth::{self, Caller};
use super::body::{no_body, path_id};
use super::handlers::query_pairs;
use crate::{ApiError, ApiState};

/// The state, the request and its unread body.
pub(crate) struct Incoming {
    pub(crate) state: web::Data<ApiState>,
    pub(crate) request: HttpRequest,
    payload: Option<web::Payload>,
}

impl FromRequest for Incoming {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = auth::state(request);
        let body = web::Payload::from_request(request, payload);
        let request = request.clone();
        Box::pin(async move {
            Ok(Self {
                state: state?,
                request,
                payload: body.await.ok(),
            })
        })
    }
}

impl Incoming {
    /// The id in the path (its one segment); a malformed id is a record that does not exist.
    pub(crate) fn id<T: FromStr>(&self) -> Result<T, ApiError> {
        let segment = web::Path::<String>::extract(&self.request).into_inner();
        path_id(&segment.map_err(|_| ApiError::NotFound)?)
    }

    /// The id in the path of a request that takes no body, once its body is checked to be none.
    pub(crate) async fn bodiless_id<T: FromStr>(&mut self) -> Result<T, ApiError> {
        let payload = (self.payload.take()).ok_or_else(|| ApiError::internal("body read twice"))?;
        no_body(&self.request, payload).await?;
        self.id()
    }

    /// The pairs of the query string.
    pub(crate) fn query_pairs(&self) -> Result<Vec<(String, String)>, ApiError> {
        Ok(query_pairs(&self.request)?)
    }

    /// A read about the child in the path: the child as `caller` sees it (404 for another family's,
    /// and for a child token any but its own) and the pairs of the query string.
    pub(crate) async fn child_read(
        &self,
        caller: &Caller,
    ) -> Result<(Child, Vec<(String, String)>), ApiError> {
        let child_id: ChildId = self.id()?;
        let child = caller.child(&self.state, child_id).await?;
        Ok((child, self.query_pairs()?))
    }
}
