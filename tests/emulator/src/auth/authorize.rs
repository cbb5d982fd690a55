//! `GET /{tenant}/oauth2/v2.0/authorize` (authorization code with PKCE `S256`) and the sign-in
//! form's `POST /{tenant}/login`.
//!
//! The app and its redirect URI are checked first: while either is in doubt the answer is an
//! error page, never a redirect. After that every error goes back to the redirect URI as
//! `error`, `error_description`, `error_uri` and `state`. A valid request shows the sign-in and
//! consent page, or (in the non-interactive modes tests use) is answered at once.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::grants::unknown_app_text;
use super::ledger::{Code, Pending};
use super::page::{self, SignInPage};
use super::pkce;
use super::redirect::{Reply, ResponseMode, is_registered};
use super::scopes::{self, Scope};
use super::{approval, consent};
use crate::apps::{RegisteredClient, SignIn};
use crate::state::{Shared, TenantState};

/// A valid authorize request, waiting for its user.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeRequest {
    pub(crate) client_id: String,
    pub(crate) reply: Reply,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) challenge: String,
    pub(crate) login_hint: Option<String>,
    /// The OpenID Connect `nonce`, returned in the ID token.
    pub(crate) nonce: Option<String>,
}

/// A request's query parameters.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// A form body's fields.
    pub(crate) fn from_form(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The checks every sign-in starts with, answered by an error page: the tenant, the app, and
/// the redirect URI (which must be one the app registered, exactly).
pub(crate) fn trusted_app<'s>(
    shared: &'s Shared,
    tenant: &str,
    query: &Query,
) -> Result<(&'s RegisteredClient, String), (u32, String)> {
    if !shared.is_tenant(tenant) && !super::oidc::is_alias(tenant) {
        return Err((
            90_002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    let client_id = query.get("client_id").ok_or_else(|| {
        (
            900_144,
            "The request body must contain the following parameter: 'client_id'.".to_owned(),
        )
    })?;
    let app = shared
        .client(client_id)
        .ok_or_else(|| (700_016, unknown_app_text(client_id, tenant)))?;
    if app.redirect_uris.is_empty() {
        return Err((
            500_113,
            "No reply address is registered for the application.".to_owned(),
        ));
    }
    let redirect_uri = query
        .get("redirect_uri")
        .ok_or_else(|| (900_971, "No reply address provided.".to_owned()))?;
    if !is_registered(app, redirect_uri) {
        return Err((
            50_011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
            ),
        ));
    }
    Ok((app, redirect_uri.to_owned()))
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
pub(crate) async fn authorize(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let shared = &state.shared;
    let query = Query::parse(raw.as_deref());
    let (app, redirect_uri) = match trusted_app(shared, &tenant, &query) {
        Ok(found) => found,
        Err((code, text)) => return page::error(code, &text),
    };
    let mut reply = Reply {
        redirect_uri,
        mode: ResponseMode::Query,
        state: query.get("state").map(str::to_owned),
    };
    let host = shared.login_host();
    let fail = |reply: &Reply, error: &str, code: u32, text: &str| {
        reply.error(host, error, code, text, &[])
    };
    let missing =
        |name: &str| format!("The request body must contain the following parameter: '{name}'.");
    match query.get("response_mode") {
        None | Some("query") => {}
        Some("fragment") => reply.mode = ResponseMode::Fragment,
        Some(other) => {
            let text = format!("The response_mode '{other}' is not supported by this tenant.");
            return fail(&reply, "invalid_request", 70_007, &text);
        }
    }
    match query.get("response_type") {
        Some("code") => {}
        None => {
            return fail(
                &reply,
                "invalid_request",
                900_144,
                &missing("response_type"),
            );
        }
        Some(other) => {
            let text = format!(
                "The provided value for the input parameter 'response_type' is not allowed for this request. Expected value is 'code'. Actual value is '{other}'."
            );
            return fail(&reply, "unsupported_response_type", 70_005, &text);
        }
    }
    let Some(scope) = query.get("scope") else {
        return fail(&reply, "invalid_request", 900_144, &missing("scope"));
    };
    let scopes = match scopes::parse(shared, scope) {
        Ok(scopes) => scopes,
        Err(error) => {
            let (name, code, text) = error.parts(&tenant, &app.client_id);
            return fail(&reply, name, code, &text);
        }
    };
    // Microsoft accepts a code without PKCE, or with `plain`, from a confidential app; this
    // tenant is stricter, so that a client that forgets PKCE fails here.
    let Some(challenge) = query.get("code_challenge") else {
        return fail(
            &reply,
            "invalid_request",
            900_144,
            &missing("code_challenge"),
        );
    };
    if query.get("code_challenge_method") != Some("S256") {
        let text = "Invalid request. This tenant requires PKCE with code_challenge_method 'S256'; 'plain' or none is not accepted.";
        return fail(&reply, "invalid_request", 90_023, text);
    }
    if !pkce::challenge_is_well_formed(challenge) {
        return fail(
            &reply,
            "invalid_request",
            501_491,
            "Invalid size of Code_Challenge parameter.",
        );
    }
    let prompt = query.get("prompt");
    if !matches!(
        prompt,
        None | Some("login" | "consent" | "select_account" | "none")
    ) {
        let text = format!(
            "Invalid value '{}' for the input parameter 'prompt'.",
            prompt.unwrap_or_default()
        );
        return fail(&reply, "invalid_request", 90_023, &text);
    }
    let request = AuthorizeRequest {
        client_id: app.client_id.clone(),
        reply,
        scopes,
        challenge: challenge.to_owned(),
        login_hint: query.get("login_hint").map(str::to_owned),
        nonce: query.get("nonce").map(str::to_owned),
    };
    let sign_in = shared.login().sign_in.clone();
    if prompt == Some("none") {
        return silent(shared, &request, &sign_in);
    }
    match sign_in {
        SignIn::Interactive => {
            let pending = Pending::Authorize(request);
            let context = shared.login().remember(pending.clone());
            show(shared, &tenant, &context, &pending, None)
        }
        SignIn::Accept { user } => {
            if signed_in_user(shared, &user).is_ok()
                && approval::approval_needed(shared, &request, &user)
            {
                // Not an administrator, and the tenant has not granted the app: the user asks.
                approval::record(shared, &request, &user, "(requested without a page)");
                let wait = approval::ApprovalWait {
                    request,
                    user,
                    sent: true,
                };
                return approval::send_back(shared, &wait);
            }
            accept(shared, &request, &user).unwrap_or_else(|(code, text)| page::error(code, &text))
        }
        SignIn::Decline => decline(shared, &request),
    }
}

/// `prompt=none`: no page. A user "signed in" (auto-accept) gets a code if the app is
/// consented; otherwise `consent_required`, or `login_required` with nobody signed in.
fn silent(shared: &Shared, request: &AuthorizeRequest, sign_in: &SignIn) -> Response {
    let host = shared.login_host();
    let consented = shared.login().standing(&request.client_id).consented;
    match sign_in {
        SignIn::Accept { user } if consented => {
            accept(shared, request, user).unwrap_or_else(|(code, text)| page::error(code, &text))
        }
        SignIn::Accept { .. } => {
            let id = &request.client_id;
            let text = format!(
                "The user or administrator has not consented to use the application with ID '{id}' named '{id}'. Send an interactive authorization request for this user and resource."
            );
            request
                .reply
                .error(host, "consent_required", 65_001, &text, &[])
        }
        _ => request.reply.error(
            host,
            "login_required",
            50_058,
            "A silent sign-in request was sent but no user is signed in.",
            &[],
        ),
    }
}

/// The page for a waiting sign-in.
fn show(
    shared: &Shared,
    tenant: &str,
    context: &str,
    pending: &Pending,
    problem: Option<&str>,
) -> Response {
    let (app, permissions, admin, hint) = match pending {
        Pending::Approval(wait) => return approval::show(tenant, context, wait, problem),
        Pending::Authorize(r) => (
            r.client_id.as_str(),
            r.scopes
                .iter()
                .map(|s| scopes::display(shared, s))
                .collect(),
            false,
            r.login_hint.as_deref(),
        ),
        Pending::AdminConsent(r) => (
            r.client_id.as_str(),
            r.scope
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            true,
            None,
        ),
    };
    page::sign_in(&SignInPage {
        tenant,
        context,
        app,
        permissions: &permissions,
        admin,
        login_hint: hint,
        problem,
    })
}

/// A user of the tenant who may sign in, by UPN; or the AADSTS code and text refusing it.
pub(crate) fn signed_in_user(shared: &Shared, login: &str) -> Result<String, (u32, String)> {
    let directory = shared.directory();
    let tenant = directory
        .snapshot
        .tenant
        .verified_domains
        .first()
        .cloned()
        .unwrap_or_else(|| shared.tenant_id.clone());
    match directory.user(login.trim()) {
        Some(user) if !user.user_principal_name.eq_ignore_ascii_case(login.trim()) => {
            Err(not_found(login, &tenant))
        }
        None => Err(not_found(login, &tenant)),
        Some(user) if !user.account_enabled => {
            Err((50_057, "The user account is disabled.".to_owned()))
        }
        Some(user) => Ok(user.id.to_string()),
    }
}

fn not_found(login: &str, tenant: &str) -> (u32, String) {
    (
        50_034,
        format!(
            "The user account {login} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory."
        ),
    )
}

/// The user accepted: the app is consented, and a code goes back with the request's `state`.
fn accept(
    shared: &Shared,
    request: &AuthorizeRequest,
    login: &str,
) -> Result<Response, (u32, String)> {
    let user_id = signed_in_user(shared, login)?;
    let mut ledger = shared.login();
    ledger.set_standing(&request.client_id, |s| s.consented = true);
    let expires_at = std::time::Instant::now() + ledger.code_lifetime;
    let code = ledger.issue_code(Code {
        client_id: request.client_id.clone(),
        user_id,
        redirect_uri: request.reply.redirect_uri.clone(),
        challenge: request.challenge.clone(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        expires_at,
        redeemed: false,
    });
    drop(ledger);
    let mut params: Vec<(&str, &str)> = vec![("code", &code)];
    if let Some(state) = &request.reply.state {
        params.push(("state", state));
    }
    Ok(request.reply.send(&params))
}

/// The user declined the consent: `consent_required` with `AADSTS65004`, as Microsoft sends it
/// from the permissions page.
fn decline(shared: &Shared, request: &AuthorizeRequest) -> Response {
    request.reply.error(
        shared.login_host(),
        "consent_required",
        65_004,
        "User declined to consent to access the app.",
        &[],
    )
}

/// What the user typed in the password field: their password or their Temporary Access Pass
/// (a one-time pass is used up by this sign-in). `AADSTS50126` otherwise, as Microsoft says it.
fn check_secret(shared: &Shared, login: &str, secret: &str) -> Result<(), (u32, String)> {
    let user_id = signed_in_user(shared, login)?;
    shared
        .credentials()
        .sign_in(&user_id, secret, jiff::Timestamp::now())
        .map_err(|_| {
            (
                50_126,
                "Error validating credentials due to invalid username or password.".to_owned(),
            )
        })
}

/// `POST /{tenant}/login`: the sign-in form (`ctx`, `login`, optionally `passwd`: a password or
/// a Temporary Access Pass, checked when given; `consent=accept|cancel`).
pub(crate) async fn sign_in_form(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let shared = &state.shared;
    let form = Query(form_urlencoded::parse(&body).into_owned().collect());
    let context = form.get("ctx").unwrap_or_default();
    let Some(pending) = shared.login().pending(context) else {
        return page::error(
            50_089,
            "Flow token expired. Authentication failed: go back to the application and sign in again.",
        );
    };
    let cancelled = form.get("consent") != Some("accept");
    let login = form.get("login").unwrap_or_default();
    let secret = form.get("passwd").unwrap_or_default();
    if !cancelled
        && !secret.is_empty()
        && let Err((code, text)) = check_secret(shared, login, secret)
    {
        let problem = format!("AADSTS{code}: {text}");
        return show(shared, &tenant, context, &pending, Some(&problem));
    }
    if let (Pending::Authorize(request), false) = (&pending, cancelled)
        && signed_in_user(shared, login).is_ok()
        && approval::approval_needed(shared, request, login)
    {
        let wait = approval::ApprovalWait {
            request: request.clone(),
            user: login.trim().to_owned(),
            sent: false,
        };
        let mut ledger = shared.login();
        ledger.forget(context);
        let approval = ledger.remember(Pending::Approval(wait.clone()));
        drop(ledger);
        return approval::show(&tenant, &approval, &wait, None);
    }
    let answer = match (&pending, cancelled) {
        (Pending::Approval(_), _) => Err((
            50_089,
            "Flow token expired. Authentication failed: go back to the application and sign in again.".to_owned(),
        )),
        (Pending::Authorize(request), true) => Ok(decline(shared, request)),
        (Pending::Authorize(request), false) => accept(shared, request, login),
        (Pending::AdminConsent(request), true) => Ok(consent::decline(shared, request)),
        (Pending::AdminConsent(request), false) => consent::approve(shared, request, login),
    };
    match answer {
        Ok(response) => {
            shared.login().forget(context);
            response
        }
        Err((code, text)) => {
            let problem = format!("AADSTS{code}: {text}");
            show(shared, &tenant, context, &pending, Some(&problem))
        }
    }
}
