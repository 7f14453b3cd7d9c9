//! The server's own route, mounted beside the contract's (`tracking_api::configure`):
//! `GET /metrics`, in the OpenAPI document with them.

use actix_web::{Resource, web};
use tracking_api::documented_resource;

use crate::metrics;

/// `GET /metrics` on the main listener: the admin token only.
pub fn metrics_guarded() -> Resource {
    documented_resource("/metrics").route(web::get().to(metrics::guarded))
}

/// `GET /metrics` on the metrics listener of `--metrics-bind`, whose address is the protection.
pub fn metrics_open() -> Resource {
    documented_resource("/metrics").route(web::get().to(metrics::open))
}
