//! Admin sign-in with Microsoft (OpenID Connect, authorization code with PKCE and a nonce) and
//! the session it gives:
//!
//! * `GET /signin?next=<local path>&cloud=<cloud>`: public. Sends the browser to the cloud's
//!   authorize page (`organizations`, scopes `openid profile`) with a fresh `state`, `nonce`
//!   and PKCE challenge, which travel in a short-lived encrypted cookie of this browser only.
//! * `GET /signin/callback`: public, checked by that cookie's `state`. Redeems the code, checks
//!   the ID token fully ([`crate::auth::OidcVerifier`]), starts the session (cookie) and goes
//!   to `next`, or shows who signed in.
//! * `GET /session`: behind the admin layer: who is signed in and the session's CSRF token
//!   (JSON), for clients that send `X-CSRF-Token`.
//! * `POST /signout`: behind the admin layer (CSRF): ends the session.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jiff::Timestamp;
use oauth2::{CsrfToken, PkceCodeChallenge};

use super::admin::{AdminCaller, admin_layer, cookies_for, public_url};
use super::public_url::PublicUrl;
use super::response::{html_page, json_error};
use crate::auth::code_grant::{self, CodeClient};
use crate::auth::{SIGN_IN_LIFETIME, Session, SignInFlow};
use crate::microsoft::NationalCloud;
use crate::service::Services;

/// The path Microsoft sends a signing-in admin back to, under the public URL.
pub const SIGN_IN_CALLBACK_PATH: &str = "/signin/callback";

/// The tenant segment admins sign in through: any work account, whose `tid` the ID token names.
const SIGN_IN_TENANT: &str = "organizations";

/// The sign-in routes (see the module docs).
pub fn sign_in_routes(services: Services) -> Router {
    let behind_layer = Router::new()
        .route("/session", get(session))
        .route("/signout", post(sign_out))
        .route_layer(from_fn_with_state(services.clone(), admin_layer));
    Router::new()
        .route("/signin", get(sign_in))
        .route(SIGN_IN_CALLBACK_PATH, get(callback))
        .merge(behind_layer)
        .with_state(services)
}

/// A query's parameters.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `next` when it is a path on this deployment (not `//host`, not a URL, no backslash).
fn local_path(next: Option<String>) -> Result<String, &'static str> {
    let Some(next) = next.filter(|n| !n.is_empty()) else {
        return Ok(String::new());
    };
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local {
        Ok(next)
    } else {
        Err("next must be a path on this deployment, such as /connections/contoso/consent")
    }
}

async fn sign_in(
    State(services): State<Services>,
    RawQuery(query): RawQuery,
    request_url: Option<Extension<PublicUrl>>,
) -> Response {
    let Some(app) = services.tenure_app.as_deref() else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is not available",
            "this deployment has no Tenure app configured, so administrators cannot sign in"
                .to_owned(),
        );
    };
    let next = match local_path(query_param(query.as_deref(), "next")) {
        Ok(next) => next,
        Err(problem) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Cannot sign in",
                problem.to_owned(),
            );
        }
    };
    let cloud = match query_param(query.as_deref(), "cloud")
        .map(|c| c.parse::<NationalCloud>())
        .transpose()
    {
        Ok(cloud) => cloud.unwrap_or_default(),
        Err(e) => return page(StatusCode::BAD_REQUEST, "Cannot sign in", e.to_string()),
    };
    let Some(login) = services.admin.authority(cloud) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Cannot sign in",
            format!(
                "administrators of the {} cloud cannot sign in to this deployment",
                cloud.name()
            ),
        );
    };
    let url = public_url(&services, request_url.as_ref().map(|Extension(u)| u));
    let Some(base) = &url else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is not available",
            "this deployment does not know its public URL".to_owned(),
        );
    };
    let metadata = match services
        .admin
        .verifier
        .metadata(login, SIGN_IN_TENANT)
        .await
    {
        Ok(metadata) => metadata,
        Err(e) => {
            tracing::warn!("sign-in: {e}");
            return page(StatusCode::BAD_GATEWAY, "Cannot sign in", e.to_string());
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let flow = SignInFlow {
        state: CsrfToken::new_random().secret().clone(),
        nonce: CsrfToken::new_random().secret().clone(),
        verifier: verifier.secret().clone(),
        next,
        cloud: cloud.name().to_owned(),
        expires_at: Timestamp::now() + SIGN_IN_LIFETIME,
    };
    let location = format!(
        "{}?{}",
        metadata.authorization_endpoint,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &app.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &format!("{base}{SIGN_IN_CALLBACK_PATH}"))
            .append_pair("response_mode", "query")
            .append_pair("scope", "openid profile")
            .append_pair("state", &flow.state)
            .append_pair("nonce", &flow.nonce)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", challenge.method().as_str())
            .finish()
    );
    let cookies = cookies_for(url.as_ref());
    let cookie = match cookies.seal_sign_in(&services.keys, &flow).await {
        Ok(cookie) => cookie,
        Err(e) => {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Cannot sign in",
                e.to_string(),
            );
        }
    };
    let mut response = super::response::redirect(&location);
    set_cookie(&mut response, &cookie);
    response
}

