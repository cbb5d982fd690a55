//! The delegated grants: redeeming an authorization code (single use, short-lived, same
//! redirect URI, PKCE verifier) and refreshing (each refresh gives a new refresh token; older
//! ones keep working until revoked or unused for too long, as in Entra). Both answer an access
//! token for one resource of the tenant, which may differ from the one first asked for.

use std::time::Instant;

use axum::response::Response;

use super::form::Form;
use super::grants::{access_token, answer, scope_error};
use super::pkce;
use super::scopes::{self, Scope, ScopeError};
use super::token_error::TokenError;
use crate::apps::RegisteredClient;
use crate::state::{Principal, Shared};

const MALFORMED: &str = "Invalid request. Request is malformed or invalid.";

/// `grant_type=authorization_code`.
pub(crate) fn redeem_code(
    shared: &Shared,
    tenant: &str,
    client: &RegisteredClient,
    form: &Form,
) -> Result<Response, TokenError> {
    let text = form
        .get("code")
        .ok_or_else(|| TokenError::missing("code"))?;
    let redirect_uri = form
        .get("redirect_uri")
        .ok_or_else(|| TokenError::missing("redirect_uri"))?;
    let mut login = shared.login();
    let code = login
        .code(text)
        .ok_or_else(|| TokenError::invalid_grant(9_002_313, MALFORMED))?;
    if code.client_id != client.client_id {
        return Err(TokenError::invalid_grant(
            70_000,
            "The provided value for the input parameter 'code' is not valid. The code was issued to another application.",
        ));
    }
    if code.redeemed {
        return Err(TokenError::invalid_grant(
            54_005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ));
    }
    // A code is spent by the first attempt to redeem it, whether or not that attempt succeeds.
    code.redeemed = true;
    if code.expires_at <= Instant::now() {
        return Err(TokenError::invalid_grant(
            70_008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        ));
    }
    if redirect_uri != code.redirect_uri {
        return Err(TokenError::invalid_grant(
            500_112,
            format!(
                "The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.",
                code.redirect_uri
            ),
        ));
    }
    match form.get("code_verifier") {
        None => {
            return Err(TokenError::invalid_grant(
                50_148,
                "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
            ));
        }
        Some(verifier) if !pkce::verifies(verifier, &code.challenge) => {
            return Err(TokenError::invalid_grant(
                501_481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
        Some(_) => {}
    }
    let user_id = code.user_id.clone();
    let granted = code.scopes.clone();
    let nonce = code.nonce.clone();
    drop(login);
    delegated_answer(
        shared,
        tenant,
        client,
        form,
        &user_id,
        &granted,
        nonce.as_deref(),
    )
}

/// `grant_type=refresh_token`.
pub(crate) fn refresh(
    shared: &Shared,
    tenant: &str,
    client: &RegisteredClient,
    form: &Form,
) -> Result<Response, TokenError> {
    let text = form
        .get("refresh_token")
        .ok_or_else(|| TokenError::missing("refresh_token"))?;
    let login = shared.login();
    let grant = login
        .refresh(text)
        .ok_or_else(|| TokenError::invalid_grant(9_002_313, MALFORMED))?;
    if grant.client_id != client.client_id {
        return Err(TokenError::invalid_grant(
            70_000,
            "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.",
        ));
    }
    let issued = grant.issued_at.strftime("%Y-%m-%dT%H:%M:%S%.7fZ");
    if let Some(revoked) = grant.revoked_at {
        return Err(TokenError::invalid_grant(
            50_173,
            format!(
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{}'.",
                revoked.strftime("%Y-%m-%dT%H:%M:%S%.7fZ")
            ),
        ));
    }
    if grant.expires_at <= Instant::now() {
        return Err(TokenError::invalid_grant(
            700_082,
            format!(
                "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for 90.00:00:00."
            ),
        )
        .with_suberror("bad_token"));
    }
    let user_id = grant.user_id.clone();
    let granted = grant.scopes.clone();
    drop(login);
    check_user(shared, tenant, &user_id)?;
    delegated_answer(shared, tenant, client, form, &user_id, &granted, None)
}

/// A refresh for a user who was disabled or deleted since fails as Microsoft's does.
fn check_user(shared: &Shared, tenant: &str, user_id: &str) -> Result<(), TokenError> {
    let directory = shared.directory();
    match directory.user(user_id) {
        None => Err(TokenError::invalid_grant(
            50_034,
            format!(
                "The user account {{EmailHidden}} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory."
            ),
        )),
        Some(user) if !user.account_enabled => Err(TokenError::invalid_grant(
            50_057,
            "The user account is disabled.",
        )),
        Some(_) => Ok(()),
    }
}

/// The access token (and, with `offline_access`, a new refresh token; with `openid`, an ID
/// token carrying the sign-in's `nonce`) for the resource the request's `scope` names, or the
/// grant's first resource.
fn delegated_answer(
    shared: &Shared,
    tenant: &str,
    client: &RegisteredClient,
    form: &Form,
    user_id: &str,
    granted: &[Scope],
    nonce: Option<&str>,
) -> Result<Response, TokenError> {
    let client_id = client.client_id.as_str();
    let resource = resource(shared, form.get("scope"), granted)
        .map_err(|e| match e {
            Refusal::Scope(e) => scope_error(&e, tenant, client_id),
            Refusal::NotConsented => TokenError::invalid_grant(
                65_001,
                format!(
                    "The user or administrator has not consented to use the application with ID '{client_id}' named '{client_id}'. Send an interactive authorization request for this user and resource."
                ),
            )
            .with_suberror("consent_required"),
        })?;
    let scope = scopes::granted_text(shared, granted, &resource);
    let principal = Principal::User {
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
    };
    let token = access_token(shared, resource, principal);
    let refresh_token =
        scopes::offline(granted).then(|| shared.login().issue_refresh(client_id, user_id, granted));
    let id_token = granted.contains(&Scope::Oidc("openid")).then(|| {
        super::oidc::id_token(
            shared,
            &super::oidc::IdTokenFor {
                client_id,
                user_id,
                nonce,
            },
        )
    });
    Ok(answer(
        shared,
        token,
        Some(scope),
        refresh_token,
        id_token.flatten(),
    ))
}

/// Why the token's resource cannot be granted.
enum Refusal {
    Scope(ScopeError),
    NotConsented,
}

/// The resource a delegated token is for: the one `scope` names (every permission it names
/// must have been granted; `/.default` of any of the tenant's resources may be asked), or the
/// grant's first.
fn resource(shared: &Shared, scope: Option<&str>, granted: &[Scope]) -> Result<String, Refusal> {
    let fallback = || {
        scopes::resources(granted)
            .first()
            .map(|r| (*r).to_owned())
            .or_else(|| shared.graph_audiences.first().cloned())
            .unwrap_or_default()
    };
    let Some(text) = scope else {
        return Ok(fallback());
    };
    let asked = scopes::parse(shared, text).map_err(Refusal::Scope)?;
    let resource = match scopes::resources(&asked).as_slice() {
        [] => return Ok(fallback()),
        [one] => (*one).to_owned(),
        _ => return Err(Refusal::Scope(ScopeError::SeveralResources)),
    };
    let ungranted = asked.iter().any(|s| match s {
        Scope::Permission { name, .. } if name == ".default" => false,
        Scope::Permission { .. } => !granted.contains(s),
        Scope::Oidc(_) => false,
    });
    if ungranted {
        return Err(Refusal::NotConsented);
    }
    Ok(resource)
}
