//! `staged`: an upload in two steps, for components larger than one request may carry (API
//! Gateway takes at most 10 MB; a JavaScript or Python plugin is 12–30 MiB).
//!
//! [`issue_upload_url`] records a ticket for so many bytes and gives a URL the bytes go to,
//! once: an S3 presigned `PUT` in AWS (the length and `If-None-Match: *` signed), or this
//! server's own `PUT` route where the object store has no such URLs ([`receive_upload`], for
//! `tenure serve`). [`complete_upload`] then runs on what arrived exactly what a direct
//! [`upload`](super::upload()) runs, and uses the ticket up.
//!
//! | key | what |
//! |---|---|
//! | `plugin-uploads/<connection>/<upload>.json` | the ticket: how many bytes, until when |
//! | `plugin-uploads/<connection>/<upload>.wasm` | the bytes, once they arrived |
//! | `plugin-uploads/<connection>/<upload>.done` | the claim of the one completion |

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::UploadError;
use super::activate::connection_must_exist;
use super::upload::UploadedVersion;
use crate::service::Services;
use crate::store::connections::ConnectionId;
use crate::store::objects::{Condition, ObjectError, ObjectKey};

/// How long an upload URL takes bytes.
pub const UPLOAD_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The ticket's format.
const TICKET_FORMAT: u32 = 1;

/// What an upload URL was issued for.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ticket {
    format: u32,
    bytes: u64,
    expires_at: Timestamp,
}

/// An upload URL, as issued.
#[derive(Debug)]
pub struct IssuedUpload {
    /// The upload's id: what [`complete_upload`] takes.
    pub upload: String,
    /// Where to `PUT` the bytes, when the object store gives such URLs (a credential until it
    /// expires); `None`: to this server's own route for the upload, with the caller's own
    /// credentials.
    pub url: Option<SecretString>,
    /// The headers the `PUT` must carry.
    pub headers: Vec<(String, String)>,
    /// How many bytes the `PUT` must carry.
    pub bytes: u64,
    /// Until when the URL takes them.
    pub expires_at: Timestamp,
}

impl IssuedUpload {
    /// The answer that hands the upload to its caller (the HTTP API's and the console's alike):
    /// its id, and a `PUT` of exactly `bytes` bytes with these headers before `expires_at`, to
    /// the store's URL or, when the store gives none, to `own_route`. It holds the URL, a
    /// credential: for the caller who asked, never for a log.
    pub fn ticket(&self, own_route: &str) -> serde_json::Value {
        let url = self.url.as_ref().map_or_else(
            || own_route.to_owned(),
            |url| url.expose_secret().to_owned(),
        );
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone().into()))
            .collect();
        serde_json::json!({
            "upload": self.upload,
            "method": "PUT",
            "url": url,
            "headers": headers,
            "bytes": self.bytes,
            "expires_at": self.expires_at,
        })
    }
}

/// Issues an upload URL for a component of `bytes` bytes for `connection`.
///
/// Refused: an unknown connection; no bytes, or more than the host's
/// [`max_wasm_bytes`](crate::plugin::SandboxLimits::max_wasm_bytes).
pub async fn issue_upload_url(
    services: &Services,
    connection: &ConnectionId,
    bytes: u64,
) -> Result<IssuedUpload, UploadError> {
    connection_must_exist(services, connection).await?;
    let limit = services.plugins.host().limits().max_wasm_bytes;
    if bytes == 0 {
        return Err(UploadError::EmptyUpload);
    }
    if bytes > limit as u64 {
        return Err(UploadError::TooLarge {
            bytes: usize::try_from(bytes).unwrap_or(usize::MAX),
            limit,
        });
    }
    let upload = Uuid::new_v4().to_string();
    let lifetime = SignedDuration::from_secs(UPLOAD_URL_LIFETIME.as_secs().cast_signed());
    let expires_at = services.clock.now() + lifetime;
    let ticket = Ticket {
        format: TICKET_FORMAT,
        bytes,
        expires_at,
    };
    let json = serde_json::to_vec(&ticket).map_err(|e| UploadError::Internal(e.to_string()))?;
    let keys = StagedKeys::new(connection, &upload)?;
    services
        .objects
        .put(&keys.ticket, json, Condition::Absent)
        .await?;
    let signed = services
        .objects
        .upload_url(&keys.bytes, bytes, UPLOAD_URL_LIFETIME)
        .await?;
    let (url, headers) = match signed {
        Some(signed) => (Some(signed.url), signed.headers),
        None => (None, Vec::new()),
    };
    Ok(IssuedUpload {
        upload,
        url,
        headers,
        bytes,
        expires_at,
    })
}

