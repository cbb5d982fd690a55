//! The directory's sign-in and mail names: [`Upn`] (`userPrincipalName`) and [`MailNickname`].
//!
//! Microsoft compares both without regard to case, so these types do too: equality and hashing
//! fold case, while the text keeps the case it was written in (a UPN shows as HR spelled it). A
//! value read from Microsoft is taken as it is ([`From`]); a value Tenure is about to create is
//! checked first ([`Upn::parse`], [`MailNickname::parse`]) so a bad one is refused with a reason
//! before any request is made.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::SharedStr;

/// The longest local part (before the `@`) of a user principal name, and the longest mail
/// nickname, that Microsoft accepts.
pub const MAX_LOCAL_PART: usize = 64;

/// The longest domain part (after the `@`) of a user principal name that Microsoft accepts.
pub const MAX_DOMAIN: usize = 48;

/// Why a text is not a usable UPN or mail nickname.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// A UPN without exactly one `@` between a name and a domain.
    #[error("{given:?} is not of the form name@domain")]
    NotNameAtDomain {
        /// The text given.
        given: String,
    },
    /// Nothing before the `@`, or an empty nickname.
    #[error("{given:?} has an empty name")]
    Empty {
        /// The text given.
        given: String,
    },
    /// A part longer than Microsoft allows.
    #[error("the {part} of {given:?} is {length} characters long; Microsoft allows at most {max}")]
    TooLong {
        /// The text given.
        given: String,
        /// Which part: "name", "domain" or "mail nickname".
        part: &'static str,
        /// Its length in characters.
        length: usize,
        /// The most allowed.
        max: usize,
    },
    /// A character Microsoft does not accept in that part.
    #[error(
        "{given:?} contains {character:?}, which Microsoft does not accept in a {part} (letters A–Z, digits and {allowed} only)"
    )]
    Character {
        /// The text given.
        given: String,
        /// Which part: "name", "domain" or "mail nickname".
        part: &'static str,
        /// The first character refused.
        character: char,
        /// The punctuation that is accepted.
        allowed: &'static str,
    },
    /// A name that starts or ends with a period, or has two in a row.
    #[error("{given:?} has a period at the start or end of the name, or two in a row")]
    Periods {
        /// The text given.
        given: String,
    },
}

/// Punctuation Microsoft accepts in a UPN's name and in a mail nickname, besides ASCII letters
/// and digits.
const NAME_PUNCTUATION: &str = "' . - _ ! # ^ ~";

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c)
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// Checks a UPN's name or a nickname: not empty, not too long, accepted characters, periods
/// only inside and never doubled.
fn check_name(given: &str, name: &str, part: &'static str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty {
            given: given.to_owned(),
        });
    }
    let length = name.chars().count();
    if length > MAX_LOCAL_PART {
        return Err(NameError::TooLong {
            given: given.to_owned(),
            part,
            length,
            max: MAX_LOCAL_PART,
        });
    }
    if let Some(character) = name.chars().find(|&c| !name_char(c)) {
        return Err(NameError::Character {
            given: given.to_owned(),
            part,
            character,
            allowed: NAME_PUNCTUATION,
        });
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(NameError::Periods {
            given: given.to_owned(),
        });
    }
    Ok(())
}

fn check_domain(given: &str, domain: &str) -> Result<(), NameError> {
    let length = domain.chars().count();
    if length > MAX_DOMAIN {
        return Err(NameError::TooLong {
            given: given.to_owned(),
            part: "domain",
            length,
            max: MAX_DOMAIN,
        });
    }
    if let Some(character) = domain.chars().find(|&c| !domain_char(c)) {
        return Err(NameError::Character {
            given: given.to_owned(),
            part: "domain",
            character,
            allowed: ". -",
        });
    }
    Ok(())
}

/// The case-folded characters of a name: what equality and hashing compare.
fn folded(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().flat_map(char::to_lowercase)
}

/// Whether two names are one name to Microsoft: their case-folded characters are the same.
/// ASCII text (nearly every name) is compared without decoding characters.
fn same_folded(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        folded(a).eq(folded(b))
    }
}

/// Writes `text` case folded (as [`Upn`] and [`MailNickname`] compare it) into `out`, which is
/// cleared first: a key two names share exactly when they are one name.
pub(crate) fn fold_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
    } else {
        out.extend(folded(text));
    }
}

/// Equality, hashing, display and conversions shared by both name types.
macro_rules! case_insensitive_name {
    ($name:ident) => {
        impl $name {
            /// The text as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, case folded: what Microsoft compares.
            pub fn folded(&self) -> String {
                folded(&self.0).collect()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                same_folded(&self.0, &other.0)
            }
        }

        impl Eq for $name {}

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                same_folded(&self.0, other)
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self == *other
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                for c in folded(&self.0) {
                    c.hash(state);
                }
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// A value as Microsoft gave it: taken as it is, not checked.
        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(text.into())
            }
        }

        /// A value as Microsoft gave it: taken as it is, not checked.
        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(text.into())
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0.to_string()
            }
        }
    };
}

