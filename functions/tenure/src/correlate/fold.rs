//! Names folded for comparison: case, accents, spaces and punctuation do not count, and a
//! German or Nordic letter may be written either way ("Müller" = "Muller" = "Mueller").

use unicode_normalization::UnicodeNormalization;

/// The forms a name may have been written in, folded to `a-z0-9`: the accents dropped, and (when
/// it differs) the umlauts and Nordic letters spelt out (ä → ae, ö/ø/œ → oe, ü → ue, å → aa).
/// Empty when nothing is left (a name in another script).
pub fn name_forms(name: &str) -> Vec<String> {
    let plain = fold(name, false);
    let spelt = fold(name, true);
    match (plain.is_empty(), plain == spelt) {
        (true, _) => Vec::new(),
        (false, true) => vec![plain],
        (false, false) => vec![plain, spelt],
    }
}

/// Whether two names are the same once folded, in any of their forms.
pub fn same_name(a: &str, b: &str) -> bool {
    let b = name_forms(b);
    name_forms(a).iter().any(|form| b.contains(form))
}

fn fold(name: &str, spell_out: bool) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let spelt = match lower {
            'ä' | 'æ' if spell_out => Some("ae"),
            'ö' | 'ø' | 'œ' if spell_out => Some("oe"),
            'ü' if spell_out => Some("ue"),
            'å' if spell_out => Some("aa"),
            'ß' => Some("ss"),
            'æ' => Some("ae"),
            'œ' => Some("oe"),
            'ø' => Some("o"),
            'đ' | 'ð' => Some("d"),
            'ł' => Some("l"),
            'þ' => Some("th"),
            'ı' => Some("i"),
            'ħ' => Some("h"),
            'ŧ' => Some("t"),
            _ => None,
        };
        match spelt {
            Some(text) => out.push_str(text),
            None => out.extend(
                lower
                    .to_string()
                    .nfkd()
                    .filter(|d| d.is_ascii_alphanumeric())
                    .map(|d| d.to_ascii_lowercase()),
            ),
        }
    }
    out
}
