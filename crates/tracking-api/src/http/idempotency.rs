//! `Idempotency-Key` on POST routes: the header's rules, the request's fingerprint, the keys in
//! flight, and the replayed answer. The store keeps each key with its mutation; see
//! `tracking_store::IdempotencyKey`.

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use tracking_model::{ChildId, InvalidField, Timestamp, UserId};
use tracking_store::{Created, IdempotencyKey, Keyed, Keying, StoredAnswer};

use crate::http::auth::Caller;
use crate::{ApiError, ApiState};

/// The request header that carries the key.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The answer header that marks a replayed answer.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";
/// The longest key accepted, in characters.
pub const MAX_KEY_LENGTH: usize = 255;

/// The request's key: none, or 1 to 255 visible ASCII characters sent once.
pub(crate) fn key_header(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let mut values = request.headers().get_all(IDEMPOTENCY_KEY);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let invalid = |message| ApiError::from(InvalidField::new(IDEMPOTENCY_KEY, message));
    if values.next().is_some() {
        return Err(invalid("must be sent once"));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LENGTH {
        return Err(invalid("must be 1 to 255 characters"));
    }
    if !bytes.iter().all(|byte| (0x21..=0x7e).contains(byte)) {
        return Err(invalid("must be visible ASCII characters (no spaces)"));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// Whose key it is, by credential: the admin's, a parent's, or a child's (all tokens of one
/// child share its keys; a parent and its child never share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyOwner {
    Admin,
    User(UserId),
    Child(ChildId),
}

impl KeyOwner {
    /// The owner of the keys a family member sends.
    pub(crate) fn of(caller: &Caller) -> Self {
        match caller {
            Caller::Parent(user) => Self::User(user.id),
            Caller::Child(child) => Self::Child(child.id),
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Admin => "admin".to_owned(),
            Self::User(id) => format!("user:{id}"),
            Self::Child(id) => format!("child:{id}"),
        }
    }
}

/// A keyed request in flight: its key for the store, and its claim on the key until it ends.
pub(crate) struct KeyedRequest<'a> {
    pub(crate) key: IdempotencyKey,
    _claim: Claim<'a>,
}

/// Starts the request's keyed handling, or answers `None` when it sends no key. `family` is the
/// family the answer is about (its keys go with it); `body` the bytes received.
pub(crate) fn start<'a>(
    in_flight: &'a InFlight,
    request: &HttpRequest,
    owner: KeyOwner,
    family: Option<UserId>,
    body: &[u8],
) -> Result<Option<KeyedRequest<'a>>, ApiError> {
    let Some(key) = key_header(request)? else {
        return Ok(None);
    };
    let owner = owner.name();
    let claim = in_flight
        .claim(&owner, &key)
        .ok_or(ApiError::RequestInProgress)?;
    let key = IdempotencyKey {
        owner,
        key,
        fingerprint: fingerprint(request, body),
        family,
        at: Timestamp::now(),
    };
    Ok(Some(KeyedRequest { key, _claim: claim }))
}

