//! OpenID Connect, as the identity platform v2.0 serves it: the discovery document
//! (`/{tenant}/v2.0/.well-known/openid-configuration`), the signing keys
//! (`/{tenant}/discovery/v2.0/keys`), and RS256 ID tokens for sign-ins that asked for `openid`.
//!
//! The issuer is Microsoft's, on the cloud's login host whatever address the emulator listens
//! on: `https://login.microsoftonline.com/{tid}/v2.0` (`login.microsoftonline.us` in the US
//! Government clouds, `login.chinacloudapi.cn` in China). For `organizations` and `common` the
//! document names the template `https://{host}/{tenantid}/v2.0`, as Microsoft's does, which a
//! relying party fills with the token's `tid`. The endpoints in the document point at the
//! emulator itself.
//!
//! The tenant signs with one of two fixed test keys (`keys/signing-*.pem`, generated for the
//! emulator and worth nothing elsewhere). It starts publishing and signing with the first;
//! [`crate::TenantState::rotate_signing_key`] publishes the second and signs with it from then
//! on, as Microsoft's key rollover does, so a client holding the old key set must fetch it again.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};

use super::token_error::TokenError;
use crate::state::{Shared, TenantState, lock};

/// The emulator's two signing keys, PKCS#8 PEM: test keys, public in this repository.
const KEYS: [(&str, &str); 2] = [
    (
        "emulated-signing-1",
        include_str!("../../keys/signing-1.pem"),
    ),
    (
        "emulated-signing-2",
        include_str!("../../keys/signing-2.pem"),
    ),
];

/// The role every member user holds (Microsoft puts it in `wids` too).
pub const MEMBER_USER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

/// How long an ID token is valid.
const ID_TOKEN_LIFETIME: i64 = 3_600;

/// A fault in the ID tokens the tenant issues, for tests of a relying party's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdTokenFault {
    /// Signed with a key other than the one its `kid` names (the signature does not verify).
    WrongSignature,
    /// Issued for another app (`aud`).
    Audience(String),
    /// Issued by another issuer (`iss`).
    Issuer(String),
    /// With another `nonce` than the sign-in's.
    Nonce(String),
    /// Expired an hour ago.
    Expired,
    /// Naming another tenant (`tid`, and the issuer for it), as a token of that tenant would.
    Tenant(String),
}

/// Which keys the tenant publishes and which it signs with, and the fault tokens carry.
#[derive(Debug, Clone)]
pub(crate) struct SigningKeys {
    /// How many of [`KEYS`] are published (1 or 2).
    published: usize,
    /// The one new tokens are signed with.
    current: usize,
    /// The fault every ID token carries from now on.
    pub(crate) fault: Option<IdTokenFault>,
}

impl Default for SigningKeys {
    fn default() -> Self {
        Self {
            published: 1,
            current: 0,
            fault: None,
        }
    }
}

impl SigningKeys {
    /// Publishes the next key and signs with it.
    pub(crate) fn rotate(&mut self) {
        self.published = KEYS.len();
        self.current = (self.current + 1) % KEYS.len();
    }
}

/// Whether a tenant segment is one of the multi-tenant aliases a sign-in may use.
pub(crate) fn is_alias(tenant: &str) -> bool {
    ["organizations", "common"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(tenant))
}

