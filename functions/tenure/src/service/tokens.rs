//! A connection's API tokens in the secret store: one secret per connection,
//! `tenure/<id>/api-tokens`, `{"format":1,"tokens":[StoredToken…]}`, written by
//! compare-and-swap like every other secret. Made ([`create`]), listed ([`list`]) and revoked
//! ([`revoke`]) by signed-in administrators; checked on every request that presents one
//! ([`verify`], called by the admin layer only).
//!
//! No cache: every check reads the secret, so a revocation holds on every instance from the
//! moment it is written (the HMAC key comes from the key ring's cache).

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::auth::api_token::{
    NewToken, PresentedToken, Revocation, Scope, StoredToken, TokenId, TokenState, token_hmac,
    verify as verify_hmac,
};
use crate::service::Services;
use crate::store::Version;
use crate::store::connections::ConnectionId;
use crate::store::key_ring::KeyRingError;
use crate::store::secrets::{KeyPurpose, SecretError, SecretKind, SecretName};

/// The most tokens a connection keeps (revoked and expired ones count until room is needed).
pub const MAX_TOKENS: usize = 25;

/// A token's lifetime when the request names none.
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;

/// The longest lifetime a token may have.
pub const MAX_LIFETIME_DAYS: u32 = 365;

/// The longest name a token may have.
pub const MAX_NAME_CHARS: usize = 100;

/// The file format this version writes and reads.
const FORMAT: u32 = 1;

/// How many times a write is retried after losing a compare-and-swap race.
const CAS_ATTEMPTS: usize = 8;

/// What an administrator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, for the people who read the list (`CI uploads`).
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Days until it stops working: 1 to [`MAX_LIFETIME_DAYS`], [`DEFAULT_LIFETIME_DAYS`] when
    /// absent.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A token as lists and answers show it: everything but the secret and its HMAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenView {
    /// The id.
    pub id: TokenId,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Who made it (`<tenant id>/<object id>`).
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When and by whom it was revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// `active`, `expired` or `revoked`, now.
    pub state: &'static str,
}

impl TokenView {
    fn of(token: &StoredToken, now: Timestamp) -> Self {
        Self {
            id: token.id.clone(),
            name: token.name.clone(),
            scopes: token.scopes.clone(),
            created_by: token.created_by.clone(),
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked: token.revoked.clone(),
            state: match token.state(now) {
                TokenState::Active => "active",
                TokenState::Expired => "expired",
                TokenState::Revoked => "revoked",
            },
        }
    }
}

/// A new token: its record and, this once, its value.
#[derive(Debug)]
pub struct CreatedToken {
    /// The record.
    pub view: TokenView,
    /// `tenure_<id>_<secret>`: shown to the administrator once, kept nowhere.
    pub value: SecretString,
}

/// Why a token could not be made, listed, revoked or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The request is not one Tenure makes a token for.
    #[error("{0}")]
    BadRequest(String),
    /// The connection keeps as many active tokens as it may.
    #[error(
        "connection {0} has {MAX_TOKENS} active API tokens, the most it may keep: revoke one first"
    )]
    TooMany(ConnectionId),
    /// No token has that id.
    #[error("connection {connection} has no API token {id}")]
    NotFound {
        /// The connection.
        connection: ConnectionId,
        /// The id asked for.
        id: String,
    },
    /// Other writers kept changing the tokens.
    #[error("the API tokens of connection {0} kept changing; try again")]
    Contended(ConnectionId),
    /// The stored tokens cannot be read.
    #[error("secret {name} does not hold API tokens Tenure can read: {reason}")]
    Unreadable {
        /// The secret.
        name: SecretName,
        /// What is wrong (never a value).
        reason: String,
    },
    /// The secret store failed.
    #[error("the API tokens could not be read or written: {0}")]
    Secrets(#[from] SecretError),
    /// The HMAC key could not be read.
    #[error(transparent)]
    Keys(#[from] KeyRingError),
}

impl TokenError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound { .. } => 404,
            Self::TooMany(_) | Self::Contended(_) => 409,
            Self::Unreadable { .. } => 500,
            Self::Secrets(_) | Self::Keys(_) => 503,
        }
    }
}

