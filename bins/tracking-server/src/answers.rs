//! The JSON error shape for the answers the framework writes itself (CORS refusals, extractor
//! errors, empty-bodied 4xx and 5xx), so that every error a client reads has one form.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, Result};
use tracking_model::{ErrorBody, ErrorCode};

/// Middleware that rewrites every error answer not already in the JSON error shape.
pub fn json_errors<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(to_json)
}

fn to_json<B: MessageBody + 'static>(
    answer: ServiceResponse<B>,
) -> Result<ErrorHandlerResponse<B>> {
    if is_json(answer.response().headers().get(CONTENT_TYPE)) {
        return Ok(ErrorHandlerResponse::Response(answer.map_into_left_body()));
    }
    let status = answer.status();
    let message = if status.is_server_error() {
        "internal error".to_owned()
    } else {
        answer
            .response()
            .error()
            .map(|error| lowercase_first(&error.to_string()))
            .filter(|message| !message.is_empty())
            .unwrap_or_else(|| reason(status))
    };
    let mut json = HttpResponse::build(status).json(ErrorBody::new(code(status), message));
    for (name, value) in answer.response().headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    let (request, _) = answer.into_parts();
    let answer = ServiceResponse::new(request, json.map_into_boxed_body());
    Ok(ErrorHandlerResponse::Response(answer.map_into_right_body()))
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

/// The contract's code for a status the framework chose.
fn code(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        status if status.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::InvalidRequest,
    }
}

fn reason(status: StatusCode) -> String {
    status
        .canonical_reason()
        .map_or_else(|| "request refused".to_owned(), str::to_lowercase)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::ContentType;
    use actix_web::{App, HttpResponse, test, web};
    use serde_json::{Value, json};

    use super::*;

    async fn answer(route: fn() -> HttpResponse) -> (u16, Value) {
        let app = test::init_service(
            App::new()
                .wrap(json_errors())
                .route("/", web::get().to(move || std::future::ready(route()))),
        )
        .await;
        let response = test::call_service(&app, test::TestRequest::get().to_request()).await;
        let status = response.status().as_u16();
        (status, test::read_body_json(response).await)
    }

    #[actix_web::test]
    async fn empty_and_plain_error_answers_become_the_json_shape() {
        assert_eq!(
            answer(|| HttpResponse::BadRequest().finish()).await,
            (
                400,
                json!({"error": {"code": "invalid_request", "message": "bad request"}})
            )
        );
        assert_eq!(
            answer(|| HttpResponse::PayloadTooLarge().body("too big")).await,
            (
                413,
                json!({"error": {"code": "payload_too_large", "message": "payload too large"}})
            )
        );
        assert_eq!(
            answer(|| HttpResponse::BadGateway().body("upstream secret")).await,
            (
                502,
                json!({"error": {"code": "internal", "message": "internal error"}})
            )
        );
    }

    #[actix_web::test]
    async fn json_answers_pass_unchanged() {
        let route = || {
            HttpResponse::NotFound()
                .content_type(ContentType::json())
                .body(r#"{"error":{"code":"not_found","message":"not found"}}"#)
        };
        assert_eq!(
            answer(route).await,
            (
                404,
                json!({"error": {"code": "not_found", "message": "not found"}})
            )
        );
        assert_eq!(
            answer(|| HttpResponse::Ok().json(json!({"ok": true}))).await,
            (200, json!({"ok": true}))
        );
    }
}
