//! Why a connection could not be made or used: each message says what happened and what to do.

use crate::microsoft::{ApiError, CertificateError, TokenError};
use crate::store::connections::ConnectionError;
use crate::store::secrets::SecretError;

/// Why linking a connection through Tenure's app failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The connection is not one of Tenure's app.
    #[error("connection {connection} does not use Tenure's app, so it is not linked by signing in")]
    NotTenureApp {
        /// The connection.
        connection: String,
    },
    /// The callback came without `state`.
    #[error("the sign-in came back without a state: start linking again from Tenure")]
    MissingState,
    /// The `state` names no sign-in Tenure started (forged, or for another deployment).
    #[error(
        "the sign-in came back with a state Tenure did not issue: start linking again from Tenure"
    )]
    UnknownState,
    /// The sign-in link was older than ten minutes.
    #[error("the sign-in link expired (they last ten minutes): start linking again from Tenure")]
    ExpiredState,
    /// The callback was replayed.
    #[error(
        "this sign-in was already used; a sign-in link works once: start linking again from Tenure"
    )]
    ReusedState,
    /// The admin declined, or Microsoft refused the sign-in.
    #[error("{}", declined(error, description))]
    Declined {
        /// Microsoft's `error`.
        error: String,
        /// Microsoft's `error_description`.
        description: String,
    },
    /// An authorize callback without a code.
    #[error("Microsoft's answer carried no authorization code")]
    NoCode,
    /// An admin-consent callback without `admin_consent=True`.
    #[error("Microsoft's answer did not confirm the admin consent")]
    NoConsent,
    /// The admin consented in another tenant.
    #[error(
        "consent was given in tenant {consented}, but this connection is for tenant {expected}: sign in with an administrator of {expected}"
    )]
    WrongTenant {
        /// The connection's tenant.
        expected: String,
        /// The tenant the consent was given in.
        consented: String,
    },
    /// The sign-in was made by someone who is not an administrator of the tenant.
    #[error(
        "{user} signed in, but linking takes one of the administrator roles Global, Privileged \
         Role, Application or Cloud Application Administrator in tenant {tenant}: sign in with \
         an administrator"
    )]
    NotAdministrator {
        /// Who signed in (their sign-in name).
        user: String,
        /// The connection's tenant.
        tenant: String,
    },
    /// The tenant's consent did not let Tenure's app in with its own credential.
    #[error(
        "the tenant's administrator consented, but Tenure's app could not use the tenant with its own credential: {advice}"
    )]
    NotGranted {
        /// What Microsoft refused, as advice.
        advice: String,
    },
    /// Microsoft's answer had no ID token (`openid` was not granted).
    #[error("Microsoft's answer carried no ID token, so who signed in cannot be checked")]
    NoIdToken,
    /// The ID token of the sign-in was refused.
    #[error("the sign-in's ID token was refused: {0}")]
    IdToken(#[from] crate::auth::IdTokenError),
    /// Other links of the connection kept being started or finished while this one was kept.
    #[error("links of this connection kept changing while Tenure recorded this one: try again")]
    Contended,
    /// Microsoft gave no refresh token.
    #[error("Microsoft gave no refresh token: the offline_access permission was not granted")]
    NoRefreshToken,
    /// A URL of the connection or app is not valid.
    #[error("the {what} is not a valid URL: {message}")]
    BadUrl {
        /// Which.
        what: String,
        /// Why.
        message: String,
    },
    /// The code could not be redeemed.
    #[error("the sign-in could not be completed: {0}")]
    Token(#[from] TokenError),
    /// The secret store failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
}

fn declined(error: &str, description: &str) -> String {
    let code = description.split(':').next().unwrap_or_default();
    let what = match (error, code) {
        (_, "AADSTS65004") | ("access_denied", _) => {
            "the administrator declined to consent, so Tenure was not linked; link again and accept to connect the tenant"
        }
        ("consent_required", _) | (_, "AADSTS65001") => {
            "an administrator must consent to Tenure's permissions; ask a Global Administrator to link the tenant"
        }
        _ => "Microsoft refused the sign-in",
    };
    format!("{what} ({error}: {description})")
}

/// Why a connection to a customer's own app (or to Exchange) could not be created or proven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The certificate or key cannot be used.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// No token could be had.
    #[error("{advice}")]
    Token {
        /// What to do.
        advice: String,
        /// The cause.
        #[source]
        source: TokenError,
    },
    /// A token came, but Graph refused the first read.
    #[error("{advice}")]
    Api {
        /// What to do.
        advice: String,
        /// The cause.
        #[source]
        source: ApiError,
    },
    /// The connection's settings are incomplete.
    #[error("{0}")]
    Settings(String),
    /// The secret store failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// The connection store failed.
    #[error(transparent)]
    Connections(#[from] ConnectionError),
}
