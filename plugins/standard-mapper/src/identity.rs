//! Candidate identities (user principal name and mail nickname) from the configured patterns: the
//! host tries them in order and keeps the first one that is free.

use std::borrow::Cow;

use crate::error::{in_words, is_are};
use crate::fields::push_decimal;
use crate::fold::fold;
use crate::template::{Placeholder, Segment, Template};
use crate::types::{Identity, Worker};

/// The longest local part (before the `@`) of a user principal name, and the longest mail nickname.
pub(crate) const MAX_LOCAL_PART: usize = 64;

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

/// The patterns of a configuration, compiled: each value the patterns use has a slot, so that a
/// worker's value is read and folded once however many patterns use it.
#[derive(Debug, Clone)]
pub(crate) struct IdentityPatterns {
    /// The distinct placeholders the patterns use, `{n}` aside.
    slots: Vec<Placeholder>,
    patterns: Vec<Vec<Piece>>,
    max_suffix: u16,
    domain: String,
}

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    /// A folded value, by its slot.
    Value(usize),
    Suffix,
}

/// Why a worker's value cannot go into a pattern.
enum Gap {
    Missing(Cow<'static, str>),
    /// The value folds to nothing; the description quotes it.
    Unusable(String),
}

/// The pattern that came closest to a candidate, to explain a worker who got none.
struct Closest {
    pattern: usize,
    gaps: usize,
}

impl IdentityPatterns {
    /// Compiles patterns parsed with `{n}` allowed and passed through [`check_pattern`].
    pub(crate) fn new(patterns: &[Template], max_suffix: u16, domain: String) -> Self {
        let mut slots: Vec<Placeholder> = Vec::new();
        let patterns = patterns
            .iter()
            .map(|pattern| {
                pattern
                    .segments()
                    .iter()
                    .map(|segment| match segment {
                        Segment::Literal(text) => Piece::Literal(text.clone()),
                        Segment::Placeholder(Placeholder::Suffix) => Piece::Suffix,
                        Segment::Placeholder(placeholder) => {
                            let slot = slots.iter().position(|p| p == placeholder);
                            Piece::Value(slot.unwrap_or_else(|| {
                                slots.push(placeholder.clone());
                                slots.len() - 1
                            }))
                        }
                    })
                    .collect()
            })
            .collect();
        Self {
            slots,
            patterns,
            max_suffix,
            domain,
        }
    }