async fn callback(
    State(services): State<Services>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request_url: Option<Extension<PublicUrl>>,
) -> Response {
    let refused = |message: String| page(StatusCode::BAD_REQUEST, "Sign-in failed", message);
    let Some(app) = services.tenure_app.as_deref() else {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is not available",
            "this deployment has no Tenure app configured".to_owned(),
        );
    };
    let url = public_url(&services, request_url.as_ref().map(|Extension(u)| u));
    let cookies = cookies_for(url.as_ref());
    let now = Timestamp::now();
    let cookie_headers = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let flow = match cookies
        .open_sign_in(&services.keys, cookie_headers, now)
        .await
    {
        Ok(Some(flow)) => flow,
        Ok(None) => {
            return refused(
                "this sign-in was not started in this browser, or took longer than ten minutes: \
                 sign in again"
                    .to_owned(),
            );
        }
        Err(e) => {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in failed",
                e.to_string(),
            );
        }
    };
    let query = query.as_deref();
    let state = query_param(query, "state").unwrap_or_default();
    if !constant_time_eq(&state, &flow.state) {
        return refused(
            "the sign-in's state does not match this browser's: sign in again".to_owned(),
        );
    }
    if let Some(error) = query_param(query, "error") {
        let description = query_param(query, "error_description").unwrap_or_default();
        return refused(format!(
            "Microsoft did not sign you in: {error}: {description}"
        ));
    }
    let Some(code) = query_param(query, "code") else {
        return refused("Microsoft sent no authorization code".to_owned());
    };
    let (Ok(cloud), Some(base)) = (flow.cloud.parse::<NationalCloud>(), url.as_ref()) else {
        return refused("the sign-in names no cloud this deployment knows".to_owned());
    };
    let Some(login) = services.admin.authority(cloud) else {
        return refused("the sign-in names no cloud this deployment knows".to_owned());
    };
    let identity = match redeem_and_verify(&services, app, login, base, &code, &flow).await {
        Ok(identity) => identity,
        Err(message) => {
            tracing::warn!("sign-in refused: {message}");
            return refused(message);
        }
    };
    tracing::info!(tenant = %identity.tenant_id, user = %identity.object_id, "admin signed in");
    let session = Session::new(identity, now);
    let sealed = match cookies.seal_session(&services.keys, &session).await {
        Ok(cookie) => cookie,
        Err(e) => {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in failed",
                e.to_string(),
            );
        }
    };
    let mut response = if flow.next.is_empty() {
        signed_in_page(&session)
    } else {
        see_other(&flow.next)
    };
    set_cookie(&mut response, &sealed);
    set_cookie(&mut response, &cookies.clear_sign_in());
    response
}

async fn redeem_and_verify(
    services: &Services,
    app: &crate::connect::TenureApp,
    login: &str,
    base: &PublicUrl,
    code: &str,
    flow: &SignInFlow,
) -> Result<crate::auth::Identity, String> {
    let verifier = &services.admin.verifier;
    let metadata = verifier
        .metadata(login, SIGN_IN_TENANT)
        .await
        .map_err(|e| e.to_string())?;
    let redirect_uri = format!("{base}{SIGN_IN_CALLBACK_PATH}");
    let client = CodeClient {
        client_id: &app.client_id,
        credential: &app.credential,
        redirect_uri: &redirect_uri,
        tenant: SIGN_IN_TENANT,
    };
    let redeemed = code_grant::redeem(&client, &metadata.token_endpoint, code, &flow.verifier)
        .await
        .map_err(|e| format!("the code could not be redeemed: {e}"))?;
    let id_token = redeemed.id_token.ok_or("Microsoft sent no ID token")?;
    verifier
        .verify(
            login,
            SIGN_IN_TENANT,
            &id_token,
            &app.client_id,
            &flow.nonce,
        )
        .await
        .map_err(|e| e.to_string())
}

async fn session(Extension(caller): Extension<AdminCaller>) -> Response {
    let Some(session) = caller.session() else {
        return json_error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    let body = serde_json::json!({
        "tenant_id": session.identity.tenant_id,
        "object_id": session.identity.object_id,
        "username": session.identity.username,
        "name": session.identity.name,
        "roles": session.identity.roles,
        "administrator": crate::auth::holds_admin_role(&session.identity.roles),
        "signed_in_at": session.signed_in_at,
        "csrf_token": session.csrf_token,
    });
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn sign_out(
    State(services): State<Services>,
    request_url: Option<Extension<PublicUrl>>,
    Extension(caller): Extension<AdminCaller>,
) -> Response {
    let url = public_url(&services, request_url.as_ref().map(|Extension(u)| u));
    let cookies = cookies_for(url.as_ref());
    if let Some(session) = caller.session() {
        tracing::info!(user = %session.identity.object_id, "admin signed out");
    }
    let mut response = page(
        StatusCode::OK,
        "Signed out",
        "You are signed out of Tenure.".to_owned(),
    );
    set_cookie(&mut response, &cookies.clear_session());
    response
}

fn signed_in_page(session: &Session) -> Response {
    page(
        StatusCode::OK,
        "Signed in",
        format!(
            "Signed in as {} ({}) of tenant {}.",
            session.identity.name, session.identity.username, session.identity.tenant_id
        ),
    )
}

fn page(status: StatusCode, title: &str, message: String) -> Response {
    html_page(status, title, &[message], &[])
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => json_error(StatusCode::BAD_REQUEST, "next is not a valid path"),
    }
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
