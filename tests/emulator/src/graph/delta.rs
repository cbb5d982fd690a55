//! What `/users/delta` and `/groups/delta` share: where a round is (its tokens), the page
//! envelope with `@odata.nextLink` or `@odata.deltaLink`, and the `410 Gone` for a token the
//! tenant does not know.
//!
//! A round pages through the change journal in stamp order. A first round (no token) returns
//! every object; a round from a delta link returns what was stamped after the link's number.
//! Tokens carry the tenant's epoch, the round's base and the cursor, never an offset into a list
//! that may change between pages.

use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{Map, Value, json};

use crate::errors::GraphError;
use crate::graph::paging::Place;
use crate::graph::query::Query;
use crate::journal::Journal;

/// Which collection a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    /// `/users/delta`.
    Users,
    /// `/groups/delta`.
    Groups,
}

impl Collection {
    fn mark(self) -> char {
        match self {
            Self::Users => 'u',
            Self::Groups => 'g',
        }
    }
}

/// Where a delta round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Round {
    /// A first round: every object, as it is now.
    pub(crate) initial: bool,
    /// The journal's number when the round began (first round) or the delta link's number:
    /// what was stamped after it is a change.
    pub(crate) base: u64,
    /// The stamp of the last object answered.
    pub(crate) cursor: u64,
    /// How far into that object's list (members) the last page got; `0` when it was done.
    pub(crate) offset: usize,
}

/// `410 Gone` with `syncStateNotFound`: the client must start over with a first round.
pub(crate) fn expired() -> GraphError {
    GraphError::new(
        StatusCode::GONE,
        "syncStateNotFound",
        "The sync state is not found or has expired. Start a new sync without a state token.",
    )
}

/// A hexadecimal number of a token.
fn hex<T: TryFrom<u64>>(text: &str) -> Option<T> {
    T::try_from(u64::from_str_radix(text, 16).ok()?).ok()
}

impl Round {
    /// The round a request asks for: a first round without a token, the next page of a round
    /// with `$skiptoken`, changes since with `$deltatoken` (`latest`: from now on, nothing
    /// returned). A token of another collection or epoch, one ahead of the journal, or garbage
    /// is `410 Gone`.
    pub(crate) fn of(
        query: &Query,
        collection: Collection,
        journal: &Journal,
    ) -> Result<Self, GraphError> {
        match (query.get("$skiptoken"), query.get("$deltatoken")) {
            (None, None) => Ok(Self {
                initial: true,
                base: journal.seq(),
                cursor: 0,
                offset: 0,
            }),
            (Some(token), None) => Self::from_skip_token(token, collection, journal),
            (None, Some("latest")) => Ok(Self::since(journal.seq())),
            (None, Some(token)) => {
                let seq = token
                    .strip_prefix(collection.mark())
                    .and_then(|t| t.strip_prefix('D'))
                    .and_then(|t| Self::epoch_of(t, journal))
                    .and_then(hex::<u64>)
                    .filter(|seq| *seq <= journal.seq())
                    .ok_or_else(expired)?;
                Ok(Self::since(seq))
            }
            (Some(_), Some(_)) => Err(expired()),
        }
    }

    fn since(seq: u64) -> Self {
        Self {
            initial: false,
            base: seq,
            cursor: seq,
            offset: 0,
        }
    }

