//! The answers the HTTP functions share: a JSON error, a redirect, a small HTML page.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::html::escape_html;

/// `{"error": message}` with `status`.
pub(super) fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() });
    (status, no_store(), Json(body)).into_response()
}

/// `response` with `Connection: close`: for a body refused before it was all read, whose rest
/// would otherwise leave the connection unusable for the client's next request.
pub(super) fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `302 Found` to `location`, not to be cached (it carries a single-use `state`).
pub(super) fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::FOUND,
            no_store(),
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the sign-in URL cannot be sent as a Location header",
        ),
    }
}

/// A small HTML page: `title` as its heading, `paragraphs`, and a `link` (target, text) if any,
/// all HTML-escaped here. No scripts, styles or images may load, and following the link sends no
/// `Referer` (the page's own URL may carry an authorization code).
pub(super) fn html_page(
    status: StatusCode,
    title: &str,
    paragraphs: &[String],
    links: &[(&str, &str)],
) -> Response {
    let mut body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{t} · Tenure</title></head>\n<body>\n<h1>{t}</h1>\n",
        t = escape_html(title)
    );
    for paragraph in paragraphs {
        body.push_str("<p>");
        body.push_str(&escape_html(paragraph));
        body.push_str("</p>\n");
    }
    for (target, text) in links {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape_html(target),
            escape_html(text)
        ));
    }
    body.push_str("</body>\n</html>\n");
    (
        status,
        no_store(),
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
        .into_response()
}

fn no_store() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]
}