/// A user principal name: `name@domain`, compared without regard to case.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Upn(SharedStr);

case_insensitive_name!(Upn);

impl Upn {
    /// Checks a UPN Tenure is about to give an account: one `@`, a name of at most
    /// [`MAX_LOCAL_PART`] characters from Microsoft's set (letters, digits, `' . - _ ! # ^ ~`, no
    /// period at either end or doubled), a domain of letters, digits, `.` and `-`.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let Some((name, domain)) = text.split_once('@') else {
            return Err(NameError::NotNameAtDomain {
                given: text.to_owned(),
            });
        };
        if domain.is_empty() || domain.contains('@') {
            return Err(NameError::NotNameAtDomain {
                given: text.to_owned(),
            });
        }
        check_name(text, name, "name")?;
        check_domain(text, domain)?;
        Ok(Self(text.into()))
    }

    /// A UPN read from a directory snapshot, kept once with the same text read before it
    /// (the user's `mail`, the mailbox's owner): see [`crate::interned`].
    pub(crate) fn shared<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        crate::interned::text(deserializer).map(Self)
    }

    /// The part before the `@` (all of it if there is none).
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(name, _)| name)
    }

    /// The part after the `@` (empty if there is none).
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }
}

/// A mail nickname (`mailNickname`, Exchange's alias), compared without regard to case.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MailNickname(SharedStr);

case_insensitive_name!(MailNickname);

impl MailNickname {
    /// Checks a nickname Tenure is about to give an account: at most [`MAX_LOCAL_PART`]
    /// characters from the same set as a UPN's name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        check_name(text, text, "mail nickname")?;
        Ok(Self(text.into()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_differing_only_in_case_are_one_name() {
        let set: HashSet<Upn> = ["Jane.Doe@Contoso.com", "jane.doe@contoso.com"]
            .into_iter()
            .map(Upn::from)
            .collect();
        assert_eq!(set.len(), 1);
        assert!(set.contains(&Upn::from("JANE.DOE@CONTOSO.COM")));
        assert_eq!(MailNickname::from("JDoe"), "jdoe");
        assert_ne!(Upn::from("jane@contoso.com"), "jane2@contoso.com");
    }

    #[test]
    fn folding_is_the_same_for_ascii_and_other_text() {
        // U+212A KELVIN SIGN folds to an ASCII 'k': the ASCII shortcut must not miss it.
        assert_eq!(Upn::from("\u{212A}im@contoso.com"), "KIM@contoso.com");
        assert_ne!(Upn::from("Jürgen@contoso.com"), "jurgen@contoso.com");
        let mut key = String::from("left over");
        fold_into("\u{212A}im@Contoso.com", &mut key);
        assert_eq!(key, "kim@contoso.com");
        fold_into("JÜRGEN", &mut key);
        assert_eq!(key, "jürgen");
    }

    #[test]
    fn the_text_keeps_its_case() {
        let upn = Upn::parse("Jane.Doe@Contoso.com").expect("a valid UPN");
        assert_eq!(upn.as_str(), "Jane.Doe@Contoso.com");
        assert_eq!(upn.folded(), "jane.doe@contoso.com");
        assert_eq!(
            (upn.local_part(), upn.domain()),
            ("Jane.Doe", "Contoso.com")
        );
        assert_eq!(
            serde_json::to_string(&upn).expect("a string serializes"),
            "\"Jane.Doe@Contoso.com\""
        );
    }

    #[test]
    fn parse_refuses_what_microsoft_refuses_and_says_why() {
        let refused = |text: &str| Upn::parse(text).expect_err(text).to_string();
        assert!(refused("jane.doe").contains("not of the form name@domain"));
        assert!(refused("a@b@contoso.com").contains("not of the form name@domain"));
        assert!(refused("@contoso.com").contains("empty name"));
        assert!(refused("jane doe@contoso.com").contains("' '"));
        assert!(refused("jürgen@contoso.com").contains("'ü'"));
        assert!(refused(".jane@contoso.com").contains("period"));
        assert!(refused("jane..doe@contoso.com").contains("period"));
        assert!(refused("jane@contoso_com").contains("domain"));
        let long = format!("{}@contoso.com", "a".repeat(65));
        assert!(refused(&long).contains("65 characters long; Microsoft allows at most 64"));
        assert!(Upn::parse("o'brien-smith_2@contoso.onmicrosoft.com").is_ok());
        assert!(MailNickname::parse("jane doe").is_err());
        assert!(MailNickname::parse("").is_err());
        assert!(MailNickname::parse("o'brien").is_ok());
    }
}