/// Why a presented token does not let its bearer in.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No token of the connection is this one (unknown id, another connection's token, a
    /// tampered secret): the same answer for each.
    #[error("the API token is not valid for connection")]
    Invalid,
    /// It was this connection's token, and it expired.
    #[error("the API token {0} has expired")]
    Expired(TokenId),
    /// It was this connection's token, and it was revoked.
    #[error("the API token {0} was revoked")]
    Revoked(TokenId),
    /// The tokens could not be read: try again.
    #[error(transparent)]
    Unavailable(#[from] TokenError),
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Stored {
    format: u32,
    tokens: Vec<StoredToken>,
}

fn secret_name(connection: &ConnectionId) -> SecretName {
    SecretName::for_connection(connection, SecretKind::ApiTokens)
}

async fn load(
    services: &Services,
    connection: &ConnectionId,
) -> Result<Option<(Stored, Version)>, TokenError> {
    let name = secret_name(connection);
    let Some((value, version)) = services.secrets.get(&name).await? else {
        return Ok(None);
    };
    let stored: Stored =
        serde_json::from_str(value.expose_secret()).map_err(|e| TokenError::Unreadable {
            name: name.clone(),
            reason: format!("line {}, column {}", e.line(), e.column()),
        })?;
    if stored.format != FORMAT {
        return Err(TokenError::Unreadable {
            name,
            reason: format!("format {} is not {FORMAT}", stored.format),
        });
    }
    Ok(Some((stored, version)))
}

/// Writes `tokens` from `read` (created when `None`); `Ok(false)` when another writer won.
async fn save(
    services: &Services,
    connection: &ConnectionId,
    tokens: Vec<StoredToken>,
    read: Option<&Version>,
) -> Result<bool, TokenError> {
    let name = secret_name(connection);
    let text = serde_json::to_string(&Stored {
        format: FORMAT,
        tokens,
    })
    .map_err(|e| TokenError::Unreadable {
        name: name.clone(),
        reason: e.to_string(),
    })?;
    let value = SecretString::from(text);
    let written = match read {
        Some(version) => services.secrets.replace(&name, &value, version).await,
        None => services.secrets.put_new(&name, &value).await,
    };
    match written {
        Ok(_) => Ok(true),
        Err(SecretError::Conflict { .. } | SecretError::NotFound { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

fn check(request: &TokenRequest) -> Result<(String, Vec<Scope>, u32), TokenError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(TokenError::BadRequest(format!(
            "name must have 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(TokenError::BadRequest(
            "name may not hold control characters".into(),
        ));
    }
    let mut scopes = request.scopes.clone();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(TokenError::BadRequest(
            "scopes must name at least one of plugins:write, hr:write, plans:read, plans:approve"
                .into(),
        ));
    }
    let days = request.expires_in_days.unwrap_or(DEFAULT_LIFETIME_DAYS);
    if !(1..=MAX_LIFETIME_DAYS).contains(&days) {
        return Err(TokenError::BadRequest(format!(
            "expires_in_days must be 1 to {MAX_LIFETIME_DAYS} (default {DEFAULT_LIFETIME_DAYS})"
        )));
    }
    Ok((name.to_owned(), scopes, days))
}

/// Makes a token for `connection` on behalf of `created_by` (`<tenant id>/<object id>`). Room
/// is made by dropping the tokens that ended (revoked or expired) longest ago; a connection with
/// [`MAX_TOKENS`] active tokens gets [`TokenError::TooMany`].
pub async fn create(
    services: &Services,
    connection: &ConnectionId,
    request: &TokenRequest,
    created_by: &str,
) -> Result<CreatedToken, TokenError> {
    let (name, scopes, days) = check(request)?;
    let keys = services.keys.keys(KeyPurpose::ApiTokenHmac).await?;
    let key = keys.current();
    for _ in 0..CAS_ATTEMPTS {
        let now = services.clock.now();
        let (mut tokens, version) = match load(services, connection).await? {
            Some((stored, version)) => (stored.tokens, Some(version)),
            None => (Vec::new(), None),
        };
        make_room(&mut tokens, now);
        if tokens.len() >= MAX_TOKENS {
            return Err(TokenError::TooMany(connection.clone()));
        }
        let new = NewToken::generate();
        let stored = StoredToken {
            id: new.id.clone(),
            name: name.clone(),
            scopes: scopes.clone(),
            created_by: created_by.to_owned(),
            created_at: now,
            expires_at: now
                .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
                .unwrap_or(Timestamp::MAX),
            revoked: None,
            key_id: key.id(),
            hmac: token_hmac(key.expose(), connection, &new),
        };
        let view = TokenView::of(&stored, now);
        tokens.push(stored);
        if save(services, connection, tokens, version.as_ref()).await? {
            tracing::info!(%connection, token = %view.id, by = created_by, "API token created");
            return Ok(CreatedToken {
                view,
                value: new.value().clone(),
            });
        }
    }
    Err(TokenError::Contended(connection.clone()))
}

/// Drops ended tokens, those that ended longest ago first, until there is room for one more.
fn make_room(tokens: &mut Vec<StoredToken>, now: Timestamp) {
    while tokens.len() >= MAX_TOKENS {
        let ended_at = |t: &StoredToken| match (&t.revoked, t.state(now)) {
            (Some(revocation), _) => Some(revocation.at.min(t.expires_at)),
            (None, TokenState::Expired) => Some(t.expires_at),
            _ => None,
        };
        let oldest = tokens
            .iter()
            .enumerate()
            .filter_map(|(i, t)| ended_at(t).map(|at| (at, i)))
            .min();
        match oldest {
            Some((_, i)) => {
                tokens.remove(i);
            }
            None => return,
        }
    }
}

/// The connection's tokens, oldest first, without their secrets.
pub async fn list(
    services: &Services,
    connection: &ConnectionId,
) -> Result<Vec<TokenView>, TokenError> {
    let now = services.clock.now();
    Ok(load(services, connection)
        .await?
        .map(|(stored, _)| stored.tokens)
        .unwrap_or_default()
        .iter()
        .map(|t| TokenView::of(t, now))
        .collect())
}

/// Revokes a token on behalf of `by`; a token revoked before stays as it was.
pub async fn revoke(
    services: &Services,
    connection: &ConnectionId,
    id: &str,
    by: &str,
) -> Result<TokenView, TokenError> {
    let not_found = || TokenError::NotFound {
        connection: connection.clone(),
        id: id.chars().take(64).collect(),
    };
    let id = TokenId::parse(id).map_err(|_| not_found())?;
    for _ in 0..CAS_ATTEMPTS {
        let now = services.clock.now();
        let (stored, version) = load(services, connection).await?.ok_or_else(not_found)?;
        let mut tokens = stored.tokens;
        let token = tokens
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(not_found)?;
        if token.revoked.is_some() {
            return Ok(TokenView::of(token, now));
        }
        token.revoked = Some(Revocation {
            at: now,
            by: by.to_owned(),
        });
        let view = TokenView::of(token, now);
        if save(services, connection, tokens, Some(&version)).await? {
            tracing::info!(%connection, token = %id, by, "API token revoked");
            return Ok(view);
        }
    }
    Err(TokenError::Contended(connection.clone()))
}

/// The stored token `presented` is, if it belongs to `connection` and works now.
pub async fn verify(
    services: &Services,
    connection: &ConnectionId,
    presented: &PresentedToken,
) -> Result<StoredToken, Refusal> {
    let Some((stored, _)) = load(services, connection).await? else {
        return Err(Refusal::Invalid);
    };
    let Some(token) = stored.tokens.into_iter().find(|t| t.id == presented.id) else {
        return Err(Refusal::Invalid);
    };
    let key = services
        .keys
        .key(KeyPurpose::ApiTokenHmac, token.key_id)
        .await
        .map_err(TokenError::from)?;
    let Some(key) = key else {
        return Err(Refusal::Invalid);
    };
    if !verify_hmac(key.expose(), connection, &token, presented) {
        return Err(Refusal::Invalid);
    }
    match token.state(services.clock.now()) {
        TokenState::Active => Ok(token),
        TokenState::Expired => Err(Refusal::Expired(token.id)),
        TokenState::Revoked => Err(Refusal::Revoked(token.id)),
    }
}
