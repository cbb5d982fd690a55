//! What a tenant is started with: its directory, cloud, registered apps, sign-in mode, limits
//! and faults.

use std::time::Duration;

use tenure::directory::Snapshot;
use tenure::microsoft::NationalCloud;

use crate::apps::{ExchangeRole, RegisteredClient, SignIn};
use crate::faults::Faults;

/// The role template id of Global Administrator.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// The sample tenant's administrator (`samplesdata/directory.json`), who holds Global
/// Administrator when the tenant is started with [`TenantConfig::with_sample_roles`]; every
/// other user of the sample is a member without a directory role.
pub const SAMPLE_ADMIN: &str = "admin@contoso.onmicrosoft.com";

/// The tenant id used when the snapshot names none.
pub const DEFAULT_TENANT_ID: &str = "5f1c2b9e-7a43-4d2e-9c1b-3e8f6a0d4b21";

/// The settings of an emulated tenant.
#[derive(Debug)]
pub struct TenantConfig {
    /// The directory the tenant starts with. Its `tenant.id` is the tenant id (a default one is
    /// filled in when absent); its verified domains also name the tenant in URLs.
    pub snapshot: Snapshot,
    /// The registered apps.
    pub clients: Vec<RegisteredClient>,
    /// The national cloud the tenant lives in (default global): its Graph and Exchange hosts
    /// are the resources tokens are issued for; another cloud's are refused (`AADSTS500011`).
    pub cloud: NationalCloud,
    /// Resources whose scopes give a Graph token (default the cloud's Graph,
    /// `https://graph.microsoft.com`).
    pub graph_audiences: Vec<String>,
    /// Resources whose scopes give an Exchange token (default the cloud's Exchange,
    /// `https://outlook.office365.com`).
    pub exchange_audiences: Vec<String>,
    /// How long an access token lives (`expires_in`); default one hour.
    pub token_lifetime: Duration,
    /// How long an authorization code may be redeemed; default ten minutes.
    pub code_lifetime: Duration,
    /// How long a refresh token may go unused before it expires; default 90 days.
    pub refresh_token_lifetime: Duration,
    /// How sign-ins are answered: a page, or at once (tests).
    pub sign_in: SignIn,
    /// Microsoft's consent rules for permissions only an administrator can grant, with the
    /// admin consent workflow on: a user without a consenting role gets "Approval required"
    /// (and may not use admin consent) until the app's permissions are granted. Off by default:
    /// anyone may consent to anything, as in a lab tenant.
    pub admin_consent_workflow: bool,
    /// What callers (client ids or UPNs) may run in Exchange; anyone not named may run all.
    pub exchange_roles: Vec<(String, ExchangeRole)>,
    /// Directory roles (UPN, role template id): listed in `wids` of the user's ID tokens.
    pub directory_roles: Vec<(String, String)>,
    /// How long after `assignLicense` a user's mailbox appears; default zero.
    pub mailbox_delay: Duration,
    /// The throttling budget.
    pub limits: RateLimits,
    /// Faults injected from the start (they can be changed at runtime).
    pub faults: Faults,
    /// Seed of the generator that draws faults.
    pub seed: u64,
    /// The name of the tenant's initial domain, `<name>.onmicrosoft.com`, verified when the
    /// snapshot lists no domain (as every new tenant has it); default `emulated`.
    pub initial_domain_name: String,
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
    /// A tenant of the global cloud holding `snapshot`, with Microsoft's default limits, no
    /// faults, no apps and the interactive sign-in page.
    pub fn new(mut snapshot: Snapshot) -> Self {
        if snapshot.tenant.id.is_none() {
            snapshot.tenant.id = Some(DEFAULT_TENANT_ID.to_owned());
        }
        Self {
            snapshot,
            clients: Vec::new(),
            cloud: NationalCloud::Global,
            graph_audiences: Vec::new(),
            exchange_audiences: Vec::new(),
            token_lifetime: Duration::from_secs(3_599),
            code_lifetime: Duration::from_secs(600),
            refresh_token_lifetime: Duration::from_secs(90 * 24 * 3_600),
            sign_in: SignIn::Interactive,
            admin_consent_workflow: false,
            exchange_roles: Vec::new(),
            directory_roles: Vec::new(),
            mailbox_delay: Duration::ZERO,
            limits: RateLimits::default(),
            faults: Faults::default(),
            seed: 0,
            initial_domain_name: "emulated".to_owned(),
        }
        .in_cloud(NationalCloud::Global)
    }

