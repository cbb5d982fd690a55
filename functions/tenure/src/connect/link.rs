//! "Link Account": send an admin to Microsoft's authorize page (PKCE, `openid` with a nonce, a
//! single-use `state` bound to the connection and to whoever started the link, ten minutes),
//! and then to admin consent; take them back at the callback, redeem the code, check the ID
//! token (the connection's tenant, an administrator), keep the refresh token.

use jiff::Timestamp;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope, TokenUrl,
};
use secrecy::ExposeSecret;
use sha2::{Digest as _, Sha256};

use std::sync::Arc;

use super::error::LinkError;
use super::pending::{self, Claim, NewLink, PendingError, Purpose};
use super::prove::prove;
use super::tenure_app::{TenureApp, delegated_scopes};
use super::upsert::keep_secret;
use crate::auth::code_grant::{self, CodeClient};
use crate::auth::{OidcVerifier, Session, holds_admin_role};
use crate::microsoft::{ClientCredential, ClientOptions, TokenSource};
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

/// Who is making a link: the signed-in admin's session (the HTTP functions), or the operator
/// at the command line (`tenure connect link`, who holds the state folder). A link's `state`
/// is bound to it: a callback in any other session is refused.
#[derive(Debug, Clone, Copy)]
pub enum LinkOwner<'a> {
    /// An admin's session.
    Session(&'a Session),
    /// The session of one of the deployment's operators (who may grant the tenant-wide
    /// consent of any connection: Microsoft checks who consents).
    OperatorSession(&'a Session),
    /// The operator at the command line.
    Operator,
}

impl LinkOwner<'_> {
    /// What the pending link records (hashed): the session's id, or the operator.
    fn binding(&self) -> String {
        match self {
            Self::Session(session) | Self::OperatorSession(session) => {
                format!(
                    "session:{}",
                    hex::encode(Sha256::digest(session.id.as_bytes()))
                )
            }
            Self::Operator => "operator".to_owned(),
        }
    }
}