    /// The ordered, distinct candidates for a worker, or why there are none.
    ///
    /// A pattern is skipped when the worker lacks one of its values or a value folds to nothing.
    /// A candidate longer than [`MAX_LOCAL_PART`] is given as it is: Tenure shortens it at a
    /// word boundary, keeping its number, and checks it is free as shortened (it knows the
    /// directory; the mapper does not).
    pub(crate) fn candidates(&self, worker: &Worker) -> Result<Vec<Identity>, String> {
        let values: Vec<Result<String, Gap>> = self
            .slots
            .iter()
            .map(|placeholder| folded(placeholder, worker))
            .collect();
        let mut identities: Vec<Identity> = Vec::new();
        let mut closest: Option<Closest> = None;
        for (index, pattern) in self.patterns.iter().enumerate() {
            let gaps = pattern
                .iter()
                .filter(|piece| matches!(piece, Piece::Value(slot) if values[*slot].is_err()))
                .count();
            if closest.as_ref().is_none_or(|c| gaps < c.gaps) {
                closest = Some(Closest {
                    pattern: index,
                    gaps,
                });
            }
            if gaps > 0 {
                continue;
            }
            // A pattern without {n} makes one candidate; the number it gets is never written.
            let numbers = if pattern.contains(&Piece::Suffix) {
                2..=self.max_suffix
            } else {
                0..=0
            };
            for n in numbers {
                let local = assemble(pattern, &values, n);
                if !identities.iter().any(|known| known.mail_nickname == local) {
                    let mut upn = String::with_capacity(local.len() + 1 + self.domain.len());
                    upn.push_str(&local);
                    upn.push('@');
                    upn.push_str(&self.domain);
                    identities.push(Identity {
                        user_principal_name: upn,
                        mail_nickname: local,
                    });
                }
            }
        }
        if identities.is_empty() {
            let reason = match closest {
                Some(closest) => explain(&self.patterns[closest.pattern], &values),
                None => "there are no identity patterns".into(),
            };
            return Err(format!(
                "no identity candidate could be made for worker {}: {reason}",
                worker.employee_id.trim()
            ));
        }
        Ok(identities)
    }
}

/// A worker's value for a placeholder, folded.
fn folded(placeholder: &Placeholder, worker: &Worker) -> Result<String, Gap> {
    let value = placeholder
        .value(worker)
        .ok_or_else(|| Gap::Missing(placeholder.describe()))?;
    let folded = fold(&value);
    if folded.is_empty() {
        return Err(Gap::Unusable(format!(
            "{} {value:?}",
            placeholder.describe()
        )));
    }
    Ok(folded)
}

/// Joins a pattern's pieces with `n` for `{n}`, tidying the dots on the way: never two in a row,
/// none at either end. Every value the pattern uses must be present.
fn assemble(pattern: &[Piece], values: &[Result<String, Gap>], n: u16) -> String {
    let mut local = String::with_capacity(MAX_LOCAL_PART);
    for piece in pattern {
        match piece {
            Piece::Literal(text) => {
                for c in text.chars() {
                    if c != '.' || !(local.is_empty() || local.ends_with('.')) {
                        local.push(c);
                    }
                }
            }
            // A folded value holds no dot, so it needs no tidying.
            Piece::Value(slot) => local.push_str(values[*slot].as_deref().unwrap_or_default()),
            Piece::Suffix => push_decimal(&mut local, u32::from(n), 1),
        }
    }
    if local.ends_with('.') {
        local.pop();
    }
    local
}

/// Why a pattern made no candidate: the values it lacks, or else the length of what it made.
fn explain(pattern: &[Piece], values: &[Result<String, Gap>]) -> String {
    let mut missing: Vec<&str> = Vec::new();
    let mut unusable: Vec<&str> = Vec::new();
    for piece in pattern {
        let (list, what) = match piece {
            Piece::Value(slot) => match &values[*slot] {
                Err(Gap::Missing(what)) => (&mut missing, what.as_ref()),
                Err(Gap::Unusable(what)) => (&mut unusable, what.as_str()),
                Ok(_) => continue,
            },
            Piece::Literal(_) | Piece::Suffix => continue,
        };
        if !list.contains(&what) {
            list.push(what);
        }
    }
    let mut reasons = Vec::new();
    if !missing.is_empty() {
        reasons.push(format!(
            "{} {} missing",
            in_words(&missing),
            is_are(&missing)
        ));
    }
    if !unusable.is_empty() {
        let verb = if unusable.len() == 1 { "has" } else { "have" };
        reasons.push(format!(
            "{} {verb} no letters or digits that fold to a-z or 0-9",
            in_words(&unusable)
        ));
    }
    if reasons.is_empty() {
        reasons.push("the patterns make no candidate".to_owned());
    }
    reasons.join("; ")
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
            &templates,
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
    fn candidates_longer_than_64_characters_are_left_for_tenure_to_shorten() -> Result<(), String> {
        let long = "a".repeat(60);
        let standard = patterns(&["{first}.{last}", "{first_initial}.{last}"], 9)?;
        let candidates = standard.candidates(&named(Some(&long), None, Some("smith")))?;
        assert_eq!(
            nicknames(&candidates),
            [format!("{long}.smith").as_str(), "a.smith"]
        );
        assert!(candidates[0].mail_nickname.len() > MAX_LOCAL_PART);
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
                    prop_assert!(!local.is_empty());
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
