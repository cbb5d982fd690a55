//! Folding a name into the few characters a user principal name and a mail nickname can safely hold.
//!
//! "José Müller" becomes `jose` and `muller`, "Zoë O'Brien-Smith" `zoe` and `obrien-smith`: decomposed
//! (NFKD), accents dropped, lower case, a handful of letters that do not decompose spelled out, and
//! everything else outside `a-z`, `0-9` and `-` left out.

use unicode_normalization::char::decompose_compatible;

/// Folds one value to `[a-z0-9-]*`, with no hyphen at either end and never two in a row.
///
/// An empty answer means the value has nothing usable (a name written only in a script other than
/// Latin, say); callers treat it as missing.
pub(crate) fn fold(value: &str) -> String {
    let mut folded = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii() {
            push_folded(c.to_ascii_lowercase(), &mut folded);
        } else {
            // Decomposing one character at a time gives what NFKD gives, less the canonical
            // reordering of combining marks, which are dropped anyway: no mark is kept below.
            decompose_compatible(c, |part| {
                part.to_lowercase()
                    .for_each(|lower| push_folded(lower, &mut folded));
            });
        }
    }
    if folded.ends_with('-') {
        folded.pop();
    }
    folded
}

/// Appends what one lower-case character folds to. Accents and other combining marks, like every
/// character not listed, fold to nothing.
fn push_folded(lower: char, out: &mut String) {
    match lower {
        'a'..='z' | '0'..='9' => out.push(lower),
        // Hyphens join double-barrelled names; dashes that look like one count as one. None at
        // the start, never two in a row (the guard sends those to the catch-all below).
        '-' | '\u{2010}'..='\u{2014}' if !out.is_empty() && !out.ends_with('-') => out.push('-'),
        'ß' => out.push_str("ss"),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'ø' => out.push('o'),
        'đ' | 'ð' => out.push('d'),
        'ł' => out.push('l'),
        'þ' => out.push_str("th"),
        'ı' => out.push('i'),
        'ħ' => out.push('h'),
        'ŧ' => out.push('t'),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    /// Folding as the definition says it: NFKD of the whole value, then lower case and the rest.
    fn fold_by_definition(value: &str) -> String {
        let mut folded = String::new();
        for c in value.nfkd() {
            c.to_lowercase()
                .for_each(|lower| push_folded(lower, &mut folded));
        }
        if folded.ends_with('-') {
            folded.pop();
        }
        folded
    }

    #[test]
    fn accents_are_dropped_and_case_is_lowered() {
        assert_eq!(fold("José"), "jose");
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("ÅSA"), "asa");
        assert_eq!(fold("Françoise"), "francoise");
        assert_eq!(fold("Łukasz Żółć"), "lukaszzolc");
    }

    #[test]
    fn apostrophes_and_spaces_are_removed_and_hyphens_kept() {
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("O'Brien-Smith"), "obrien-smith");
        assert_eq!(fold("O’Brien"), "obrien");
        assert_eq!(fold("Mary Ann"), "maryann");
        assert_eq!(fold("de la Cruz"), "delacruz");
        assert_eq!(fold("Smith–Jones"), "smith-jones");
    }

    #[test]
    fn letters_that_do_not_decompose_are_spelled_out() {
        assert_eq!(fold("Strauß"), "strauss");
        assert_eq!(fold("Ærøskøbing"), "aeroskobing");
        assert_eq!(fold("Œuvre"), "oeuvre");
        assert_eq!(fold("Đorđe"), "dorde");
        assert_eq!(fold("Guðrún"), "gudrun");
        assert_eq!(fold("Þór"), "thor");
        assert_eq!(fold("Yıldız"), "yildiz");
    }

    #[test]
    fn compatibility_forms_are_folded() {
        assert_eq!(fold("Ｊａｎｅ"), "jane");
        assert_eq!(fold("ﬁona"), "fiona");
    }

    #[test]
    fn stray_hyphens_and_unusable_names_fold_away() {
        assert_eq!(fold("-Smith-"), "smith");
        assert_eq!(fold("Smith--Jones"), "smith-jones");
        assert_eq!(fold("王"), "");
        assert_eq!(fold("Ольга"), "");
        assert_eq!(fold("  "), "");
    }

    proptest! {
        #[test]
        fn folded_names_hold_only_safe_characters(value in any::<String>()) {
            let folded = fold(&value);
            prop_assert!(folded.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(!folded.starts_with('-') && !folded.ends_with('-'));
            prop_assert!(!folded.contains("--"));
        }

        #[test]
        fn folding_a_character_at_a_time_agrees_with_nfkd(value in any::<String>()) {
            prop_assert_eq!(fold(&value), fold_by_definition(&value));
        }

        #[test]
        fn folding_latin_text_agrees_with_nfkd(value in "[\\u{0}-\\u{024F}\\u{0300}-\\u{036F}\\u{1E00}-\\u{1EFF}]{0,30}") {
            prop_assert_eq!(fold(&value), fold_by_definition(&value));
        }

        #[test]
        fn folding_is_idempotent(value in any::<String>()) {
            let once = fold(&value);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn latin_names_keep_their_letters(value in "[A-Za-zÀ-ÖØ-öø-ÿ' -]{0,30}") {
            let letters = value.chars().filter(|c| c.is_alphabetic()).count();
            // Every Latin-1 letter folds to one or two ASCII letters, never to nothing.
            prop_assert!(fold(&value).chars().filter(char::is_ascii_lowercase).count() >= letters);
        }
    }
}
