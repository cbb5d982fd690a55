//! `GET /{tenant}/v2.0/adminconsent`: an administrator grants an app its permissions for the
//! whole tenant. Approved: `admin_consent=True&tenant=<id>&scope=…&state=…` back to the
//! redirect URI, and the app is consented (a multi-tenant app gets its service principal here,
//! its application permissions granted). Declined: `error=access_denied` with `AADSTS65004`,
//! `error_uri`, `admin_consent=True` and `state`, as Microsoft sends it from its Cancel button.
//! Only a user holding a consenting role may approve (`AADSTS90093` otherwise); approving answers
//! the app's open admin consent requests too.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::approval;
use super::authorize::{Query, signed_in_user, trusted_app};
use super::ledger::Pending;
use super::page::{self, SignInPage};
use super::redirect::{Reply, ResponseMode};
use super::scopes;
use crate::apps::SignIn;
use crate::state::{Shared, TenantState};

/// A valid admin consent request, waiting for its administrator.
#[derive(Debug, Clone)]
pub(crate) struct ConsentRequest {
    pub(crate) client_id: String,
    pub(crate) reply: Reply,
    /// The scope as the app asked it (it goes back as it came).
    pub(crate) scope: String,
}

/// `GET /{tenant}/v2.0/adminconsent`.
pub(crate) async fn admin_consent(
    State(state): State<TenantState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let shared = &state.shared;
    let query = Query::parse(raw.as_deref());
    let (app, redirect_uri) = match trusted_app(shared, &tenant, &query) {
        Ok(found) => found,
        Err((code, text)) => return page::error(code, &text),
    };
    let reply = Reply {
        redirect_uri,
        mode: ResponseMode::Query,
        state: query.get("state").map(str::to_owned),
    };
    let host = shared.login_host();
    let consent_marker = [("admin_consent", "True")];
    let Some(scope) = query.get("scope") else {
        let text = "The request body must contain the following parameter: 'scope'.";
        return reply.error(host, "invalid_request", 900_144, text, &consent_marker);
    };
    if let Err(error) = scopes::parse(shared, scope) {
        let (name, code, text) = error.parts(&tenant, &app.client_id);
        return reply.error(host, name, code, &text, &consent_marker);
    }
    let request = ConsentRequest {
        client_id: app.client_id.clone(),
        reply,
        scope: scope.to_owned(),
    };
    let sign_in = shared.login().sign_in.clone();
    match sign_in {
        SignIn::Interactive => {
            let context = shared
                .login()
                .remember(Pending::AdminConsent(request.clone()));
            let permissions: Vec<String> = request
                .scope
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            page::sign_in(&SignInPage {
                tenant: &tenant,
                context: &context,
                app: &request.client_id,
                permissions: &permissions,
                admin: true,
                login_hint: None,
                problem: None,
            })
        }
        SignIn::Accept { user } if !approval::may_consent_for_tenant(shared, &user) => {
            let text = not_authorized_text(&request.client_id);
            request
                .reply
                .error(host, "access_denied", 90_093, &text, &consent_marker)
        }
        SignIn::Accept { user } => {
            approve(shared, &request, &user).unwrap_or_else(|(code, text)| page::error(code, &text))
        }
        SignIn::Decline => decline(shared, &request),
    }
}

/// The administrator approved: the app is consented with its permissions granted.
pub(crate) fn approve(
    shared: &Shared,
    request: &ConsentRequest,
    login: &str,
) -> Result<Response, (u32, String)> {
    signed_in_user(shared, login)?;
    if !approval::may_consent_for_tenant(shared, login) {
        return Err((90_093, not_authorized_text(&request.client_id)));
    }
    let mut ledger = shared.login();
    ledger.set_standing(&request.client_id, |s| {
        s.consented = true;
        s.permissions_granted = true;
    });
    ledger.close_consent_requests(
        &request.client_id,
        login.trim(),
        approval::RequestStatus::Approved,
    );
    drop(ledger);
    let mut params: Vec<(&str, &str)> = vec![
        ("admin_consent", "True"),
        ("tenant", &shared.tenant_id),
        ("scope", &request.scope),
    ];
    if let Some(state) = &request.reply.state {
        params.push(("state", state));
    }
    Ok(request.reply.send(&params))
}

/// `AADSTS90093`'s text, as Microsoft words it.
fn not_authorized_text(app: &str) -> String {
    format!(
        "{app} is requesting one or more permissions that you aren't authorized to grant. Contact an administrator, who can consent to this application on your behalf."
    )
}

/// The administrator declined.
pub(crate) fn decline(shared: &Shared, request: &ConsentRequest) -> Response {
    request.reply.error(
        shared.login_host(),
        "access_denied",
        65_004,
        "User declined to consent to access the app.",
        &[("admin_consent", "True")],
    )
}
