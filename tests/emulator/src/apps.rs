//! App registrations the tenant knows: how each app proves who it is, where its sign-ins may
//! return, whether it is multi-tenant and consented, and what an app or user may do in Exchange.

use secrecy::SecretString;

/// An app registration.
#[derive(Debug)]
pub struct RegisteredClient {
    /// The application (client) id.
    pub client_id: String,
    /// How the app proves who it is.
    pub credential: ClientCredential,
    /// The redirect URIs sign-ins and admin consent may return to, compared character for
    /// character (Microsoft's one exception: the port of an `http://localhost` URI is ignored).
    pub redirect_uris: Vec<String>,
    /// A multi-tenant app registered in another tenant (Tenure's app): it has no service
    /// principal here until someone consents, so until then it cannot get tokens by client
    /// credentials (`AADSTS700016`).
    pub multi_tenant: bool,
    /// Whether an admin (or a signed-in user on the consent page) has consented to the app in
    /// this tenant. Apps registered in the tenant itself start consented.
    pub consented: bool,
    /// Whether the app's application permissions are granted: without them Graph answers its
    /// app-only calls with `403 Authorization_RequestDenied`.
    pub permissions_granted: bool,
    /// Application permissions left out of an otherwise granted set (such as `Mail.Send`):
    /// the calls that need one of them are refused as Microsoft refuses them.
    pub withheld_permissions: Vec<String>,
}

/// An app's credential.
#[derive(Debug)]
pub enum ClientCredential {
    /// A client secret, compared with `client_secret`.
    Secret(SecretString),
    /// A certificate or RSA public key in PEM; a `client_assertion` JWT must be signed with its
    /// private key (RS256 or PS256).
    Certificate(String),
    /// None: a public client (desktop, mobile), which must not send a credential.
    Public,
}

impl RegisteredClient {
    fn new(client_id: &str, credential: ClientCredential) -> Self {
        Self {
            client_id: client_id.to_owned(),
            credential,
            redirect_uris: Vec::new(),
            multi_tenant: false,
            consented: true,
            permissions_granted: true,
            withheld_permissions: Vec::new(),
        }
    }

    /// An app of this tenant with a client secret, consented, its permissions granted.
    pub fn with_secret(client_id: &str, secret: &str) -> Self {
        Self::new(
            client_id,
            ClientCredential::Secret(SecretString::from(secret.to_owned())),
        )
    }

    /// An app of this tenant with a certificate (or RSA public key) in PEM.
    pub fn with_certificate(client_id: &str, pem: &str) -> Self {
        Self::new(client_id, ClientCredential::Certificate(pem.to_owned()))
    }

    /// A public client of this tenant (no credential).
    pub fn public(client_id: &str) -> Self {
        Self::new(client_id, ClientCredential::Public)
    }

    /// Adds redirect URIs.
    #[must_use]
    pub fn redirect_uris(mut self, uris: &[&str]) -> Self {
        self.redirect_uris
            .extend(uris.iter().map(|u| (*u).to_owned()));
        self
    }

    /// Makes the app multi-tenant and registered elsewhere: not consented here, nothing granted.
    #[must_use]
    pub fn multi_tenant(mut self) -> Self {
        self.multi_tenant = true;
        self.consented = false;
        self.permissions_granted = false;
        self
    }

    /// Sets whether the app is consented in this tenant.
    #[must_use]
    pub fn consented(mut self, consented: bool) -> Self {
        self.consented = consented;
        if consented && self.multi_tenant {
            self.permissions_granted = true;
        }
        self
    }

    /// Leaves one permission (such as `Mail.Send` or `UserAuthenticationMethod.ReadWrite.All`)
    /// out of the app's granted set.
    #[must_use]
    pub fn without_permission(mut self, permission: &str) -> Self {
        self.withheld_permissions.push(permission.to_owned());
        self
    }

    /// Leaves the app's application permissions ungranted (Graph refuses its app-only calls).
    #[must_use]
    pub fn without_granted_permissions(mut self) -> Self {
        self.permissions_granted = false;
        self
    }
}

/// How sign-ins on `/authorize` and `/adminconsent` are answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SignIn {
    /// A sign-in and consent page (a form: user name, Accept, Cancel). The default.
    #[default]
    Interactive,
    /// At once, as if this user (a UPN of the tenant) signed in and accepted.
    Accept {
        /// The user who signs in.
        user: String,
    },
    /// At once, as if the user declined the consent.
    Decline,
}

/// What a caller (an app by client id, or a user by UPN) may run in Exchange Online.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExchangeRole {
    /// In a role group that allows every cmdlet the tenant serves. The default.
    #[default]
    Assigned,
    /// In no management role: every cmdlet is refused.
    Missing,
    /// In a role group without these cmdlets (for example `Add-DistributionGroupMember`).
    Without(Vec<String>),
}

impl ExchangeRole {
    /// Whether a cmdlet may be run.
    pub fn allows(&self, cmdlet: &str) -> bool {
        match self {
            Self::Assigned => true,
            Self::Missing => false,
            Self::Without(refused) => !refused.iter().any(|c| c.eq_ignore_ascii_case(cmdlet)),
        }
    }
}
