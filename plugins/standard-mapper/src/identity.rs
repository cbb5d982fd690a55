//! Candidate identities (user principal name and mail nickname) from the configured patterns: the
//! host tries them in order and keeps the first one that is free.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::error::{in_words, is_are};
use crate::fold::fold;
use crate::template::{Placeholder, Segment, Template};
use crate::types::{Identity, Worker};

/// The longest local part (before the `@`) of a user principal name, and the longest mail nickname.
pub(crate) const MAX_LOCAL_PART: usize = 64;

/// The patterns of a configuration, checked, with where they lead.
#[derive(Debug, Clone)]
pub(crate) struct IdentityPatterns {
    patterns: Vec<Template>,
    max_suffix: u16,
    domain: String,
}

/// Checks what a pattern may contain beyond being a template: a name to work from, at most one
/// `{n}`, and literal text that is already safe in a user principal name.
pub(crate) fn check_pattern(pattern: &Template) -> Result<(), String> {
    if !pattern.placeholders().any(|p| *p != Placeholder::Suffix) {
        return Err(
            "has no placeholder to take a name from; use ones such as {first} and {last}".into(),
        );
    }
    if pattern
        .placeholders()
        .filter(|p| **p == Placeholder::Suffix)
        .count()
        > 1
    {
        return Err("may use {n} only once".into());
    }
    for segment in pattern.segments() {
        if let Segment::Literal(text) = segment {
            let safe = |c: char| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
            };
            if !text.chars().all(safe) {
                return Err(format!(
                    "has the text {text:?} between placeholders, but only a-z, 0-9, '.', '-' and '_' may be used there"
                ));
            }
        }
    }
    Ok(())
}

/// A piece of a pattern once the worker's values are in: folded text, or the place of `{n}`.
enum Piece<'t> {
    Text(Cow<'t, str>),
    Suffix,
}

/// Why one pattern made nothing. A worker with no candidate at all is told about the pattern that
/// came closest, so that a missing middle name is not blamed when the last name is what is lacking.
#[derive(Default)]
struct Shortfall {
    missing: Vec<Cow<'static, str>>,
    unusable: Vec<String>,
    too_long: bool,
}

impl IdentityPatterns {
    /// Patterns already parsed with `{n}` allowed and passed through [`check_pattern`].
    pub(crate) fn new(patterns: Vec<Template>, max_suffix: u16, domain: String) -> Self {
        Self {
            patterns,
            max_suffix,
            domain,
        }
    }

    /// The ordered, distinct candidates for a worker, or why there are none.
    ///
    /// A pattern is skipped when the worker lacks one of its values, when a value folds to nothing,
    /// and (one candidate at a time) when the local part would exceed [`MAX_LOCAL_PART`].
    pub(crate) fn candidates(&self, worker: &Worker) -> Result<Vec<Identity>, String> {
        let mut identities: Vec<Identity> = Vec::new();
        let mut closest: Option<Shortfall> = None;
        let mut pieces = Vec::new();
        for pattern in &self.patterns {
            pieces.clear();
            let mut shortfall = Shortfall::default();
            if resolve(pattern, worker, &mut pieces, &mut shortfall) {
                let has_suffix = pieces.iter().any(|p| matches!(p, Piece::Suffix));
                // A pattern without {n} makes one candidate; the number it gets is never written.
                let numbers = if has_suffix {
                    2..=self.max_suffix
                } else {
                    0..=0
                };
                for n in numbers {
                    let local = assemble(&pieces, n);
                    if local.len() > MAX_LOCAL_PART {
                        shortfall.too_long = true;
                    } else if !identities.iter().any(|known| known.mail_nickname == local) {
                        identities.push(Identity {
                            user_principal_name: format!("{local}@{}", self.domain),
                            mail_nickname: local,
                        });
                    }
                }
            }
            if closest.as_ref().is_none_or(|c| shortfall.gaps() < c.gaps()) {
                closest = Some(shortfall);
            }
        }
        if identities.is_empty() {
            return Err(format!(
                "no identity candidate could be made for worker {}: {}",
                worker.employee_id.trim(),
                closest.unwrap_or_default().explain()
            ));
        }
        Ok(identities)
    }
}

