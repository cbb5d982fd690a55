//! First-day access through Graph: a Temporary Access Pass for the user (or, where the cloud
//! offers none or the connection may not make one, a new first password), mailed from the
//! connection's sender mailbox with the first-day template. The secret exists only in memory,
//! as a [`SecretString`], until it is in the mail.

use secrecy::{ExposeSecret, SecretString};

use super::cloud::NationalCloud;
use super::error::ApiError;
use super::graph::{GraphClient, OutgoingMail, PassRequest};
use crate::apply::{Target, WriteError, Written, new_password};
use crate::notify::{FirstDayAccess, MailFormat, MailKind, NotificationSettings, Templates};
use crate::plan::{AccessRecipient, Op, RecipientRole};

/// What first-day access needs besides Graph.
#[derive(Debug, Clone)]
pub struct FirstDayMail {
    /// The mailbox it is sent from (UPN).
    pub sender: String,
    /// Lifetime, one-time use.
    pub access: FirstDayAccess,
    /// The templates.
    pub templates: Templates,
    /// Which body is sent.
    pub format: MailFormat,
    /// The connection's cloud: whether passes exist there.
    pub cloud: NationalCloud,
}

impl FirstDayMail {
    /// The connection's first-day mail, when its configuration turns first-day access on.
    pub fn from_settings(settings: &NotificationSettings, cloud: NationalCloud) -> Option<Self> {
        let access = settings.first_day()?;
        Some(Self {
            sender: settings.sender.clone()?,
            access: *access,
            templates: settings.templates.clone(),
            format: settings.format,
            cloud,
        })
    }
}

/// The way in that was made.
enum Secret {
    Pass { start: jiff::Timestamp },
    Password,
}

/// Whether Graph's refusal of a pass means "not here" (the cloud or tenant has none, the
/// connection may not make one), so a first password is the way in instead.
fn pass_unavailable(error: &ApiError) -> bool {
    matches!(error.status(), Some(400 | 403 | 404 | 501))
}

/// Makes the way in and mails it. `op` is an [`Op::DeliverFirstDayAccess`].
pub(super) async fn deliver(
    graph: &GraphClient,
    mail: &FirstDayMail,
    target: Target<'_>,
    op: &Op,
) -> Result<Written<()>, WriteError> {
    let Op::DeliverFirstDayAccess {
        start_date,
        worker,
        to,
        usable_from,
    } = op
    else {
        return Err(WriteError::Rejected {
            message: format!("{} is not first-day access", op.kind()),
            request_id: None,
        });
    };
    let start = (*usable_from).max(jiff::Timestamp::now());
    let (secret, way) = match access_pass(graph, mail, &target, start).await? {
        Some(made) => made,
        None => {
            let password = new_password();
            graph
                .set_password(target.user_id, &password)
                .await
                .map_err(super::writer::write_error)?;
            (password, Secret::Password)
        }
    };
    let letter = Letter {
        worker,
        to,
        start_date: start_date.to_string(),
        secret: &secret,
        way: &way,
    };
    let outgoing = letter.outgoing(mail, target.user_principal_name);
    let sent = graph
        .send_mail(&mail.sender, &outgoing)
        .await
        .map_err(|error| {
            let said = super::mailer::send_failure(&mail.sender, &error);
            match super::writer::write_error(error) {
                WriteError::Rejected { request_id, .. } => WriteError::Rejected {
                    message: said,
                    request_id,
                },
                other => other,
            }
        })?;
    Ok(Written {
        value: (),
        request_id: sent.request_id,
    })
}

/// A Temporary Access Pass usable from `start`, where the cloud offers them and the user may
/// have one; `None` when a first password must do instead.
async fn access_pass(
    graph: &GraphClient,
    mail: &FirstDayMail,
    target: &Target<'_>,
    start: jiff::Timestamp,
) -> Result<Option<(SecretString, Secret)>, WriteError> {
    if !mail.cloud.offers_access_passes() {
        return Ok(None);
    }
    let request = PassRequest {
        start,
        lifetime_minutes: mail.access.lifetime_minutes,
        usable_once: mail.access.usable_once,
    };
    match graph.create_access_pass(target.user_id, request).await {
        Ok(pass) => Ok(Some((
            pass.pass,
            Secret::Pass {
                start: pass.start.unwrap_or(start),
            },
        ))),
        Err(error) if pass_unavailable(&error) => {
            tracing::info!(
                employee_id = target.employee_id,
                %error,
                "no Temporary Access Pass for this user: a first password is mailed instead"
            );
            Ok(None)
        }
        Err(error) => Err(super::writer::write_error(error)),
    }
}

/// The first-day mail of one worker, before it is rendered.
struct Letter<'a> {
    worker: &'a str,
    to: &'a AccessRecipient,
    start_date: String,
    secret: &'a SecretString,
    way: &'a Secret,
}

impl Letter<'_> {
    /// The mail rendered from the connection's templates, the secret only in its body.
    fn outgoing(&self, mail: &FirstDayMail, upn: &str) -> OutgoingMail {
        let (kind, valid_from, usage) = match self.way {
            Secret::Pass { start } => (
                MailKind::FirstDay,
                start.to_string(),
                if mail.access.usable_once {
                    "for one sign-in"
                } else {
                    "for any number of sign-ins"
                },
            ),
            Secret::Password => (MailKind::FirstDayPassword, String::new(), ""),
        };
        let to = self.to;
        let manager = match to.role {
            RecipientRole::Manager => to.name.clone().unwrap_or_else(|| to.address.clone()),
            RecipientRole::PersonalEmail => self.worker.to_owned(),
        };
        let minutes = mail.access.lifetime_minutes.to_string();
        let rendered = mail.templates.get(kind).render(
            &[
                ("worker", self.worker),
                ("manager", &manager),
                ("upn", upn),
                ("start_date", &self.start_date),
                ("pass", self.secret.expose_secret()),
                ("valid_from", &valid_from),
                ("valid_minutes", &minutes),
                ("usage", usage),
            ],
            &[],
        );
        let html = mail.format == MailFormat::Html;
        OutgoingMail {
            to: vec![to.address.clone()],
            subject: rendered.subject.clone(),
            html,
            body: SecretString::from(if html {
                rendered.html.clone()
            } else {
                rendered.text.clone()
            }),
        }
    }
}
