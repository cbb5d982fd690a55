//! Cross-site request forgery: every state-changing request of a session carries the session's
//! own random token (form field [`FORM_FIELD`] or header [`HEADER`]), and a browser's `Origin`
//! (or, without one, its `Referer`) must be this deployment's.

use axum::http::{HeaderMap, header};
use oauth2::url::Url;
use subtle::ConstantTimeEq as _;

use super::Session;

/// The header a script or client sends the token in.
pub const HEADER: &str = "x-csrf-token";

/// The form field a page's form sends the token in.
pub const FORM_FIELD: &str = "csrf_token";

/// Whether `given` is the session's token (compared in constant time).
pub fn token_matches(session: &Session, given: &str) -> bool {
    !given.is_empty() && bool::from(session.csrf_token.as_bytes().ct_eq(given.as_bytes()))
}

/// `scheme://host[:port]` of a URL, as browsers write `Origin`; `None` when it is not a URL.
pub fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether the request comes from this deployment's own pages: its `Origin`, or without one its
/// `Referer`, is `origin`. A request with neither (not from a browser) passes this check; the
/// token is what it must still show.
pub fn same_origin(headers: &HeaderMap, origin: &str) -> bool {
    if let Some(sent) = headers.get(header::ORIGIN) {
        return sent.to_str().is_ok_and(|sent| sent == origin);
    }
    if let Some(referer) = headers.get(header::REFERER) {
        return referer
            .to_str()
            .ok()
            .and_then(origin_of)
            .is_some_and(|sent| sent == origin);
    }
    true
}
