//! The handlers of the HTTP contract, one file per family of routes.

pub(crate) mod children;
pub(crate) mod events;
pub(crate) mod export;
pub(crate) mod health;
pub(crate) mod mutations;
pub(crate) mod records;
pub(crate) mod summary;
pub(crate) mod tokens;
pub(crate) mod tracking;
pub(crate) mod users;

use actix_web::HttpRequest;
use tracking_model::InvalidField;

/// The decoded pairs of the query string; malformed encoding is a bad request.
pub(crate) fn query_pairs(request: &HttpRequest) -> Result<Vec<(String, String)>, InvalidField> {
    serde_urlencoded::from_str(request.query_string())
        .map_err(|_| InvalidField::new("query", "is not a valid URL-encoded query string"))
}
