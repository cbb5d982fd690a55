//! Microsoft's request identifiers: a `request-id` per request and the caller's
//! `client-request-id`, echoed in headers and in error bodies.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The identifiers of the request being answered.
#[derive(Debug, Clone)]
pub(crate) struct RequestIds {
    /// Ours, new for every request.
    pub(crate) request_id: String,
    /// The caller's, or a new one when the caller sent none.
    pub(crate) client_request_id: String,
}

tokio::task_local! {
    static CURRENT: RequestIds;
}

impl RequestIds {
    /// The identifiers of the request this task answers, or fresh ones outside a request.
    pub(crate) fn current() -> Self {
        CURRENT
            .try_with(Clone::clone)
            .unwrap_or_else(|_| Self::fresh(None))
    }

    fn fresh(client_request_id: Option<String>) -> Self {
        Self {
            request_id: new_guid(),
            client_request_id: client_request_id.unwrap_or_else(new_guid),
        }
    }
}

/// A new random GUID, lower-case and hyphenated as Microsoft writes them.
pub(crate) fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Middleware: gives the request its identifiers and puts them on the answer.
pub(crate) async fn assign(request: Request, next: Next) -> Response {
    let client = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ids = RequestIds::fresh(client);
    let mut response = CURRENT.scope(ids.clone(), next.run(request)).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("request-id", &ids.request_id),
        ("client-request-id", &ids.client_request_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}
