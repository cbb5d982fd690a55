//! The one layer in front of every admin route ([`admin_layer`]): who is calling (the session
//! cookie), whether a state-changing request is their own (CSRF token and `Origin`), and, on a
//! route with a connection `{id}`, whether they may manage that connection
//! ([`crate::auth::access`]). Handlers behind it read the [`AdminCaller`] it leaves on the
//! request; none of them checks access again.
//!
//! Answers: no session (none, forged, tampered, ended) → `401` for an API client, a redirect to
//! `/signin?next=…` for a browser's `GET`; a state-changing request without the session's CSRF
//! token or from another origin → `403`; a connection of another tenant → `404` exactly as one
//! that does not exist; a user of the right tenant without an administrator role who is not a
//! manager → `403`.

use axum::Extension;
use axum::body::{Body, to_bytes};
use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use jiff::Timestamp;

use super::public_url::PublicUrl;
use super::response::{json_error, redirect};
use crate::auth::{Access, Session, SessionCookies, SessionError, access, csrf};
use crate::service::Services;
use crate::store::connections::{Connection, ConnectionId};

/// The largest form body read for its CSRF token.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Who passed the layer: their session and, on a connection's route, the connection.
#[derive(Debug, Clone)]
pub struct AdminCaller {
    /// The caller's session.
    pub session: Session,
    /// The connection of the route's `{id}`, which the caller may manage.
    pub connection: Option<Connection>,
}

/// Where this request reached the deployment: the host's [`PublicUrl`] on the request (Lambda),
/// else the configured one, else the one the OAuth redirect URI is under.
pub(super) fn public_url(
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
/// route's `{id}` is known).
pub async fn admin_layer(
    State(services): State<Services>,
    request_url: Option<Extension<PublicUrl>>,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let now = Timestamp::now();
    let url = public_url(&services, request_url.as_ref().map(|Extension(u)| u));
    let cookies = cookies_for(url.as_ref());
    let opened = request_session(&services, cookies, request.headers(), now).await;
    let session = match opened {
        Ok(Some(session)) => session,
        Ok(None) => return unauthenticated(&request),
        Err(e) => {
            tracing::warn!("admin request: {e}");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
    };
    let request = if is_safe(request.method()) {
        request
    } else {
        match check_forgery(request, &session, url.as_ref()).await {
            Ok(request) => request,
            Err(refused) => return refused,
        }
    };
    let connection = match params.iter().find(|(name, _)| *name == "id") {
        None => None,
        Some((_, id)) => match authorize(&services, &session, id).await {
            Ok(connection) => Some(connection),
            Err(refused) => return refused,
        },
    };
    let touched = session.needs_touch(now).then(|| Session {
        seen_at: now,
        ..session.clone()
    });
    let mut request = request;
    request.extensions_mut().insert(AdminCaller {
        session,
        connection,
    });
    let mut response = next.run(request).await;
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

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// No session: a browser's `GET` goes to sign-in and comes back; anything else is `401`.
fn unauthenticated(request: &Request) -> Response {
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

/// A state-changing request must come from this deployment's pages (`Origin`) and carry the
/// session's CSRF token (header, or form field of a form body).
async fn check_forgery(
    request: Request,
    session: &Session,
    url: Option<&PublicUrl>,
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
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(forbidden(
            "a state-changing request must carry the session's CSRF token (X-CSRF-Token)",
        ));
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| forbidden("the form is too large to check"))?;
    let given = form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == csrf::FORM_FIELD)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
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
