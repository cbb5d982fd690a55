//! Reading a snapshot file a piece at a time.
//!
//! A 100,000-user snapshot is about 100 MB of JSON; held whole while it is parsed, its text
//! would be the largest thing in a plan's memory. The reader keeps a few megabytes of it: it
//! walks the top-level object itself and hands each value — and each element of the large lists
//! (users, groups, mailboxes, deleted users) — to serde_json as soon as it is all in memory.
//!
//! It accepts only what [`Snapshot`]'s own deserializing accepts (known keys, each once,
//! separators where JSON puts them, nothing after the object; the one exception, a list element
//! nesting unknown properties more than 125 levels deep, is taken where the whole-file parse
//! stops at serde_json's depth limit of 128), and gives no error of its own:
//! whatever it refuses, the caller parses the whole file again, and that parse says what is wrong
//! and where (line and column) as it always has.
//!
//! Each piece is checked to be UTF-8 once, as it is read (a character cut at the piece's end
//! waits for the next piece), and values are parsed from text: serde_json then does not check
//! every string again.

use std::io::{self, Read};

use serde::de::DeserializeOwned;

use super::Snapshot;

/// How much of the file is read at a time: large enough that few values (a group of a
/// hundred thousand members is 4 MB) straddle two pieces and are parsed twice.
pub(super) const PIECE: usize = 8 << 20;

/// Why a file could not be read a piece at a time.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The file could not be read.
    Io(io::Error),
    /// The text is not a snapshot this reader accepts (the whole-file parse says why).
    Invalid,
}

impl From<io::Error> for Refusal {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// Reads a snapshot from `source`, `piece` bytes at a time (at least one). Values are shared
/// only when the caller runs this inside [`crate::interned::sharing`].
pub(super) fn read_in_pieces(source: impl Read, piece: usize) -> Result<Snapshot, Refusal> {
    let mut text = Pieces {
        source,
        piece: piece.max(1),
        buffer: String::new(),
        at: 0,
        fresh: Vec::new(),
        ended: false,
    };
    let snapshot = text.snapshot()?;
    match text.next_byte()? {
        None => Ok(snapshot),
        Some(_) => Err(Refusal::Invalid),
    }
}

/// The part of the file read and not yet taken.
struct Pieces<R> {
    source: R,
    piece: usize,
    buffer: String,
    /// Where the untaken text starts in `buffer` (always on a character's first byte).
    at: usize,
    /// The bytes last read, beginning with a character the piece before cut short.
    fresh: Vec<u8>,
    /// Whether the whole file has been read.
    ended: bool,
}

/// The keys of a snapshot, in the order of `Snapshot`'s fields.
const KEYS: [&str; 6] = [
    "tenant",
    "subscribedSkus",
    "users",
    "groups",
    "mailboxes",
    "deletedUsers",
];

impl<R: Read> Pieces<R> {
    fn snapshot(&mut self) -> Result<Snapshot, Refusal> {
        let mut snapshot = Snapshot::default();
        self.expect(b'{')?;
        if self.peek()? == Some(b'}') {
            self.at += 1;
            return Ok(snapshot);
        }
        let mut seen = [false; KEYS.len()];
        loop {
            if self.peek()? != Some(b'"') {
                return Err(Refusal::Invalid);
            }
            let key: String = self.value()?;
            let slot = KEYS
                .iter()
                .position(|known| *known == key)
                .ok_or(Refusal::Invalid)?;
            if std::mem::replace(&mut seen[slot], true) {
                return Err(Refusal::Invalid);
            }
            self.expect(b':')?;
            match slot {
                0 => snapshot.tenant = self.value()?,
                1 => snapshot.subscribed_skus = self.value()?,
                2 => snapshot.users = self.list()?,
                3 => snapshot.groups = self.list()?,
                4 => snapshot.mailboxes = self.list()?,
                _ => snapshot.deleted_users = self.list()?,
            }
            match self.next_byte()? {
                Some(b',') => {}
                Some(b'}') => return Ok(snapshot),
                _ => return Err(Refusal::Invalid),
            }
        }
    }

