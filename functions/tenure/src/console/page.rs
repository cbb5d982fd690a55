//! How a console page is answered: the whole page for a normal request, the page's `content`
//! block for an htmx request (`HX-Request`, but not a history restore, which needs the whole
//! page), with the headers every console page carries; and the one error page.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::auth::Session;
use crate::service::http::AdminCaller;

/// The console's Content-Security-Policy: its own scripts, styles and images only, forms only to
/// itself, never framed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// `response` with the console's policy, its forms also allowed to end at `origins` (browsers
/// hold a form's redirects to `form-action` too: the sign-in form goes on to Microsoft).
pub(crate) fn allow_forms_to(mut response: Response, origins: &[String]) -> Response {
    let policy = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", origins.join(" ")),
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Where the object store takes uploads through URLs of its own (S3's presigned `PUT`s: another
/// origin than the console's), learnt once by signing a URL for a probe key (nothing is
/// created); the console's pages may connect there, so that the mapping page's script can send
/// a large plugin (`plugin_uploads`).
#[derive(Clone)]
pub(crate) struct UploadOrigin {
    services: crate::service::Services,
    origin: std::sync::Arc<std::sync::OnceLock<Option<String>>>,
}

impl UploadOrigin {
    pub(crate) fn new(services: &crate::service::Services) -> Self {
        Self {
            services: services.clone(),
            origin: std::sync::Arc::default(),
        }
    }

    /// The origin, `None` when the store takes no uploads through URLs (the server's own route
    /// takes them: `'self'`) or it cannot be told now (asked again on the next page).
    async fn get(&self) -> Option<String> {
        if let Some(known) = self.origin.get() {
            return known.clone();
        }
        use secrecy::ExposeSecret as _;
        let probe =
            crate::store::objects::ObjectKey::parse("plugin-uploads/console-origin-probe").ok()?;
        let lifetime = std::time::Duration::from_secs(60);
        let learnt = match self.services.objects.upload_url(&probe, 1, lifetime).await {
            Ok(Some(url)) => crate::auth::csrf::origin_of(url.url.expose_secret()),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%error, "console: where uploads go cannot be told now");
                return None;
            }
        };
        self.origin.get_or_init(|| learnt).clone()
    }
}

/// The layer that lets a console page connect to [`UploadOrigin`] too (its
/// Content-Security-Policy's `connect-src`). Every page carries it, as htmx swaps pages into
/// the one document whose policy holds.
pub(crate) async fn allow_uploads(
    axum::extract::State(uploads): axum::extract::State<UploadOrigin>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let Some(policy) = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    if let Some(origin) = uploads.get().await
        && let Ok(value) = HeaderValue::from_str(&policy.replacen(
            "connect-src 'self'",
            &format!("connect-src 'self' {origin}"),
            1,
        ))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The layer that keeps the address bar on the page a form was sent from. htmx puts the address
/// a boosted form was posted to into the history; for a POST answered with a page, that address
/// is one a browser cannot load (a reload asks for a page that only takes POST: `405`). So such
/// an answer says not to (`HX-Push-Url: false`) and the address stays the page the form was on,
/// which a reload shows afresh. Answers that say where to go themselves (a redirect,
/// `HX-Redirect`, their own history header) are left as they are.
pub(crate) async fn keep_address(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let htmx_post = request.method() == axum::http::Method::POST
        && request.headers().contains_key("hx-request");
    let mut response = next.run(request).await;
    let says_where = [
        "hx-redirect",
        "hx-push-url",
        "hx-replace-url",
        "hx-location",
    ]
    .iter()
    .any(|name| response.headers().contains_key(*name));
    if htmx_post && !response.status().is_redirection() && !says_where {
        response
            .headers_mut()
            .insert("hx-push-url", HeaderValue::from_static("false"));
    }
    response
}

/// Whether the request came from htmx and wants only the page's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partial(pub(crate) bool);

impl<S: Send + Sync> FromRequestParts<S> for Partial {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let set = |name: &str| {
            parts
                .headers
                .get(name)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
        };
        Ok(Self(
            set("hx-request") && !set("hx-history-restore-request"),
        ))
    }
}

/// What the layout shows of the signed-in user: their name, and the session's CSRF token for
/// the sign-out form (and every other form of the page).
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    /// The display name.
    pub(crate) name: String,
    /// The sign-in name.
    pub(crate) username: String,
    /// The session's CSRF token.
    pub(crate) csrf_token: String,
}

