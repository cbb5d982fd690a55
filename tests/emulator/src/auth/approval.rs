//! The admin consent workflow, as Microsoft runs it: a user who holds no administrator role,
//! signing in to an app that asks for permissions only an administrator can grant (and whose
//! permissions the tenant has not granted), gets "Approval required" instead of a code: a
//! justification box, **Request approval**, and **Return to the application without granting
//! consent**. A request is kept for the tenant's administrators, who see it on the admin page
//! (`/_emulator/admin/consent-requests`: requester, justification, permissions) and use
//! **Review permissions and consent** to approve (the app is consented for the tenant, its
//! permissions granted) or deny it. Admin consent given any other way approves the app's open
//! requests too.
//!
//! Back at the app: after a request, `error=access_denied` with `AADSTS90094` ("needs
//! permission … that only an admin can grant"); without one, `AADSTS65004` (declined), both with
//! the sign-in's `state`. (Microsoft's own page tells the user by mail; the emulated tenant sends
//! them back, so the app can say what happens next.)

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;

use super::authorize::{AuthorizeRequest, Query};
use super::ledger::Pending;
use super::page::{self, escape};
use super::scopes::Scope;
use crate::state::{Shared, TenantState};

/// The directory roles that may grant an app's permissions for the tenant: Global,
/// Privileged Role, Application and Cloud Application Administrator (template ids).
pub(crate) const CONSENTING_ROLES: [&str; 4] = [
    "62e90394-69f5-4237-9190-012177145e10",
    "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "158c047a-c907-4556-b7ef-446551a6b5f7",
];

/// Delegated permissions a user may consent to for themselves; every other one (and
/// `.default`) needs an administrator.
const USER_CONSENTABLE: [&str; 6] = [
    "User.Read",
    "User.ReadBasic.All",
    "User.ReadWrite",
    "Mail.Read",
    "Mail.Send",
    "Calendars.Read",
];

/// `AADSTS90094`'s text, as Microsoft words it.
pub(crate) fn admin_only_text(app: &str) -> String {
    format!(
        "{app} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it."
    )
}

/// Whether `upn` may grant consent for the tenant: they hold a consenting role, or the tenant
/// does not apply Microsoft's consent rules.
pub(crate) fn may_consent_for_tenant(shared: &Shared, upn: &str) -> bool {
    !shared.login().admin_consent_workflow || holds_consenting_role(shared, upn)
}

/// Whether `upn` holds a role that may grant consent for the tenant.
pub(crate) fn holds_consenting_role(shared: &Shared, upn: &str) -> bool {
    shared
        .directory_roles(upn)
        .iter()
        .any(|r| CONSENTING_ROLES.iter().any(|c| c.eq_ignore_ascii_case(r)))
}

/// Whether `user` must ask an administrator before `request` can be answered with a code.
pub(crate) fn approval_needed(shared: &Shared, request: &AuthorizeRequest, user: &str) -> bool {
    let admin_only = request.scopes.iter().any(|s| match s {
        Scope::Oidc(_) => false,
        Scope::Permission { name, .. } => !USER_CONSENTABLE
            .iter()
            .any(|p| p.eq_ignore_ascii_case(name)),
    });
    if !admin_only || may_consent_for_tenant(shared, user) {
        return false;
    }
    let granted = shared
        .login()
        .standing(&request.client_id)
        .permissions_granted;
    !granted
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestStatus {
    /// Waiting for an administrator.
    InProgress,
    /// An administrator granted the app's permissions.
    Approved,
    /// An administrator refused.
    Denied,
}

/// A user's request for admin consent (Graph's `appConsentRequest` with its
/// `userConsentRequest`).
#[derive(Debug, Clone)]
pub(crate) struct ConsentRequest {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) requested_by: String,
    pub(crate) justification: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) created: jiff::Timestamp,
    pub(crate) status: RequestStatus,
    /// Who approved or denied it, and when.
    pub(crate) reviewed: Option<(String, jiff::Timestamp)>,
}

/// A sign-in waiting on the "Approval required" page.
#[derive(Debug, Clone)]
pub(crate) struct ApprovalWait {
    pub(crate) request: AuthorizeRequest,
    pub(crate) user: String,
    /// Whether the user has sent their request.
    pub(crate) sent: bool,
}

