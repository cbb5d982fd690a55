//! Mail templates: a subject, a plain-text body and an HTML body with `{placeholder}`s, checked
//! when the configuration is read and filled when a mail is made. Values put into the HTML
//! body are escaped; the pass goes only into the one template meant to carry it.

use serde::{Deserialize, Serialize};

use crate::html::escape_html;

/// What a mail is for; each has its own placeholders and a built-in template. Serialized as
/// its configuration name ([`MailKind::config_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// To the manager (or the worker's personal address): a new report starts, with the pass.
    FirstDay,
    /// The same, where a new password stands in for the pass.
    FirstDayPassword,
    /// To the manager: a report leaves, with the mailbox access they were given.
    Leaver,
    /// To the connection's admins: what needs them after a run.
    Digest,
}

impl MailKind {
    /// The placeholders the kind's templates may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Self::FirstDay | Self::FirstDayPassword => &[
                "worker",
                "manager",
                "upn",
                "start_date",
                "pass",
                "valid_from",
                "valid_minutes",
                "usage",
            ],
            Self::Leaver => &["worker", "manager", "upn", "mailbox_access"],
            Self::Digest => &["connection", "items", "count"],
        }
    }

    /// Whether the kind carries the one secret meant for its reader (and must).
    pub fn carries_secret(self) -> bool {
        matches!(self, Self::FirstDay | Self::FirstDayPassword)
    }

    /// The name in the configuration's `templates` object.
    pub fn config_name(self) -> &'static str {
        match self {
            Self::FirstDay => "first_day",
            Self::FirstDayPassword => "first_day_password",
            Self::Leaver => "leaver",
            Self::Digest => "digest",
        }
    }
}

