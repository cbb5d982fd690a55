//! What the login service remembers between requests: each app's consent and granted
//! permissions, sign-ins waiting on the page, authorization codes, refresh tokens, the
//! Exchange roles of callers, and how sign-ins are answered. Codes and refresh tokens are
//! secrets: they are kept here and handed to the app, never logged.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::approval::{ApprovalWait, ConsentRequest as UserConsentRequest, RequestStatus};
use super::authorize::AuthorizeRequest;
use super::consent::ConsentRequest;
use super::scopes::Scope;
use crate::apps::{ExchangeRole, RegisteredClient, SignIn};
use crate::config::TenantConfig;

/// Whether an app is consented in the tenant and its application permissions granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Standing {
    pub(crate) consented: bool,
    pub(crate) permissions_granted: bool,
}

/// An authorization code waiting to be redeemed.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    /// The redirect URI of the authorize request, as sent: redemption must send it again.
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
    pub(crate) scopes: Vec<Scope>,
    /// The authorize request's `nonce`, for the ID token.
    pub(crate) nonce: Option<String>,
    pub(crate) expires_at: Instant,
    pub(crate) redeemed: bool,
}

/// A refresh token's grant.
#[derive(Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<Scope>,
    pub(crate) issued_at: jiff::Timestamp,
    pub(crate) expires_at: Instant,
    /// When its user's or app's sessions were revoked (`TokensValidFrom`).
    pub(crate) revoked_at: Option<jiff::Timestamp>,
}

/// A refresh token the tenant issued, without the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenInfo {
    /// The app it was issued to.
    pub client_id: String,
    /// The user's object id.
    pub user_id: String,
    /// Whether it was revoked.
    pub revoked: bool,
    /// Whether it expired.
    pub expired: bool,
}

/// A sign-in shown on the page, waiting for the form.
#[derive(Debug, Clone)]
pub(crate) enum Pending {
    Authorize(AuthorizeRequest),
    AdminConsent(ConsentRequest),
    /// On the "Approval required" page.
    Approval(ApprovalWait),
}

/// The login service's memory.
#[derive(Debug)]
pub(crate) struct Ledger {
    pub(crate) sign_in: SignIn,
    /// Whether admin-only permissions need an administrator (and users may ask one).
    pub(crate) admin_consent_workflow: bool,
    pub(crate) code_lifetime: Duration,
    refresh_lifetime: Duration,
    apps: HashMap<String, Standing>,
    codes: HashMap<String, Code>,
    refresh: HashMap<String, RefreshGrant>,
    pending: HashMap<String, Pending>,
    exchange: HashMap<String, ExchangeRole>,
    /// Permissions left out of each app's granted set, by client id.
    withheld: HashMap<String, Vec<String>>,
    /// Users' requests for admin consent, oldest first.
    consent_requests: Vec<UserConsentRequest>,
    /// Certificates uploaded to each app (PEM), by client id, besides its configured credential.
    certificates: HashMap<String, Vec<String>>,
}

