//! Graph's error answers: `{"error":{"code","message","innerError":{…}}}` with the status
//! Microsoft uses for each.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ids::RequestIds;

/// A Graph error answer.
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<Value>,
    retry_after: Option<u64>,
}

impl GraphError {
    /// An error with this status, code and message.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// `400 Request_BadRequest`, directory's own code for a bad write.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// `400 BadRequest`, Graph's code for a malformed request.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// `404 Request_ResourceNotFound` for an object id.
    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// `400` for an unknown or badly typed property.
    pub(crate) fn invalid_value(property: &str, resource: &str) -> Self {
        Self::bad_request(format!(
            "Invalid value specified for property '{property}' of resource '{resource}'."
        ))
    }

    /// `400` for a body that is not JSON or not declared as JSON.
    pub(crate) fn unreadable_body() -> Self {
        Self::malformed(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    }

    /// `401 InvalidAuthenticationToken`.
    pub(crate) fn unauthenticated(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// `429 TooManyRequests` with `Retry-After`.
    pub(crate) fn throttled(retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests.",
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// `503 ServiceUnavailable`.
    pub(crate) fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is currently unavailable. Please try again later.",
        )
    }

    /// Adds an entry to `details`.
    pub(crate) fn with_detail(mut self, detail: Value) -> Self {
        self.details.push(detail);
        self
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let ids = RequestIds::current();
        let date = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%S")
            .to_string();
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "innerError": {
                "date": date,
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            }
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details);
        }
        let mut response = (self.status, axum::Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\""),
            );
        }
        response
    }
}