/// Keeps a request from `user` for `request`'s app with `justification`.
pub(crate) fn record(shared: &Shared, request: &AuthorizeRequest, user: &str, justification: &str) {
    let scopes = request
        .scopes
        .iter()
        .map(|s| super::scopes::display(shared, s))
        .collect();
    shared.login().add_consent_request(ConsentRequest {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: request.client_id.clone(),
        requested_by: user.to_owned(),
        justification: justification.trim().to_owned(),
        scopes,
        created: jiff::Timestamp::now(),
        status: RequestStatus::InProgress,
        reviewed: None,
    });
}

/// Back to the app after the page: `AADSTS90094` after a request, `AADSTS65004` without one.
pub(crate) fn send_back(shared: &Shared, wait: &ApprovalWait) -> Response {
    let host = shared.login_host();
    if wait.sent {
        wait.request.reply.error(
            host,
            "access_denied",
            90_094,
            &admin_only_text(&wait.request.client_id),
            &[],
        )
    } else {
        wait.request.reply.error(
            host,
            "access_denied",
            65_004,
            "User declined to consent to access the app.",
            &[],
        )
    }
}

/// The "Approval required" page (or, once sent, "Request sent") for a waiting sign-in.
pub(crate) fn show(
    tenant: &str,
    context: &str,
    wait: &ApprovalWait,
    problem: Option<&str>,
) -> Response {
    let app = escape(&wait.request.client_id);
    let action = format!("/{}/consentrequest", escape(tenant));
    let context = escape(context);
    let body = if wait.sent {
        format!(
            "<h1>Request sent</h1>\n<p>Your request to use <strong>{app}</strong> was sent to your administrators. You'll be able to use it once an admin approves it.</p>\n<form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"ctx\" value=\"{context}\">\n<button type=\"submit\" id=\"return\" name=\"action\" value=\"return\">Return to the application</button>\n</form>"
        )
    } else {
        let problem = problem
            .map(|p| {
                format!(
                    "<p class=\"problem\" id=\"problem\" role=\"alert\">{}</p>",
                    escape(p)
                )
            })
            .unwrap_or_default();
        let permissions: String = wait
            .request
            .scopes
            .iter()
            .filter(|s| !matches!(s, Scope::Oidc(_)))
            .map(|s| match s {
                Scope::Permission { name, .. } => {
                    format!("<li class=\"permission\">{}</li>", escape(name))
                }
                Scope::Oidc(_) => String::new(),
            })
            .collect();
        format!(
            "<h1>Approval required</h1>\n<p><strong id=\"app\">{app}</strong> needs permission to access resources in your organization that only an admin can grant. Request approval from an admin before you can use it.</p>\n<ul id=\"permissions\">{permissions}</ul>\n<form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"ctx\" value=\"{context}\">\n<label for=\"justification\">Enter justification for requesting this app</label>\n<textarea id=\"justification\" name=\"justification\" rows=\"4\" maxlength=\"1024\"></textarea>\n{problem}\n<button type=\"submit\" id=\"request\" name=\"action\" value=\"request\">Request approval</button>\n<button type=\"submit\" id=\"return\" name=\"action\" value=\"return\">Return to the application without granting consent</button>\n</form>\n<p>Signed in as {user}</p>",
            user = escape(&wait.user),
        )
    };
    page::plain("Approval required", &body)
}

/// `POST /{tenant}/consentrequest`: the "Approval required" form (`ctx`, `justification`,
/// `action=request|return`).
pub(crate) async fn form(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let shared = &state.shared;
    let form = Query::from_form(&body);
    let context = form.get("ctx").unwrap_or_default().to_owned();
    let Some(Pending::Approval(mut wait)) = shared.login().pending(&context) else {
        return page::error(
            50_089,
            "Flow token expired. Authentication failed: go back to the application and sign in again.",
        );
    };
    match form.get("action") {
        Some("request") if !wait.sent => {
            let justification = form.get("justification").unwrap_or_default();
            if justification.trim().is_empty() {
                return show(
                    &tenant,
                    &context,
                    &wait,
                    Some("Enter a justification for your request."),
                );
            }
            record(shared, &wait.request, &wait.user, justification);
            wait.sent = true;
            shared
                .login()
                .replace_pending(&context, Pending::Approval(wait.clone()));
            show(&tenant, &context, &wait, None)
        }
        _ => {
            shared.login().forget(&context);
            send_back(shared, &wait)
        }
    }
}
