//! Names as matching and identities see them: folding (accents, case, spelling) and
//! shortening to Microsoft's 64 characters, by property.

use proptest::prelude::*;
use std::collections::HashSet;
use tenure::correlate::{name_forms, same_name};

use tenure::names::{MailNickname, Upn};
use tenure::plan::{MAX_LOCAL_PART, shorten};

#[test]
fn names_spelt_with_and_without_accents_are_the_same() {
    assert!(same_name("Müller", "Mueller"));
    assert!(same_name("Müller", "Muller"));
    assert!(same_name("José", "JOSE"));
    assert!(same_name("Søren", "Soeren"));
    assert!(same_name("Mary Ann", "Maryann"));
    assert!(same_name("O'Brien-Smith", "obriensmith"));
    assert!(!same_name("Müller", "Miller"));
    assert!(
        name_forms("王").is_empty(),
        "another script folds to nothing"
    );
}

#[test]
fn a_long_name_is_cut_at_a_word_boundary_and_keeps_its_number() {
    let long = "bartolomeo-alexander.papadopoulos-konstantinidis-vanderbilt-montgomery";
    assert_eq!(long.len(), 70);
    assert_eq!(
        shorten(long, 64),
        "bartolomeo-alexander.papadopoulos-konstantinidis-vanderbilt"
    );
    assert_eq!(
        shorten(&format!("{long}7"), 64),
        "bartolomeo-alexander.papadopoulos-konstantinidis-vanderbilt7"
    );
    // No boundary near enough: cut where it must.
    let one_word = "a".repeat(80);
    assert_eq!(shorten(&one_word, 64), "a".repeat(64));
    assert_eq!(shorten("jane.doe", 64), "jane.doe");
}

fn accented() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÖØ-öø-ÿ' -]{1,24}"
}

fn local_part() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9._-]{0,110}"
}

proptest! {
    #[test]
    fn folding_ignores_case_and_is_stable(name in accented()) {
        prop_assert!(name_forms(&name).is_empty() || same_name(&name, &name.to_uppercase()));
        for form in name_forms(&name) {
            prop_assert!(form.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            prop_assert_eq!(name_forms(&form), vec![form.clone()], "a folded form folds to itself");
        }
    }

    #[test]
    fn accents_never_tell_two_names_apart(plain in "[a-z]{1,12}", at in 0usize..12) {
        // The same letter with a diaeresis, as a directory without accents would hold it.
        let at = at % plain.len();
        let accented: String = plain
            .chars()
            .enumerate()
            .map(|(i, c)| match (i == at, c) {
                (true, 'e') => 'ë',
                (true, 'i') => 'ï',
                (true, 'y') => 'ÿ',
                (_, c) => c,
            })
            .collect();
        prop_assert!(same_name(&accented, &plain));
    }

    #[test]
    fn shortened_names_fit_and_stay_names(local in local_part()) {
        let short = shorten(&local, MAX_LOCAL_PART);
        prop_assert!(short.chars().count() <= MAX_LOCAL_PART);
        if local.chars().count() <= MAX_LOCAL_PART {
            prop_assert_eq!(&short, &local);
        } else {
            prop_assert!(!short.is_empty());
            prop_assert!(!short.ends_with(['.', '-', '_']), "{}", short);
        }
    }

    #[test]
    fn numbered_candidates_stay_distinct_when_shortened(
        head in "[a-z]{5,20}(\\.[a-z]{5,20}){3,6}", a in 2u32..100, b in 2u32..100,
    ) {
        prop_assume!(a != b && head.len() > MAX_LOCAL_PART);
        let (first, second) = (
            shorten(&format!("{head}{a}"), MAX_LOCAL_PART),
            shorten(&format!("{head}{b}"), MAX_LOCAL_PART),
        );
        prop_assert!(first.ends_with(&a.to_string()), "{}", first);
        prop_assert_ne!(first, second);
    }
}

proptest! {
    #[test]
    fn a_upn_is_one_name_whatever_its_case(local in "[A-Za-z0-9]{1,20}", domain in "[A-Za-z]{1,12}[.]com") {
        let written = format!("{local}@{domain}");
        let names: HashSet<Upn> = [written.to_uppercase(), written.to_lowercase(), written.clone()]
            .into_iter()
            .map(Upn::from)
            .collect();
        prop_assert_eq!(names.len(), 1);
        let kept = Upn::parse(&written).expect("a plain name is a UPN");
        prop_assert_eq!(kept.as_str(), written.as_str(), "the case written is kept");
        prop_assert_eq!(MailNickname::from(local.to_uppercase()), MailNickname::from(local.to_lowercase()));
    }

    #[test]
    fn a_valid_name_shortened_is_still_a_valid_upn(local in "[a-z]([a-z0-9]|[._-][a-z0-9]){0,70}") {
        let short = shorten(&local, MAX_LOCAL_PART);
        prop_assert!(Upn::parse(&format!("{short}@contoso.com")).is_ok(), "{short}");
        prop_assert!(MailNickname::parse(&short).is_ok(), "{short}");
    }
}
