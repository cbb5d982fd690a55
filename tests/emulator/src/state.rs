//! The tenant's state: the directory (a [`Snapshot`]) with its change journal, mailboxes
//! waiting to appear, issued tokens, the login ledger (consent, codes, refresh tokens), the
//! throttle, the faults and the request log.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tenure::SharedStr;
use tenure::directory::{DirectoryGroup, DirectoryUser, Mailbox, MailboxType, ObjectRef, Snapshot};
use tenure::microsoft::NationalCloud;

use crate::apps::{ExchangeRole, RegisteredClient, SignIn};
use crate::auth::ledger::{Ledger, RefreshTokenInfo};
use crate::config::{RateLimits, TenantConfig};
use crate::credentials::Credentials;
use crate::faults::{FaultState, Faults};
use crate::journal::Journal;
use crate::outbox::SentMail;
use crate::throttle::Throttle;

/// A request the tenant answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: String,
    /// The path and query, as sent.
    pub path: String,
    /// The status answered (`0` for a dropped connection).
    pub status: u16,
    /// Whether this was an inner request of a `$batch`.
    pub in_batch: bool,
}

/// A dump that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the tenant dump {file}: {source}")]
pub struct DumpError {
    /// The path.
    pub file: String,
    /// The cause.
    pub source: std::io::Error,
}

/// The shared state of one emulated tenant; cheap to clone (all clones are the same tenant).
/// [`crate::app`] serves it; [`crate::EmulatedTenant`] owns one.
#[derive(Debug, Clone)]
pub struct TenantState {
    pub(crate) shared: Arc<Shared>,
}

/// An access token the tenant issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    /// The resource it is for, such as `https://graph.microsoft.com`.
    pub(crate) audience: String,
    /// When it stops working.
    pub(crate) expires_at: Instant,
    /// Whom it was issued to.
    pub(crate) principal: Principal,
}

/// Whom an access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// An app on its own (client credentials).
    App {
        /// The app's client id.
        client_id: String,
    },
    /// A signed-in user, through an app (delegated: authorization code, refresh token).
    User {
        /// The app's client id.
        client_id: String,
        /// The user's object id.
        user_id: String,
    },
}

/// Everything behind a [`TenantState`].
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) tenant_id: String,
    pub(crate) cloud: NationalCloud,
    pub(crate) clients: Vec<RegisteredClient>,
    pub(crate) graph_audiences: Vec<String>,
    pub(crate) exchange_audiences: Vec<String>,
    pub(crate) token_lifetime: Duration,
    pub(crate) mailbox_delay: Duration,
    directory: Mutex<Directory>,
    faults: Mutex<FaultState>,
    throttle: Mutex<Throttle>,
    log: Mutex<Vec<RecordedRequest>>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    login: Mutex<Ledger>,
    /// Directory role template ids by lower-case UPN.
    directory_roles: Mutex<HashMap<String, Vec<String>>>,
    /// The ID-token signing keys published and in use.
    pub(crate) signing: Mutex<crate::auth::SigningKeys>,
    /// Passwords and Temporary Access Passes, for the sign-in page.
    credentials: Mutex<Credentials>,
    /// Mail sent through `sendMail`, oldest first.
    outbox: Mutex<Vec<SentMail>>,
}

/// Locks a mutex; a panic elsewhere while it was held leaves data that is still usable here.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn directory(&self) -> MutexGuard<'_, Directory> {
        let mut directory = lock(&self.directory);
        directory.settle(Instant::now());
        directory
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.faults)
    }

    pub(crate) fn throttle(&self) -> MutexGuard<'_, Throttle> {
        lock(&self.throttle)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.log).push(request);
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, HashMap<String, IssuedToken>> {
        lock(&self.tokens)
    }

    pub(crate) fn login(&self) -> MutexGuard<'_, Ledger> {
        lock(&self.login)
    }

    pub(crate) fn credentials(&self) -> MutexGuard<'_, Credentials> {
        lock(&self.credentials)
    }

    /// Puts a message in the outbox.
    pub(crate) fn send(&self, mail: SentMail) {
        lock(&self.outbox).push(mail);
    }

    /// Whether the token's principal holds a permission: an app (on its own or for a user)
    /// whose granted set includes it.
    pub(crate) fn permission_granted(&self, principal: &Principal, permission: &str) -> bool {
        let client_id = match principal {
            Principal::App { client_id } | Principal::User { client_id, .. } => client_id,
        };
        self.login().grants(client_id, permission)
    }

    /// The directory role template ids a user (by UPN) holds, besides the member role.
    pub(crate) fn directory_roles(&self, upn: &str) -> Vec<String> {
        lock(&self.directory_roles)
            .get(&upn.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// A registered app by client id.
    pub(crate) fn client(&self, client_id: &str) -> Option<&RegisteredClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The login host of the tenant's cloud (for `error_uri`).
    pub(crate) fn login_host(&self) -> &'static str {
        self.cloud.hosts().login
    }

    /// Whether a name in a URL (a tenant id or a verified domain) is this tenant.
    pub(crate) fn is_tenant(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(&self.tenant_id)
            || self
                .directory()
                .snapshot
                .tenant
                .verified_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(name))
    }
}