/// A digest of what makes two requests the same: method, path (and query) and body.
fn fingerprint(request: &HttpRequest, body: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(request.method().as_str().as_bytes());
    digest.update(b"\n");
    digest.update(request.uri().path().as_bytes());
    if let Some(query) = request.uri().query() {
        digest.update(b"?");
        digest.update(query.as_bytes());
    }
    digest.update(b"\n");
    digest.update(body);
    digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether an answer with this status is kept for replay: `2xx` and `409`; the others changed
/// nothing, so a retry is judged afresh.
pub(crate) fn is_kept(status: StatusCode) -> bool {
    status.is_success() || status == StatusCode::CONFLICT
}

/// An answer as it is sent and stored: status and JSON text.
pub(crate) fn stored(status: StatusCode, body: &impl serde::Serialize) -> StoredAnswer {
    StoredAnswer {
        status: status.as_u16(),
        body: serde_json::to_string(body).expect("answers serialize to JSON"),
    }
}

/// The stored answer of an error, if it is kept.
pub(crate) fn stored_error(error: ApiError) -> Option<StoredAnswer> {
    use actix_web::ResponseError;
    let status = error.status_code();
    is_kept(status).then(|| stored(status, &error.body()))
}

/// Sends a stored answer; `replayed` adds `Idempotent-Replayed: true`.
pub(crate) fn send(answer: StoredAnswer, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type(ContentType::json());
    if replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    response.body(answer.body)
}

/// The answer to a keyed request: `fresh` makes it when the store performed it; otherwise the
/// replayed first answer, or the reuse refused.
pub(crate) fn respond<T>(
    keyed: Keyed<T>,
    fresh: impl FnOnce(T) -> HttpResponse,
) -> Result<HttpResponse, ApiError> {
    match keyed {
        Keyed::Fresh(done) => Ok(fresh(done)),
        Keyed::Replayed(answer) => {
            crate::metrics::count_idempotent_replay();
            Ok(send(answer, true))
        }
        Keyed::Reused => Err(ApiError::IdempotencyKeyReused),
    }
}

/// Creates `record` under the request's key, and answers `answer` (or the key's first answer).
pub(crate) async fn create(
    state: &ApiState,
    keyed: KeyedRequest<'_>,
    record: Created<'_>,
    answer: StoredAnswer,
) -> Result<HttpResponse, ApiError> {
    let family = state.tracker.family();
    let done = (family.create_keyed(record, Keying::answering(&keyed.key, answer.clone()))).await?;
    respond(done, |()| send(answer, false))
}

/// The keys whose first request is still running, by owner and key.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<(String, String)>>);

/// A request's hold on its key; released when dropped.
struct Claim<'a> {
    in_flight: &'a InFlight,
    id: (String, String),
}

impl InFlight {
    /// Claims `owner`'s `key`, or `None` while another request holds it.
    fn claim(&self, owner: &str, key: &str) -> Option<Claim<'_>> {
        let id = (owner.to_owned(), key.to_owned());
        let claimed = (self.0.lock())
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id.clone());
        // Built only once claimed: dropping a claim releases its key.
        claimed.then(|| Claim {
            in_flight: self,
            id,
        })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut keys = (self.in_flight.0.lock()).unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        let good = [
            "a",
            "~",
            &"k".repeat(255),
            "550e8400-e29b-41d4-a716-446655440000",
        ];
        for key in good {
            let request = TestRequest::default()
                .insert_header((IDEMPOTENCY_KEY, key))
                .to_http_request();
            assert_eq!(key_header(&request).unwrap().as_deref(), Some(key));
        }
        let bad: [&[u8]; 5] = [
            b"",
            b"with space",
            &[b'k'; 256],
            b"tab\there",
            b"caf\xc3\xa9",
        ];
        for key in bad {
            let request = TestRequest::default()
                .insert_header((IDEMPOTENCY_KEY, key))
                .to_http_request();
            let error = key_header(&request).unwrap_err();
            assert_eq!(error.body().error.details.unwrap().field, IDEMPOTENCY_KEY);
        }
        let none = TestRequest::default().to_http_request();
        assert_eq!(key_header(&none).unwrap(), None);
    }

    #[test]
    fn a_key_is_held_by_one_request_at_a_time() {
        let in_flight = InFlight::default();
        let first = in_flight.claim("user:1", "k").unwrap();
        assert!(in_flight.claim("user:1", "k").is_none());
        assert!(in_flight.claim("user:2", "k").is_some());
        drop(first);
        assert!(in_flight.claim("user:1", "k").is_some());
    }

    #[test]
    fn the_fingerprint_tells_method_path_and_body_apart() {
        let post = |path: &str| TestRequest::post().uri(path).to_http_request();
        let base = fingerprint(&post("/tasks"), b"{}");
        assert_eq!(base, fingerprint(&post("/tasks"), b"{}"));
        assert_ne!(base, fingerprint(&post("/rewards"), b"{}"));
        assert_ne!(base, fingerprint(&post("/tasks"), b"{ }"));
        let put = TestRequest::put().uri("/tasks").to_http_request();
        assert_ne!(base, fingerprint(&put, b"{}"));
    }

    #[test]
    fn only_success_and_conflict_answers_are_kept() {
        for status in [200, 201, 204, 409] {
            assert!(is_kept(StatusCode::from_u16(status).unwrap()), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422, 500, 503] {
            assert!(!is_kept(StatusCode::from_u16(status).unwrap()), "{status}");
        }
    }
}
