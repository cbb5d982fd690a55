//! Values many records share (a department, an office, a group, a license), kept once while a
//! large input is read.
//!
//! A 100,000-user tenant has a few dozen departments and offices but writes them on every user,
//! and a plugin names the same few groups and licenses for every worker: held as a string each
//! time, they would be most of a plan's allocations. A snapshot also names each user's object
//! id and UPN again in groups, managers and mailboxes. While [`sharing`] runs on a thread, every
//! distinct value that thread reads through [`option`], [`text`], [`list`] or [`share`] is
//! allocated once, and the records hold shared references ([`SharedStr`]) to it. Elsewhere (a Graph page read in an async task, a test
//! building users) each value is allocated on its own, as plain deserializing does: sharing
//! saves memory and allocations, it never changes a value.

use std::cell::RefCell;
use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;
use serde::Deserializer;
use serde::de::{self, Visitor};

/// A string records share: immutable, reference-counted, and one pointer wide (an `Arc<str>`
/// is two), so that an absent value costs 8 bytes on each of a hundred thousand records.
pub type SharedStr = arcstr::ArcStr;

/// The values read so far, each with its hash: the table grows to hundreds of thousands of
/// values (a tenant's object ids and UPNs), and with the hash beside each value neither growing
/// nor looking up reads a value's text unless its hash is the one looked for.
type Values = HashTable<(u64, SharedStr)>;

thread_local! {
    /// The values read so far by the [`sharing`] call running on this thread, if any.
    static VALUES: RefCell<Option<Values>> = const { RefCell::new(None) };
}

/// Runs `read` with sharing on for this thread, with a table of its own, and forgets that
/// table when it returns (the records keep their values); a table of an enclosing call is
/// in force again afterwards.
pub(crate) fn sharing<T>(read: impl FnOnce() -> T) -> T {
    /// Puts the enclosing call's table (or none) back, even if `read` panics.
    struct Restore(Option<Values>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let enclosing = self.0.take();
            VALUES.with(|values| *values.borrow_mut() = enclosing);
        }
    }
    let enclosing = VALUES.with(|values| values.borrow_mut().replace(Values::new()));
    let _restore = Restore(enclosing);
    read()
}

/// The shared copy of `text`: the one read before, else a new one (remembered while sharing).
pub(crate) fn share(text: &str) -> SharedStr {
    VALUES.with(|values| match values.borrow_mut().as_mut() {
        Some(values) => {
            let hash = FxBuildHasher.hash_one(text);
            let same =
                |(known_hash, known): &(u64, SharedStr)| *known_hash == hash && known == text;
            match values.entry(hash, same, |(hash, _)| *hash) {
                Entry::Occupied(known) => known.get().1.clone(),
                Entry::Vacant(place) => place.insert((hash, SharedStr::from(text))).get().1.clone(),
            }
        }
        None => SharedStr::from(text),
    })
}

/// Deserializes an optional string (`null` or absent: `None`), shared while [`sharing`] runs.
pub(crate) fn option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SharedStr>, D::Error> {
    deserializer.deserialize_option(OptionalText)
}

/// Deserializes a string, shared while [`sharing`] runs.
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SharedStr, D::Error> {
    deserializer.deserialize_str(Text)
}

/// Deserializes a list of strings, each shared while [`sharing`] runs.
pub(crate) fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SharedStr>, D::Error> {
    deserializer.deserialize_seq(TextList)
}

struct TextList;

impl<'de> Visitor<'de> for TextList {
    type Value = Vec<SharedStr>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::with_capacity(items.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = items.next_element_seed(Shared)? {
            list.push(item);
        }
        Ok(list)
    }
}

/// One string of a list, shared.
struct Shared;

impl<'de> de::DeserializeSeed<'de> for Shared {
    type Value = SharedStr;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<SharedStr, D::Error> {
        text(deserializer)
    }
}

struct OptionalText;

impl<'de> Visitor<'de> for OptionalText {
    type Value = Option<SharedStr>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(Text).map(Some)
    }
}

struct Text;

impl Visitor<'_> for Text {
    type Value = SharedStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(share(text))
    }
}

#[cfg(test)]
mod tests {
    use super::{SharedStr, option, sharing};

    fn read(json: &str) -> Option<SharedStr> {
        option(&mut serde_json::Deserializer::from_str(json)).expect("a string or null")
    }

    #[test]
    fn values_read_while_sharing_are_one_allocation() {
        let (a, b, c) = sharing(|| (read(r#""Sales""#), read(r#""Sales""#), read(r#""Legal""#)));
        let (a, b, c) = (a.expect("a"), b.expect("b"), c.expect("c"));
        assert!(SharedStr::ptr_eq(&a, &b));
        assert_eq!((&*a, &*c), ("Sales", "Legal"));
        assert_eq!(read("null"), None);
    }

    #[test]
    fn outside_sharing_each_value_is_its_own() {
        let (a, b) = (read(r#""Sales""#), read(r#""Sales""#));
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_eq!(a, b);
        assert!(!SharedStr::ptr_eq(&a, &b));
        // The values of a finished run are forgotten with it.
        let first = sharing(|| read(r#""Legal""#)).expect("first");
        let second = sharing(|| read(r#""Legal""#)).expect("second");
        assert!(!SharedStr::ptr_eq(&first, &second));
    }

    #[test]
    fn a_run_inside_another_leaves_the_outer_ones_table_in_force() {
        let (before, inner, after) = sharing(|| {
            let before = read(r#""Sales""#).expect("before");
            let inner = sharing(|| read(r#""Sales""#)).expect("inner");
            let after = read(r#""Sales""#).expect("after");
            (before, inner, after)
        });
        assert!(!SharedStr::ptr_eq(&before, &inner));
        assert!(SharedStr::ptr_eq(&before, &after));
        // And when every run is over, nothing is shared.
        let (a, b) = (read(r#""Sales""#), read(r#""Sales""#));
        assert!(!SharedStr::ptr_eq(&a.expect("a"), &b.expect("b")));
    }
}
