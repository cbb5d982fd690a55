//! What can go wrong talking to Graph or Exchange, parsed from Microsoft's error bodies.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::token::TokenError;

/// Which Microsoft API answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Microsoft Graph.
    Graph,
    /// Exchange Online's admin API.
    Exchange,
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Graph => "Microsoft Graph",
            Self::Exchange => "Exchange Online",
        })
    }
}

/// A failed call to Graph or Exchange. Branch on [`ApiError::code`]; none carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No access token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Microsoft answered with an error (`{"error":{"code","message",…}}`).
    #[error(
        "{api} refused {operation} ({status} {code}): {message}{}",
        request_id_note(request_id)
    )]
    Service {
        /// Which API.
        api: Api,
        /// What was asked, such as `POST /users`.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// Microsoft's `error.code` (Exchange: the exception name when it gives one).
        code: String,
        /// Microsoft's message (Exchange: the `error.details[].message`s).
        message: String,
        /// Microsoft's `request-id`, for support cases and the audit.
        request_id: Option<String>,
    },
    /// Still throttled after every retry.
    #[error(
        "{api} kept throttling {operation} (429) after every retry{}; lower the concurrency or try later",
        request_id_note(request_id)
    )]
    Throttled {
        /// Which API.
        api: Api,
        /// What was asked.
        operation: String,
        /// The last wait Microsoft asked for.
        retry_after: Option<Duration>,
        /// Microsoft's `request-id`.
        request_id: Option<String>,
    },
    /// Not sent again because the wait before the next try would end after the instant the
    /// client was told to give up waiting at (a provision run's stop time). The request was
    /// not carried out (a 429, a connection never made, a read): nothing to undo or audit.
    /// Not a failure: the run hands the work to its continuation.
    #[error(
        "{api} asked to wait {}s before {operation} again, past the run's stop time; \
         not waited for: left to the run's continuation",
        wait.as_secs()
    )]
    OutOfTime {
        /// Which API.
        api: Api,
        /// What was asked.
        operation: String,
        /// The wait that outlives the stop time (Microsoft's `Retry-After`, or the backoff).
        wait: Duration,
    },
    /// The request could not be completed (connection refused or dropped, timeout).
    #[error("cannot reach {api} for {operation}: {message}")]
    Network {
        /// Which API.
        api: Api,
        /// What was asked.
        operation: String,
        /// What went wrong.
        message: String,
        /// Whether the request may have reached Microsoft (a dropped connection, a timeout):
        /// then a non-idempotent request may have been carried out.
        maybe_applied: bool,
    },
    /// A URL off the API's host: a paging or delta link that leaves the host it came from, or
    /// a stored delta link that does. It is not followed and the token is not sent there.
    #[error(
        "{api} {operation}: the {what} leads to {origin}, not to {expected} where it came from; \
         it is not followed and the token is not sent there"
    )]
    ForeignLink {
        /// Which API.
        api: Api,
        /// What was being done.
        operation: String,
        /// `@odata.nextLink`, `@odata.deltaLink` or `request URL`.
        what: &'static str,
        /// Where it leads: scheme, host and port only.
        origin: String,
        /// The API's own scheme, host and port.
        expected: String,
    },
    /// An answer Tenure cannot read.
    #[error("{api} gave an unexpected answer to {operation} ({status}): {message}")]
    Unexpected {
        /// Which API.
        api: Api,
        /// What was asked.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        message: String,
    },
}

fn request_id_note(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" [request-id {id}]"))
        .unwrap_or_default()
}

impl ApiError {
    /// Microsoft's error code, when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            Self::Throttled { .. } => Some("TooManyRequests"),
            _ => None,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Service { status, .. } | Self::Unexpected { status, .. } => Some(*status),
            Self::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    /// Microsoft's request id, when it gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Service { request_id, .. } | Self::Throttled { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// Whether the request was given up for want of time ([`ApiError::OutOfTime`]), not failed.
    pub fn is_out_of_time(&self) -> bool {
        matches!(self, Self::OutOfTime { .. })
    }

