//! API Gateway HTTP API events (payload format 2.0) as API Gateway hands them to a Lambda
//! function, and a router's answer to one: what the HTTP functions are driven with in tests.

use axum::Router;
use base64::Engine as _;
use tower::ServiceExt as _;

use crate::Error;

/// An API Gateway HTTP API event (payload format 2.0), built step by step.
#[derive(Debug, Clone)]
pub struct ApiEvent {
    method: String,
    route_key: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    path_parameters: Vec<(String, String)>,
    domain: String,
    body: Option<Vec<u8>>,
    base64: bool,
}

/// The domain an event is received on unless [`ApiEvent::domain`] says another: the API's own
/// URL, `https://<api-id>.execute-api.<region>.amazonaws.com/`.
pub const API_DOMAIN: &str = "abc123.execute-api.eu-west-1.amazonaws.com";

impl ApiEvent {
    /// `GET path` for the route `route_key` (such as `GET /oauth/callback`, or `$default`).
    pub fn get(route_key: &str, path: impl Into<String>) -> Self {
        Self::new("GET", route_key, path)
    }

    /// `POST path` for the route `route_key`.
    pub fn post(route_key: &str, path: impl Into<String>) -> Self {
        Self::new("POST", route_key, path)
    }

    /// `method path` for the route `route_key`.
    pub fn new(method: &str, route_key: &str, path: impl Into<String>) -> Self {
        Self {
            method: method.to_owned(),
            route_key: route_key.to_owned(),
            path: path.into(),
            query: String::new(),
            headers: Vec::new(),
            path_parameters: Vec::new(),
            domain: API_DOMAIN.to_owned(),
            body: None,
            base64: false,
        }
    }

    /// The raw query string (without `?`); API Gateway also sends it parsed.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    /// A header (API Gateway lower-cases names).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// A parameter of the route, such as `id` of `/connections/{id}/hr-events`.
    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        self.path_parameters
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// The domain API Gateway received the request on (the `Host` header and
    /// `requestContext.domainName`): a custom domain, or another API's URL.
    pub fn domain(mut self, domain: &str) -> Self {
        self.domain = domain.to_owned();
        self
    }

    /// The body: sent as text when it is UTF-8, else base64-encoded as API Gateway does.
    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = Some(body.to_vec());
        self
    }

    /// A form's fields (`application/x-www-form-urlencoded`, already encoded) as the body.
    pub fn form(self, fields: &str) -> Self {
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(fields.as_bytes())
    }

    /// Sends the body base64-encoded (`isBase64Encoded: true`) even when it is text, as API
    /// Gateway does for a content type it does not take for text.
    pub fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// The event's JSON.
    pub fn json(&self) -> serde_json::Value {
        let mut headers = serde_json::Map::new();
        headers.insert("host".into(), self.domain.clone().into());
        headers.insert("user-agent".into(), "tenure-test".into());
        headers.insert("x-forwarded-proto".into(), "https".into());
        headers.insert("x-forwarded-for".into(), "203.0.113.7".into());
        if let Some(body) = &self.body {
            headers.insert("content-length".into(), body.len().to_string().into());
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone().into());
        }
        let text = self
            .body
            .as_ref()
            .filter(|_| !self.base64)
            .and_then(|bytes| std::str::from_utf8(bytes).ok());
        let (body, encoded) = match (&self.body, text) {
            (None, _) => (serde_json::Value::Null, false),
            (Some(_), Some(text)) => (text.into(), false),
            (Some(bytes), None) => (
                base64::engine::general_purpose::STANDARD
                    .encode(bytes)
                    .into(),
                true,
            ),
        };
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": self.route_key,
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc123",
                "domainName": self.domain,
                "domainPrefix": self.domain.split('.').next().unwrap_or_default(),
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.7",
                    "userAgent": "tenure-test"
                },
                "requestId": uuid::Uuid::new_v4().to_string(),
                "routeKey": self.route_key,
                "stage": "$default",
                "time": "10/Mar/2026:10:00:00 +0000",
                "timeEpoch": 1_773_136_800_000_i64
            },
            "body": body,
            "isBase64Encoded": encoded
        });
        let query: serde_json::Map<String, serde_json::Value> =
            form_urlencoded::parse(self.query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned().into()))
                .collect();
        if !query.is_empty() {
            event["queryStringParameters"] = query.into();
        }
        if !self.path_parameters.is_empty() {
            let parameters: serde_json::Map<String, serde_json::Value> = self
                .path_parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            event["pathParameters"] = parameters.into();
        }
        event
    }

    /// Hands the event to `router` as the Lambda adapter (`lambda_http`) would, and reads the
    /// answer.
    pub async fn send(&self, router: &Router) -> Result<Answer, Error> {
        let request = lambda_http::request::from_str(&self.json().to_string())?;
        let response = router.clone().oneshot(request).await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec())?,
        })
    }
}

/// A router's answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (an error quoting the body when it is not).
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        serde_json::from_str(&self.body)
            .map_err(|e| format!("answer {} is not JSON ({e}): {}", self.status, self.body).into())
    }

    /// The `error` of a JSON error body.
    pub fn error(&self) -> Result<String, Error> {
        let json = self.json()?;
        let message = json["error"]
            .as_str()
            .ok_or_else(|| format!("no error in {json}"))?;
        Ok(message.to_owned())
    }

    /// Fails if any of `secrets` appears in the body or any header.
    pub fn assert_hides(&self, secrets: &[&str]) {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!self.body.contains(secret), "a secret is in the body");
            for (name, value) in &self.headers {
                assert!(!value.contains(secret), "a secret is in header {name}");
            }
        }
    }
}
