//! OData query options: `$select`, `$filter`, `$top`, `$expand`, and the opaque page tokens.

use crate::errors::GraphError;
use crate::graph::filter::Filter;

/// The largest page Graph serves for directory objects.
pub(crate) const MAX_TOP: usize = 999;

/// The query options a Graph route understands.
const KNOWN: [&str; 6] = [
    "$select",
    "$filter",
    "$top",
    "$expand",
    "$skiptoken",
    "$deltatoken",
];

/// A parsed query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query; an unknown `$` option is refused as Graph refuses it.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, GraphError> {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        if let Some((name, _)) = pairs
            .iter()
            .find(|(k, _)| k.starts_with('$') && !KNOWN.contains(&k.as_str()))
        {
            return Err(GraphError::malformed(format!(
                "Query option '{name}' is not allowed."
            )));
        }
        Ok(Self { pairs })
    }

    /// An option's value.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `$select`, checked against the properties of `type_name`.
    pub(crate) fn select(
        &self,
        known: &[&str],
        type_name: &str,
    ) -> Result<Option<Vec<String>>, GraphError> {
        self.get("$select")
            .map(|s| parse_select(s, known, type_name))
            .transpose()
    }

    /// `$filter`, on the properties that may be filtered.
    pub(crate) fn filter(
        &self,
        allowed: &[&str],
        resource: &str,
    ) -> Result<Option<Filter>, GraphError> {
        self.get("$filter")
            .map(|f| Filter::parse(f, allowed, resource))
            .transpose()
    }

    /// The page size: `$top` (1 to 999) or the default.
    pub(crate) fn top(&self, default: usize) -> Result<usize, GraphError> {
        match self.get("$top") {
            None => Ok(default),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(n),
                _ => Err(GraphError::bad_request(format!(
                    "Invalid page size specified: '{text}'. Must be between 1 and {MAX_TOP} inclusive."
                ))),
            },
        }
    }

    /// The offset a `$skiptoken` stands for (zero without one).
    pub(crate) fn offset(&self) -> Result<usize, GraphError> {
        self.get("$skiptoken")
            .map_or(Ok(0), |token| decode_token(token).ok_or_else(bad_token))
    }

    /// This query with `$skiptoken` set (and `$deltatoken` dropped), as a query string.
    pub(crate) fn with_token(&self, name: &str, token: &str) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if k != "$skiptoken" && k != "$deltatoken" {
                out.append_pair(k, v);
            }
        }
        out.append_pair(name, token);
        out.finish()
    }
}

/// Parses a `$select` list.
pub(crate) fn parse_select(
    text: &str,
    known: &[&str],
    type_name: &str,
) -> Result<Vec<String>, GraphError> {
    text.split(',')
        .map(str::trim)
        .map(|p| {
            if known.contains(&p) {
                Ok(p.to_owned())
            } else {
                Err(GraphError::malformed(format!(
                    "Could not find a property named '{p}' on type '{type_name}'."
                )))
            }
        })
        .collect()
}

fn bad_token() -> GraphError {
    GraphError::malformed(
        "The specified page token value has expired and can no longer be included in your request.",
    )
}

/// An opaque page token for an offset.
pub(crate) fn encode_token(offset: usize) -> String {
    format!("RFNwdAo{offset:x}")
}

/// The offset of a page token.
pub(crate) fn decode_token(token: &str) -> Option<usize> {
    token
        .strip_prefix("RFNwdAo")
        .and_then(|hex| usize::from_str_radix(hex, 16).ok())
}
