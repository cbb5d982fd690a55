//! The deployment's settings for admin access: who its operators are, where admins of each
//! national cloud sign in, and where the deployment is reached from outside.

use crate::microsoft::{Endpoints, NationalCloud};
use crate::service::http::PublicUrl;

use super::{OidcVerifier, Operators};

/// Who may sign in where, and the ID-token checker with its caches. One per process.
#[derive(Debug)]
pub struct AdminAccess {
    /// Users who may manage every connection.
    pub operators: Operators,
    /// The login authority admins of each cloud sign in at: each cloud's own by default; the
    /// emulated tenant's for local use.
    pub authorities: Vec<(NationalCloud, String)>,
    /// Where the deployment is reached (cookies are `Secure` and `__Host-` over https, and
    /// `Origin` must be it); the Lambda functions learn it per request instead.
    pub public_url: Option<PublicUrl>,
    /// Checks ID tokens, caching each authority's keys.
    pub verifier: OidcVerifier,
}

impl Default for AdminAccess {
    fn default() -> Self {
        Self::new(Operators::none())
    }
}

impl AdminAccess {
    /// Every national cloud's own login authority, these operators, no public URL.
    pub fn new(operators: Operators) -> Self {
        Self {
            operators,
            authorities: NationalCloud::ALL
                .into_iter()
                .map(|cloud| (cloud, Endpoints::for_cloud(cloud).login))
                .collect(),
            public_url: None,
            verifier: OidcVerifier::new(),
        }
    }

    /// Admins of `cloud` sign in at `login` instead (the emulated tenant); other clouds are
    /// left as they are.
    #[must_use]
    pub fn with_authority(mut self, cloud: NationalCloud, login: &str) -> Self {
        self.authorities.retain(|(c, _)| *c != cloud);
        self.authorities
            .push((cloud, login.trim_end_matches('/').to_owned()));
        self
    }

    /// The deployment is reached at `url`.
    #[must_use]
    pub fn with_public_url(mut self, url: PublicUrl) -> Self {
        self.public_url = Some(url);
        self
    }

    /// Where admins of `cloud` sign in.
    pub fn authority(&self, cloud: NationalCloud) -> Option<&str> {
        self.authorities
            .iter()
            .find(|(c, _)| *c == cloud)
            .map(|(_, login)| login.as_str())
    }
}