    /// A list, element by element.
    fn list<T: DeserializeOwned>(&mut self) -> Result<Vec<T>, Refusal> {
        if self.peek()? != Some(b'[') {
            // Not a list (`null`, a number…): serde_json takes it or refuses it whole.
            return self.value();
        }
        self.at += 1;
        let mut list = Vec::new();
        if self.peek()? == Some(b']') {
            self.at += 1;
            return Ok(list);
        }
        loop {
            list.push(self.value()?);
            match self.next_byte()? {
                Some(b',') => {}
                Some(b']') => return Ok(list),
                _ => return Err(Refusal::Invalid),
            }
        }
    }

    /// The next value, read further until it is all in memory.
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, Refusal> {
        loop {
            let text = &self.buffer[self.at..];
            let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
            let value = values.next();
            let taken = values.byte_offset();
            match value {
                // A value that ends where the text read so far ends may go on (a number).
                Some(Ok(value)) if taken < text.len() || self.ended => {
                    self.at += taken;
                    return Ok(value);
                }
                Some(Err(error)) if !error.is_eof() || self.ended => {
                    return Err(Refusal::Invalid);
                }
                None if self.ended => return Err(Refusal::Invalid),
                _ => self.read_more()?,
            }
        }
    }

    /// Checks that the next byte (after white space) is `expected`, and takes it.
    fn expect(&mut self, expected: u8) -> Result<(), Refusal> {
        match self.next_byte()? {
            Some(byte) if byte == expected => Ok(()),
            _ => Err(Refusal::Invalid),
        }
    }

    /// Takes the next byte after white space; `None` at the end of the file.
    fn next_byte(&mut self) -> Result<Option<u8>, Refusal> {
        let byte = self.peek()?;
        if byte.is_some() {
            self.at += 1;
        }
        Ok(byte)
    }

    /// Skips white space and gives the byte after it, without taking it.
    fn peek(&mut self) -> Result<Option<u8>, Refusal> {
        loop {
            let rest = &self.buffer.as_bytes()[self.at..];
            match rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
            {
                Some(skip) => {
                    self.at += skip;
                    return Ok(Some(self.buffer.as_bytes()[self.at]));
                }
                None if self.ended => {
                    self.at = self.buffer.len();
                    return Ok(None);
                }
                None => {
                    self.at = self.buffer.len();
                    self.read_more()?;
                }
            }
        }
    }

    /// Drops what was taken and reads another piece, at least as large as the text waiting
    /// (so that a large value is parsed again only a few times). Text that is not UTF-8 is
    /// refused.
    fn read_more(&mut self) -> Result<(), Refusal> {
        self.buffer.drain(..self.at);
        self.at = 0;
        let wanted = self.piece.max(self.buffer.len());
        let read = (&mut self.source)
            .take(wanted as u64)
            .read_to_end(&mut self.fresh)?;
        self.ended = read < wanted;
        let complete = match std::str::from_utf8(&self.fresh) {
            Ok(text) => {
                self.buffer.push_str(text);
                self.fresh.clear();
                return Ok(());
            }
            // A character cut short by the end of the piece: its first bytes wait for the rest.
            Err(error) if error.error_len().is_none() && !self.ended => error.valid_up_to(),
            Err(_) => return Err(Refusal::Invalid),
        };
        let text = std::str::from_utf8(&self.fresh[..complete]).map_err(|_| Refusal::Invalid)?;
        self.buffer.push_str(text);
        self.fresh.drain(..complete);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Refusal, read_in_pieces};
    use crate::directory::Snapshot;

    /// Every key, strings with escapes and non-ASCII text, nested objects and lists.
    const EVERY_KEY: &str = r#" {
        "tenant": {"id": "t-1", "verifiedDomains": ["contoso.com"]},
        "subscribedSkus": [{"skuId": "sku-1", "skuPartNumber": "ENTERPRISEPACK"}],
        "users": [
            {"id": "u-1", "userPrincipalName": "sean.o\u2019brien@contoso.com",
             "accountEnabled": true, "displayName": "Se\u00e1n \"Jr\" O\\Brien",
             "employeeId": "E1", "department": "R&D [lab] {2}", "city": "Zürich ☃ 𝄞",
             "assignedLicenses": [{"skuId": "sku-1", "disabledPlans": []}]},
            {"id": "u-2", "userPrincipalName": "jane@contoso.com", "accountEnabled": false,
             "manager": {"id": "u-1"}}
        ],
        "groups": [{"id": "g-1", "displayName": "Staff", "securityEnabled": true,
                    "mailEnabled": false, "members": ["u-1", "u-2"]}],
        "mailboxes": [{"externalDirectoryObjectId": "u-1",
                       "userPrincipalName": "sean.o\u2019brien@contoso.com",
                       "recipientTypeDetails": "SharedMailbox", "fullAccess": ["jane@contoso.com"]}],
        "deletedUsers": [{"id": "u-3", "userPrincipalName": "u3old@contoso.com",
                          "accountEnabled": false, "employeeId": "E3"}]
    }
    "#;

