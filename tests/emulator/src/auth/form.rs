//! A token request as the endpoint reads it: the form fields, with the client's id and secret
//! taken from an `Authorization: Basic` header when the form does not carry them
//! (`client_secret_basic`, RFC 6749 §2.3.1, which Microsoft accepts too).

use axum::http::{HeaderMap, header};
use base64::Engine as _;

/// The fields of a token request.
#[derive(Debug)]
pub(crate) struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// The fields of an `application/x-www-form-urlencoded` body, with Basic credentials.
    pub(crate) fn read(headers: &HeaderMap, body: &[u8]) -> Self {
        let mut fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        if let Some((id, secret)) = basic_credentials(headers) {
            if !fields.iter().any(|(k, _)| k == "client_id") {
                fields.push(("client_id".to_owned(), id));
            }
            if !fields.iter().any(|(k, _)| k == "client_secret") {
                fields.push(("client_secret".to_owned(), secret));
            }
        }
        Self { fields }
    }

    /// A field's value (the first one when repeated).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}
