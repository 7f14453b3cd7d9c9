//! Reading request bodies and ids: strict JSON within 16 KiB, validated, with the bad field named.

use std::str::FromStr;

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tracking_model::InvalidField;
use tracking_model::requests::check;
use validator::Validate;

use crate::{ApiError, MAX_BODY_BYTES};

/// The whole body as received (within 16 KiB), which the request's idempotency key also
/// fingerprints; [`json_in`] or [`none_in`] then reads it. Read only after authentication, so an
/// anonymous client learns nothing from body errors.
pub(crate) async fn raw_body(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    read_limited(request, payload).await
}

/// Parses and validates the JSON body in `bytes`.
pub(crate) fn json_in<T: DeserializeOwned + Validate>(
    request: &HttpRequest,
    bytes: &[u8],
) -> Result<T, ApiError> {
    check_content_type(request)?;
    let body: T = parse(bytes)?;
    check(&body)?;
    Ok(body)
}

/// Checks that a route which takes no body got none: nothing, white space, or an empty JSON
/// object (what some clients send with every POST). Anything else is refused as a bad body.
pub(crate) async fn no_body(request: &HttpRequest, payload: web::Payload) -> Result<(), ApiError> {
    let bytes = read_limited(request, payload).await?;
    none_in(request, &bytes)
}

/// Checks that `bytes` is no body, as [`no_body`] does.
pub(crate) fn none_in(request: &HttpRequest, bytes: &[u8]) -> Result<(), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    check_content_type(request)?;
    let object: serde_json::Map<String, serde_json::Value> = parse(bytes)?;
    if object.is_empty() {
        Ok(())
    } else {
        Err(InvalidField::new("body", "this route takes no body; send none or {}").into())
    }
}

/// The whole body, refused as too large beyond 16 KiB whether declared or sent.
async fn read_limited(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<web::BytesMut, ApiError> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| InvalidField::new("body", "could not be read"))?;
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn check_content_type(request: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = request.headers().get(CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(InvalidField::new("Content-Type", "must be application/json").into())
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InvalidField> {
    // serde would also read a struct from an array of its fields; the contract's bodies are objects.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(InvalidField::new("body", "must be a JSON object"));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        let field = if path != "." && !path.contains('?') {
            path
        } else {
            quoted_field(&message).unwrap_or_else(|| "body".to_owned())
        };
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned();
        InvalidField::new(field, message)
    })?;
    // One reading of each request: a second value after the object would be seen by no one.
    deserializer
        .end()
        .map_err(|_| InvalidField::new("body", "must hold one JSON object and nothing after it"))?;
    Ok(value)
}

/// The first backquoted name in a serde message, e.g. `age` in "unknown field `age`, expected …".
fn quoted_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let length = message[start..].find('`')?;
    Some(message[start..start + length].to_owned())
}

/// Parses an id from a path; a malformed id is a record that does not exist.
pub(crate) fn path_id<T: FromStr>(text: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracking_model::{CreateChild, CreateTask};

    #[test]
    fn names_the_field_of_a_parse_error() {
        let cases: [(&[u8], &str); 9] = [
            (br#"{"name":"x","points":"5","is_good":true}"#, "points"),
            (
                br#"{"name":"x","points":5,"is_good":true,"extra":1}"#,
                "extra",
            ),
            (br#"{"points":5,"is_good":true}"#, "name"),
            (br#"{"name":"x","points":5,"is_good":"yes"}"#, "is_good"),
            (b"not json", "body"),
            (b"{not json", "body"),
            (b"[1,2]", "body"),
            (br#"["x",5,true]"#, "body"),
            (
                br#"{"name":"x","points":5,"is_good":true}{"points":9}"#,
                "body",
            ),
        ];
        for (bytes, field) in cases {
            let error = parse::<CreateTask>(bytes).unwrap_err();
            assert_eq!(
                error.field,
                field,
                "{}: {error}",
                String::from_utf8_lossy(bytes)
            );
            assert!(!error.message.contains("line"), "{}", error.message);
        }
    }

    #[test]
    fn parses_a_good_body() {
        assert_eq!(
            parse::<CreateChild>(br#"{"name":"Sam"}"#).unwrap().name,
            "Sam"
        );
        assert_eq!(
            parse::<CreateChild>(b" {\"name\":\"Sam\"} \r\n\t")
                .unwrap()
                .name,
            "Sam"
        );
    }
}
