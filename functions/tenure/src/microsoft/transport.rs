//! One HTTP core for Graph and Exchange: a bearer token per request, the adaptive gate, retries,
//! and Microsoft's errors parsed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::concurrency::AdaptiveLimit;
use super::error::{Api, ApiError, from_answer, header_request_id};
use super::retry::{NextTry, RetryPolicy, is_transient, server_wait};
use super::token::TokenSource;

/// How a client behaves on the wire.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// The longest a single request may take.
    pub timeout: Duration,
    /// The adaptive gate on requests in flight (share one per tenant and API).
    pub limit: AdaptiveLimit,
}

impl Default for ClientOptions {
    /// Default retries, 100 s per request, at most 8 requests in flight.
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(100),
            limit: AdaptiveLimit::new(8),
        }
    }
}

/// A request to send. Deliberately not `Debug`: a body may hold a password.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) body: Option<Value>,
    pub(crate) headers: Vec<(&'static str, String)>,
    /// Named in errors, such as `POST /users`.
    pub(crate) operation: String,
    /// Whether sending it twice does no harm.
    pub(crate) idempotent: bool,
}

impl Request {
    pub(crate) fn new(method: Method, url: String, operation: String) -> Self {
        let idempotent = method != Method::POST;
        Self {
            method,
            url,
            body: None,
            headers: Vec::new(),
            operation,
            idempotent,
        }
    }

    pub(crate) fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub(crate) fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub(crate) body: Bytes,
    pub(crate) request_id: Option<String>,
}

impl Reply {
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        api: Api,
        operation: &str,
    ) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Unexpected {
            api,
            operation: operation.to_owned(),
            status: 200,
            message: e.to_string(),
        })
    }
}

struct Attempt {
    error: ApiError,
    retry: bool,
    wait: Option<Duration>,
    /// Provably not carried out (a 429, a connection never made, a refused token, a read):
    /// safe to give up on when the wait outlives the instant to give up at.
    unapplied: bool,
}

/// The shared core of [`super::graph::GraphClient`] and [`super::exchange::ExchangeClient`].
#[derive(Clone)]
pub(crate) struct Transport {
    api: Api,
    /// The API's base URL: every request goes to its scheme, host and port, or is refused.
    base: reqwest::Url,
    http: reqwest::Client,
    tokens: Arc<TokenSource>,
    scope: String,
    pub(crate) policy: RetryPolicy,
    limit: AdaptiveLimit,
    /// No retry is waited for past this instant ([`RetryPolicy::next_try`]); `None`: every one.
    pub(crate) give_up_at: Option<Instant>,
}

