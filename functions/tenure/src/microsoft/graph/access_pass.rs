//! `POST /users/{id}/authentication/temporaryAccessPassMethods`: a Temporary Access Pass, given
//! back once as a secret.

use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::{GraphClient, encode};
use crate::microsoft::error::{Api, ApiError};
use crate::microsoft::transport::Request;

/// What a new pass should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassRequest {
    /// When it starts to work.
    pub start: jiff::Timestamp,
    /// How long it works from then, in minutes (10–43200).
    pub lifetime_minutes: u32,
    /// Whether one sign-in uses it up.
    pub usable_once: bool,
}

/// A new pass. Its `Debug` never shows the pass.
#[derive(Debug)]
pub struct AccessPass {
    /// The pass.
    pub pass: SecretString,
    /// When it starts to work, as Graph set it.
    pub start: Option<jiff::Timestamp>,
    /// Microsoft's request id, for the audit.
    pub request_id: Option<String>,
}

impl GraphClient {
    /// Creates a user's Temporary Access Pass (replacing one they had: a user has one). Sent
    /// again on a failure that leaves it unknown whether it was made: a pass nobody received
    /// is worth replacing.
    pub async fn create_access_pass(
        &self,
        user_id: &str,
        pass: PassRequest,
    ) -> Result<AccessPass, ApiError> {
        let operation = "POST /users/{id}/authentication/temporaryAccessPassMethods";
        let body = json!({
            "startDateTime": pass.start.to_string(),
            "lifetimeInMinutes": pass.lifetime_minutes,
            "isUsableOnce": pass.usable_once,
        });
        let request = Request::new(
            Method::POST,
            self.url(&format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                encode(user_id)
            )),
            operation.into(),
        )
        .json(body)
        .idempotent(true);
        let reply = self.send(request).await?;
        // Read by hand: a parse error must never quote the answer, which holds the pass.
        let unexpected = |message: &str| ApiError::Unexpected {
            api: Api::Graph,
            operation: operation.to_owned(),
            status: 201,
            message: message.to_owned(),
        };
        let value: Value = serde_json::from_slice(&reply.body)
            .map_err(|_| unexpected("the answer is not JSON"))?;
        let secret = value["temporaryAccessPass"]
            .as_str()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| unexpected("the answer has no temporaryAccessPass"))?;
        Ok(AccessPass {
            pass: SecretString::from(secret.to_owned()),
            start: value["startDateTime"].as_str().and_then(|s| s.parse().ok()),
            request_id: reply.request_id,
        })
    }
}