    fn whole(text: &[u8]) -> Option<Snapshot> {
        serde_json::from_slice(text).ok()
    }

    fn in_pieces(text: &[u8], piece: usize) -> Option<Snapshot> {
        match read_in_pieces(text, piece) {
            Ok(snapshot) => Some(snapshot),
            Err(Refusal::Invalid) => None,
            Err(Refusal::Io(error)) => panic!("reading from memory failed: {error}"),
        }
    }

    #[test]
    fn a_snapshot_read_in_pieces_of_any_size_is_the_snapshot_read_whole() {
        let text = EVERY_KEY.as_bytes();
        let expected = whole(text).expect("a valid snapshot");
        assert_eq!(expected.deleted_users.len(), 1);
        for piece in (1..=text.len() + 1).step_by(7).chain([1, 2, 3, 1 << 20]) {
            assert_eq!(in_pieces(text, piece).as_ref(), Some(&expected), "{piece}");
        }
        assert_eq!(in_pieces(b"{}", 1), Some(Snapshot::default()));
        assert_eq!(
            in_pieces(b" { \"users\" : [ ] }\n", 1),
            Some(Snapshot::default())
        );
    }

    #[test]
    fn what_the_whole_file_parse_refuses_is_refused() {
        let refused: [&[u8]; 21] = [
            b"",
            b"   ",
            b"{",
            br#"{"users": [}"#,
            br#"{"users": []"#,
            br#"{"users": [],}"#,
            br#"{"users": [], "users": []}"#,
            br#"{"user": []}"#,
            br#"{"users": [] } x"#,
            br#"{"users": [] }{}"#,
            br#"{"users": null}"#,
            br#"{"users": [1]}"#,
            br#"{"groups": [{"id": "g", "displayName": "G", "securityEnabled": true, "mailEnabled": false},]}"#,
            br#"{"tenant": {"id": "t"} "users": []}"#,
            "\u{feff}{}".as_bytes(),
            // Not UTF-8: a stray byte in a string, one outside, a character cut off at the end.
            b"{\"tenant\": {\"id\": \"t\xff\"}}",
            b"{\"users\": []}\xff",
            b"{\"tenant\": {\"id\": \"t\"}} \xe2\x98",
            // A character outside a string, where a separator or the end should be.
            "{\"users\": [] é}".as_bytes(),
            "{\"users\": [{\"id\": \"u\", \"userPrincipalName\": \"u@c.com\", \"accountEnabled\": true}☃]}".as_bytes(),
            "{é}".as_bytes(),
        ];
        for text in refused {
            assert_eq!(whole(text), None, "{}", String::from_utf8_lossy(text));
            for piece in [1, 2, 5, 1 << 20] {
                assert_eq!(
                    in_pieces(text, piece),
                    None,
                    "{} in pieces of {piece}",
                    String::from_utf8_lossy(text)
                );
            }
        }
    }

    /// A generated tenant (made once: the generator runs the standard plugin).
    fn generated() -> &'static Snapshot {
        static TENANT: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        TENANT.get_or_init(|| {
            crate::synthetic::company(40, 7)
                .expect("a company")
                .directory
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn a_generated_tenant_reads_the_same_in_pieces(
            piece in 1usize..5000,
            pretty in any::<bool>(),
        ) {
            let text = if pretty {
                serde_json::to_vec_pretty(generated())
            } else {
                serde_json::to_vec(generated())
            }
            .expect("JSON");
            let read = in_pieces(&text, piece);
            prop_assert_eq!(read.as_ref(), Some(generated()));
        }
    }
}
