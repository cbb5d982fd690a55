//! Links being made: for each sign-in Tenure sends an admin to, a single-use `state` (bound to
//! the connection and to whoever started it: the admin's session, or the operator at the CLI),
//! the PKCE verifier and the OpenID Connect nonce, kept in the secret store until used or
//! expired. At most [`MAX_PENDING`] per connection are kept (the oldest is dropped), and a
//! write that keeps losing the compare-and-swap gives up after [`MAX_ATTEMPTS`].

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::Version;
use crate::store::connections::ConnectionId;
use crate::store::secrets::{SecretError, SecretKind, SecretName, SecretStore};

/// How long a sign-in link stays good.
pub const LINK_LIFETIME: SignedDuration = SignedDuration::from_mins(10);

/// The most links in flight kept for one connection; starting one more drops the oldest.
pub const MAX_PENDING: usize = 8;

/// How many times a write reads again after losing the compare-and-swap.
pub const MAX_ATTEMPTS: usize = 8;

/// What a sign-in was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Purpose {
    /// The authorize page: comes back with a code.
    Authorize,
    /// The admin-consent page: comes back with `admin_consent=True`.
    AdminConsent,
}

/// One sign-in in flight. Only the SHA-256 of its nonce is kept, so the record cannot be
/// turned back into a valid `state`.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    nonce_sha256: String,
    /// The SHA-256 of who started it ([`Owner::binding`]); a callback from anyone else is
    /// unknown.
    #[serde(default)]
    owner_sha256: String,
    pub(crate) purpose: Purpose,
    /// The PKCE verifier (authorize only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) verifier: Option<String>,
    /// The OpenID Connect nonce the ID token must carry (authorize only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) oidc_nonce: Option<String>,
    pub(crate) expires_at: Timestamp,
    pub(crate) used: bool,
}

#[derive(Default, Serialize, Deserialize)]
struct Record {
    pending: Vec<Pending>,
}

/// What became of a `state` that came back.
pub(crate) enum Claim {
    /// Good, and now used: this sign-in's record.
    Claimed(Pending),
    /// No such sign-in (forged, for another connection, or long gone).
    Unknown,
    /// It was good until its time ran out.
    Expired,
    /// It came back before: a replay.
    Reused,
}

/// What could not be kept.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PendingError {
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error("the links in flight kept changing")]
    Contended,
}

/// A sign-in to remember.
pub(crate) struct NewLink<'a> {
    pub(crate) nonce: &'a str,
    pub(crate) owner_binding: &'a str,
    pub(crate) purpose: Purpose,
    pub(crate) verifier: Option<String>,
    pub(crate) oidc_nonce: Option<String>,
}

/// The `state` Microsoft carries back: `<connection id>.<nonce>`.
pub(crate) fn state_of(connection: &ConnectionId, nonce: &str) -> String {
    format!("{connection}.{nonce}")
}

/// The connection a `state` names, and its nonce.
pub(crate) fn parse_state(state: &str) -> Option<(ConnectionId, &str)> {
    let (id, nonce) = state.split_once('.')?;
    let id = ConnectionId::parse(id).ok()?;
    (!nonce.is_empty() && nonce.len() <= 128).then_some((id, nonce))
}

fn digest(nonce: &str) -> String {
    hex::encode(Sha256::digest(nonce.as_bytes()))
}

fn name(connection: &ConnectionId) -> SecretName {
    SecretName::for_connection(connection, SecretKind::Authorization)
}

async fn load(
    secrets: &dyn SecretStore,
    name: &SecretName,
) -> Result<Option<(Record, Version)>, SecretError> {
    match secrets.get(name).await? {
        None => Ok(None),
        Some((value, version)) => {
            // A damaged record is as good as none: every sign-in in it fails as unknown.
            let record = serde_json::from_str(value.expose_secret()).unwrap_or_default();
            Ok(Some((record, version)))
        }
    }
}

fn encode(record: &Record) -> SecretString {
    SecretString::from(serde_json::to_string(record).unwrap_or_default())
}

/// Keeps a new sign-in for `connection`, dropping those that have expired and, beyond
/// [`MAX_PENDING`], the oldest.
pub(crate) async fn remember(
    secrets: &dyn SecretStore,
    connection: &ConnectionId,
    link: NewLink<'_>,
    now: Timestamp,
) -> Result<Timestamp, PendingError> {
    let name = name(connection);
    let expires_at = now + LINK_LIFETIME;
    let entry = Pending {
        nonce_sha256: digest(link.nonce),
        owner_sha256: digest(link.owner_binding),
        purpose: link.purpose,
        verifier: link.verifier,
        oidc_nonce: link.oidc_nonce,
        expires_at,
        used: false,
    };
    for _ in 0..MAX_ATTEMPTS {
        let result = match load(secrets, &name).await? {
            None => {
                let record = Record {
                    pending: vec![entry.clone()],
                };
                secrets.put_new(&name, &encode(&record)).await
            }
            Some((mut record, version)) => {
                record.pending.retain(|p| p.expires_at > now);
                record.pending.push(entry.clone());
                // Entries are kept oldest first.
                let excess = record.pending.len().saturating_sub(MAX_PENDING);
                record.pending.drain(..excess);
                secrets.replace(&name, &encode(&record), &version).await
            }
        };
        match result {
            Ok(_) => return Ok(expires_at),
            // Another sign-in was started or finished at the same moment: read again.
            Err(SecretError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(PendingError::Contended)
}

/// Marks the sign-in a `state`'s nonce names as used, once: a second claim of the same nonce
/// (a replay, or two callbacks racing) is `Reused`. A sign-in started by someone else than
/// `owner_binding` is `Unknown`, and stays unused.
pub(crate) async fn claim(
    secrets: &dyn SecretStore,
    connection: &ConnectionId,
    nonce: &str,
    owner_binding: &str,
    now: Timestamp,
) -> Result<Claim, PendingError> {
    let name = name(connection);
    let wanted = digest(nonce);
    let owner = digest(owner_binding);
    for _ in 0..MAX_ATTEMPTS {
        let Some((mut record, version)) = load(secrets, &name).await? else {
            return Ok(Claim::Unknown);
        };
        let Some(entry) = record
            .pending
            .iter_mut()
            .find(|p| constant_time_eq(&p.nonce_sha256, &wanted))
        else {
            return Ok(Claim::Unknown);
        };
        if !constant_time_eq(&entry.owner_sha256, &owner) {
            return Ok(Claim::Unknown);
        }
        if entry.used {
            return Ok(Claim::Reused);
        }
        if entry.expires_at <= now {
            return Ok(Claim::Expired);
        }
        entry.used = true;
        let claimed = entry.clone();
        match secrets.replace(&name, &encode(&record), &version).await {
            Ok(_) => return Ok(Claim::Claimed(claimed)),
            Err(SecretError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(PendingError::Contended)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
