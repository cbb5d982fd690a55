//! The token endpoint's error answer, in Microsoft's shape:
//! `{"error","error_description":"AADSTS…: …\r\nTrace ID: …","error_codes":[…],"timestamp",
//! "trace_id","correlation_id","error_uri"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ids::new_guid;

/// A token endpoint error.
#[derive(Debug)]
pub(crate) struct TokenError {
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) description: String,
    /// MSAL's `suberror` (`consent_required`, `bad_token`), when Microsoft sends one.
    pub(crate) suberror: Option<&'static str>,
    /// The login host `error_uri` names (`login.microsoftonline.com` in the global cloud).
    pub(crate) login_host: Option<&'static str>,
}

/// The `Trace ID`, `Correlation ID` and `Timestamp` every Microsoft login error carries.
pub(crate) struct Diagnostics {
    pub(crate) trace_id: String,
    pub(crate) correlation_id: String,
    pub(crate) timestamp: String,
}

impl Diagnostics {
    pub(crate) fn new() -> Self {
        Self {
            trace_id: new_guid(),
            correlation_id: new_guid(),
            timestamp: jiff::Timestamp::now()
                .strftime("%Y-%m-%d %H:%M:%SZ")
                .to_string(),
        }
    }

    /// `AADSTS<code>: <text>` followed by the diagnostics, as Microsoft writes descriptions.
    pub(crate) fn describe(&self, code: u32, text: &str) -> String {
        format!(
            "AADSTS{code}: {text}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            self.trace_id, self.correlation_id, self.timestamp
        )
    }
}

impl TokenError {
    pub(crate) fn new(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        Self {
            error,
            code,
            description: description.into(),
            suberror: None,
            login_host: None,
        }
    }

    /// `AADSTS900144`: a required form field is missing.
    pub(crate) fn missing(parameter: &str) -> Self {
        Self::new(
            "invalid_request",
            900_144,
            format!("The request body must contain the following parameter: '{parameter}'."),
        )
    }

    pub(crate) fn invalid_client(code: u32, description: impl Into<String>) -> Self {
        Self::new("invalid_client", code, description)
    }

    pub(crate) fn invalid_grant(code: u32, description: impl Into<String>) -> Self {
        Self::new("invalid_grant", code, description)
    }

    /// Adds MSAL's `suberror`.
    pub(crate) fn with_suberror(mut self, suberror: &'static str) -> Self {
        self.suberror = Some(suberror);
        self
    }

    /// Names the login host for `error_uri`.
    pub(crate) fn at(mut self, login_host: &'static str) -> Self {
        self.login_host = Some(login_host);
        self
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let diagnostics = Diagnostics::new();
        let status = if self.error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        let mut body = json!({
            "error": self.error,
            "error_description": diagnostics.describe(self.code, &self.description),
            "error_codes": [self.code],
            "timestamp": diagnostics.timestamp,
            "trace_id": diagnostics.trace_id,
            "correlation_id": diagnostics.correlation_id,
        });
        if let Some(host) = self.login_host {
            body["error_uri"] = json!(format!("https://{host}/error?code={}", self.code));
        }
        if let Some(suberror) = self.suberror {
            body["suberror"] = json!(suberror);
        }
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache"),
        );
        response
    }
}