impl TenantState {
    /// A tenant in memory, as configured.
    pub fn new(mut config: TenantConfig) -> Self {
        let mut snapshot = std::mem::take(&mut config.snapshot);
        // Every tenant has its initial domain, `<name>.onmicrosoft.com`, verified from the start.
        if snapshot.tenant.verified_domains.is_empty() {
            snapshot
                .tenant
                .verified_domains
                .push(format!("{}.onmicrosoft.com", config.initial_domain_name));
        }
        let tenant_id = snapshot
            .tenant
            .id
            .clone()
            .unwrap_or_else(|| crate::config::DEFAULT_TENANT_ID.to_owned());
        let limits: RateLimits = config.limits;
        let login = Ledger::new(&config, &config.clients);
        Self {
            shared: Arc::new(Shared {
                tenant_id,
                cloud: config.cloud,
                clients: config.clients,
                graph_audiences: config.graph_audiences,
                exchange_audiences: config.exchange_audiences,
                token_lifetime: config.token_lifetime,
                mailbox_delay: config.mailbox_delay,
                directory: Mutex::new(Directory::new(snapshot)),
                faults: Mutex::new(FaultState::new(config.faults, config.seed)),
                throttle: Mutex::new(Throttle::new(limits, Instant::now())),
                log: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                login: Mutex::new(login),
                directory_roles: Mutex::new(roles_by_user(&config.directory_roles)),
                signing: Mutex::new(crate::auth::SigningKeys::default()),
                credentials: Mutex::new(Credentials::default()),
                outbox: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Gives a user (by UPN) a directory role, by role template id (Global Administrator is
    /// `62e90394-69f5-4237-9190-012177145e10`): their next ID token lists it in `wids`.
    pub fn assign_directory_role(&self, upn: &str, role_template_id: &str) {
        let mut roles = lock(&self.shared.directory_roles);
        let held = roles.entry(upn.to_ascii_lowercase()).or_default();
        if !held
            .iter()
            .any(|r| r.eq_ignore_ascii_case(role_template_id))
        {
            held.push(role_template_id.to_owned());
        }
    }

    /// Takes every directory role from a user (by UPN).
    pub fn remove_directory_roles(&self, upn: &str) {
        lock(&self.shared.directory_roles).remove(&upn.to_ascii_lowercase());
    }

    /// Publishes the tenant's second signing key and signs ID tokens with it from now on
    /// (Microsoft's key rollover): a client must fetch the keys again to verify them.
    pub fn rotate_signing_key(&self) {
        lock(&self.shared.signing).rotate();
    }

    /// Every ID token issued from now on carries `fault` (`None`: none).
    pub fn set_id_token_fault(&self, fault: Option<crate::IdTokenFault>) {
        lock(&self.shared.signing).fault = fault;
    }

    /// The tenant (directory) id.
    pub fn tenant_id(&self) -> &str {
        &self.shared.tenant_id
    }

    /// A copy of the directory as it is now (mailboxes whose delay is over included).
    pub fn state(&self) -> Snapshot {
        self.shared.directory().snapshot.clone()
    }

    /// Replaces the directory. Pending mailboxes are forgotten, and delta links issued before
    /// are refused (`410 Gone`, `syncStateNotFound`), as after a tenant migration: clients
    /// start over with a full round.
    pub fn load(&self, snapshot: Snapshot) {
        *self.shared.directory() = Directory::new(snapshot);
    }

    /// Writes the directory as snapshot JSON.
    pub fn dump_to(&self, path: &Path) -> Result<(), DumpError> {
        let snapshot = self.state();
        let error = |source| DumpError {
            file: path.display().to_string(),
            source,
        };
        let json = serde_json::to_vec_pretty(&snapshot).map_err(|e| error(e.into()))?;
        std::fs::write(path, json).map_err(error)
    }

    /// The requests answered so far, in the order they were answered: the inner requests of a
    /// `$batch` come before the batch's own entry.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Replaces the faults in force (the generator keeps its sequence).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults().set(faults);
    }

    /// Replaces the throttling budget; the windows start afresh.
    pub fn set_limits(&self, limits: RateLimits) {
        *self.shared.throttle() = Throttle::new(limits, Instant::now());
    }

    /// How many times a user's password was set (by create or `passwordProfile`).
    pub fn password_changes(&self, user_id: &str) -> u32 {
        self.shared
            .directory()
            .password_changes
            .get(user_id)
            .copied()
            .unwrap_or(0)
    }

    /// How many times `revokeSignInSessions` was called for a user.
    pub fn sessions_revoked(&self, user_id: &str) -> u32 {
        self.shared
            .directory()
            .revocations
            .get(user_id)
            .copied()
            .unwrap_or(0)
    }

    /// Makes every issued access token expired, as if an hour had passed.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for token in self.shared.tokens().values_mut() {
            token.expires_at = now;
        }
    }

    /// Changes how sign-ins on `/authorize` and `/adminconsent` are answered.
    pub fn set_sign_in(&self, sign_in: SignIn) {
        self.shared.login().sign_in = sign_in;
    }

    /// Turns Microsoft's consent rules for admin-only permissions (and the admin consent
    /// workflow) on or off.
    pub fn set_admin_consent_workflow(&self, on: bool) {
        self.shared.login().admin_consent_workflow = on;
    }

    /// Whether an app is consented in the tenant (by admin consent or on the sign-in page).
    pub fn consented(&self, client_id: &str) -> bool {
        self.shared.login().standing(client_id).consented
    }

    /// Grants or withdraws consent for an app, as an admin would in the portal.
    pub fn set_consented(&self, client_id: &str, consented: bool) {
        self.shared
            .login()
            .set_standing(client_id, |s| s.consented = consented);
    }

    /// Grants or withdraws an app's application permissions: without them Graph answers its
    /// app-only calls with `403 Authorization_RequestDenied`.
    pub fn set_permissions_granted(&self, client_id: &str, granted: bool) {
        self.shared
            .login()
            .set_standing(client_id, |s| s.permissions_granted = granted);
    }

    /// Revokes every refresh token of a user (object id or UPN), as an admin's "revoke
    /// sessions" does; returns how many were still valid. Graph's `revokeSignInSessions` does
    /// the same.
    pub fn revoke_user_sessions(&self, user: &str) -> usize {
        let user_id = self
            .shared
            .directory()
            .user(user)
            .map_or_else(|| user.to_owned(), |u| u.id.to_string());
        self.shared.login().revoke(Some(&user_id), None)
    }

    /// Revokes every refresh token issued to an app; returns how many were still valid.
    pub fn revoke_app_sessions(&self, client_id: &str) -> usize {
        self.shared.login().revoke(None, Some(client_id))
    }

    /// Makes every authorization code expired.
    pub fn expire_codes(&self) {
        self.shared.login().expire_codes();
    }

    /// Makes every refresh token expired, as after 90 days unused.
    pub fn expire_refresh_tokens(&self) {
        self.shared.login().expire_refresh_tokens();
    }

    /// The refresh tokens issued so far, oldest first (the tokens themselves are not shown).
    pub fn refresh_tokens(&self) -> Vec<RefreshTokenInfo> {
        self.shared.login().refresh_tokens()
    }

    /// Grants an app one application permission (such as `Mail.Send`), or takes it away: the
    /// calls that need it are then refused as Microsoft refuses them.
    pub fn set_permission(&self, client_id: &str, permission: &str, granted: bool) {
        self.shared
            .login()
            .set_grant(client_id, permission, granted);
    }

    /// The mail sent through `sendMail` so far, oldest first (also `GET /_emulator/outbox`).
    pub fn outbox(&self) -> Vec<SentMail> {
        lock(&self.shared.outbox).clone()
    }

    /// Sets what a caller (a client id for app-only tokens, a UPN for delegated ones) may run
    /// in Exchange.
    pub fn set_exchange_role(&self, principal: &str, role: ExchangeRole) {
        self.shared.login().set_exchange_role(principal, role);
    }
}

/// The directory with the bookkeeping Graph and Exchange need around it. Users and mailboxes
/// are added, replaced and removed only through its methods, which keep the lookups right.
#[derive(Debug)]
pub(crate) struct Directory {
    pub(crate) snapshot: Snapshot,
    /// Lower-cased object id and UPN → position in `snapshot.users`.
    user_index: HashMap<String, usize>,
    /// Owner's object id → position in `snapshot.mailboxes`.
    mailbox_index: HashMap<SharedStr, usize>,
    journal: Journal,
    pending_mailboxes: Vec<(String, Instant)>,
    /// What a deleted user gets back when restored: its groups and mailbox, and when it went.
    recycled: HashMap<String, Recycled>,
    pub(crate) password_changes: HashMap<String, u32>,
    pub(crate) revocations: HashMap<String, u32>,
}

/// What Entra keeps of a soft-deleted user besides the object: its memberships and mailbox
/// (restored with it), and when it was deleted.
#[derive(Debug, Default)]
struct Recycled {
    groups: Vec<String>,
    mailbox: Option<Mailbox>,
    deleted_at: Option<jiff::Timestamp>,
}

/// Why a deleted user cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestoreRefusal {
    /// No deleted user has that id.
    NotFound,
    /// Another user has its UPN, or another object one of its addresses.
    Conflict,
}

impl Directory {
    fn new(snapshot: Snapshot) -> Self {
        let mut directory = Self {
            snapshot,
            user_index: HashMap::new(),
            mailbox_index: HashMap::new(),
            journal: Journal::new(),
            pending_mailboxes: Vec::new(),
            recycled: HashMap::new(),
            password_changes: HashMap::new(),
            revocations: HashMap::new(),
        };
        directory.reindex();
        let snapshot = &directory.snapshot;
        for user in &snapshot.users {
            directory.journal.touch_user(&user.id);
        }
        for group in &snapshot.groups {
            directory.journal.touch_group(&group.id);
        }
        // A loaded tenant's mailboxes were last changed before it was loaded: a day before, so
        // that reading "what changed since" right after loading finds nothing.
        let loaded = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
        for mailbox in &snapshot.mailboxes {
            directory
                .journal
                .stamp_mailbox_at(&mailbox.external_directory_object_id, loaded);
        }
        directory
    }

