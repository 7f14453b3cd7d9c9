//! `GET /openapi.json`, and `GET /docs`: Scalar's API page with its script bundled in the binary
//! (`scalar_api_reference`), so it works without any network.

use actix_web::HttpResponse;
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};

use super::document_json;

/// Where the page loads its script from: this server.
const SCRIPT_PATH: &str = "/docs/scalar.js";

/// `GET /openapi.json`, without credentials.
pub(crate) async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(document_json())
}

/// `GET /docs`: fonts off (Scalar loads them from its CDN otherwise), no telemetry, no proxy.
pub(crate) async fn docs_page() -> HttpResponse {
    let config = serde_json::json!({
        "url": "/openapi.json",
        "withDefaultFonts": false,
        "telemetry": false,
        "hideClientButton": true,
        "showDeveloperTools": "never",
        "agent": {"disabled": true},
    });
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(scalar_api_reference::scalar_html(
            &config,
            Some(SCRIPT_PATH),
        ))
}

/// `GET /docs/scalar.js`.
pub(crate) async fn docs_script() -> HttpResponse {
    match scalar_api_reference::get_asset("scalar.js") {
        Some(script) => HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .insert_header(CacheControl(vec![CacheDirective::MaxAge(86_400)]))
            .body(script),
        None => HttpResponse::InternalServerError().json(tracking_model::ErrorBody::new(
            tracking_model::ErrorCode::Internal,
            "the page's script is missing from this build",
        )),
    }
}