/// A subject, a plain-text body and an HTML body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The subject line (plain text).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// A filled template: what `sendMail` sends (HTML, with the plain text kept for the log-free
/// preview and for tests).
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for RenderedMail {
    /// Only the subject: a body may carry a pass.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// The placeholders of a text, in order (`{name}` with a lower-case name).
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('{').filter_map(move |(start, _)| {
        let rest = &text[start + 1..];
        let end = rest.find('}')?;
        let name = &rest[..end];
        (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .then_some(name)
    })
}

impl Template {
    /// Checks the template for a kind: known placeholders only, and the pass in both bodies of
    /// the first-day mails and nowhere else (never in the subject, which mail clients show in
    /// lists and notifications).
    pub fn check(&self, kind: MailKind) -> Result<(), String> {
        for (part, text) in [
            ("subject", &self.subject),
            ("text", &self.text),
            ("html", &self.html),
        ] {
            for name in placeholders(text) {
                if !kind.placeholders().contains(&name) {
                    return Err(format!(
                        "{part}: unknown placeholder {{{name}}}; the placeholders are {}",
                        kind.placeholders()
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        if placeholders(&self.subject).any(|n| n == "pass") {
            return Err("subject: {pass} may not be in a subject".into());
        }
        if kind.carries_secret() {
            for (part, text) in [("text", &self.text), ("html", &self.html)] {
                if !placeholders(text).any(|n| n == "pass") {
                    return Err(format!(
                        "{part}: must contain {{pass}}, or the new worker cannot sign in"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Fills the template. `values` are (placeholder, text) pairs; a placeholder without a
    /// value becomes empty. In the HTML body values are escaped, except those named in `raw`
    /// (HTML the caller made itself from escaped parts).
    pub fn render(&self, values: &[(&str, &str)], raw: &[&str]) -> RenderedMail {
        let fill = |text: &str, html: bool| {
            let mut out = String::with_capacity(text.len());
            let mut rest = text;
            while let Some(start) = rest.find('{') {
                out.push_str(&rest[..start]);
                let after = &rest[start + 1..];
                let name = after.find('}').map(|end| &after[..end]).filter(|n| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                });
                match name {
                    Some(name) => {
                        let value = values
                            .iter()
                            .find(|(k, _)| *k == name)
                            .map_or("", |(_, v)| *v);
                        if html && !raw.contains(&name) {
                            out.push_str(&escape_html(value));
                        } else {
                            out.push_str(value);
                        }
                        rest = &after[name.len() + 1..];
                    }
                    None => {
                        out.push('{');
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            out
        };
        RenderedMail {
            subject: fill(&self.subject, false),
            text: fill(&self.text, false),
            html: fill(&self.html, true),
        }
    }

    /// The built-in template of a kind.
    pub fn built_in(kind: MailKind) -> Self {
        let (subject, text, html) = match kind {
            MailKind::FirstDay => (
                "{worker} starts today: how they sign in",
                "Hello {manager},\n\n{worker} starts today ({start_date}). Their account is {upn}.\n\nTheir Temporary Access Pass: {pass}\n\nIt works from {valid_from} for {valid_minutes} minutes, {usage}. Please give it to {worker} in person or by phone, not by forwarding this mail. They sign in at https://myaccount.microsoft.com with {upn} and the pass, then set up their own sign-in methods.\n\nThis mail was sent by Tenure.\n",
                "<p>Hello {manager},</p><p>{worker} starts today ({start_date}). Their account is <b>{upn}</b>.</p><p>Their Temporary Access Pass: <code>{pass}</code></p><p>It works from {valid_from} for {valid_minutes} minutes, {usage}. Please give it to {worker} in person or by phone, not by forwarding this mail. They sign in at https://myaccount.microsoft.com with {upn} and the pass, then set up their own sign-in methods.</p><p>This mail was sent by Tenure.</p>",
            ),
            MailKind::FirstDayPassword => (
                "{worker} starts today: how they sign in",
                "Hello {manager},\n\n{worker} starts today ({start_date}). Their account is {upn}.\n\nTheir first password: {pass}\n\nThey must change it when they first sign in. Please give it to {worker} in person or by phone, not by forwarding this mail.\n\nThis mail was sent by Tenure.\n",
                "<p>Hello {manager},</p><p>{worker} starts today ({start_date}). Their account is <b>{upn}</b>.</p><p>Their first password: <code>{pass}</code></p><p>They must change it when they first sign in. Please give it to {worker} in person or by phone, not by forwarding this mail.</p><p>This mail was sent by Tenure.</p>",
            ),
            MailKind::Leaver => (
                "{worker} has left",
                "Hello {manager},\n\n{worker} ({upn}) has left: their account is disabled. {mailbox_access}\n\nThis mail was sent by Tenure.\n",
                "<p>Hello {manager},</p><p>{worker} ({upn}) has left: their account is disabled. {mailbox_access}</p><p>This mail was sent by Tenure.</p>",
            ),
            MailKind::Digest => (
                "Tenure: {count} item(s) need you for {connection}",
                "These need an administrator of {connection}:\n\n{items}\nThis mail was sent by Tenure after its last run.\n",
                "<p>These need an administrator of {connection}:</p>{items}<p>This mail was sent by Tenure after its last run.</p>",
            ),
        };
        Self {
            subject: subject.to_owned(),
            text: text.to_owned(),
            html: html.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_stored_under_its_configuration_name() {
        for kind in [
            MailKind::FirstDay,
            MailKind::FirstDayPassword,
            MailKind::Leaver,
            MailKind::Digest,
        ] {
            let stored = serde_json::to_value(kind).unwrap_or_default();
            assert_eq!(stored, kind.config_name(), "{kind:?}");
            assert_eq!(serde_json::from_value::<MailKind>(stored).ok(), Some(kind));
        }
    }

    #[test]
    fn every_built_in_template_passes_its_own_check() {
        for kind in [
            MailKind::FirstDay,
            MailKind::FirstDayPassword,
            MailKind::Leaver,
            MailKind::Digest,
        ] {
            assert_eq!(Template::built_in(kind).check(kind), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn values_are_escaped_in_html_only_and_unknown_braces_stay() {
        let template = Template {
            subject: "{worker}".into(),
            text: "{worker} {x y}".into(),
            html: "<p>{worker}</p>{items}".into(),
        };
        let mail = template.render(
            &[("worker", "<Ann & Bo>"), ("items", "<ul></ul>")],
            &["items"],
        );
        assert_eq!(mail.subject, "<Ann & Bo>");
        assert_eq!(mail.text, "<Ann & Bo> {x y}");
        assert_eq!(mail.html, "<p>&lt;Ann &amp; Bo&gt;</p><ul></ul>");
    }

    #[test]
    fn a_pass_is_required_in_first_day_bodies_and_refused_elsewhere() {
        let mut template = Template::built_in(MailKind::FirstDay);
        template.html = "<p>no pass</p>".into();
        assert!(template.check(MailKind::FirstDay).is_err());
        let mut leaver = Template::built_in(MailKind::Leaver);
        leaver.text.push_str("{pass}");
        assert!(
            leaver
                .check(MailKind::Leaver)
                .is_err_and(|e| e.contains("unknown placeholder {pass}"))
        );
        let mut subject = Template::built_in(MailKind::FirstDay);
        subject.subject = "{pass}".into();
        assert!(subject.check(MailKind::FirstDay).is_err());
    }
}