    /// The change journal.
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Rebuilds the lookups after users or mailboxes moved.
    fn reindex(&mut self) {
        self.user_index.clear();
        for (at, user) in self.snapshot.users.iter().enumerate() {
            self.user_index.insert(user.id.to_ascii_lowercase(), at);
            self.user_index
                .insert(user.user_principal_name.to_ascii_lowercase(), at);
        }
        self.mailbox_index = self
            .snapshot
            .mailboxes
            .iter()
            .enumerate()
            .map(|(at, m)| (m.external_directory_object_id.clone(), at))
            .collect();
    }

    /// The position of a user named by object id or UPN (UPNs compare without case).
    pub(crate) fn user_at(&self, key: &str) -> Option<usize> {
        self.user_index.get(&key.to_ascii_lowercase()).copied()
    }

    /// Adds a new user.
    pub(crate) fn insert_user(&mut self, user: DirectoryUser) {
        let at = self.snapshot.users.len();
        self.user_index.insert(user.id.to_ascii_lowercase(), at);
        self.user_index
            .insert(user.user_principal_name.to_ascii_lowercase(), at);
        let id = user.id.clone();
        self.snapshot.users.push(user);
        self.touch(&id);
    }

    /// Replaces a user (same object id), whose UPN may have changed: its mailbox follows (and
    /// counts as changed, as Exchange's copy of the user changes).
    pub(crate) fn replace_user(&mut self, user: DirectoryUser) {
        let Some(at) = self.user_at(&user.id) else {
            return;
        };
        let mut renamed = false;
        if let Some(old) = self.snapshot.users.get(at) {
            renamed = old.user_principal_name.as_str() != user.user_principal_name.as_str();
            let old_upn = old.user_principal_name.to_ascii_lowercase();
            self.user_index.remove(&old_upn);
        }
        self.user_index
            .insert(user.user_principal_name.to_ascii_lowercase(), at);
        let id = user.id.clone();
        let upn = user.user_principal_name.clone();
        if let Some(slot) = self.snapshot.users.get_mut(at) {
            *slot = user;
        }
        self.touch(&id);
        if renamed && let Some(mailbox) = self.mailbox_mut(&id) {
            mailbox.user_principal_name = upn;
            self.stamp_mailbox(&id);
        }
    }