/// Fills `pieces` for one pattern; `false` when the worker cannot fill it.
fn resolve<'t>(
    pattern: &'t Template,
    worker: &Worker,
    pieces: &mut Vec<Piece<'t>>,
    shortfall: &mut Shortfall,
) -> bool {
    let mut complete = true;
    for segment in pattern.segments() {
        match segment {
            Segment::Literal(text) => pieces.push(Piece::Text(Cow::Borrowed(text))),
            Segment::Placeholder(Placeholder::Suffix) => pieces.push(Piece::Suffix),
            Segment::Placeholder(placeholder) => match placeholder.value(worker) {
                None => {
                    note(&mut shortfall.missing, placeholder.describe());
                    complete = false;
                }
                Some(value) => {
                    let folded = fold(&value);
                    if folded.is_empty() {
                        note(
                            &mut shortfall.unusable,
                            format!("{} {value:?}", placeholder.describe()),
                        );
                        complete = false;
                    } else {
                        pieces.push(Piece::Text(Cow::Owned(folded)));
                    }
                }
            },
        }
    }
    complete
}

/// Joins the pieces with `n` for `{n}`, tidying the dots on the way: never two in a row, none at
/// either end.
fn assemble(pieces: &[Piece<'_>], n: u16) -> String {
    let mut local = String::with_capacity(MAX_LOCAL_PART);
    for piece in pieces {
        match piece {
            Piece::Text(text) => {
                for c in text.chars() {
                    if c != '.' || !(local.is_empty() || local.ends_with('.')) {
                        local.push(c);
                    }
                }
            }
            // Digits only: nothing to tidy. Writing to a String cannot fail.
            Piece::Suffix => {
                let _ = write!(local, "{n}");
            }
        }
    }
    if local.ends_with('.') {
        local.pop();
    }
    local
}

fn note<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl Shortfall {
    /// How many of the pattern's values the worker could not supply.
    fn gaps(&self) -> usize {
        self.missing.len() + self.unusable.len()
    }

    fn explain(&self) -> String {
        let mut reasons = Vec::new();
        if !self.missing.is_empty() {
            reasons.push(format!(
                "{} {} missing",
                in_words(&self.missing),
                is_are(&self.missing)
            ));
        }
        if !self.unusable.is_empty() {
            let verb = if self.unusable.len() == 1 {
                "has"
            } else {
                "have"
            };
            reasons.push(format!(
                "{} {verb} no letters or digits that fold to a-z or 0-9",
                in_words(&self.unusable)
            ));
        }
        if self.too_long {
            reasons.push(format!(
                "the candidates would be longer than {MAX_LOCAL_PART} characters"
            ));
        }
        if reasons.is_empty() {
            reasons.push("there are no identity patterns".into());
        }
        reasons.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::worker;
    use proptest::prelude::*;

    fn patterns(texts: &[&str], max_suffix: u16) -> Result<IdentityPatterns, String> {
        let mut templates = Vec::new();
        for text in texts {
            let template = Template::parse(text, true)?;
            check_pattern(&template)?;
            templates.push(template);
        }
        Ok(IdentityPatterns::new(
            templates,
            max_suffix,
            "contoso.com".into(),
        ))
    }

    fn named(first: Option<&str>, middle: Option<&str>, last: Option<&str>) -> Worker {
        let mut person = worker("1042");
        person.first_name = first.map(Into::into);
        person.middle_name = middle.map(Into::into);
        person.last_name = last.map(Into::into);
        person
    }

    fn nicknames(identities: &[Identity]) -> Vec<&str> {
        identities
            .iter()
            .map(|i| i.mail_nickname.as_str())
            .collect()
    }

    #[test]
    fn names_are_folded_into_candidates_in_pattern_order() -> Result<(), String> {
        let standard = patterns(
            &[
                "{first}.{last}",
                "{first}.{middle_initial}.{last}",
                "{first}.{last}{n}",
            ],
            3,
        )?;
        let jose = standard.candidates(&named(Some("José"), Some("Ángel"), Some("Müller")))?;
        assert_eq!(
            nicknames(&jose),
            [
                "jose.muller",
                "jose.a.muller",
                "jose.muller2",
                "jose.muller3"
            ]
        );
        assert_eq!(jose[0].user_principal_name, "jose.muller@contoso.com");
        let zoe = standard.candidates(&named(Some("Zoë"), None, Some("O'Brien-Smith")))?;
        assert_eq!(
            nicknames(&zoe),
            ["zoe.obrien-smith", "zoe.obrien-smith2", "zoe.obrien-smith3"]
        );
        Ok(())
    }

    #[test]
    fn the_preferred_name_leads() -> Result<(), String> {
        let mut bob = named(Some("Robert"), None, Some("Smith"));
        bob.preferred_name = Some("Bob".into());
        let candidates =
            patterns(&["{first}.{last}", "{legal_first}.{last}"], 9)?.candidates(&bob)?;
        assert_eq!(nicknames(&candidates), ["bob.smith", "robert.smith"]);
        Ok(())
    }

    #[test]
    fn duplicates_are_dropped() -> Result<(), String> {
        let candidates = patterns(
            &["{first}.{last}", "{legal_first}.{last}", "{first}.{last}"],
            9,
        )?
        .candidates(&named(Some("Ann"), None, Some("Lee")))?;
        assert_eq!(nicknames(&candidates), ["ann.lee"]);
        Ok(())
    }

    #[test]
    fn dots_are_tidied() -> Result<(), String> {
        let candidates = patterns(&[".{first}..{last}."], 9)?.candidates(&named(
            Some("Ann"),
            None,
            Some("Lee"),
        ))?;
        assert_eq!(nicknames(&candidates), ["ann.lee"]);
        Ok(())
    }

    #[test]
    fn a_worker_without_names_is_refused_with_the_reason() -> Result<(), String> {
        let standard = patterns(&["{first}.{last}", "{first}.{middle_initial}.{last}"], 9)?;
        let error = standard
            .candidates(&named(None, None, None))
            .err()
            .unwrap_or_default();
        assert_eq!(
            error,
            "no identity candidate could be made for worker 1042: first name and last name are missing"
        );
        let error = standard
            .candidates(&named(Some("Li"), None, Some("王")))
            .err()
            .unwrap_or_default();
        assert_eq!(
            error,
            "no identity candidate could be made for worker 1042: \
             last name \"王\" has no letters or digits that fold to a-z or 0-9"
        );
        Ok(())
    }

    #[test]
    fn candidates_longer_than_64_characters_are_skipped() -> Result<(), String> {
        let long = "a".repeat(60);
        let standard = patterns(&["{first}.{last}", "{first_initial}.{last}"], 9)?;
        let candidates = standard.candidates(&named(Some(&long), None, Some("smith")))?;
        assert_eq!(nicknames(&candidates), ["a.smith"]);
        let error = patterns(&["{first}.{last}"], 9)?
            .candidates(&named(Some(&long), None, Some("smith")))
            .err()
            .unwrap_or_default();
        assert!(
            error.ends_with("the candidates would be longer than 64 characters"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn patterns_need_a_name_one_suffix_and_safe_text() -> Result<(), String> {
        let check = |text: &str| Template::parse(text, true).and_then(|t| check_pattern(&t));
        assert!(check("{n}").is_err_and(|e| e.contains("no placeholder to take a name from")));
        assert!(check("{first}{n}{n}").is_err_and(|e| e.contains("{n} only once")));
        assert!(check("{first} {last}").is_err_and(|e| e.contains("the text \" \"")));
        assert!(check("{first}.{last}.EXT").is_err());
        check("{first}_{last}.ext{n}")?;
        Ok(())
    }

    fn name() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            1 => Just(None),
            4 => "[A-Za-zÀ-ÿ' .-]{0,20}".prop_map(Some),
            1 => any::<String>().prop_map(Some),
        ]
    }

    proptest! {
        #[test]
        fn candidates_are_distinct_well_formed_and_at_the_domain(
            first in name(), middle in name(), last in name(), max_suffix in 2u16..20,
        ) {
            let standard = patterns(
                &["{first}.{last}", "{first}.{middle_initial}.{last}", "{first_initial}{last}", "{first}.{last}{n}"],
                max_suffix,
            ).map_err(TestCaseError::fail)?;
            let person = named(first.as_deref(), middle.as_deref(), last.as_deref());
            if let Ok(candidates) = standard.candidates(&person) {
                prop_assert!(!candidates.is_empty());
                let mut seen = std::collections::HashSet::new();
                for identity in &candidates {
                    let local = &identity.mail_nickname;
                    prop_assert!(seen.insert(local.clone()), "{} twice", local);
                    prop_assert_eq!(&identity.user_principal_name, &format!("{local}@contoso.com"));
                    prop_assert!(!local.is_empty() && local.len() <= MAX_LOCAL_PART);
                    prop_assert!(local.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'));
                    prop_assert!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
                }
            }
        }

        #[test]
        fn a_worker_with_latin_names_always_gets_a_candidate(
            first in "[A-Za-zÀ-ÖØ-öø-ÿ]{1,20}", last in "[A-Za-zÀ-ÖØ-öø-ÿ]{1,20}",
        ) {
            let standard = patterns(&["{first}.{last}", "{first}.{last}{n}"], 9).map_err(TestCaseError::fail)?;
            let candidates = standard.candidates(&named(Some(&first), None, Some(&last)));
            prop_assert_eq!(candidates.map(|c| c.len()).ok(), Some(9));
        }
    }
}