    /// Puts the tenant in a national cloud: its Graph and Exchange hosts become the resources
    /// tokens are issued for.
    #[must_use]
    pub fn in_cloud(mut self, cloud: NationalCloud) -> Self {
        let hosts = cloud.hosts();
        self.cloud = cloud;
        self.graph_audiences = vec![format!("https://{}", hosts.graph)];
        self.exchange_audiences = vec![format!("https://{}", hosts.exchange)];
        self
    }

    /// Registers an app of this tenant with a client secret.
    #[must_use]
    pub fn with_client_secret(self, client_id: &str, secret: &str) -> Self {
        self.with_app(RegisteredClient::with_secret(client_id, secret))
    }

    /// Registers an app of this tenant with a certificate (or RSA public key) in PEM.
    #[must_use]
    pub fn with_client_certificate(self, client_id: &str, pem: &str) -> Self {
        self.with_app(RegisteredClient::with_certificate(client_id, pem))
    }

    /// Registers an app (see [`RegisteredClient`]'s builders: redirect URIs, multi-tenant,
    /// consent, granted permissions).
    #[must_use]
    pub fn with_app(mut self, app: RegisteredClient) -> Self {
        self.clients.push(app);
        self
    }

    /// Adds redirect URIs to a registered app.
    #[must_use]
    pub fn with_redirect_uris(mut self, client_id: &str, uris: &[&str]) -> Self {
        for app in self.clients.iter_mut().filter(|a| a.client_id == client_id) {
            app.redirect_uris
                .extend(uris.iter().map(|u| (*u).to_owned()));
        }
        self
    }

    /// Turns on Microsoft's consent rules for admin-only permissions and the admin consent
    /// workflow ([`TenantConfig::admin_consent_workflow`]).
    #[must_use]
    pub fn with_admin_consent_workflow(mut self) -> Self {
        self.admin_consent_workflow = true;
        self
    }

    /// Answers sign-ins at once as if `user` (a UPN of the tenant) signed in and accepted.
    #[must_use]
    pub fn with_auto_consent(mut self, user: &str) -> Self {
        self.sign_in = SignIn::Accept {
            user: user.to_owned(),
        };
        self
    }

    /// Answers sign-ins at once as if the user declined the consent.
    #[must_use]
    pub fn with_auto_decline(mut self) -> Self {
        self.sign_in = SignIn::Decline;
        self
    }

    /// Sets how long an authorization code may be redeemed.
    #[must_use]
    pub fn with_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.code_lifetime = lifetime;
        self
    }

    /// Sets how long a refresh token may go unused.
    #[must_use]
    pub fn with_refresh_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_token_lifetime = lifetime;
        self
    }

    /// Puts a caller (a client id for app-only tokens, a UPN for delegated ones) in no
    /// Exchange management role: every cmdlet is refused.
    #[must_use]
    pub fn without_exchange_role(self, principal: &str) -> Self {
        self.with_exchange_role(principal, ExchangeRole::Missing)
    }

    /// Sets what a caller (client id or UPN) may run in Exchange.
    #[must_use]
    pub fn with_exchange_role(mut self, principal: &str, role: ExchangeRole) -> Self {
        self.exchange_roles.push((principal.to_owned(), role));
        self
    }

    /// Gives a user (UPN) a directory role by template id (see [`GLOBAL_ADMINISTRATOR`]).
    #[must_use]
    pub fn with_directory_role(mut self, upn: &str, role_template_id: &str) -> Self {
        self.directory_roles
            .push((upn.to_owned(), role_template_id.to_owned()));
        self
    }

    /// The sample tenant's directory roles: [`SAMPLE_ADMIN`] is a Global Administrator.
    #[must_use]
    pub fn with_sample_roles(self) -> Self {
        self.with_directory_role(SAMPLE_ADMIN, GLOBAL_ADMINISTRATOR)
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

    /// Names the tenant's initial domain `<name>.onmicrosoft.com` (used when the snapshot lists
    /// no verified domain).
    #[must_use]
    pub fn with_initial_domain_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.initial_domain_name);
        self
    }
}