    /// A user's mailbox.
    pub(crate) fn mailbox(&self, user_id: &str) -> Option<&Mailbox> {
        self.mailbox_index
            .get(user_id)
            .and_then(|at| self.snapshot.mailboxes.get(*at))
    }

    /// A user named by object id or UPN.
    pub(crate) fn user(&self, key: &str) -> Option<&DirectoryUser> {
        self.user_at(key).and_then(|i| self.snapshot.users.get(i))
    }

    /// A user to change, named by object id or UPN; marks it changed for delta. Its UPN must
    /// not change here (use [`Directory::replace_user`]).
    pub(crate) fn user_mut(&mut self, key: &str) -> Option<&mut DirectoryUser> {
        let at = self.user_at(key)?;
        let id = self.snapshot.users.get(at)?.id.clone();
        self.touch(&id);
        self.snapshot.users.get_mut(at)
    }

    /// A group by object id.
    pub(crate) fn group(&self, id: &str) -> Option<&DirectoryGroup> {
        self.snapshot
            .groups
            .iter()
            .find(|g| g.id.eq_ignore_ascii_case(id))
    }

    /// A group's properties to change, by object id; marks it changed for delta. Members
    /// change only through [`Directory::add_member`] and [`Directory::remove_member`].
    pub(crate) fn group_mut(&mut self, id: &str) -> Option<&mut DirectoryGroup> {
        let group = self
            .snapshot
            .groups
            .iter_mut()
            .find(|g| g.id.eq_ignore_ascii_case(id))?;
        self.journal.touch_group(&group.id);
        Some(group)
    }