/// A new opaque secret (a code, a refresh token, a page context): 48 random bytes, base64url.
fn opaque(prefix: &str) -> String {
    let bytes: Vec<u8> = (0..3)
        .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
        .collect();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

impl Ledger {
    /// The ledger of a tenant as configured.
    pub(crate) fn new(config: &TenantConfig, clients: &[RegisteredClient]) -> Self {
        Self {
            sign_in: config.sign_in.clone(),
            admin_consent_workflow: config.admin_consent_workflow,
            code_lifetime: config.code_lifetime,
            refresh_lifetime: config.refresh_token_lifetime,
            apps: clients
                .iter()
                .map(|c| {
                    let standing = Standing {
                        consented: c.consented,
                        permissions_granted: c.permissions_granted,
                    };
                    (c.client_id.clone(), standing)
                })
                .collect(),
            codes: HashMap::new(),
            refresh: HashMap::new(),
            pending: HashMap::new(),
            exchange: config
                .exchange_roles
                .iter()
                .map(|(p, r)| (p.to_ascii_lowercase(), r.clone()))
                .collect(),
            withheld: clients
                .iter()
                .map(|c| (c.client_id.clone(), c.withheld_permissions.clone()))
                .collect(),
            consent_requests: Vec::new(),
            certificates: HashMap::new(),
        }
    }

    /// Adds a certificate (PEM) to an app's credentials.
    pub(crate) fn add_certificate(&mut self, client_id: &str, pem: String) {
        self.certificates
            .entry(client_id.to_owned())
            .or_default()
            .push(pem);
    }

    /// The certificates uploaded to an app, oldest first.
    pub(crate) fn uploaded_certificates(&self, client_id: &str) -> Vec<String> {
        self.certificates
            .get(client_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether an app's granted set includes a permission (its permissions are granted and
    /// this one was not left out).
    pub(crate) fn grants(&self, client_id: &str, permission: &str) -> bool {
        let withheld = self
            .withheld
            .get(client_id)
            .is_some_and(|w| w.iter().any(|p| p.eq_ignore_ascii_case(permission)));
        !withheld
    }

    /// Leaves a permission out of an app's granted set, or puts it back.
    pub(crate) fn set_grant(&mut self, client_id: &str, permission: &str, granted: bool) {
        let withheld = self.withheld.entry(client_id.to_owned()).or_default();
        withheld.retain(|p| !p.eq_ignore_ascii_case(permission));
        if !granted {
            withheld.push(permission.to_owned());
        }
    }

    /// An app's standing (an unknown app: not consented, nothing granted).
    pub(crate) fn standing(&self, client_id: &str) -> Standing {
        self.apps.get(client_id).copied().unwrap_or(Standing {
            consented: false,
            permissions_granted: false,
        })
    }

    /// Changes an app's standing.
    pub(crate) fn set_standing(&mut self, client_id: &str, change: impl FnOnce(&mut Standing)) {
        if let Some(standing) = self.apps.get_mut(client_id) {
            change(standing);
        }
    }

    /// Keeps a sign-in for the page; returns its context id.
    pub(crate) fn remember(&mut self, pending: Pending) -> String {
        let context = opaque("");
        self.pending.insert(context.clone(), pending);
        context
    }

    /// A sign-in on the page, by context id.
    pub(crate) fn pending(&self, context: &str) -> Option<Pending> {
        self.pending.get(context).cloned()
    }

    /// Replaces what a page context waits on.
    pub(crate) fn replace_pending(&mut self, context: &str, pending: Pending) {
        self.pending.insert(context.to_owned(), pending);
    }

    /// Keeps a user's request for admin consent.
    pub(crate) fn add_consent_request(&mut self, request: UserConsentRequest) {
        self.consent_requests.push(request);
    }

    /// Every request for admin consent, oldest first.
    pub(crate) fn consent_requests(&self) -> Vec<UserConsentRequest> {
        self.consent_requests.clone()
    }

    /// Marks one request approved or denied by `by`.
    pub(crate) fn decide_consent_request(&mut self, id: &str, by: &str, status: RequestStatus) {
        for request in self.consent_requests.iter_mut().filter(|r| r.id == id) {
            request.status = status;
            request.reviewed = Some((by.to_owned(), jiff::Timestamp::now()));
        }
    }

    /// Marks every open request for an app decided by `by` (admin consent answers them all).
    pub(crate) fn close_consent_requests(
        &mut self,
        client_id: &str,
        by: &str,
        status: RequestStatus,
    ) {
        let open = self
            .consent_requests
            .iter_mut()
            .filter(|r| r.client_id == client_id && r.status == RequestStatus::InProgress);
        for request in open {
            request.status = status;
            request.reviewed = Some((by.to_owned(), jiff::Timestamp::now()));
        }
    }

    /// Forgets a sign-in once the form answered it.
    pub(crate) fn forget(&mut self, context: &str) {
        self.pending.remove(context);
    }

    /// Issues an authorization code.
    pub(crate) fn issue_code(&mut self, code: Code) -> String {
        let text = opaque("1.A");
        self.codes.insert(text.clone(), code);
        text
    }

    /// A code, to redeem.
    pub(crate) fn code(&mut self, text: &str) -> Option<&mut Code> {
        self.codes.get_mut(text)
    }

    /// Issues a refresh token.
    pub(crate) fn issue_refresh(
        &mut self,
        client_id: &str,
        user_id: &str,
        scopes: &[Scope],
    ) -> String {
        let text = opaque("0.A");
        self.refresh.insert(
            text.clone(),
            RefreshGrant {
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                scopes: scopes.to_vec(),
                issued_at: jiff::Timestamp::now(),
                expires_at: Instant::now() + self.refresh_lifetime,
                revoked_at: None,
            },
        );
        text
    }

    /// A refresh token's grant.
    pub(crate) fn refresh(&self, text: &str) -> Option<&RefreshGrant> {
        self.refresh.get(text)
    }

    /// Revokes the refresh tokens issued to a user (by object id) or an app (by client id).
    pub(crate) fn revoke(&mut self, user_id: Option<&str>, client_id: Option<&str>) -> usize {
        let now = jiff::Timestamp::now();
        let mut count = 0;
        for grant in self.refresh.values_mut() {
            let user = user_id.is_some_and(|u| grant.user_id.eq_ignore_ascii_case(u));
            let client = client_id.is_some_and(|c| grant.client_id == c);
            if (user || client) && grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
                count += 1;
            }
        }
        count
    }

    /// Makes every code expired.
    pub(crate) fn expire_codes(&mut self) {
        let now = Instant::now();
        for code in self.codes.values_mut() {
            code.expires_at = now;
        }
    }

    /// Makes every refresh token expired, as after 90 days unused.
    pub(crate) fn expire_refresh_tokens(&mut self) {
        let now = Instant::now();
        for grant in self.refresh.values_mut() {
            grant.expires_at = now;
        }
    }

    /// The refresh tokens issued so far.
    pub(crate) fn refresh_tokens(&self) -> Vec<RefreshTokenInfo> {
        let now = Instant::now();
        let mut out: Vec<(jiff::Timestamp, RefreshTokenInfo)> = self
            .refresh
            .values()
            .map(|g| {
                let info = RefreshTokenInfo {
                    client_id: g.client_id.clone(),
                    user_id: g.user_id.clone(),
                    revoked: g.revoked_at.is_some(),
                    expired: g.expires_at <= now,
                };
                (g.issued_at, info)
            })
            .collect();
        out.sort_by_key(|(at, _)| *at);
        out.into_iter().map(|(_, info)| info).collect()
    }

    /// What a caller (client id or UPN) may run in Exchange.
    pub(crate) fn exchange_role(&self, principal: &str) -> ExchangeRole {
        self.exchange
            .get(&principal.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// Sets what a caller may run in Exchange.
    pub(crate) fn set_exchange_role(&mut self, principal: &str, role: ExchangeRole) {
        self.exchange.insert(principal.to_ascii_lowercase(), role);
    }
}
