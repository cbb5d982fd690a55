//! What a tenant is started with: its directory, registered apps, limits and faults.

use std::time::Duration;

use secrecy::SecretString;
use tenure::directory::Snapshot;

use crate::faults::Faults;

/// The tenant id used when the snapshot names none.
pub const DEFAULT_TENANT_ID: &str = "5f1c2b9e-7a43-4d2e-9c1b-3e8f6a0d4b21";

/// The settings of an emulated tenant.
#[derive(Debug)]
pub struct TenantConfig {
    /// The directory the tenant starts with. Its `tenant.id` is the tenant id (a default one is
    /// filled in when absent); its verified domains also name the tenant in URLs.
    pub snapshot: Snapshot,
    /// Apps that may get tokens with the client-credentials grant.
    pub clients: Vec<RegisteredClient>,
    /// Resources whose `/.default` scope gives a Graph token (default `https://graph.microsoft.com`).
    pub graph_audiences: Vec<String>,
    /// Resources whose `/.default` scope gives an Exchange token (default
    /// `https://outlook.office365.com`).
    pub exchange_audiences: Vec<String>,
    /// How long an access token lives (`expires_in`); default one hour.
    pub token_lifetime: Duration,
    /// How long after `assignLicense` a user's mailbox appears; default zero.
    pub mailbox_delay: Duration,
    /// The throttling budget.
    pub limits: RateLimits,
    /// Faults injected from the start (they can be changed at runtime).
    pub faults: Faults,
    /// Seed of the generator that draws faults.
    pub seed: u64,
}

/// An app registration.
#[derive(Debug)]
pub struct RegisteredClient {
    /// The application (client) id.
    pub client_id: String,
    /// How the app proves who it is.
    pub credential: ClientCredential,
}

/// An app's credential.
#[derive(Debug)]
pub enum ClientCredential {
    /// A client secret, compared with `client_secret`.
    Secret(SecretString),
    /// A certificate or RSA public key in PEM; a `client_assertion` JWT must be signed with its
    /// private key (RS256 or PS256).
    Certificate(String),
}

/// Throttling budgets, in fixed windows. The defaults are Microsoft's published identity limits
/// for a small tenant (3,500 resource units per 10 s; 3,000 writes per 150 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// The resource-unit window.
    pub window: Duration,
    /// Resource units per window: a user read costs 2, a members read 3, a write 1.
    pub resource_units: u32,
    /// The write window.
    pub write_window: Duration,
    /// Writes per write window.
    pub writes: u32,
    /// The Exchange window.
    pub exchange_window: Duration,
    /// Exchange `InvokeCommand` calls per Exchange window.
    pub exchange_requests: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(10),
            resource_units: 3_500,
            write_window: Duration::from_secs(150),
            writes: 3_000,
            exchange_window: Duration::from_secs(60),
            exchange_requests: 3_000,
        }
    }
}

impl TenantConfig {
    /// A tenant holding `snapshot`, with Microsoft's default limits, no faults and no apps.
    pub fn new(mut snapshot: Snapshot) -> Self {
        if snapshot.tenant.id.is_none() {
            snapshot.tenant.id = Some(DEFAULT_TENANT_ID.to_owned());
        }
        Self {
            snapshot,
            clients: Vec::new(),
            graph_audiences: vec!["https://graph.microsoft.com".to_owned()],
            exchange_audiences: vec!["https://outlook.office365.com".to_owned()],
            token_lifetime: Duration::from_secs(3_599),
            mailbox_delay: Duration::ZERO,
            limits: RateLimits::default(),
            faults: Faults::default(),
            seed: 0,
        }
    }

    /// Registers an app with a client secret.
    #[must_use]
    pub fn with_client_secret(mut self, client_id: &str, secret: &str) -> Self {
        self.clients.push(RegisteredClient {
            client_id: client_id.to_owned(),
            credential: ClientCredential::Secret(SecretString::from(secret.to_owned())),
        });
        self
    }

    /// Registers an app with a certificate (or RSA public key) in PEM.
    #[must_use]
    pub fn with_client_certificate(mut self, client_id: &str, pem: &str) -> Self {
        self.clients.push(RegisteredClient {
            client_id: client_id.to_owned(),
            credential: ClientCredential::Certificate(pem.to_owned()),
        });
        self
    }

    /// Sets the mailbox delay.
    #[must_use]
    pub fn with_mailbox_delay(mut self, delay: Duration) -> Self {
        self.mailbox_delay = delay;
        self
    }

    /// Sets the throttling budget.
    #[must_use]
    pub fn with_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the faults injected from the start and the seed they are drawn with.
    #[must_use]
    pub fn with_faults(mut self, faults: Faults, seed: u64) -> Self {
        self.faults = faults;
        self.seed = seed;
        self
    }
}
