//! `$filter`: the clauses Graph supports without advanced queries on the properties Tenure
//! filters by: `p eq 'v'`, `p in ('a','b')`, `startsWith(p,'v')`.

use crate::errors::GraphError;

/// One filter clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `property eq 'value'`.
    Eq(String, String),
    /// `property in ('a', 'b')`.
    In(String, Vec<String>),
    /// `startsWith(property, 'prefix')`.
    StartsWith(String, String),
}

fn unsupported() -> GraphError {
    GraphError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Unsupported Query.",
    )
}

/// Reads a quoted literal; `''` is a quote. Returns the value and the rest.
fn literal(text: &str) -> Result<(String, &str), GraphError> {
    let body = text.strip_prefix('\'').ok_or_else(unsupported)?;
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                chars.next();
                value.push('\'');
            } else {
                return Ok((value, body.get(at + 1..).unwrap_or_default()));
            }
        } else {
            value.push(c);
        }
    }
    Err(unsupported())
}

fn strip_word<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let head = text.get(..word.len())?;
    head.eq_ignore_ascii_case(word)
        .then(|| text.get(word.len()..))
        .flatten()
}

impl Filter {
    /// Parses a clause on one of the `allowed` properties of `resource`.
    pub(crate) fn parse(text: &str, allowed: &[&str], resource: &str) -> Result<Self, GraphError> {
        let text = text.trim();
        let check = |property: &str| {
            if allowed.contains(&property) {
                Ok(property.to_owned())
            } else {
                Err(GraphError::bad_request(format!(
                    "Unsupported or invalid query filter clause specified for property '{property}' of resource '{resource}'."
                )))
            }
        };
        if let Some(rest) = strip_word(text, "startswith(") {
            let (property, rest) = rest.split_once(',').ok_or_else(unsupported)?;
            let property = check(property.trim())?;
            let (value, rest) = literal(rest.trim_start())?;
            if rest.trim() != ")" {
                return Err(unsupported());
            }
            return Ok(Self::StartsWith(property, value));
        }
        let (property, rest) = text.split_once(' ').ok_or_else(unsupported)?;
        let property = check(property)?;
        let rest = rest.trim_start();
        if let Some(rest) = strip_word(rest, "eq ") {
            let (value, rest) = literal(rest.trim_start())?;
            if !rest.trim().is_empty() {
                return Err(unsupported());
            }
            Ok(Self::Eq(property, value))
        } else if let Some(rest) = strip_word(rest, "in ") {
            let mut rest = rest
                .trim_start()
                .strip_prefix('(')
                .ok_or_else(unsupported)?;
            let mut values = Vec::new();
            loop {
                let (value, after) = literal(rest.trim_start())?;
                values.push(value);
                let after = after.trim_start();
                if let Some(after) = after.strip_prefix(',') {
                    rest = after;
                } else if let Some(after) = after.strip_prefix(')') {
                    if !after.trim().is_empty() {
                        return Err(unsupported());
                    }
                    return Ok(Self::In(property, values));
                } else {
                    return Err(unsupported());
                }
            }
        } else {
            Err(unsupported())
        }
    }

    /// Whether an object passes, given how to read its string properties; comparisons ignore
    /// case, as the directory's do.
    pub(crate) fn matches<'o>(&self, value: impl Fn(&str) -> Option<&'o str>) -> bool {
        match self {
            Self::Eq(p, v) => value(p).is_some_and(|x| x.eq_ignore_ascii_case(v)),
            Self::In(p, vs) => {
                value(p).is_some_and(|x| vs.iter().any(|v| x.eq_ignore_ascii_case(v)))
            }
            Self::StartsWith(p, v) => value(p).is_some_and(|x| {
                x.get(..v.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(v))
            }),
        }
    }
}
