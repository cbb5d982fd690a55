//! Where people and Microsoft reach this deployment from outside, and so the OAuth redirect
//! URI under it. `tenure serve` is told (`--public-url`) and builds its [`TenureApp`] with the
//! redirect URI once. A Lambda function cannot be told by its template (the API's routes refer
//! to the functions, so a function referring to the API would be a circular dependency): it
//! learns the URL from each request (API Gateway's `requestContext.domainName`), or from the
//! custom domain the deployment names, and puts it on the request as a [`PublicUrl`] extension.
//! `consent` and `oauth-callback` then use the redirect URI under it, so the two always agree
//! and equal what the stack outputs for registration.

use std::borrow::Cow;

use oauth2::url::Url;

use crate::connect::TenureApp;

/// The path of the OAuth callback (the `oauth-callback` route) under the public URL.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// The base URL of this deployment as the outside world reaches it: `https://host[:port]` and
/// an optional path prefix (a custom domain's base path), never a trailing slash, a query or a
/// fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

/// A public URL that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the public URL {given:?} {problem}")]
pub struct PublicUrlError {
    given: String,
    problem: &'static str,
}

impl PublicUrl {
    /// Reads an `http://` or `https://` URL (one trailing slash is dropped).
    pub fn parse(text: &str) -> Result<Self, PublicUrlError> {
        let fail = |problem| PublicUrlError {
            given: text.to_owned(),
            problem,
        };
        let url = Url::parse(text).map_err(|_| fail("is not a URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(fail("must start with https:// (or http:// for local use)"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(fail("has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(fail("must not carry a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(fail("must not have a query or a fragment"));
        }
        let text = url.as_str().trim_end_matches('/');
        Ok(Self(text.to_owned()))
    }

    /// `https://<domain>`, for the domain name a request came in on (API Gateway's
    /// `requestContext.domainName`: the API's own `<id>.execute-api.<region>.amazonaws.com`, or
    /// a custom domain mapped to it).
    pub fn of_domain(domain: &str) -> Result<Self, PublicUrlError> {
        // A bare host name: no port, path, query or credentials (API Gateway sends none).
        let bare = !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !bare {
            return Err(PublicUrlError {
                given: domain.to_owned(),
                problem: "is not a domain name",
            });
        }
        Self::parse(&format!("https://{domain}"))
    }

    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The OAuth redirect URI under it: the URL followed by [`CALLBACK_PATH`].
    pub fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.0)
    }
}

impl std::fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Tenure's app as this request sees it: with the redirect URI under the request's public URL
/// when the host put one on it, else as configured.
pub(super) fn app_for<'a>(app: &'a TenureApp, public: Option<&PublicUrl>) -> Cow<'a, TenureApp> {
    match public {
        Some(url) => Cow::Owned(TenureApp {
            redirect_uri: url.redirect_uri(),
            ..app.clone()
        }),
        None => Cow::Borrowed(app),
    }
}