    /// Whether the object does not exist (yet): Graph's 404 `Request_ResourceNotFound`, or
    /// Exchange's `ManagementObjectNotFoundException` (a new user's mailbox is not there until
    /// some time after its license). The applier defers such actions to the next sync.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::Service {
                status,
                code,
                message,
                ..
            } => {
                *status == 404
                    || code == "Request_ResourceNotFound"
                    || code.ends_with("ManagementObjectNotFoundException")
                    || message.contains("Couldn't find object")
                    || message.contains("couldn't be found")
            }
            _ => false,
        }
    }

    /// Whether Graph says a unique property (such as the UPN) is taken.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Service { status: 400 | 409, message, .. }
            if message.contains("already exists"))
    }

    /// Whether the change was already in place (Exchange: already a member / not a member;
    /// Graph: "One or more added object references already exist").
    pub fn is_already_done(&self) -> bool {
        matches!(self, Self::Service { status: 400, message, .. }
            if message.contains("already exist")
                || message.contains("is already a member")
                || message.contains("isn't a member"))
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner_error: Option<Inner>,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    message: String,
}

/// The request id of an answer: the `request-id` header (Graph), else `x-ms-request-id`.
pub(crate) fn header_request_id(headers: &HeaderMap) -> Option<String> {
    ["request-id", "x-ms-request-id", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

/// Builds the error for a failed answer from its status, headers and body.
pub(crate) fn from_answer(
    api: Api,
    operation: &str,
    status: u16,
    header_id: Option<String>,
    body: &[u8],
) -> ApiError {
    let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
        return ApiError::Unexpected {
            api,
            operation: operation.to_owned(),
            status,
            message: String::from_utf8_lossy(body).chars().take(300).collect(),
        };
    };
    let request_id = error.inner_error.and_then(|i| i.request_id).or(header_id);
    let (code, message) = match api {
        Api::Graph => (error.code, error.message),
        Api::Exchange => exchange_details(error.code, error.message, &error.details),
    };
    ApiError::Service {
        api,
        operation: operation.to_owned(),
        status,
        code,
        message,
        request_id,
    }
}

/// Exchange puts the real reason in `details[].message`, as `Ex…|Exception.Name|message`.
fn exchange_details(code: String, message: String, details: &[Detail]) -> (String, String) {
    let mut exception = None;
    let messages: Vec<&str> = details
        .iter()
        .map(|d| {
            let mut parts = d.message.splitn(3, '|');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(_), Some(name), Some(text)) => {
                    exception.get_or_insert_with(|| name.to_owned());
                    text
                }
                _ => d.message.as_str(),
            }
        })
        .filter(|m| !m.is_empty())
        .collect();
    let message = if messages.is_empty() {
        message
    } else {
        messages.join("; ")
    };
    (exception.unwrap_or(code), message)
}

#[cfg(test)]
mod tests {
    use super::{Api, ApiError, from_answer};

    #[test]
    fn graph_errors_carry_code_message_and_request_id() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"date":"2026-01-01T00:00:00","request-id":"r-1","client-request-id":"c-1"}}}"#;
        let error = from_answer(Api::Graph, "GET /users/x", 404, None, body);
        assert_eq!(error.code(), Some("Request_ResourceNotFound"));
        assert_eq!(error.request_id(), Some("r-1"));
        assert!(error.is_not_found());
    }

    #[test]
    fn exchange_errors_are_read_from_details() {
        let body = br#"{"error":{"code":"BadRequest","message":"x","details":[{"code":"Context","target":"","message":"Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|Couldn't find object \"a@b\"."}]}}"#;
        let error = from_answer(Api::Exchange, "Set-Mailbox", 400, None, body);
        assert!(error.is_not_found());
        assert!(
            matches!(&error, ApiError::Service { message, .. } if message.starts_with("Couldn't find"))
        );
    }
}
