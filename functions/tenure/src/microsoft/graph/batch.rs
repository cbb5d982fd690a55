//! `$batch`: up to 20 requests per call, `dependsOn` kept, each inner answer mapped back, inner
//! 429s sent again after the wait they ask for.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::GraphClient;
use crate::microsoft::error::{Api, ApiError, from_answer};
use crate::microsoft::retry::NextTry;
use crate::microsoft::transport::Request;

/// Graph's limit of requests per `$batch`.
pub const MAX_BATCH: usize = 20;

/// One request inside a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// Unique within the call; answers carry it back.
    pub id: String,
    /// `GET`, `POST`, `PATCH`, `PUT` or `DELETE`.
    pub method: String,
    /// Relative to the version, such as `/users/{id}`.
    pub url: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// Ids of requests that must succeed first; they must come earlier in the list.
    pub depends_on: Vec<String>,
}

/// The answer to one request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResponse {
    /// The request's id.
    pub id: String,
    /// Its HTTP status (`424` when a dependency failed).
    pub status: u16,
    /// Its JSON body (`Null` when empty).
    pub body: Value,
    /// Microsoft's `request-id` of the inner request.
    pub request_id: Option<String>,
}

impl BatchResponse {
    /// Whether the inner request succeeded.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The inner request's error, when it failed.
    pub fn error(&self, operation: &str) -> Option<ApiError> {
        if self.is_success() {
            return None;
        }
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        Some(from_answer(
            Api::Graph,
            operation,
            self.status,
            self.request_id.clone(),
            &body,
        ))
    }
}

#[derive(Deserialize)]
struct BatchAnswer {
    responses: Vec<InnerAnswer>,
}

#[derive(Deserialize)]
struct InnerAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    headers: HashMap<String, Value>,
    #[serde(default)]
    body: Value,
}

impl InnerAnswer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }
}

impl GraphClient {
    /// Sends `requests` in `$batch` calls of at most 20, in order, and returns one answer per
    /// request, in the order given. A dependency in an earlier call that failed gives `424`
    /// without sending; inner `429`s (and the `424`s they caused) are sent again after the
    /// longest `Retry-After` they name, as often as the retry policy allows (and, for a client
    /// told to give up waiting after an instant, only while the wait ends before it: else
    /// [`ApiError::OutOfTime`]).
    pub async fn batch(&self, requests: &[BatchRequest]) -> Result<Vec<BatchResponse>, ApiError> {
        match self.batch_answers(requests).await {
            (answers, None) => Ok(answers),
            (_, Some(error)) => Err(error),
        }
    }

    /// [`Self::batch`], keeping what was settled when a call ended it early: one answer per
    /// request (a `429` as it came, or a `424` for one never settled), and the error that
    /// ended it, if any.
    pub(super) async fn batch_answers(
        &self,
        requests: &[BatchRequest],
    ) -> (Vec<BatchResponse>, Option<ApiError>) {
        let mut done: HashMap<String, BatchResponse> = HashMap::with_capacity(requests.len());
        let mut ended = None;
        for chunk in requests.chunks(MAX_BATCH) {
            if let Err(error) = self.run_chunk(chunk, &mut done).await {
                ended = Some(error);
                break;
            }
        }
        let answers = requests
            .iter()
            .map(|r| {
                done.remove(&r.id).unwrap_or_else(|| BatchResponse {
                    id: r.id.clone(),
                    status: 424,
                    body: Value::Null,
                    request_id: None,
                })
            })
            .collect();
        (answers, ended)
    }