    /// Adds a user to a group (by object ids); `false` when it was a member already or there
    /// is no such group.
    pub(crate) fn add_member(&mut self, group_id: &str, user_id: &str) -> bool {
        let Some(group) = self
            .snapshot
            .groups
            .iter_mut()
            .find(|g| g.id.eq_ignore_ascii_case(group_id))
        else {
            return false;
        };
        if group.members.iter().any(|m| m == user_id) {
            return false;
        }
        group.members.push(user_id.into());
        self.journal.member_changed(&group.id, user_id, true);
        true
    }

    /// Removes a user from a group (by object ids, without case); `false` when it was not a
    /// member or there is no such group.
    pub(crate) fn remove_member(&mut self, group_id: &str, user_id: &str) -> bool {
        let Some(group) = self
            .snapshot
            .groups
            .iter_mut()
            .find(|g| g.id.eq_ignore_ascii_case(group_id))
        else {
            return false;
        };
        let Some(at) = group
            .members
            .iter()
            .position(|m| m.eq_ignore_ascii_case(user_id))
        else {
            return false;
        };
        let member = group.members.remove(at);
        self.journal.member_changed(&group.id, &member, false);
        true
    }

    /// Sets or clears a user's manager (by object ids); marks the user changed for delta.
    pub(crate) fn set_manager(&mut self, user_id: &str, manager_id: Option<&str>) {
        let Some(user) = self
            .user_at(user_id)
            .and_then(|at| self.snapshot.users.get_mut(at))
        else {
            return;
        };
        let previous = user.manager.take().map(|m| m.id.to_string());
        user.manager = manager_id.map(|id| ObjectRef { id: id.into() });
        let id = user.id.clone();
        if previous.as_deref() == manager_id {
            self.touch(&id);
        } else {
            self.journal.manager_changed(&id, previous);
        }
    }

