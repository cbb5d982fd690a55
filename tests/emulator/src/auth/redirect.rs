//! Going back to the app: matching a redirect URI against the registered ones (character for
//! character; the port of `http://localhost` is ignored, as Microsoft documents), and the
//! `302` that carries the answer in the query (or fragment) of that URI.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::token_error::Diagnostics;
use crate::apps::RegisteredClient;

/// Where the answer goes in the redirect URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    /// `?code=…` (the default for a code).
    Query,
    /// `#code=…`.
    Fragment,
}

/// Where and how to answer an app: its redirect URI (as the request sent it), the response
/// mode and the request's `state`.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) redirect_uri: String,
    pub(crate) mode: ResponseMode,
    pub(crate) state: Option<String>,
}

impl Reply {
    /// A `302` to the redirect URI with these parameters, in this order.
    pub(crate) fn send(&self, params: &[(&str, &str)]) -> Response {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in params {
            serializer.append_pair(name, value);
        }
        let encoded = serializer.finish();
        let base = with_path(&self.redirect_uri);
        let location = match self.mode {
            ResponseMode::Query if base.contains('?') => format!("{base}&{encoded}"),
            ResponseMode::Query => format!("{base}?{encoded}"),
            ResponseMode::Fragment => format!("{base}#{encoded}"),
        };
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache"),
        );
        response
    }

    /// An error sent back to the app: `error`, `error_description` (`AADSTS…: …` with the
    /// trace and correlation ids), `error_uri`, then `extra`, then `state`.
    pub(crate) fn error(
        &self,
        login_host: &str,
        error: &str,
        code: u32,
        text: &str,
        extra: &[(&str, &str)],
    ) -> Response {
        let description = Diagnostics::new().describe(code, text);
        let uri = format!("https://{login_host}/error?code={code}");
        let mut params: Vec<(&str, &str)> = vec![
            ("error", error),
            ("error_description", &description),
            ("error_uri", &uri),
        ];
        params.extend_from_slice(extra);
        if let Some(state) = &self.state {
            params.push(("state", state));
        }
        self.send(&params)
    }
}

/// A redirect URI without a path comes back with `/` (Microsoft's documented behaviour).
fn with_path(uri: &str) -> String {
    let after_scheme = uri.find("://").map_or(0, |at| at + 3);
    let rest = &uri[after_scheme..];
    if rest.contains('/') {
        uri.to_owned()
    } else if let Some(at) = uri.find('?') {
        format!("{}/{}", &uri[..at], &uri[at..])
    } else {
        format!("{uri}/")
    }
}

/// Whether a redirect URI is one the app registered.
pub(crate) fn is_registered(app: &RegisteredClient, given: &str) -> bool {
    app.redirect_uris
        .iter()
        .any(|registered| registered == given || same_localhost(registered, given))
}

/// `http(s)://localhost[:port]/path`: equal but for the port.
fn same_localhost(registered: &str, given: &str) -> bool {
    fn split(uri: &str) -> Option<(&str, &str, &str)> {
        let (scheme, rest) = uri.split_once("://")?;
        let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
        let host = authority.split(':').next()?;
        Some((scheme, host, path))
    }
    match (split(registered), split(given)) {
        (Some((s1, h1, p1)), Some((s2, h2, p2))) => {
            h1 == "localhost" && h2 == "localhost" && s1 == s2 && p1 == p2
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_without_a_path_gets_a_slash() {
        assert_eq!(with_path("https://contoso.com"), "https://contoso.com/");
        assert_eq!(with_path("http://localhost:7071"), "http://localhost:7071/");
        assert_eq!(
            with_path("https://contoso.com/abc"),
            "https://contoso.com/abc"
        );
        assert_eq!(
            with_path("https://contoso.com?x=1"),
            "https://contoso.com/?x=1"
        );
    }

    #[test]
    fn only_localhost_ignores_the_port() {
        assert!(same_localhost(
            "http://localhost/cb",
            "http://localhost:5000/cb"
        ));
        assert!(!same_localhost(
            "http://localhost/cb",
            "http://localhost:5000/CB"
        ));
        assert!(!same_localhost(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5000/cb"
        ));
        assert!(!same_localhost(
            "http://localhost/cb",
            "https://localhost:5000/cb"
        ));
    }
}
