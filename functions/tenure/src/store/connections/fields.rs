//! The small values a connection record holds, each checked when parsed: tenant id, client id,
//! base URL (a UPN is [`crate::names::Upn`]). They end up in URLs and headers, so nothing that could break out of its place
//! (a `/`, a space, a `?`) is accepted.

use std::fmt;

/// Checks a value's characters and length.
fn check(
    value: &str,
    max: usize,
    allowed: impl Fn(u8) -> bool,
    what: &str,
) -> Result<(), InvalidValue> {
    let invalid = |reason: String| InvalidValue(format!("{what} {value:?}: {reason}"));
    if value.is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    if value.len() > max {
        return Err(invalid(format!("it is longer than {max} characters")));
    }
    if let Some(c) = value.bytes().find(|b| !allowed(*b)) {
        return Err(invalid(format!(
            "the character {:?} is not allowed",
            c as char
        )));
    }
    Ok(())
}

/// A value that does not parse; the message says which and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0}")]
pub struct InvalidValue(String);

macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps the value.
            pub fn parse(value: &str) -> Result<Self, InvalidValue> {
                let parse: fn(&str) -> Result<String, InvalidValue> = $parse;
                parse(value).map(Self)
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_value!(
    /// A Microsoft Entra tenant: its id (a GUID) or one of its domains
    /// (`contoso.onmicrosoft.com`).
    TenantId,
    |v| {
        check(v, 253, |b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-', "tenant id")?;
        if ["common", "organizations", "consumers"]
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(v))
        {
            return Err(InvalidValue(format!(
                "tenant id {v:?}: it names no tenant but accounts of any tenant; give the \
                 customer's own tenant id (a GUID) or verified domain"
            )));
        }
        Ok(v.to_owned())
    }
);

string_value!(
    /// An application (client) id: a GUID in Microsoft's clouds, any plain name in the
    /// emulated tenant.
    ClientId,
    |v| {
        check(
            v,
            128,
            |b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'),
            "client id",
        )?;
        Ok(v.to_owned())
    }
);

string_value!(
    /// An `http` or `https` base URL with a host and no query or fragment, kept without a
    /// trailing `/`.
    BaseUrl,
    |v| {
        let invalid = |reason: &str| InvalidValue(format!("base URL {v:?}: {reason}"));
        let url = reqwest::Url::parse(v).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("it must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        Ok(v.trim_end_matches('/').to_owned())
    }
);