impl Chrome {
    /// The chrome of `session`'s pages.
    pub(crate) fn of(session: &Session) -> Self {
        Self {
            name: session.identity.name.clone(),
            username: session.identity.username.clone(),
            csrf_token: session.csrf_token.clone(),
        }
    }
}

/// Answers `status` with the whole page (`full`), or for an htmx request its content block
/// (`content`) after a `<title>` that htmx puts on the document, with `200`.
pub(crate) fn answer(
    status: StatusCode,
    partial: Partial,
    title: &str,
    full: impl FnOnce() -> askama::Result<String>,
    content: impl FnOnce() -> askama::Result<String>,
) -> Response {
    let rendered = if partial.0 {
        content().map(|body| {
            format!(
                "<title>{} · Tenure</title>\n{body}",
                crate::html::escape_html(title)
            )
        })
    } else {
        full()
    };
    // htmx swaps only successful answers: a form shown again with its errors, or the error
    // page, is content to show like any other (the whole page keeps the status).
    let status = if partial.0 { StatusCode::OK } else { status };
    match rendered {
        Ok(body) => html(status, body),
        Err(error) => {
            tracing::error!(%error, page = title, "a console page could not be rendered");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error · Tenure</title></head><body><main><h1>This page could not be shown</h1></main></body></html>".to_owned(),
            )
        }
    }
}

/// An HTML body with the console's headers: not cached, not framed, no inline scripts or
/// styles, no guessing of the content type, the partial and the whole page told apart by caches.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::VARY, "HX-Request"),
    ]
    .map(|(name, value)| (name, HeaderValue::from_static(value)));
    (status, headers, body).into_response()
}

/// The one error page: what went wrong in words the reader can act on, and for a failure of
/// Tenure's own (a store that cannot be reached) an operation id that the logs carry with the
/// details, which the page never shows.
#[derive(Template)]
#[template(path = "console/error.html", blocks = ["content"])]
pub(crate) struct ErrorPage {
    chrome: Option<Chrome>,
    title: String,
    message: String,
    operation: Option<String>,
}

/// The caller's session. The console is mounted for sessions only, so the layer lets no API
/// token in; were one to reach a page, it is refused here.
pub(crate) fn signed_in(caller: &AdminCaller, partial: Partial) -> Result<&Session, Box<Response>> {
    caller.session().ok_or_else(|| {
        Box::new(ErrorPage::told(
            StatusCode::FORBIDDEN,
            partial,
            None,
            "Not for API tokens",
            "The console is for signed-in administrators, not API tokens.".to_owned(),
        ))
    })
}

impl ErrorPage {
    /// A problem the reader can understand (`message` is shown).
    pub(crate) fn told(
        status: StatusCode,
        partial: Partial,
        chrome: Option<Chrome>,
        title: &str,
        message: String,
    ) -> Response {
        let page = Self {
            chrome,
            title: title.to_owned(),
            message,
            operation: None,
        };
        answer(
            status,
            partial,
            title,
            || page.render(),
            || page.as_content().render(),
        )
    }

    /// A failure of Tenure's own: logged with an operation id, shown with the id only.
    pub(crate) fn failed(
        partial: Partial,
        chrome: Option<Chrome>,
        what: &str,
        error: &dyn std::fmt::Display,
    ) -> Response {
        let operation = uuid::Uuid::new_v4().simple().to_string();
        tracing::error!(%operation, %error, "console: {what}");
        let page = Self {
            chrome,
            title: "Something went wrong".to_owned(),
            message: format!(
                "Tenure could not {what}. Try again in a moment; if it keeps failing, give your operator the operation id below."
            ),
            operation: Some(operation),
        };
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            partial,
            "Something went wrong",
            || page.render(),
            || page.as_content().render(),
        )
    }
}

/// Where this deployment is reached from outside, without a trailing `/` (empty when it cannot
/// be told): the base of the links a page gives to HR systems and other administrators.
pub(crate) fn base_url(
    services: &crate::service::Services,
    public: Option<axum::Extension<crate::service::http::PublicUrl>>,
) -> String {
    crate::service::http::public_url(services, public.as_ref().map(|axum::Extension(url)| url))
        .map(|url| url.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}
