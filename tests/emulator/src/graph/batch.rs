//! `POST /$batch`: up to 20 requests run one after the other through the same routes (each
//! throttled on its own), `dependsOn` honoured, `424` for a request whose dependency failed.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::errors::GraphError;
use crate::graph::body::JsonObject;
use crate::state::{RecordedRequest, TenantState};

/// The most requests one batch may hold.
const MAX_REQUESTS: usize = 20;

/// One request of a batch.
#[derive(Debug)]
struct Inner {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn invalid_payload() -> GraphError {
    GraphError::malformed("Invalid batch payload format.")
}

fn strings(value: Option<&Value>) -> Result<Vec<String>, GraphError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid_payload))
            .collect(),
        Some(_) => Err(invalid_payload()),
    }
}

/// Reads and checks the batch; any problem fails the whole batch with `400`.
fn parse(body: &Map<String, Value>) -> Result<Vec<Inner>, GraphError> {
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(invalid_payload)?;
    if requests.is_empty() {
        return Err(invalid_payload());
    }
    if requests.len() > MAX_REQUESTS {
        return Err(GraphError::malformed(format!(
            "The number of requests in the batch ({}) exceeds the limit of {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut parsed = Vec::with_capacity(requests.len());
    for request in requests {
        let request = request.as_object().ok_or_else(invalid_payload)?;
        let field = |name: &str| {
            request
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(invalid_payload)
        };
        let id = field("id")?;
        let method = field("method")?.to_ascii_uppercase();
        let url = field("url")?;
        if seen.contains(&id) {
            return Err(GraphError::malformed(format!(
                "Batch request id '{id}' is used more than once."
            )));
        }
        if !matches!(method.as_str(), "GET" | "POST" | "PATCH" | "PUT" | "DELETE") {
            return Err(invalid_payload());
        }
        if url.starts_with("http") || url.trim_start_matches('/').starts_with("$batch") {
            return Err(GraphError::malformed(format!(
                "Invalid request URL '{url}' for batch request id {id}."
            )));
        }
        let headers: Vec<(String, String)> = match request.get("headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(h)) => h
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|v| (k.clone(), v.to_owned()))
                        .ok_or_else(invalid_payload)
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid_payload()),
        };
        let body = request.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            return Err(GraphError::malformed(format!(
                "Write request id : {id} does not contain Content-Type header or body."
            )));
        }
        let depends_on = strings(request.get("dependsOn"))?;
        if let Some(missing) = depends_on.iter().find(|d| !seen.contains(d)) {
            return Err(GraphError::malformed(format!(
                "Request id {id} depends on request id {missing}, which is not earlier in the batch."
            )));
        }
        seen.push(id.clone());
        parsed.push(Inner {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    Ok(parsed)
}

/// Percent-encodes what a request line may not carry (clients put `$filter` clauses with
/// spaces and quotes in batch URLs as they are).
fn encode_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for byte in url.bytes() {
        if byte.is_ascii_graphic() && !b"\"<>`{}|\\^".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An inner answer: status, headers and JSON body.
async fn unpack(response: Response) -> (u16, Map<String, Value>, Option<Value>) {
    let status = response.status().as_u16();
    let headers: Map<String, Value> = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), json!(v.to_str().ok()?))))
        .collect();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).ok();
    (status, headers, body)
}

/// Runs one inner request through the routes.
async fn dispatch(state: &TenantState, outer: &HeaderMap, inner: &Inner) -> Response {
    let path = format!("/v1.0/{}", inner.url.trim_start_matches('/'));
    let mut builder = Request::builder()
        .method(inner.method.as_str())
        .uri(encode_url(&path));
    for name in [header::AUTHORIZATION, header::HOST] {
        if let Some(value) = outer.get(&name) {
            builder = builder.header(name, value);
        }
    }
    for (name, value) in &inner.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            builder = builder.header(name, value);
        }
    }
    let body = inner
        .body
        .as_ref()
        .map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let Ok(request) = builder.body(body) else {
        return GraphError::malformed(format!("Invalid request URL '{}'.", inner.url))
            .into_response();
    };
    match crate::routes::api(state.clone()).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// `POST /$batch`.
pub(crate) async fn run(
    State(state): State<TenantState>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, GraphError> {
    let requests = parse(&body)?;
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::with_capacity(requests.len());
    for inner in &requests {
        let failed_dependency = inner
            .depends_on
            .iter()
            .any(|d| statuses.get(d).is_none_or(|s| !(200..300).contains(s)));
        let response = if failed_dependency {
            GraphError::new(
                StatusCode::FAILED_DEPENDENCY,
                "FailedDependency",
                "The request failed because it depends on a request that failed.",
            )
            .into_response()
        } else if state.shared.faults().draw_inner_failure() {
            GraphError::unavailable().into_response()
        } else {
            dispatch(&state, &headers, inner).await
        };
        let (status, inner_headers, inner_body) = unpack(response).await;
        state.shared.record(RecordedRequest {
            method: inner.method.clone(),
            path: format!("/v1.0/{}", inner.url.trim_start_matches('/')),
            status,
            in_batch: true,
        });
        statuses.insert(inner.id.clone(), status);
        let mut answer = json!({"id": inner.id, "status": status, "headers": inner_headers});
        if let Some(inner_body) = inner_body {
            answer["body"] = inner_body;
        }
        responses.push(answer);
    }
    Ok(axum::Json(json!({ "responses": responses })).into_response())
}