/// Takes the bytes of upload `upload` where the object store gives no upload URLs: exactly the
/// ticket's length, before it expires, once.
pub async fn receive_upload(
    services: &Services,
    connection: &ConnectionId,
    upload: &str,
    body: Vec<u8>,
) -> Result<(), UploadError> {
    let keys = StagedKeys::new(connection, upload)?;
    let ticket = read_ticket(services, connection, upload, &keys).await?;
    if services.clock.now() > ticket.expires_at {
        return Err(UploadError::UploadExpired {
            upload: upload.to_owned(),
            expired_at: ticket.expires_at,
        });
    }
    let got = body.len() as u64;
    if got != ticket.bytes {
        return Err(UploadError::UploadLength {
            expected: ticket.bytes,
            got,
        });
    }
    match services
        .objects
        .put(&keys.bytes, body, Condition::Absent)
        .await
    {
        Ok(_) => Ok(()),
        Err(ObjectError::Conflict { .. }) => Err(UploadError::UploadUsed {
            upload: upload.to_owned(),
        }),
        Err(error) => Err(error.into()),
    }
}

/// Checks, tries, stores and (with `activate`) activates what arrived for upload `upload`,
/// exactly as [`upload`](super::upload()) does with bytes in the request, and uses the ticket
/// up: whatever the outcome, the upload cannot be completed again.
pub async fn complete_upload(
    services: &Services,
    connection: &ConnectionId,
    upload: &str,
    activate: bool,
) -> Result<UploadedVersion, UploadError> {
    let keys = StagedKeys::new(connection, upload)?;
    let ticket = read_ticket(services, connection, upload, &keys).await?;
    let Some(size) = services.objects.size(&keys.bytes).await? else {
        if services.clock.now() > ticket.expires_at {
            keys.remove(services).await?;
            return Err(UploadError::UploadExpired {
                upload: upload.to_owned(),
                expired_at: ticket.expires_at,
            });
        }
        return Err(UploadError::NothingUploaded {
            upload: upload.to_owned(),
        });
    };
    match services
        .objects
        .put(&keys.claim, Vec::new(), Condition::Absent)
        .await
    {
        Ok(_) => {}
        Err(ObjectError::Conflict { .. }) => {
            return Err(UploadError::UploadUsed {
                upload: upload.to_owned(),
            });
        }
        Err(error) => return Err(error.into()),
    }
    let outcome = if size == ticket.bytes {
        match services.objects.get(&keys.bytes).await? {
            Some((wasm, _)) => super::upload(services, connection, &wasm, activate).await,
            None => Err(UploadError::NothingUploaded {
                upload: upload.to_owned(),
            }),
        }
    } else {
        Err(UploadError::UploadLength {
            expected: ticket.bytes,
            got: size,
        })
    };
    keys.remove(services).await?;
    outcome
}

async fn read_ticket(
    services: &Services,
    connection: &ConnectionId,
    upload: &str,
    keys: &StagedKeys,
) -> Result<Ticket, UploadError> {
    let unknown = || UploadError::UnknownUpload {
        connection: connection.clone(),
        upload: upload.to_owned(),
    };
    let (json, _) = services
        .objects
        .get(&keys.ticket)
        .await?
        .ok_or_else(unknown)?;
    let ticket: Ticket = serde_json::from_slice(&json).map_err(|_| unknown())?;
    if ticket.format != TICKET_FORMAT {
        return Err(unknown());
    }
    Ok(ticket)
}

/// The three objects of one upload.
struct StagedKeys {
    ticket: ObjectKey,
    bytes: ObjectKey,
    claim: ObjectKey,
}

impl StagedKeys {
    /// The keys of `upload`, which must be an upload id as issued (a UUID).
    fn new(connection: &ConnectionId, upload: &str) -> Result<Self, UploadError> {
        let unknown = || UploadError::UnknownUpload {
            connection: connection.clone(),
            upload: upload.chars().take(80).collect(),
        };
        let id = Uuid::try_parse(upload).map_err(|_| unknown())?;
        let key = |ending: &str| {
            ObjectKey::parse(&format!("plugin-uploads/{connection}/{id}.{ending}"))
                .map_err(|e| UploadError::Internal(e.to_string()))
        };
        Ok(Self {
            ticket: key("json")?,
            bytes: key("wasm")?,
            claim: key("done")?,
        })
    }

    async fn remove(&self, services: &Services) -> Result<(), UploadError> {
        for key in [&self.bytes, &self.ticket, &self.claim] {
            services.objects.delete(key).await?;
        }
        Ok(())
    }
}
