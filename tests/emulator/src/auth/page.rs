//! The pages a person sees: the sign-in and consent form (user name, the permissions asked,
//! Accept and Cancel) and the error page shown instead of redirecting when the app or its
//! redirect URI cannot be trusted ("Sorry, but we're having trouble signing you in.").
//! Every value from a request is HTML-escaped.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::token_error::Diagnostics;

/// What the sign-in page shows.
#[derive(Debug)]
pub(crate) struct SignInPage<'a> {
    /// The tenant as the URL named it (the form posts back under it).
    pub(crate) tenant: &'a str,
    /// The sign-in's context id.
    pub(crate) context: &'a str,
    /// The app asking.
    pub(crate) app: &'a str,
    /// The permissions asked, as scopes.
    pub(crate) permissions: &'a [String],
    /// Whether this is admin consent for the whole organization.
    pub(crate) admin: bool,
    /// The user name to fill in.
    pub(crate) login_hint: Option<&'a str>,
    /// Why the last attempt failed.
    pub(crate) problem: Option<&'a str>,
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

const STYLE: &str = "body{font-family:'Segoe UI',sans-serif;background:#f2f2f2}main{background:#fff;max-width:440px;margin:48px auto;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}h1{font-size:24px;font-weight:600}input[type=text],input[type=password]{width:100%;padding:6px 0;border:0;border-bottom:1px solid #666;font-size:15px}textarea{width:100%;font:inherit}main.wide{max-width:960px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px;border-bottom:1px solid #ddd;vertical-align:top}.hidden{position:absolute;left:-9999px}.problem{color:#e81123}button{min-width:108px;padding:6px 12px;margin:16px 8px 0 0;font-size:15px}#accept{background:#0067b8;color:#fff;border:0}";

/// The sign-in and consent form, posted to `/{tenant}/login`.
pub(crate) fn sign_in(page: &SignInPage<'_>) -> Response {
    let title = if page.admin {
        "Permissions requested — Accept for your organization"
    } else {
        "Permissions requested"
    };
    let permissions: String = page
        .permissions
        .iter()
        .map(|p| format!("<li class=\"permission\">{}</li>", escape(p)))
        .collect();
    let problem = page
        .problem
        .map(|p| {
            format!(
                "<p class=\"problem\" id=\"problem\" role=\"alert\">{}</p>",
                escape(p)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to your account</title><style>{STYLE}</style></head>\n<body><main>\n<h1>Sign in</h1>\n<form method=\"post\" action=\"/{tenant}/login\">\n<input type=\"hidden\" name=\"ctx\" value=\"{context}\">\n<label for=\"login\">Email, phone, or Skype</label>\n<input type=\"text\" id=\"login\" name=\"login\" autocomplete=\"username\" required value=\"{hint}\">\n<label for=\"passwd\">Password or Temporary Access Pass</label>\n<input type=\"password\" id=\"passwd\" name=\"passwd\" autocomplete=\"current-password\">\n{problem}\n<h2>{title}</h2>\n<p><strong id=\"app\">{app}</strong> would like to:</p>\n<ul id=\"permissions\">{permissions}</ul>\n<button type=\"submit\" id=\"accept\" name=\"consent\" value=\"accept\">Accept</button>\n<button type=\"submit\" id=\"cancel\" name=\"consent\" value=\"cancel\" formnovalidate>Cancel</button>\n</form>\n</main></body></html>\n",
        tenant = escape(page.tenant),
        context = escape(page.context),
        hint = escape(page.login_hint.unwrap_or_default()),
        app = escape(page.app),
    );
    html(StatusCode::OK, body)
}

/// A page of the tenant's own with `title` and `body` (already escaped HTML).
pub(crate) fn plain(title: &str, body: &str) -> Response {
    html(
        StatusCode::OK,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head>\n<body><main class=\"wide\">\n{body}\n</main></body></html>\n",
            title = escape(title),
        ),
    )
}

/// The error page: Microsoft shows it with status 200 rather than redirect to an untrusted
/// address.
pub(crate) fn error(code: u32, text: &str) -> Response {
    let diagnostics = Diagnostics::new();
    let message = format!("AADSTS{code}: {text}");
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in to your account</title><style>{STYLE}</style></head>\n<body><main>\n<h1>Sign in</h1>\n<p>Sorry, but we’re having trouble signing you in.</p>\n<p id=\"error\">{message}</p>\n<dl><dt>Request Id</dt><dd>{trace}</dd><dt>Correlation Id</dt><dd>{correlation}</dd><dt>Timestamp</dt><dd>{timestamp}</dd><dt>Message</dt><dd>{message}</dd></dl>\n</main></body></html>\n",
        message = escape(&message),
        trace = diagnostics.trace_id,
        correlation = diagnostics.correlation_id,
        timestamp = diagnostics.timestamp,
    );
    html(StatusCode::OK, body)
}
