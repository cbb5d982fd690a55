//! The tenant's admin page for the admin consent workflow (the Entra admin center's Enterprise
//! applications → Admin consent requests): `GET /_emulator/admin/consent-requests` lists every
//! request with the app, who asked, their justification, when and where it stands;
//! `GET /_emulator/admin/consent-requests/{id}` is **Review permissions and consent** (the
//! permissions asked, the requester, an administrator's sign-in name, Approve or Deny), and its
//! `POST` decides: approving consents the app for the tenant and grants its permissions (as
//! admin consent does), denying leaves it as it is. Only a user holding one of the consenting
//! roles may decide (`AADSTS90093` otherwise).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::approval::{ConsentRequest, RequestStatus, holds_consenting_role};
use super::authorize::{Query, signed_in_user};
use super::page::{self, escape};
use crate::state::TenantState;

const LIST: &str = "/_emulator/admin/consent-requests";

fn status_text(request: &ConsentRequest) -> String {
    let reviewed = request
        .reviewed
        .as_ref()
        .map(|(by, at)| {
            format!(
                " by {} on {}",
                escape(by),
                at.strftime("%Y-%m-%d %H:%M UTC")
            )
        })
        .unwrap_or_default();
    match request.status {
        RequestStatus::InProgress => "Pending".to_owned(),
        RequestStatus::Approved => format!("Approved{reviewed}"),
        RequestStatus::Denied => format!("Denied{reviewed}"),
    }
}

/// `GET /_emulator/admin/consent-requests`.
pub(crate) async fn list(State(state): State<TenantState>) -> Response {
    let requests = state.shared.login().consent_requests();
    let rows: String = requests
        .iter()
        .rev()
        .map(|r| {
            let review = if r.status == RequestStatus::InProgress {
                format!(
                    "<a href=\"{LIST}/{id}\">Review permissions and consent</a>",
                    id = escape(&r.id)
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{app}</td><td>{by}</td><td>{why}</td><td>{at}</td><td>{status}</td><td>{review}</td></tr>",
                app = escape(&r.client_id),
                by = escape(&r.requested_by),
                why = escape(&r.justification),
                at = r.created.strftime("%Y-%m-%d %H:%M UTC"),
                status = status_text(r),
            )
        })
        .collect();
    let body = if requests.is_empty() {
        "<h1>Admin consent requests</h1>\n<p id=\"empty\">No requests.</p>".to_owned()
    } else {
        format!(
            "<h1>Admin consent requests</h1>\n<table id=\"requests\"><thead><tr><th scope=\"col\">Application</th><th scope=\"col\">Requested by</th><th scope=\"col\">Justification</th><th scope=\"col\">Requested</th><th scope=\"col\">Status</th><th scope=\"col\"><span class=\"hidden\">Action</span></th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    page::plain("Admin consent requests", &body)
}

fn review_page(request: &ConsentRequest, problem: Option<&str>) -> Response {
    let permissions: String = request
        .scopes
        .iter()
        .map(|s| format!("<li class=\"permission\">{}</li>", escape(s)))
        .collect();
    let problem = problem
        .map(|p| {
            format!(
                "<p class=\"problem\" id=\"problem\" role=\"alert\">{}</p>",
                escape(p)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<p><a href=\"{LIST}\">Admin consent requests</a></p>\n<h1>Review permissions and consent</h1>\n<p><strong id=\"app\">{app}</strong> asks for these permissions for your organization:</p>\n<ul id=\"permissions\">{permissions}</ul>\n<dl><dt>Requested by</dt><dd id=\"requested-by\">{by}</dd><dt>Justification</dt><dd id=\"justification\">{why}</dd></dl>\n<form method=\"post\" action=\"{LIST}/{id}\">\n<label for=\"login\">Administrator (sign-in name)</label>\n<input type=\"text\" id=\"login\" name=\"login\" autocomplete=\"username\" required>\n{problem}\n<button type=\"submit\" id=\"accept\" name=\"decision\" value=\"approve\">Accept for your organization</button>\n<button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button>\n</form>",
        app = escape(&request.client_id),
        by = escape(&request.requested_by),
        why = escape(&request.justification),
        id = escape(&request.id),
    );
    page::plain("Review permissions and consent", &body)
}

fn find(state: &TenantState, id: &str) -> Option<ConsentRequest> {
    state
        .shared
        .login()
        .consent_requests()
        .into_iter()
        .find(|r| r.id == id)
}

/// `GET /_emulator/admin/consent-requests/{id}`.
pub(crate) async fn review(State(state): State<TenantState>, Path(id): Path<String>) -> Response {
    match find(&state, &id) {
        Some(request) => review_page(&request, None),
        None => page::error(90_002, "No such admin consent request."),
    }
}

/// `POST /_emulator/admin/consent-requests/{id}` (`login`, `decision=approve|deny`).
pub(crate) async fn decide(
    State(state): State<TenantState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let shared = &state.shared;
    let Some(request) = find(&state, &id) else {
        return page::error(90_002, "No such admin consent request.");
    };
    let form = Query::from_form(&body);
    let login = form.get("login").unwrap_or_default().trim().to_owned();
    if let Err((code, text)) = signed_in_user(shared, &login) {
        return review_page(&request, Some(&format!("AADSTS{code}: {text}")));
    }
    if !holds_consenting_role(shared, &login) {
        let text = format!(
            "AADSTS90093: {login} is not authorized to grant permissions for the organization. Sign in as a Global, Privileged Role, Application or Cloud Application Administrator."
        );
        return review_page(&request, Some(&text));
    }
    let approve = form.get("decision") == Some("approve");
    let mut ledger = shared.login();
    if approve {
        ledger.set_standing(&request.client_id, |s| {
            s.consented = true;
            s.permissions_granted = true;
        });
        ledger.close_consent_requests(&request.client_id, &login, RequestStatus::Approved);
    } else {
        ledger.decide_consent_request(&request.id, &login, RequestStatus::Denied);
    }
    drop(ledger);
    let mut response = StatusCode::SEE_OTHER.into_response();
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(LIST));
    response
}
