//! `POST /users/{sender}/sendMail`: a message from a mailbox, HTML or text, to one or more
//! recipients; `202 Accepted`.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{GraphClient, Written, encode};
use crate::microsoft::error::ApiError;
use crate::microsoft::transport::Request;

/// A message to send. The body is a secret: it may hold a pass meant for its reader only, so
/// it never prints.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The recipients' addresses.
    pub to: Vec<String>,
    /// The subject.
    pub subject: String,
    /// `true`: the body is HTML; `false`: plain text.
    pub html: bool,
    /// The body.
    pub body: SecretString,
}

impl GraphClient {
    /// Sends a message from `sender`'s mailbox (needs `Mail.Send`), without keeping a copy in
    /// its Sent Items. Sent again on a 5xx: a second copy of a notice is better than none.
    pub async fn send_mail(&self, sender: &str, mail: &OutgoingMail) -> Result<Written, ApiError> {
        let recipients: Vec<_> = mail
            .to
            .iter()
            .map(|address| json!({"emailAddress": {"address": address}}))
            .collect();
        let body = json!({
            "message": {
                "subject": mail.subject,
                "body": {
                    "contentType": if mail.html { "HTML" } else { "Text" },
                    "content": mail.body.expose_secret(),
                },
                "toRecipients": recipients,
            },
            "saveToSentItems": false,
        });
        let request = Request::new(
            Method::POST,
            self.url(&format!("/users/{}/sendMail", encode(sender))),
            "POST /users/{id}/sendMail".into(),
        )
        .json(body)
        .idempotent(true);
        self.write(request).await
    }
}
