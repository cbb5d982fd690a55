//! The parsed configuration, kept between calls: the host sends the same configuration text with
//! every call and every batch, and parsing it once per instance keeps a worker to a few microseconds.

use std::cell::RefCell;
use std::rc::Rc;

use crate::config::Config;
use crate::types::MappingError;

/// The last configuration parsed, keyed by its text and the domains it was checked against.
struct Parsed {
    text: String,
    domains: Vec<String>,
    config: Rc<Result<Config, MappingError>>,
}

thread_local! {
    // A component instance runs one call at a time on one thread; one entry is all a host that keeps
    // an instance per plugin and configuration needs.
    static LAST: RefCell<Option<Parsed>> = const { RefCell::new(None) };
}

/// The configuration parsed from `text`, from the cache when the text and domains are unchanged.
/// A refusal is kept too, so that a bad configuration is not parsed again for every worker.
pub(crate) fn config(text: &str, domains: &[String]) -> Rc<Result<Config, MappingError>> {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some(parsed) = last.as_ref()
            && parsed.text == text
            && parsed.domains == domains
        {
            return Rc::clone(&parsed.config);
        }
        let config = Rc::new(Config::parse(text, domains));
        *last = Some(Parsed {
            text: text.to_owned(),
            domains: domains.to_vec(),
            config: Rc::clone(&config),
        });
        config
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"upn_domain": "contoso.com"}"#;

    #[test]
    fn the_same_text_and_domains_give_the_same_parse() {
        let domains = vec!["contoso.com".to_owned()];
        let first = config(CONFIG, &domains);
        let again = config(CONFIG, &domains);
        assert!(Rc::ptr_eq(&first, &again));
    }

    #[test]
    fn other_domains_parse_again() {
        let first = config(CONFIG, &["contoso.com".to_owned()]);
        let other = config(CONFIG, &["fabrikam.com".to_owned()]);
        assert!(first.is_ok());
        assert!(other.is_err());
    }
}