/// `https://{login host}/{tid}/v2.0`.
pub(crate) fn issuer(shared: &Shared, tenant: &str) -> String {
    format!("https://{}/{tenant}/v2.0", shared.login_host())
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) async fn discovery(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let shared = &state.shared;
    let segment = if is_alias(&tenant) {
        tenant.to_ascii_lowercase()
    } else if shared.is_tenant(&tenant) {
        shared.tenant_id.clone()
    } else {
        return unknown_tenant(&tenant);
    };
    let base = super::base_url(&headers);
    let issuer = if is_alias(&tenant) {
        issuer(shared, "{tenantid}")
    } else {
        issuer(shared, &shared.tenant_id)
    };
    Json(json!({
        "token_endpoint": format!("{base}/{segment}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{segment}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{segment}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{segment}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{segment}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/{segment}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": cloud_instance(shared),
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": shared.cloud.hosts().graph,
        "rbac_url": "https://pas.windows.net"
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`.
pub(crate) async fn keys(State(state): State<TenantState>, Path(tenant): Path<String>) -> Response {
    let shared = &state.shared;
    if !is_alias(&tenant) && !shared.is_tenant(&tenant) {
        return unknown_tenant(&tenant);
    }
    let published = lock(&shared.signing).published;
    let keys: Vec<Value> = KEYS[..published]
        .iter()
        .filter_map(|(kid, pem)| {
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).ok()?;
            let issuer = issuer(shared, &shared.tenant_id);
            Some(json!({
                "kty": "RSA",
                "use": "sig",
                "kid": kid,
                "x5t": kid,
                "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
                "issuer": issuer,
            }))
        })
        .collect();
    Json(json!({ "keys": keys })).into_response()
}

/// Who an ID token is about, and for which sign-in.
pub(crate) struct IdTokenFor<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) nonce: Option<&'a str>,
}

/// An RS256 ID token for a user who signed in to `client_id`, signed with the current key;
/// `None` when the user is gone or the key cannot be used.
pub(crate) fn id_token(shared: &Shared, request: &IdTokenFor<'_>) -> Option<String> {
    let (upn, name) = {
        let directory = shared.directory();
        let user = directory.user(request.user_id)?;
        (
            user.user_principal_name.clone(),
            user.display_name.clone().unwrap_or_default(),
        )
    };
    let mut wids = vec![MEMBER_USER_ROLE.to_owned()];
    wids.extend(shared.directory_roles(&upn));
    let now = jiff::Timestamp::now().as_second();
    let tid = &shared.tenant_id;
    let mut claims = json!({
        "aud": request.client_id,
        "iss": issuer(shared, tid),
        "iat": now,
        "nbf": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "name": name,
        "oid": request.user_id,
        "preferred_username": upn,
        "rh": "0.emulated.",
        "sub": subject(request.client_id, request.user_id),
        "tid": tid,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "2.0",
        "wids": wids,
    });
    if let Some(nonce) = request.nonce {
        claims["nonce"] = json!(nonce);
    }
    let signing = lock(&shared.signing).clone();
    let (kid, mut pem) = KEYS[signing.current];
    match signing.fault {
        None => {}
        Some(IdTokenFault::WrongSignature) => pem = KEYS[(signing.current + 1) % KEYS.len()].1,
        Some(IdTokenFault::Audience(aud)) => claims["aud"] = json!(aud),
        Some(IdTokenFault::Issuer(iss)) => claims["iss"] = json!(iss),
        Some(IdTokenFault::Nonce(nonce)) => claims["nonce"] = json!(nonce),
        Some(IdTokenFault::Expired) => {
            claims["iat"] = json!(now - 2 * ID_TOKEN_LIFETIME);
            claims["nbf"] = json!(now - 2 * ID_TOKEN_LIFETIME);
            claims["exp"] = json!(now - ID_TOKEN_LIFETIME);
        }
        Some(IdTokenFault::Tenant(other)) => {
            claims["iss"] = json!(issuer(shared, &other));
            claims["tid"] = json!(other);
        }
    }
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).ok()?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, &key).ok()
}

/// A pairwise subject: the same user gets a different `sub` in each app.
fn subject(client_id: &str, user_id: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{client_id}/{user_id}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..24])
}

fn cloud_instance(shared: &Shared) -> &'static str {
    match shared.login_host() {
        "login.microsoftonline.us" => "microsoftonline.us",
        "login.chinacloudapi.cn" => "partner.microsoftonline.cn",
        _ => "microsoftonline.com",
    }
}

/// Microsoft's answer for a tenant it does not know: `400` `invalid_tenant`, `AADSTS90002`.
fn unknown_tenant(tenant: &str) -> Response {
    TokenError::new(
        "invalid_tenant",
        90_002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
    .into_response()
}
