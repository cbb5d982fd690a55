//! An error and its causes as one line of text, each said once.
//!
//! Tenure's error messages name their cause (`cannot read HR file a.csv: No such file…`), so that
//! an answer or a log line built from one message says everything; they also return it as their
//! [`source`](std::error::Error::source), so that code can look at it. Walking the chain and
//! printing every message (as `{:#}` does) would then say each cause twice: [`error_text`] leaves
//! out a cause whose message the text already holds.

use std::error::Error;

/// `error` and its chain of causes, `: `-separated, skipping a cause already said.
pub fn error_text(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let message = next.to_string();
        if !message.is_empty() && !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = next.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read HR file a.csv: {0}")]
    struct Names(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("the run failed")]
    struct Silent(#[source] Names);

    #[test]
    fn a_cause_named_in_the_message_is_not_said_again() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(
            error_text(&Names(io)),
            "cannot read HR file a.csv: no such file"
        );
    }

    #[test]
    fn a_cause_the_message_leaves_out_is_added() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(
            error_text(&Silent(Names(io))),
            "the run failed: cannot read HR file a.csv: no such file"
        );
    }
}
