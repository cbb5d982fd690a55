//! How refusals are built and worded: a [`MappingError`] names the configuration path or HR field at
//! fault and says what is wrong in words an IT admin reads without the source at hand.

use crate::types::MappingError;

impl MappingError {
    /// A refusal pinned to a configuration path or an HR field.
    pub(crate) fn at(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A refusal of the whole thing, with no one place at fault.
    pub(crate) fn whole(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }
}

/// Lists things in words: `a`, `a and b`, `a, b and c`.
pub(crate) fn in_words<T: AsRef<str>>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

/// `is` or `are`, to agree with a list.
pub(crate) fn is_are<T>(items: &[T]) -> &'static str {
    if items.len() == 1 { "is" } else { "are" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(in_words::<&str>(&[]), "");
        assert_eq!(in_words(&["first name"]), "first name");
        assert_eq!(
            in_words(&["first name", "last name"]),
            "first name and last name"
        );
        assert_eq!(in_words(&["a", "b", "c"]), "a, b and c");
        assert_eq!(is_are(&["a"]), "is");
        assert_eq!(is_are(&["a", "b"]), "are");
    }
}
