//! The one layer in front of every admin route ([`admin_layer`]): who is calling (the session
//! cookie, or an API token in `Authorization: Bearer`), whether a state-changing request of a
//! session is its own (CSRF token and `Origin`), and, on a route with a connection `{id}`,
//! whether they may manage that connection ([`crate::auth::access`], or the token's own
//! connection and scopes). Handlers behind it read the [`AdminCaller`] it leaves on the
//! request; none of them checks access again.
//!
//! Answers for a session: no session (none, forged, tampered, ended) → `401` for an API client,
//! a redirect to `/signin?next=…` for a browser's `GET`, `401` with `HX-Redirect` to sign-in for
//! an htmx request; a state-changing request without the
//! session's CSRF token or from another origin → `403`; a connection of another tenant → `404`
//! exactly as one that does not exist; a user of the right tenant without an administrator role
//! who is not a manager → `403`.
//!
//! Answers for an API token: a request with an `Authorization` header is judged by the token
//! alone (the cookie is never looked at, so it cannot stand in for a CSRF token): a route that
//! takes no tokens (sign-in, sessions, consent, the tokens themselves) → `403`; malformed,
//! unknown, another connection's, tampered → `401` (one answer for all); expired or revoked →
//! `401`; a token without one of the route's scopes → `403`. Which scopes a route takes is
//! said once, where the route is mounted ([`AdminRoute::tokens`]). Every request made with a
//! token is written to the audit trail with the token's id ([`crate::service::access_audit`]).

use axum::Extension;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRef, RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use jiff::Timestamp;

use super::form_data;
use super::public_url::PublicUrl;
use super::response::{json_error, redirect};
use crate::auth::api_token::{PresentedToken, Scope};
use crate::auth::{Access, Session, SessionCookies, SessionError, access, csrf};
use crate::service::Services;
use crate::service::access_audit::{self, AccessRecord, Actor, AuditDetail};
use crate::service::tokens::{self, Refusal};
use crate::store::connections::{Connection, ConnectionId};

/// The largest form body read for its CSRF token.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Who passed the layer: a signed-in user or an API token and, on a connection's route, the
/// connection.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    /// Who is calling.
    pub caller: Caller,
    /// The connection of the route's `{id}`, which the caller may manage.
    pub connection: Option<Connection>,
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A signed-in user's session.
    Session(Session),
    /// An API token of the route's connection, with a scope the route takes.
    Token(TokenCaller),
}

/// An API token that passed the layer (never its secret).
#[derive(Debug, Clone)]
pub struct TokenCaller {
    /// The token's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// Who made it.
    pub created_by: String,
}

impl AdminCaller {
    /// The session, when a signed-in user is calling.
    pub fn session(&self) -> Option<&Session> {
        match &self.caller {
            Caller::Session(session) => Some(session),
            Caller::Token(_) => None,
        }
    }

    /// The caller as the audit trail names them.
    pub fn actor(&self) -> Actor {
        match &self.caller {
            Caller::Session(session) => Actor::User {
                tenant_id: session.identity.tenant_id.clone(),
                object_id: session.identity.object_id.clone(),
                username: session.identity.username.clone(),
            },
            Caller::Token(token) => Actor::ApiToken {
                token_id: token.id.clone(),
                token_name: token.name.clone(),
                created_by: token.created_by.clone(),
            },
        }
    }
}

/// The layer's state: the services, and which API-token scopes the route takes (none: only
/// signed-in administrators). `from_fn_with_state(services, admin_layer)` mounts it for
/// administrators only; `from_fn_with_state(AdminRoute::tokens(&services, &[…]),
/// admin_layer)` also lets in tokens holding one of the scopes.
#[derive(Clone)]
pub struct AdminRoute {
    services: Services,
    scopes: &'static [Scope],
}

impl AdminRoute {
    /// A route for signed-in administrators only.
    pub fn sessions(services: &Services) -> Self {
        Self {
            services: services.clone(),
            scopes: &[],
        }
    }