    /// Marks a user's mailbox changed now (`WhenChangedUTC`).
    pub(crate) fn stamp_mailbox(&mut self, user_id: &str) {
        self.journal.stamp_mailbox(user_id);
    }

    /// The mailbox of a user (by object id).
    pub(crate) fn mailbox_mut(&mut self, user_id: &str) -> Option<&mut Mailbox> {
        let at = *self.mailbox_index.get(user_id)?;
        self.snapshot.mailboxes.get_mut(at)
    }

    /// Whether a UPN is taken by another user.
    pub(crate) fn upn_taken(&self, upn: &str, except_id: Option<&str>) -> bool {
        self.user(upn).is_some_and(|u| {
            u.user_principal_name.eq_ignore_ascii_case(upn) && Some(u.id.as_str()) != except_id
        })
    }

    /// Whether a domain is verified.
    pub(crate) fn domain_verified(&self, domain: &str) -> bool {
        self.snapshot
            .tenant
            .verified_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// Marks a user changed for `/users/delta`.
    pub(crate) fn touch(&mut self, user_id: &str) {
        self.journal.touch_user(user_id);
    }

    /// Deletes a user with its memberships, mailbox and the manager links to it.
    pub(crate) fn remove_user(&mut self, user_id: &str) {
        self.snapshot.users.retain(|u| u.id != user_id);
        let groups: Vec<String> = self
            .snapshot
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == user_id))
            .map(|g| g.id.clone())
            .collect();
        for group in groups {
            self.remove_member(&group, user_id);
        }
        self.snapshot
            .mailboxes
            .retain(|m| m.external_directory_object_id != user_id);
        self.pending_mailboxes.retain(|(id, _)| id != user_id);
        let reports: Vec<String> = self
            .snapshot
            .users
            .iter()
            .filter(|u| u.manager.as_ref().is_some_and(|m| m.id == user_id))
            .map(|u| u.id.to_string())
            .collect();
        self.reindex();
        for id in reports {
            self.set_manager(&id, None);
        }
        self.journal.remove_user(user_id);
    }

