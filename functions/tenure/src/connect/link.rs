//! "Link Account": send an admin to Microsoft's authorize page (PKCE, a single-use `state`
//! bound to the connection, ten minutes), and then to admin consent; take them back at the
//! callback, redeem the code, keep the refresh token.

use jiff::Timestamp;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};

use super::error::LinkError;
use super::pending::{self, Claim, Purpose};
use super::service_app::{ServiceApp, delegated_scopes};
use super::upsert::keep_secret;
use crate::microsoft::{ClientCredential, TokenError};
use crate::store::connections::{Connection, ConnectionStatus, ConnectionStore, ConnectionType};
use crate::store::secrets::{SecretKind, SecretStore};

/// Where to send the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStart {
    /// Microsoft's sign-in page for the delegated permissions (step 1).
    pub authorize_url: String,
    /// Microsoft's admin-consent page for the whole tenant (step 2).
    pub admin_consent_url: String,
    /// When both stop working.
    pub expires_at: Timestamp,
}

/// What Microsoft's redirect carried back, by query parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Callback {
    /// `state`.
    pub state: Option<String>,
    /// `code` (from the authorize page).
    pub code: Option<String>,
    /// `admin_consent` (from the admin-consent page: `True`).
    pub admin_consent: Option<String>,
    /// `tenant` (from the admin-consent page).
    pub tenant: Option<String>,
    /// `error`, when the admin declined or Microsoft refused.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl Callback {
    /// Reads the callback's query string (`state=…&code=…`).
    pub fn from_query(query: &str) -> Self {
        let mut callback = Self::default();
        for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let value = Some(value.into_owned());
            match key.as_ref() {
                "state" => callback.state = value,
                "code" => callback.code = value,
                "admin_consent" => callback.admin_consent = value,
                "tenant" => callback.tenant = value,
                "error" => callback.error = value,
                "error_description" => callback.error_description = value,
                _ => {}
            }
        }
        callback
    }
}

/// What a callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linked {
    /// The admin signed in: Tenure holds a refresh token; the connection is linked. Next, the
    /// admin consents for the whole tenant at `admin_consent_url`.
    SignedIn {
        /// The connection, now linked.
        connection: Connection,
    },
    /// The admin consented for the tenant.
    Consented {
        /// The connection.
        connection: Connection,
    },
}

/// The two sign-in pages for a Service Provider Application connection. Nothing is asked of
/// Microsoft yet; the sign-ins are remembered (single-use, ten minutes) in the secret store.
pub async fn start_link(
    app: &ServiceApp,
    connection: &Connection,
    secrets: &dyn SecretStore,
    now: Timestamp,
) -> Result<LinkStart, LinkError> {
    if connection.app != ConnectionType::ServiceProviderApp {
        return Err(LinkError::NotServiceApp {
            connection: connection.id.to_string(),
        });
    }
    let endpoints = connection.endpoints();
    let tenant = connection.tenant_id.as_str();
    let client = oauth_client(app, connection)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let state = pending::state_of(&connection.id, nonce.secret());
    let mut authorize = client
        .authorize_url(|| CsrfToken::new(state))
        .set_pkce_challenge(challenge);
    for scope in delegated_scopes(connection.cloud) {
        authorize = authorize.add_scope(Scope::new(scope));
    }
    let (authorize_url, _) = authorize.url();
    let expires_at = pending::remember(
        secrets,
        &connection.id,
        nonce.secret(),
        Purpose::Authorize,
        Some(verifier.secret().clone()),
        now,
    )
    .await?;
    let consent_nonce = CsrfToken::new_random();
    pending::remember(
        secrets,
        &connection.id,
        consent_nonce.secret(),
        Purpose::AdminConsent,
        None,
        now,
    )
    .await?;
    let admin_consent_url = format!(
        "{}/{tenant}/v2.0/adminconsent?{}",
        endpoints.login,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &app.client_id)
            .append_pair("scope", &connection.cloud.graph_scope())
            .append_pair("redirect_uri", &app.redirect_uri)
            .append_pair(
                "state",
                &pending::state_of(&connection.id, consent_nonce.secret()),
            )
            .finish()
    );
    Ok(LinkStart {
        authorize_url: authorize_url.to_string(),
        admin_consent_url,
        expires_at,
    })
}

