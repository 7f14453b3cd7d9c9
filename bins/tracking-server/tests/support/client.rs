//! An HTTP client for the server under test: JSON in and out, bearer tokens, and the admin
//! history read page by page.

use std::time::Duration;

use awc::http::Method;
use serde_json::Value;

use super::ADMIN;

const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read (a history page of 500 events is far smaller).
const BODY_LIMIT: usize = 1 << 26;

/// Why a request has no answer: it may or may not have reached the server (awc reports a
/// connection broken by a kill as a connect error too, so nothing is assumed).
#[derive(Debug)]
pub struct NoAnswer(pub String);

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// JSON over HTTP to one server, with bearer tokens.
pub struct Client {
    pub http: awc::Client,
    base: String,
    /// Starts every panic message, e.g. `round 3`.
    context: String,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            http: awc::Client::builder().timeout(HTTP_TIMEOUT).finish(),
            base: base.to_owned(),
            context: "setup".to_owned(),
        }
    }

    /// The same client whose panics start with `context`.
    pub fn within(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One request; `Err` when no answer came (the server may have been killed).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), NoAnswer> {
        let request = self.http.request(method, self.url(path)).bearer_auth(token);
        let sent = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|error| NoAnswer(error.to_string()))?;
        let bytes = response
            .body()
            .limit(BODY_LIMIT)
            .await
            .map_err(|error| NoAnswer(error.to_string()))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|error| NoAnswer(error.to_string()))?
        };
        Ok((response.status().as_u16(), body))
    }

    /// A `POST` without a body carrying an `Idempotency-Key`: status, body, and whether the
    /// answer was a replay (`Idempotent-Replayed: true`); `Err` when no answer came.
    pub async fn post_keyed(
        &self,
        path: &str,
        token: &str,
        key: &str,
    ) -> Result<(u16, Value, bool), NoAnswer> {
        let request = (self.http.post(self.url(path)))
            .bearer_auth(token)
            .insert_header(("Idempotency-Key", key));
        let mut response = request
            .send()
            .await
            .map_err(|error| NoAnswer(error.to_string()))?;
        let bytes = response
            .body()
            .limit(BODY_LIMIT)
            .await
            .map_err(|error| NoAnswer(error.to_string()))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|error| NoAnswer(error.to_string()))?
        };
        let replayed = (response.headers().get("idempotent-replayed"))
            .is_some_and(|value| value.as_bytes() == b"true");
        Ok((response.status().as_u16(), body, replayed))
    }

    /// A request the server must answer (it is not being killed).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let context = &self.context;
        self.send(method.clone(), path, token, body.as_ref())
            .await
            .unwrap_or_else(|error| panic!("{context}: {method} {path}: no answer: {error}"))
    }

    /// A `POST` that must succeed (2xx); its answer.
    pub async fn post(&self, path: &str, token: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(Method::POST, path, token, body).await;
        let context = &self.context;
        assert!(
            (200..300).contains(&status),
            "{context}: POST {path}: {status} {answer}"
        );
        answer
    }

    /// A `POST` that must answer 201; the id of what it created (a user's for `/admin/users`).
    pub async fn create(&self, path: &str, token: &str, body: Value) -> String {
        let (status, answer) = self.call(Method::POST, path, token, Some(body)).await;
        assert_eq!(status, 201, "{}: POST {path}: {answer}", self.context);
        let id = if path == "/admin/users" {
            &answer["user"]["id"]
        } else {
            &answer["id"]
        };
        id.as_str().expect("an id").to_owned()
    }

    /// The whole history matching `filter` (`name=value&` pairs, or empty) in the contract's
    /// order, through the admin query, 500 at a time; the pages must add up to their total.
    pub async fn history(&self, filter: &str) -> Vec<Value> {
        let context = &self.context;
        let mut events = Vec::new();
        loop {
            let path = format!("/admin/tracking?{filter}limit=500&offset={}", events.len());
            let (status, page) = self.call(Method::GET, &path, ADMIN, None).await;
            assert_eq!(status, 200, "{context}: GET {path}: {page}");
            let items = page["items"].as_array().expect("a page has items");
            let total = page["total"].as_u64().expect("a page has a total") as usize;
            events.extend(items.iter().cloned());
            if items.is_empty() || events.len() >= total {
                assert_eq!(
                    events.len(),
                    total,
                    "{context}: the pages of {path} do not add up to their total"
                );
                return events;
            }
        }
    }
}