    /// Soft-deletes a user, as `DELETE /users/{id}` does: it leaves its groups and loses its
    /// mailbox and reports, and waits among the deleted users (keeping its addresses) until it
    /// is restored or purged.
    pub(crate) fn soft_delete_user(&mut self, user_id: &str) {
        let Some(user) = self.user(user_id).cloned() else {
            return;
        };
        let groups = self
            .snapshot
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == user_id))
            .map(|g| g.id.clone())
            .collect();
        let mailbox = self.mailbox(user_id).cloned();
        self.remove_user(user_id);
        self.recycled.insert(
            user.id.to_string(),
            Recycled {
                groups,
                mailbox,
                deleted_at: Some(jiff::Timestamp::now()),
            },
        );
        self.snapshot.deleted_users.push(user);
    }

    /// When a deleted user was deleted (a day before loading, for one loaded as deleted).
    pub(crate) fn deleted_at(&self, user_id: &str) -> jiff::Timestamp {
        self.recycled
            .get(user_id)
            .and_then(|r| r.deleted_at)
            .unwrap_or_else(|| jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24))
    }

    /// A deleted user by object id.
    pub(crate) fn deleted_user(&self, user_id: &str) -> Option<&DirectoryUser> {
        self.snapshot
            .deleted_users
            .iter()
            .find(|u| u.id.eq_ignore_ascii_case(user_id))
    }

    /// Restores a deleted user with its UPN, groups and mailbox.
    pub(crate) fn restore_user(&mut self, user_id: &str) -> Result<DirectoryUser, RestoreRefusal> {
        let at = self
            .snapshot
            .deleted_users
            .iter()
            .position(|u| u.id.eq_ignore_ascii_case(user_id))
            .ok_or(RestoreRefusal::NotFound)?;
        let mut user = self.snapshot.deleted_users[at].clone();
        user.user_principal_name = user.upn_before_deletion().into();
        if self.upn_taken(&user.user_principal_name, None)
            || self
                .address_owner(&user.user_principal_name, Some(&user.id))
                .is_some()
        {
            return Err(RestoreRefusal::Conflict);
        }
        self.snapshot.deleted_users.remove(at);
        let recycled = self.recycled.remove(user.id.as_str()).unwrap_or_default();
        let id = user.id.clone();
        self.insert_user(user.clone());
        for group in recycled.groups {
            self.add_member(&group, &id);
        }
        if let Some(mut mailbox) = recycled.mailbox {
            mailbox.user_principal_name = user.user_principal_name.clone();
            self.mailbox_index
                .insert(id.clone(), self.snapshot.mailboxes.len());
            self.snapshot.mailboxes.push(mailbox);
            self.journal.stamp_mailbox(&id);
        }
        Ok(user)
    }

    /// Deletes a deleted user for good; `false` when there is none with that id.
    pub(crate) fn purge_user(&mut self, user_id: &str) -> bool {
        let before = self.snapshot.deleted_users.len();
        self.snapshot
            .deleted_users
            .retain(|u| !u.id.eq_ignore_ascii_case(user_id));
        self.recycled.remove(user_id);
        self.snapshot.deleted_users.len() < before
    }

    /// The object (user, group or deleted user, other than `except_id`) that has this address
    /// as `mail` or SMTP proxy address (a deleted user's UPN counts too: it keeps it), if any.
    pub(crate) fn address_owner(&self, address: &str, except_id: Option<&str>) -> Option<&str> {
        let same = |a: &str| a.eq_ignore_ascii_case(address);
        let other = |id: &str| Some(id) != except_id;
        let users = self.snapshot.users.iter().find(|u| {
            other(&u.id) && (u.mail.as_deref().is_some_and(same) || u.smtp_addresses().any(same))
        });
        if let Some(user) = users {
            return Some(&user.id);
        }
        let groups = self.snapshot.groups.iter().find(|g| {
            other(&g.id) && (g.mail.as_deref().is_some_and(same) || g.smtp_addresses().any(same))
        });
        if let Some(group) = groups {
            return Some(&group.id);
        }
        self.snapshot
            .deleted_users
            .iter()
            .find(|u| {
                other(&u.id)
                    && (same(u.upn_before_deletion())
                        || u.mail.as_deref().is_some_and(same)
                        || u.smtp_addresses().any(same))
            })
            .map(|u| u.id.as_str())
    }

    /// Counts a password being set.
    pub(crate) fn password_set(&mut self, user_id: &str) {
        *self.password_changes.entry(user_id.to_owned()).or_default() += 1;
    }

    /// Schedules a user's mailbox, unless it has one or one is coming.
    pub(crate) fn schedule_mailbox(&mut self, user_id: &str, ready_at: Instant) {
        let has = self.mailbox_index.contains_key(user_id);
        let coming = self.pending_mailboxes.iter().any(|(id, _)| id == user_id);
        if !has && !coming {
            self.pending_mailboxes.push((user_id.to_owned(), ready_at));
        }
    }

    /// Creates the mailboxes whose time has come.
    fn settle(&mut self, now: Instant) {
        if self.pending_mailboxes.iter().all(|(_, at)| *at > now) {
            return;
        }
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_mailboxes)
            .into_iter()
            .partition(|(_, at)| *at <= now);
        self.pending_mailboxes = waiting;
        for (id, _) in ready {
            let Some(user) = self.user_mut(&id) else {
                continue;
            };
            let upn = user.user_principal_name.clone();
            if user.mail.is_none() {
                user.mail = Some(upn.as_str().into());
            }
            if user.proxy_addresses.is_empty() {
                let primary = user.mail.as_deref().unwrap_or(&upn).to_owned();
                user.proxy_addresses = vec![format!("SMTP:{primary}")];
            }
            let id = SharedStr::from(id);
            self.mailbox_index
                .insert(id.clone(), self.snapshot.mailboxes.len());
            self.journal.stamp_mailbox(&id);
            self.snapshot.mailboxes.push(Mailbox {
                external_directory_object_id: id,
                user_principal_name: upn,
                recipient_type_details: MailboxType::UserMailbox,
                hidden_from_address_lists_enabled: false,
                full_access: Vec::new(),
            });
        }
    }
}

/// The configured role assignments, by lower-case UPN.
fn roles_by_user(assignments: &[(String, String)]) -> HashMap<String, Vec<String>> {
    let mut roles: HashMap<String, Vec<String>> = HashMap::new();
    for (upn, role) in assignments {
        roles
            .entry(upn.to_ascii_lowercase())
            .or_default()
            .push(role.clone());
    }
    roles
}