impl Transport {
    /// A transport for `api` at `base` (its base URL; every request must stay on its host).
    pub(crate) fn new(
        api: Api,
        base: &str,
        tokens: Arc<TokenSource>,
        scope: String,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        let base = reqwest::Url::parse(base).map_err(|e| ApiError::Network {
            api,
            operation: "set up the HTTP client".to_owned(),
            message: format!("the base URL {base} is not a URL: {e}"),
            maybe_applied: false,
        })?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|e| ApiError::Network {
                api,
                operation: "set up the HTTP client".to_owned(),
                message: e.to_string(),
                maybe_applied: false,
            })?;
        Ok(Self {
            api,
            base,
            http,
            tokens,
            scope,
            policy: options.retry,
            limit: options.limit,
            give_up_at: None,
        })
    }

    /// The decision after a failed attempt, with this transport's instant to give up at.
    pub(crate) fn next_try(
        &self,
        server_wait: Option<Duration>,
        backoff: Option<Duration>,
        unapplied: bool,
    ) -> NextTry {
        self.policy.next_try(
            server_wait,
            backoff,
            unapplied,
            self.give_up_at,
            Instant::now(),
        )
    }

    /// The error of a request given up for want of time.
    pub(crate) fn out_of_time(&self, operation: &str, wait: Duration) -> ApiError {
        ApiError::OutOfTime {
            api: self.api,
            operation: operation.to_owned(),
            wait,
        }
    }

    /// Refuses `url` ([`ApiError::ForeignLink`], naming it as `what`) unless it is on the
    /// API's scheme, host and port.
    pub(crate) fn check_origin(
        &self,
        url: &str,
        what: &'static str,
        operation: &str,
    ) -> Result<(), ApiError> {
        let origin = reqwest::Url::parse(url).map(|u| u.origin());
        match origin {
            Ok(origin) if origin == self.base.origin() => Ok(()),
            _ => Err(ApiError::ForeignLink {
                api: self.api,
                operation: operation.to_owned(),
                what,
                origin: origin.map_or_else(
                    |_| "a URL that cannot be read".to_owned(),
                    |o| o.ascii_serialization(),
                ),
                expected: self.base.origin().ascii_serialization(),
            }),
        }
    }

    /// Sends with retries; a non-2xx answer becomes an [`ApiError`]. A request off the API's
    /// host is refused before a token is fetched ([`Self::check_origin`]).
    pub(crate) async fn send(&self, request: &Request) -> Result<Reply, ApiError> {
        self.check_origin(&request.url, "request URL", &request.operation)?;
        let mut delays = backon::BackoffBuilder::build(self.policy.backoff());
        loop {
            let attempt = match self.attempt(request).await {
                Ok(reply) => return Ok(reply),
                Err(attempt) if !attempt.retry => return Err(attempt.error),
                Err(attempt) => attempt,
            };
            match self.next_try(attempt.wait, delays.next(), attempt.unapplied) {
                NextTry::After(delay) => tokio::time::sleep(delay).await,
                NextTry::GiveUp { wait } => {
                    tracing::debug!(operation = %request.operation, ?wait,
                        "not waiting past the run's stop time: left to its continuation");
                    return Err(self.out_of_time(&request.operation, wait));
                }
                NextTry::Stop => return Err(attempt.error),
            }
        }
    }

    /// One try: the gate, a token, the request, its answer.
    async fn attempt(&self, request: &Request) -> Result<Reply, Attempt> {
        let _permit = self.limit.acquire().await;
        let token = self.tokens.token(&self.scope).await.map_err(|e| Attempt {
            retry: e.is_transient(),
            error: e.into(),
            wait: None,
            unapplied: true,
        })?;
        let mut builder = self
            .http
            .request(request.method.clone(), &request.url)
            .bearer_auth(token.expose_secret());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        } else if request.method == Method::POST {
            builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        let response = builder.send().await.map_err(|e| {
            let maybe_applied = !e.is_connect();
            self.network(request, &e, maybe_applied)
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.network(request, &e, true))?;
        let request_id = header_request_id(&headers);
        if status.is_success() {
            self.limit.on_success();
            return Ok(Reply { body, request_id });
        }
        Err(self
            .refusal(request, status, &headers, request_id, &body)
            .await)
    }

    fn network(&self, request: &Request, error: &reqwest::Error, maybe_applied: bool) -> Attempt {
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Attempt {
            error: ApiError::Network {
                api: self.api,
                operation: request.operation.clone(),
                message,
                maybe_applied,
            },
            // A request that never left can always be sent again; one that may have been
            // carried out only when doing it twice is harmless.
            retry: request.idempotent || !maybe_applied,
            wait: None,
            unapplied: !maybe_applied || request.method == Method::GET,
        }
    }

    async fn refusal(
        &self,
        request: &Request,
        status: StatusCode,
        headers: &HeaderMap,
        request_id: Option<String>,
        body: &[u8],
    ) -> Attempt {
        let wait = server_wait(headers);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.limit.on_throttled();
            let request_id = from_answer(self.api, "", 429, request_id, body)
                .request_id()
                .map(str::to_owned);
            return Attempt {
                error: ApiError::Throttled {
                    api: self.api,
                    operation: request.operation.clone(),
                    retry_after: wait,
                    request_id,
                },
                // A throttled request was not carried out: always safe to send again.
                retry: true,
                wait,
                unapplied: true,
            };
        }
        let error = from_answer(
            self.api,
            &request.operation,
            status.as_u16(),
            request_id,
            body,
        );
        if status == StatusCode::UNAUTHORIZED {
            // An expired or revoked token: get a fresh one and try again.
            self.tokens.invalidate(&self.scope).await;
            return Attempt {
                error,
                retry: true,
                wait: None,
                unapplied: true,
            };
        }
        Attempt {
            error,
            retry: is_transient(status) && request.idempotent,
            wait,
            unapplied: request.method == Method::GET,
        }
    }
}