impl From<PendingError> for LinkError {
    fn from(error: PendingError) -> Self {
        match error {
            PendingError::Secrets(e) => Self::Secrets(e),
            PendingError::Contended => Self::Contended,
        }
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
    /// The admin consented for the tenant. A connection that was not linked yet is linked now
    /// with Tenure's app's own credential (app-only), proved by a token and a tenant read.
    Consented {
        /// The connection.
        connection: Connection,
    },
    /// The user who signed in may not grant Tenure's app its permissions and asked the
    /// tenant's administrators to (Microsoft's "Approval required", `AADSTS90094`): the
    /// connection awaits admin approval.
    ApprovalRequested {
        /// The connection, awaiting admin approval.
        connection: Connection,
    },
}

/// The two sign-in pages for a connection through Tenure's app. Nothing is asked of
/// Microsoft yet; the sign-ins are remembered (single-use, ten minutes, bound to `owner`) in
/// the secret store.
pub async fn start_link(
    app: &TenureApp,
    connection: &Connection,
    secrets: &dyn SecretStore,
    owner: LinkOwner<'_>,
    now: Timestamp,
) -> Result<LinkStart, LinkError> {
    if connection.app != ConnectionType::TenureApp {
        return Err(LinkError::NotTenureApp {
            connection: connection.id.to_string(),
        });
    }
    let endpoints = connection.endpoints();
    let tenant = connection.tenant_id.as_str();
    let client = oauth_client(app, connection)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let oidc_nonce = oidc_nonce_of(nonce.secret());
    let state = pending::state_of(&connection.id, nonce.secret());
    let mut authorize = client
        .authorize_url(|| CsrfToken::new(state))
        .set_pkce_challenge(challenge)
        .add_scope(Scope::new("openid".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .add_extra_param("nonce", &oidc_nonce);
    for scope in delegated_scopes(connection.cloud) {
        authorize = authorize.add_scope(Scope::new(scope));
    }
    let (authorize_url, _) = authorize.url();
    let binding = owner.binding();
    let expires_at = pending::remember(
        secrets,
        &connection.id,
        NewLink {
            nonce: nonce.secret(),
            owner_binding: &binding,
            purpose: Purpose::Authorize,
            verifier: Some(verifier.secret().clone()),
            oidc_nonce: None,
        },
        now,
    )
    .await?;
    let consent_nonce = CsrfToken::new_random();
    pending::remember(
        secrets,
        &connection.id,
        NewLink {
            nonce: consent_nonce.secret(),
            owner_binding: &binding,
            purpose: Purpose::AdminConsent,
            verifier: None,
            oidc_nonce: None,
        },
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

/// Takes the admin back: checks the `state` (present, known, for this connection and this
/// `owner`, not expired, not used before), then redeems the code with the PKCE verifier,
/// checks the ID token (signed by the connection's tenant, for this sign-in's nonce, a user
/// holding an administrator role) and keeps the refresh token; or records the tenant-wide
/// consent, given in the connection's tenant by an administrator of it. A declined consent is
/// an error that says so. Nothing is kept when a check fails.
pub async fn finish_link(
    app: &TenureApp,
    callback: &Callback,
    connections: &dyn ConnectionStore,
    secrets: &dyn SecretStore,
    owner: LinkOwner<'_>,
    verifier: &OidcVerifier,
    now: Timestamp,
) -> Result<Linked, LinkError> {
    let state = callback.state.as_deref().ok_or(LinkError::MissingState)?;
    let (id, nonce) = pending::parse_state(state).ok_or(LinkError::UnknownState)?;
    let pending = match pending::claim(secrets, &id, nonce, &owner.binding(), now).await? {
        Claim::Claimed(pending) => pending,
        Claim::Unknown => return Err(LinkError::UnknownState),
        Claim::Expired => return Err(LinkError::ExpiredState),
        Claim::Reused => return Err(LinkError::ReusedState),
    };
    if let Some(error) = &callback.error {
        let description = callback.error_description.clone().unwrap_or_default();
        if pending.purpose == Purpose::Authorize && description.starts_with("AADSTS90094") {
            return awaiting_approval(connections, &id, owner, now).await;
        }
        return Err(LinkError::Declined {
            error: error.clone(),
            description,
        });
    }
    let (mut connection, version) = connections.get(&id).await?.ok_or(LinkError::UnknownState)?;
    match pending.purpose {
        Purpose::Authorize => {
            let code = callback.code.as_deref().ok_or(LinkError::NoCode)?;
            let pkce = pending.verifier.clone().unwrap_or_default();
            let endpoints = connection.endpoints();
            let tenant = connection.tenant_id.as_str();
            let redeemed = code_grant::redeem(
                &CodeClient {
                    client_id: &app.client_id,
                    credential: &app.credential,
                    redirect_uri: &app.redirect_uri,
                    tenant,
                },
                &endpoints.token_url(tenant),
                code,
                &pkce,
            )
            .await?;
            let id_token = redeemed.id_token.ok_or(LinkError::NoIdToken)?;
            let identity = verifier
                .verify(
                    &endpoints.login,
                    tenant,
                    &id_token,
                    &app.client_id,
                    &oidc_nonce_of(nonce),
                )
                .await?;
            check_tenant(&connection, &identity.tenant_id)?;
            if !holds_admin_role(&identity.roles) {
                return Err(LinkError::NotAdministrator {
                    user: identity.username,
                    tenant: connection.tenant_id.to_string(),
                });
            }
            let refresh_token = redeemed.refresh_token.ok_or(LinkError::NoRefreshToken)?;
            let name = connection.secret_name(SecretKind::RefreshToken);
            keep_secret(secrets, &name, &refresh_token).await?;
            connection.credential_set_at = Some(now);
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
            let tenant = callback.tenant.as_deref().unwrap_or_default();
            check_tenant(&connection, tenant)?;
            if let LinkOwner::Session(session) = owner {
                check_tenant(&connection, &session.identity.tenant_id)?;
                if !holds_admin_role(&session.identity.roles) {
                    return Err(LinkError::NotAdministrator {
                        user: session.identity.username.clone(),
                        tenant: connection.tenant_id.to_string(),
                    });
                }
            }
            if connection.status != ConnectionStatus::Linked {
                link_app_only(app, &mut connection, secrets, ClientOptions::default()).await?;
                connection.updated_at = now;
                connections.replace(&connection, &version).await?;
            }
            Ok(Linked::Consented { connection })
        }
    }
}

/// Marks the connection as awaiting admin approval, asked by whoever signed in.
async fn awaiting_approval(
    connections: &dyn ConnectionStore,
    id: &crate::store::connections::ConnectionId,
    owner: LinkOwner<'_>,
    now: Timestamp,
) -> Result<Linked, LinkError> {
    let requested_by = match owner {
        LinkOwner::Session(session) | LinkOwner::OperatorSession(session) => {
            session.identity.username.clone()
        }
        LinkOwner::Operator => "the operator".to_owned(),
    };
    loop {
        let (mut connection, version) =
            connections.get(id).await?.ok_or(LinkError::UnknownState)?;
        if connection.status == ConnectionStatus::Linked {
            return Ok(Linked::ApprovalRequested { connection });
        }
        connection.status = ConnectionStatus::AwaitingAdminApproval {
            requested_by: requested_by.clone(),
            requested_at: now,
        };
        connection.updated_at = now;
        match connections.replace(&connection, &version).await {
            Err(crate::store::connections::ConnectionError::Conflict { .. }) => continue,
            Err(error) => return Err(error.into()),
            Ok(_) => return Ok(Linked::ApprovalRequested { connection }),
        }
    }
}

/// Links a connection of a tenant that granted Tenure's app its permissions with the app's own
/// credential (client credentials, no refresh token): proved by a token and a tenant read, then
/// linked, and a refresh token kept from before (one Microsoft refused) is dropped so the
/// app-only token is the one used.
async fn link_app_only(
    app: &TenureApp,
    connection: &mut Connection,
    secrets: &dyn SecretStore,
    options: ClientOptions,
) -> Result<(), LinkError> {
    let tokens = TokenSource::new(
        &connection.endpoints(),
        connection.tenant_id.as_str(),
        &app.client_id,
        app.credential.clone(),
    )?;
    prove(connection, Arc::new(tokens), options)
        .await
        .map_err(|e| LinkError::NotGranted {
            advice: e.to_string(),
        })?;
    secrets
        .delete(&connection.secret_name(SecretKind::RefreshToken))
        .await?;
    // No secret of the connection's own: the app's credential is the deployment's.
    connection.credential_set_at = None;
    connection.status = ConnectionStatus::Linked;
    Ok(())
}

type Oauth = oauth2::basic::BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn oauth_client(app: &TenureApp, connection: &Connection) -> Result<Oauth, LinkError> {
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

/// A tenant named by Microsoft (`tid`, or the admin consent's `tenant`) must be the
/// connection's: compared as ids when the connection names its tenant by id. A connection named
/// by a verified domain is checked by the ID token's issuer instead (the domain's own tenant's).
fn check_tenant(connection: &Connection, tenant: &str) -> Result<(), LinkError> {
    let expected = connection.tenant_id.as_str();
    let same = if looks_like_guid(expected) {
        tenant.eq_ignore_ascii_case(expected)
    } else {
        looks_like_guid(tenant)
    };
    if same {
        Ok(())
    } else {
        Err(LinkError::WrongTenant {
            expected: expected.to_owned(),
            consented: tenant.to_owned(),
        })
    }
}

/// The OpenID Connect nonce of a link: derived from its `state`'s secret nonce, so nothing more
/// is kept (the state's nonce itself is kept only as a hash).
fn oidc_nonce_of(state_nonce: &str) -> String {
    hex::encode(Sha256::digest(
        format!("tenure-oidc-nonce:{state_nonce}").as_bytes(),
    ))
}

fn looks_like_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}
