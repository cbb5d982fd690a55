//! `POST /{tenant}/oauth2/v2.0/token`: reads the request, finds and authenticates the app,
//! and hands the grant (`client_credentials`, `authorization_code`, `refresh_token`) to its
//! handler; issues access tokens and writes the token answer.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::client_auth::authenticate;
use super::form::Form;
use super::scopes::{self, ScopeError};
use super::token_error::TokenError;
use crate::apps::RegisteredClient;
use crate::ids::new_guid;
use crate::state::{IssuedToken, Principal, Shared, TenantState};

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) async fn token(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, &tenant, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.at(state.shared.login_host()).into_response(),
    }
}

fn issue(
    state: &TenantState,
    tenant: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, TokenError> {
    let shared = &state.shared;
    if !shared.is_tenant(tenant) && !super::oidc::is_alias(tenant) {
        return Err(unknown_tenant(tenant));
    }
    let form_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_content {
        return Err(TokenError::missing("grant_type"));
    }
    let form = Form::read(headers, body);
    let grant = form
        .get("grant_type")
        .ok_or_else(|| TokenError::missing("grant_type"))?;
    if !matches!(
        grant,
        "client_credentials" | "authorization_code" | "refresh_token"
    ) {
        return Err(TokenError::new(
            "unsupported_grant_type",
            70_003,
            format!("The app requested an unsupported grant type '{grant}'."),
        ));
    }
    let client_id = form
        .get("client_id")
        .ok_or_else(|| TokenError::missing("client_id"))?;
    let client = app_in_tenant(shared, client_id, tenant)?;
    let endpoint = format!("{}/{tenant}/oauth2/v2.0/token", super::base_url(headers));
    let uploaded = shared.login().uploaded_certificates(client_id);
    match grant {
        "client_credentials" if super::oidc::is_alias(tenant) => Err(TokenError::new(
            "invalid_request",
            700_004,
            format!(
                "The tenant '{tenant}' cannot be used with the client credentials grant: name the tenant."
            ),
        )),
        "client_credentials" => {
            let scope = form
                .get("scope")
                .ok_or_else(|| TokenError::missing("scope"))?;
            let audience = scopes::app_only_resource(shared, scope)
                .map_err(|e| scope_error(&e, tenant, client_id))?;
            authenticate(client, &uploaded, &form, &endpoint, grant)?;
            let principal = Principal::App {
                client_id: client_id.to_owned(),
            };
            let access_token = access_token(shared, audience, principal);
            Ok(answer(shared, access_token, None, None, None))
        }
        "authorization_code" => {
            authenticate(client, &uploaded, &form, &endpoint, grant)?;
            super::delegated::redeem_code(shared, tenant, client, &form)
        }
        _ => {
            authenticate(client, &uploaded, &form, &endpoint, grant)?;
            super::delegated::refresh(shared, tenant, client, &form)
        }
    }
}

/// `AADSTS90002`: no such tenant (in this cloud).
pub(crate) fn unknown_tenant(tenant: &str) -> TokenError {
    TokenError::new(
        "invalid_request",
        90_002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

/// `AADSTS700016` text: the app has no service principal in this tenant.
pub(crate) fn unknown_app_text(client_id: &str, tenant: &str) -> String {
    format!(
        "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
    )
}

/// The app, if it exists in this tenant: a multi-tenant app only once consented here.
fn app_in_tenant<'s>(
    shared: &'s Shared,
    client_id: &str,
    tenant: &str,
) -> Result<&'s RegisteredClient, TokenError> {
    shared
        .client(client_id)
        .filter(|c| !c.multi_tenant || shared.login().standing(client_id).consented)
        .ok_or_else(|| {
            TokenError::new(
                "unauthorized_client",
                700_016,
                unknown_app_text(client_id, tenant),
            )
        })
}

/// A scope refusal as a token error.
pub(crate) fn scope_error(error: &ScopeError, tenant: &str, client_id: &str) -> TokenError {
    let (name, code, text) = error.parts(tenant, client_id);
    TokenError::new(name, code, text)
}

/// Issues an access token for a resource.
pub(crate) fn access_token(shared: &Shared, audience: String, principal: Principal) -> String {
    let token = format!(
        "{}{}",
        new_guid().replace('-', ""),
        new_guid().replace('-', "")
    );
    shared.tokens().insert(
        token.clone(),
        IssuedToken {
            audience,
            expires_at: Instant::now() + shared.token_lifetime,
            principal,
        },
    );
    token
}

/// The token answer: the access token, its lifetime, and for delegated grants the scopes it
/// carries and (with `offline_access`) a refresh token.
pub(crate) fn answer(
    shared: &Shared,
    access_token: String,
    scope: Option<String>,
    refresh_token: Option<String>,
    id_token: Option<String>,
) -> Response {
    let seconds = shared.token_lifetime.as_secs();
    let mut body = json!({"token_type": "Bearer"});
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    body["expires_in"] = json!(seconds);
    body["ext_expires_in"] = json!(seconds);
    body["access_token"] = json!(access_token);
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    if let Some(id_token) = id_token {
        body["id_token"] = json!(id_token);
    }
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    response
}