/// Takes the admin back: checks the `state` (present, known, for this connection, not expired,
/// not used before), then redeems the code with the PKCE verifier and keeps the refresh token,
/// or records the tenant-wide consent. A declined consent is an error that says so.
pub async fn finish_link(
    app: &ServiceApp,
    callback: &Callback,
    connections: &dyn ConnectionStore,
    secrets: &dyn SecretStore,
    now: Timestamp,
) -> Result<Linked, LinkError> {
    let state = callback.state.as_deref().ok_or(LinkError::MissingState)?;
    let (id, nonce) = pending::parse_state(state).ok_or(LinkError::UnknownState)?;
    let pending = match pending::claim(secrets, &id, nonce, now).await? {
        Claim::Claimed(pending) => pending,
        Claim::Unknown => return Err(LinkError::UnknownState),
        Claim::Expired => return Err(LinkError::ExpiredState),
        Claim::Reused => return Err(LinkError::ReusedState),
    };
    if let Some(error) = &callback.error {
        return Err(LinkError::Declined {
            error: error.clone(),
            description: callback.error_description.clone().unwrap_or_default(),
        });
    }
    let (mut connection, version) = connections.get(&id).await?.ok_or(LinkError::UnknownState)?;
    match pending.purpose {
        Purpose::Authorize => {
            let code = callback.code.as_deref().ok_or(LinkError::NoCode)?;
            let verifier = pending.verifier.clone().unwrap_or_default();
            let refresh_token = redeem(app, &connection, code, verifier).await?;
            let name = connection.secret_name(SecretKind::RefreshToken);
            keep_secret(secrets, &name, &refresh_token).await?;
            connection.status = ConnectionStatus::Linked;
            connection.updated_at = now;
            connections.replace(&connection, &version).await?;
            Ok(Linked::SignedIn { connection })
        }
        Purpose::AdminConsent => {
            if !callback
                .admin_consent
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                return Err(LinkError::NoConsent);
            }
            if let Some(tenant) = &callback.tenant
                && looks_like_guid(connection.tenant_id.as_str())
                && !tenant.eq_ignore_ascii_case(connection.tenant_id.as_str())
            {
                return Err(LinkError::WrongTenant {
                    expected: connection.tenant_id.to_string(),
                    consented: tenant.clone(),
                });
            }
            Ok(Linked::Consented { connection })
        }
    }
}

type Oauth = oauth2::basic::BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn oauth_client(app: &ServiceApp, connection: &Connection) -> Result<Oauth, LinkError> {
    let endpoints = connection.endpoints();
    let tenant = connection.tenant_id.as_str();
    let bad = |what: &str, e: &dyn std::fmt::Display| LinkError::BadUrl {
        what: what.to_owned(),
        message: e.to_string(),
    };
    let mut client = BasicClient::new(ClientId::new(app.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(format!(
                "{}/{tenant}/oauth2/v2.0/authorize",
                endpoints.login
            ))
            .map_err(|e| bad("authorize URL", &e))?,
        )
        .set_token_uri(
            TokenUrl::new(endpoints.token_url(tenant)).map_err(|e| bad("token URL", &e))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(app.redirect_uri.clone()).map_err(|e| bad("redirect URI", &e))?,
        )
        .set_auth_type(oauth2::AuthType::RequestBody);
    if let ClientCredential::Secret(secret) = &app.credential {
        client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
    }
    Ok(client)
}

/// Redeems the code (with the verifier and the app's credential) for a refresh token.
async fn redeem(
    app: &ServiceApp,
    connection: &Connection,
    code: &str,
    verifier: String,
) -> Result<SecretString, LinkError> {
    let client = oauth_client(app, connection)?;
    let token_url = connection
        .endpoints()
        .token_url(connection.tenant_id.as_str());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            LinkError::Token(TokenError::Unreachable {
                url: token_url.clone(),
                message: e.to_string(),
            })
        })?;
    let mut request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier));
    if let ClientCredential::Certificate(certificate) = &app.credential {
        let params = certificate
            .token_request_params(&app.client_id, &token_url)
            .map_err(|e| {
                LinkError::Token(TokenError::Malformed {
                    message: e.to_string(),
                })
            })?;
        for (name, value) in params {
            request = request.add_extra_param(name, value);
        }
    }
    let answer = request.request_async(&http).await.map_err(|e| {
        LinkError::Token(crate::microsoft::token_error(
            e,
            connection.tenant_id.as_str(),
            &app.client_id,
            &token_url,
        ))
    })?;
    answer
        .refresh_token()
        .map(|t| SecretString::from(t.secret().clone()))
        .ok_or(LinkError::NoRefreshToken)
}

fn looks_like_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}