    /// A route for signed-in administrators and for API tokens holding any of `scopes`.
    pub fn tokens(services: &Services, scopes: &'static [Scope]) -> Self {
        Self {
            services: services.clone(),
            scopes,
        }
    }
}

impl FromRef<Services> for AdminRoute {
    fn from_ref(services: &Services) -> Self {
        Self::sessions(services)
    }
}

/// Where this request reached the deployment: the host's [`PublicUrl`] on the request (Lambda),
/// else the configured one, else the one the OAuth redirect URI is under.
pub(crate) fn public_url(
    services: &Services,
    request_url: Option<&PublicUrl>,
) -> Option<PublicUrl> {
    request_url
        .cloned()
        .or_else(|| services.admin.public_url.clone())
        .or_else(|| {
            let app = services.tenure_app.as_deref()?;
            let base = app.redirect_uri.strip_suffix(super::CALLBACK_PATH)?;
            PublicUrl::parse(base).ok()
        })
}

/// The cookies of a deployment at `url` (https unless it is known to be plain http).
pub(super) fn cookies_for(url: Option<&PublicUrl>) -> SessionCookies {
    SessionCookies::new(url.is_none_or(|u| !u.as_str().starts_with("http://")))
}

/// The admin session the request's `Cookie` headers carry, if one opens and has not ended at
/// `now`.
pub(super) async fn request_session(
    services: &Services,
    cookies: SessionCookies,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<Option<Session>, SessionError> {
    let cookie_headers = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    cookies
        .open_session(&services.keys, cookie_headers, now)
        .await
}

/// The layer (`axum::middleware::from_fn_with_state`, added with `route_layer` so that the
/// route's `{id}` is known), with [`Services`] (administrators only) or an [`AdminRoute`] as
/// its state.
pub async fn admin_layer(
    State(route): State<AdminRoute>,
    request_url: Option<Extension<PublicUrl>>,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let services = &route.services;
    let id = params
        .iter()
        .find(|(name, _)| *name == "id")
        .map(|(_, id)| id.to_owned());
    if request.headers().contains_key(header::AUTHORIZATION) {
        return token_request(&route, id, request, next).await;
    }
    let now = Timestamp::now();
    let url = public_url(services, request_url.as_ref().map(|Extension(u)| u));
    let cookies = cookies_for(url.as_ref());
    let opened = request_session(services, cookies, request.headers(), now).await;
    let session = match opened {
        Ok(Some(session)) => session,
        Ok(None) => return unauthenticated(&request),
        Err(e) => {
            tracing::warn!("admin request: {e}");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
    };
    let safe = is_safe(request.method());
    let request = if safe {
        request
    } else {
        let form_data_limit = form_data::max_bytes(services);
        match check_forgery(request, &session, url.as_ref(), form_data_limit).await {
            Ok(request) => request,
            Err(refused) => return refused,
        }
    };
    let connection = match &id {
        None => None,
        Some(id) => match authorize(services, &session, id).await {
            Ok(connection) => Some(connection),
            Err(refused) => return refused,
        },
    };
    let touched = session.needs_touch(now).then(|| Session {
        seen_at: now,
        ..session.clone()
    });
    let caller = AdminCaller {
        caller: Caller::Session(session),
        connection,
    };
    let audited = (!safe).then(|| caller.clone());
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut request = request;
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if let Some(caller) = audited {
        let detail = response
            .extensions()
            .get::<AuditDetail>()
            .map(|d| d.0.clone());
        audit(services, &caller, &method, &path, response.status(), detail).await;
    }
    // A handler that set the session cookie itself (sign-out) has the last word.
    let handler_set_session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| {
            v.to_str()
                .is_ok_and(|v| v.starts_with(cookies.session_name()))
        });
    if let Some(session) = touched.filter(|_| !handler_set_session)
        && let Ok(cookie) = cookies.seal_session(&services.keys, &session).await
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A request with an `Authorization` header: an API token of the route's connection, with one
/// of the route's scopes, or nothing.
async fn token_request(
    route: &AdminRoute,
    id: Option<String>,
    request: Request,
    next: Next,
) -> Response {
    let services = &route.services;
    let (Some(id), false) = (id, route.scopes.is_empty()) else {
        return json_error(
            StatusCode::FORBIDDEN,
            "this route is for signed-in administrators only: API tokens may not use it",
        );
    };
    let invalid = || unauthorized(format!("{} {id}", Refusal::Invalid));
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .map(PresentedToken::parse);
    let (Some(Ok(presented)), Ok(connection)) = (presented, ConnectionId::parse(&id)) else {
        return invalid();
    };
    let token = match tokens::verify(services, &connection, &presented).await {
        Ok(token) => token,
        Err(Refusal::Invalid) => {
            tracing::info!(%connection, token = %presented.id, "API token refused: not valid here");
            return invalid();
        }
        Err(Refusal::Unavailable(error)) => {
            tracing::warn!(%connection, %error, "API token could not be checked");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, error.to_string());
        }
        Err(refusal) => {
            tracing::info!(%connection, token = %presented.id, "API token refused: {refusal}");
            return unauthorized(refusal.to_string());
        }
    };
    let caller = AdminCaller {
        caller: Caller::Token(TokenCaller {
            id: token.id.to_string(),
            name: token.name.clone(),
            scopes: token.scopes.clone(),
            created_by: token.created_by.clone(),
        }),
        connection: None,
    };
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let answer = if token.grants_any(route.scopes) {
        match services.connections.get(&connection).await {
            Ok(Some((record, _))) => {
                let mut request = request;
                request.extensions_mut().insert(AdminCaller {
                    connection: Some(record),
                    ..caller.clone()
                });
                next.run(request).await
            }
            Ok(None) => json_error(StatusCode::NOT_FOUND, format!("no connection {id}")),
            Err(e) => {
                tracing::warn!(%connection, "admin request: {e}");
                json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
        }
    } else {
        let needs: Vec<&str> = route.scopes.iter().map(|s| s.as_str()).collect();
        json_error(
            StatusCode::FORBIDDEN,
            format!(
                "the API token {} may not do this: the route needs the scope {}",
                token.id,
                needs.join(" or ")
            ),
        )
    };
    tracing::info!(%connection, token = %token.id, %method, path, status = answer.status().as_u16(),
        "API token used");
    let detail = answer
        .extensions()
        .get::<AuditDetail>()
        .map(|d| d.0.clone());
    audit_for(
        services,
        &connection,
        &caller,
        &method,
        &path,
        answer.status(),
        detail,
    )
    .await;
    answer
}

/// `401` for a bearer, with the `WWW-Authenticate` challenge of RFC 6750.
fn unauthorized(message: String) -> Response {
    let mut response = json_error(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"tenure\", error=\"invalid_token\""),
    );
    response
}

/// Writes the access record of a request on a connection's route.
async fn audit(
    services: &Services,
    caller: &AdminCaller,
    method: &Method,
    path: &str,
    status: StatusCode,
    detail: Option<String>,
) {
    if let Some(connection) = &caller.connection {
        audit_for(
            services,
            &connection.id,
            caller,
            method,
            path,
            status,
            detail,
        )
        .await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn audit_for(
    services: &Services,
    connection: &ConnectionId,
    caller: &AdminCaller,
    method: &Method,
    path: &str,
    status: StatusCode,
    detail: Option<String>,
) {
    let record = AccessRecord {
        at: Timestamp::now(),
        connection: connection.clone(),
        actor: caller.actor(),
        method: method.to_string(),
        path: path.to_owned(),
        status: status.as_u16(),
        detail,
    };
    access_audit::write(services, &record).await;
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// No session: a browser's `GET` goes to sign-in and comes back; anything else is `401`.
fn unauthenticated(request: &Request) -> Response {
    if request.headers().contains_key("hx-request") {
        return htmx_to_sign_in(request);
    }
    let browser = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser && request.method() == Method::GET {
        let here = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
        return redirect(&format!("/signin?next={next}"));
    }
    json_error(
        StatusCode::UNAUTHORIZED,
        "sign in first: this route is for signed-in administrators (GET /signin)",
    )
}

/// No session on an htmx request (the session ended while a console page was open): htmx does
/// not follow a redirect for the page, so the answer is `401` with `HX-Redirect`, which htmx
/// follows: sign-in, then back to the page the browser was on (`HX-Current-URL`'s path).
fn htmx_to_sign_in(request: &Request) -> Response {
    let current = request
        .headers()
        .get("hx-current-url")
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|slash| &rest[slash..]));
    let here = current.unwrap_or_else(|| request.uri().path());
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    let mut answer = json_error(
        StatusCode::UNAUTHORIZED,
        "sign in first: your session has ended (GET /signin)",
    );
    if let Ok(location) = HeaderValue::from_str(&format!("/signin?next={next}")) {
        answer.headers_mut().insert("hx-redirect", location);
    }
    answer
}

/// A state-changing request must come from this deployment's pages (`Origin`) and carry the
/// session's CSRF token (header, or form field of a form body).
async fn check_forgery(
    request: Request,
    session: &Session,
    url: Option<&PublicUrl>,
    form_data_limit: usize,
) -> Result<Request, Response> {
    let forbidden = |what: &str| json_error(StatusCode::FORBIDDEN, what.to_owned());
    let origin = url.and_then(|u| csrf::origin_of(u.as_str()));
    if let Some(origin) = &origin
        && !csrf::same_origin(request.headers(), origin)
    {
        return Err(forbidden(
            "this request comes from another site: its Origin is not this deployment's",
        ));
    }
    if let Some(token) = request
        .headers()
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok())
    {
        return if csrf::token_matches(session, token) {
            Ok(request)
        } else {
            Err(forbidden(
                "the CSRF token is not this session's: reload the page",
            ))
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let form_data = form_data::is_form_data(&content_type);
    if !form && !form_data {
        return Err(forbidden(
            "a state-changing request must carry the session's CSRF token (X-CSRF-Token)",
        ));
    }
    let (parts, body) = request.into_parts();
    let limit = if form_data {
        form_data_limit
    } else {
        MAX_FORM_BYTES
    };
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| forbidden("the form is too large to check"))?;
    let given = if form_data {
        form_data::parts(bytes.clone(), &content_type)
            .await
            .map_err(|_| forbidden("the form cannot be read to check its CSRF token"))?
            .into_iter()
            .find(|part| part.name == csrf::FORM_FIELD && part.file_name.is_none())
            .map(|part| String::from_utf8_lossy(&part.bytes).into_owned())
            .unwrap_or_default()
    } else {
        form_urlencoded::parse(&bytes)
            .find(|(name, _)| name == csrf::FORM_FIELD)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    if !csrf::token_matches(session, &given) {
        return Err(forbidden(
            "the form's CSRF token is missing or not this session's: reload the page",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The connection `id`, if the caller may manage it; else the answer.
async fn authorize(
    services: &Services,
    session: &Session,
    id: &str,
) -> Result<Connection, Response> {
    let missing = || json_error(StatusCode::NOT_FOUND, format!("no connection {id}"));
    let Ok(id) = ConnectionId::parse(id) else {
        return Err(missing());
    };
    let connection = match services.connections.get(&id).await {
        Ok(Some((connection, _))) => connection,
        Ok(None) => return Err(missing()),
        Err(e) => {
            tracing::warn!(connection = %id, "admin request: {e}");
            return Err(json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()));
        }
    };
    match access(&session.identity, &connection, &services.admin.operators) {
        Access::Manage => Ok(connection),
        Access::Hidden => Err(missing()),
        Access::Forbidden => {
            tracing::info!(
                connection = %id,
                user = %session.identity.object_id,
                "admin request refused: no administrator role"
            );
            Err(json_error(
                StatusCode::FORBIDDEN,
                format!(
                    "you may not manage connection {id}: it takes one of the administrator roles \
                     Global, Privileged Role, Application or Cloud Application Administrator in \
                     its tenant, or being named a manager of it"
                ),
            ))
        }
    }
}
