//! Checking a delivery's HMAC-SHA256 signature and timestamp.
//!
//! Two schemes, told apart by their headers:
//!
//! | scheme | headers | signed bytes | signature |
//! |---|---|---|---|
//! | generic | `X-Tenure-Timestamp`, `X-Tenure-Signature` | `<timestamp>.<raw body>` | `sha256=<hex>` |
//! | BambooHR | `X-BambooHR-Timestamp`, `X-BambooHR-Signature` | `<raw body><timestamp>` | `<hex>` |
//!
//! Timestamps are Unix seconds. The key is the webhook's private key; the comparison is constant
//! time (the `hmac` crate's `verify_slice`).

use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::{Headers, WebhookError};

/// How far a delivery's timestamp may be from now, either way, by default.
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(5 * 60);

const GENERIC_SIGNATURE: &str = "X-Tenure-Signature";
const GENERIC_TIMESTAMP: &str = "X-Tenure-Timestamp";
const BAMBOO_SIGNATURE: &str = "X-BambooHR-Signature";
const BAMBOO_TIMESTAMP: &str = "X-BambooHR-Timestamp";

/// Which signature scheme (and so which payload format) a delivery uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Tenure's own: `X-Tenure-*` headers and the generic event payload.
    Generic,
    /// BambooHR's: `X-BambooHR-*` headers and its employee payload.
    BambooHr,
}

/// A delivery whose signature and timestamp were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The scheme it was signed with.
    pub scheme: Scheme,
    /// When the sender signed it.
    pub timestamp: Timestamp,
    /// The signature, lower-case hex: what identifies the delivery for replay checks.
    pub signature: String,
}

/// A delivery's signature headers, read and well-formed, not yet checked against a key.
///
/// Reading them needs no key, so a request without a well-formed signature is refused before
/// anything is looked up for its connection ([`presented`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    scheme: Scheme,
    raw_timestamp: String,
    seconds: i64,
    timestamp: Timestamp,
    signature: Vec<u8>,
}

/// Reads the signature and timestamp headers of the scheme the headers use; refuses a missing
/// or malformed one, naming it.
pub fn presented(headers: &Headers) -> Result<Presented, WebhookError> {
    let scheme = if headers.get(BAMBOO_SIGNATURE).is_some() {
        Scheme::BambooHr
    } else {
        Scheme::Generic
    };
    let (signature_header, timestamp_header) = match scheme {
        Scheme::Generic => (GENERIC_SIGNATURE, GENERIC_TIMESTAMP),
        Scheme::BambooHr => (BAMBOO_SIGNATURE, BAMBOO_TIMESTAMP),
    };
    let raw_signature = header(headers, signature_header)?;
    let raw_timestamp = header(headers, timestamp_header)?;
    let hex_signature =
        match scheme {
            Scheme::Generic => raw_signature.strip_prefix("sha256=").ok_or_else(|| {
                WebhookError::MalformedHeader {
                    name: signature_header,
                    reason: "expected sha256=<hex>".into(),
                }
            })?,
            Scheme::BambooHr => raw_signature,
        };
    let signature = hex::decode(hex_signature).map_err(|_| WebhookError::MalformedHeader {
        name: signature_header,
        reason: "the signature is not hexadecimal".into(),
    })?;
    let seconds: i64 = raw_timestamp
        .parse()
        .map_err(|_| WebhookError::MalformedHeader {
            name: timestamp_header,
            reason: "expected Unix seconds".into(),
        })?;
    let timestamp = Timestamp::from_second(seconds).map_err(|_| WebhookError::MalformedHeader {
        name: timestamp_header,
        reason: "the time is out of range".into(),
    })?;
    Ok(Presented {
        scheme,
        raw_timestamp: raw_timestamp.to_owned(),
        seconds,
        timestamp,
        signature,
    })
}

impl Presented {
    /// Checks the signature over `body` with `key`, and then that the timestamp is within
    /// `window` of `now` either way.
    pub fn verify(
        &self,
        body: &[u8],
        key: &SecretString,
        now: Timestamp,
        window: Duration,
    ) -> Result<Verified, WebhookError> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes())
            .map_err(|_| WebhookError::BadSignature)?;
        match self.scheme {
            Scheme::Generic => {
                mac.update(self.raw_timestamp.as_bytes());
                mac.update(b".");
                mac.update(body);
            }
            Scheme::BambooHr => {
                mac.update(body);
                mac.update(self.raw_timestamp.as_bytes());
            }
        }
        mac.verify_slice(&self.signature)
            .map_err(|_| WebhookError::BadSignature)?;

        // Judged only once the signature holds, so an unsigned request learns nothing of the clock.
        let window_seconds = window.as_secs();
        let offset = now.as_second() - self.seconds;
        let limit = i64::try_from(window_seconds).unwrap_or(i64::MAX);
        if offset > limit {
            return Err(WebhookError::Stale {
                age_seconds: offset,
                window_seconds,
            });
        }
        if -offset > limit {
            return Err(WebhookError::Future {
                ahead_seconds: -offset,
                window_seconds,
            });
        }
        Ok(Verified {
            scheme: self.scheme,
            timestamp: self.timestamp,
            signature: hex::encode(&self.signature),
        })
    }
}

/// Checks the signature over `body` with `key`, and that the timestamp is within `window` of
/// `now` either way: [`presented`], then [`Presented::verify`].
pub fn verify(
    headers: &Headers,
    body: &[u8],
    key: &SecretString,
    now: Timestamp,
    window: Duration,
) -> Result<Verified, WebhookError> {
    presented(headers)?.verify(body, key, now, window)
}

/// The signature headers for `body` under the generic scheme: what a sender (or a test) attaches.
pub fn sign_generic(body: &[u8], key: &SecretString, timestamp: Timestamp) -> Headers {
    let seconds = timestamp.as_second().to_string();
    let mut message = Vec::with_capacity(seconds.len() + 1 + body.len());
    message.extend_from_slice(seconds.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    Headers::from_pairs([
        (GENERIC_TIMESTAMP, seconds),
        (
            GENERIC_SIGNATURE,
            format!("sha256={}", mac_hex(key, &message)),
        ),
    ])
}

/// The signature headers for `body` as BambooHR sends them.
pub fn sign_bamboohr(body: &[u8], key: &SecretString, timestamp: Timestamp) -> Headers {
    let seconds = timestamp.as_second().to_string();
    let mut message = body.to_vec();
    message.extend_from_slice(seconds.as_bytes());
    Headers::from_pairs([
        (BAMBOO_TIMESTAMP, seconds),
        (BAMBOO_SIGNATURE, mac_hex(key, &message)),
    ])
}

fn mac_hex(key: &SecretString, message: &[u8]) -> String {
    // HMAC takes a key of any length, so this never fails.
    match Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes()) {
        Ok(mut mac) => {
            mac.update(message);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

fn header<'a>(headers: &'a Headers, name: &'static str) -> Result<&'a str, WebhookError> {
    headers
        .get(name)
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingHeader { name })
}