    /// The rest of a token after this epoch's eight hex digits; `None` for another epoch.
    fn epoch_of<'t>(token: &'t str, journal: &Journal) -> Option<&'t str> {
        let (epoch, rest) = token.split_at_checked(8)?;
        (hex::<u32>(epoch)? == journal.epoch()).then_some(rest)
    }

    fn from_skip_token(
        token: &str,
        collection: Collection,
        journal: &Journal,
    ) -> Result<Self, GraphError> {
        let parse = || {
            let rest = token
                .strip_prefix(collection.mark())?
                .strip_prefix('S')
                .and_then(|t| Self::epoch_of(t, journal))?;
            let (initial, rest) = match rest.split_at_checked(1)? {
                ("i", rest) => (true, rest),
                ("d", rest) => (false, rest),
                _ => return None,
            };
            let mut parts = rest.split('.');
            let round = Self {
                initial,
                base: hex(parts.next()?)?,
                cursor: hex(parts.next()?)?,
                offset: hex(parts.next()?)?,
            };
            let valid = parts.next().is_none()
                && round.base <= journal.seq()
                && round.cursor <= journal.seq();
            valid.then_some(round)
        };
        parse().ok_or_else(expired)
    }

    /// The `$skiptoken` of the page after `(cursor, offset)` in this round.
    fn skip_token(self, collection: Collection, epoch: u32) -> String {
        format!(
            "{}S{epoch:08x}{}{:x}.{:x}.{:x}",
            collection.mark(),
            if self.initial { 'i' } else { 'd' },
            self.base,
            self.cursor,
            self.offset
        )
    }
}

/// The `$deltatoken` for changes after `seq`.
fn delta_token(collection: Collection, epoch: u32, seq: u64) -> String {
    format!("{}D{epoch:08x}{seq:x}", collection.mark())
}

/// The page size a `Prefer: odata.maxpagesize=N` header asks for.
pub(crate) fn preferred_size(headers: &HeaderMap) -> Option<usize> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .and_then(|n| n.trim().parse().ok())
        .filter(|n| (1..=999).contains(n))
}

/// One page of a round.
pub(crate) struct DeltaPage {
    /// The objects.
    pub(crate) value: Vec<Value>,
    /// Where the next page starts; `None` on the last page.
    pub(crate) next: Option<Round>,
}

/// The page as JSON: `@odata.nextLink` while the round goes on, else `@odata.deltaLink` for the
/// changes after everything stamped so far.
pub(crate) fn envelope(
    page: DeltaPage,
    collection: Collection,
    journal: &Journal,
    (headers, uri, query): (&HeaderMap, &Uri, &Query),
    context: &str,
) -> Value {
    let place = Place::of(headers, uri);
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(place.context(context)));
    let epoch = journal.epoch();
    match page.next {
        Some(next) => body.insert(
            "@odata.nextLink".into(),
            json!(place.link(&query.with_token("$skiptoken", &next.skip_token(collection, epoch)))),
        ),
        None => body.insert(
            "@odata.deltaLink".into(),
            json!(place.link(&query.with_token(
                "$deltatoken",
                &delta_token(collection, epoch, journal.seq())
            ))),
        ),
    };
    body.insert("value".into(), Value::Array(page.value));
    Value::Object(body)
}

/// A reference to a user in `manager@delta` or `members@delta`, marked removed or not.
pub(crate) fn user_reference(id: &str, removed: bool) -> Value {
    let mut out = json!({"@odata.type": "#microsoft.graph.user", "id": id});
    if removed {
        out["@removed"] = json!({"reason": "deleted"});
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Collection, Round};
    use crate::graph::query::Query;
    use crate::journal::Journal;

    fn query(raw: &str) -> Result<Query, String> {
        Query::parse(Some(raw)).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn skip_tokens_round_trip_and_belong_to_one_collection() -> Result<(), String> {
        let mut journal = Journal::new();
        journal.touch_user("a");
        journal.touch_user("b");
        let round = Round {
            initial: true,
            base: 2,
            cursor: 1,
            offset: 3,
        };
        let token = round.skip_token(Collection::Users, journal.epoch());
        let raw = format!("$skiptoken={token}");
        let read = Round::of(&query(&raw)?, Collection::Users, &journal);
        assert_eq!(read.ok(), Some(round));
        assert!(Round::of(&query(&raw)?, Collection::Groups, &journal).is_err());
        assert!(Round::of(&query("$deltatoken=garbage")?, Collection::Users, &journal).is_err());
        assert!(Round::of(&query(&raw)?, Collection::Users, &Journal::new()).is_err());
        Ok(())
    }
}