    async fn run_chunk(
        &self,
        chunk: &[BatchRequest],
        done: &mut HashMap<String, BatchResponse>,
    ) -> Result<(), ApiError> {
        let mut pending: Vec<&BatchRequest> = Vec::with_capacity(chunk.len());
        for request in chunk {
            let failed_earlier = request
                .depends_on
                .iter()
                .any(|d| done.get(d).is_some_and(|r| !r.is_success()));
            if failed_earlier {
                done.insert(request.id.clone(), failed_dependency(&request.id));
            } else {
                pending.push(request);
            }
        }
        let mut delays = backon::BackoffBuilder::build(self.transport.policy.backoff());
        while !pending.is_empty() {
            let in_this_round: HashSet<&str> = pending.iter().map(|r| r.id.as_str()).collect();
            let answer = self.send_batch(&pending, &in_this_round).await?;
            let mut by_id: HashMap<String, InnerAnswer> = answer
                .responses
                .into_iter()
                .map(|a| (a.id.clone(), a))
                .collect();
            let mut again: Vec<&BatchRequest> = Vec::new();
            let mut wait = Duration::ZERO;
            // Whether every request to send again provably was not carried out (a 429, or
            // blocked by one): only then may the wait be given up for want of time.
            let mut unapplied = true;
            for request in pending {
                let Some(inner) = by_id.remove(&request.id) else {
                    done.insert(request.id.clone(), failed_dependency(&request.id));
                    continue;
                };
                // A 429 was not carried out; a 5xx is sent again only when repeating is harmless.
                let throttled = inner.status == 429
                    || (matches!(inner.status, 500 | 502 | 503 | 504)
                        && !request.method.eq_ignore_ascii_case("POST"));
                let blocked = inner.status == 424
                    && request
                        .depends_on
                        .iter()
                        .any(|d| again.iter().any(|r| &r.id == d));
                if throttled || blocked {
                    unapplied &= inner.status == 429 || blocked;
                    if let Some(seconds) = inner.header("Retry-After").and_then(|s| s.parse().ok())
                    {
                        wait = wait.max(Duration::from_secs_f64(seconds));
                    }
                    again.push(request);
                    if throttled {
                        done.insert(request.id.clone(), response(inner));
                    }
                    continue;
                }
                done.insert(request.id.clone(), response(inner));
            }
            if again.is_empty() {
                break;
            }
            let server_wait = (wait > Duration::ZERO).then_some(wait);
            match self
                .transport
                .next_try(server_wait, delays.next(), unapplied)
            {
                NextTry::After(delay) => tokio::time::sleep(delay).await,
                NextTry::GiveUp { wait } => {
                    return Err(self.transport.out_of_time("POST /$batch", wait));
                }
                NextTry::Stop => break,
            }
            pending = again;
        }
        Ok(())
    }

    async fn send_batch(
        &self,
        pending: &[&BatchRequest],
        in_this_round: &HashSet<&str>,
    ) -> Result<BatchAnswer, ApiError> {
        let inner: Vec<Value> = pending
            .iter()
            .map(|r| {
                let mut request = json!({"id": r.id, "method": r.method, "url": r.url});
                let depends: Vec<&String> = r
                    .depends_on
                    .iter()
                    .filter(|d| in_this_round.contains(d.as_str()))
                    .collect();
                if !depends.is_empty() {
                    request["dependsOn"] = json!(depends);
                }
                if let Some(body) = &r.body {
                    request["body"] = body.clone();
                    request["headers"] = json!({"Content-Type": "application/json"});
                }
                request
            })
            .collect();
        // A batch holding a create must not be sent twice on an unknown outcome.
        let idempotent = !pending.iter().any(|r| {
            r.method.eq_ignore_ascii_case("POST") && r.url.trim_end_matches('/') == "/users"
        });
        let request = Request::new(Method::POST, self.url("/$batch"), "POST /$batch".into())
            .json(json!({"requests": inner}))
            .idempotent(idempotent);
        let reply = self.send(request).await?;
        reply.json(Api::Graph, "POST /$batch")
    }
}

fn response(inner: InnerAnswer) -> BatchResponse {
    let request_id = inner.header("request-id").or_else(|| {
        inner
            .body
            .pointer("/error/innerError/request-id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    BatchResponse {
        id: inner.id,
        status: inner.status,
        body: inner.body,
        request_id,
    }
}

fn failed_dependency(id: &str) -> BatchResponse {
    BatchResponse {
        id: id.to_owned(),
        status: 424,
        body: json!({"error": {"code": "FailedDependency", "message": "A request this one depends on failed."}}),
        request_id: None,
    }
}
