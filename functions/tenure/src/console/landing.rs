//! `GET /`: the public landing page, which offers sign-in (in the reader's national cloud,
//! among those this deployment lets admins sign in from).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::labels;
use super::page::{Chrome, Partial, allow_forms_to, answer};
use crate::microsoft::NationalCloud;
use crate::service::Services;

#[derive(Template)]
#[template(path = "console/landing.html", blocks = ["content"])]
struct Landing {
    chrome: Option<Chrome>,
    title: &'static str,
    /// (configuration name, label) of each cloud admins may sign in from.
    clouds: Vec<(&'static str, &'static str)>,
}

/// The landing page.
pub(crate) async fn page(State(services): State<Services>, partial: Partial) -> Response {
    let page = Landing {
        chrome: None,
        title: "Sign in",
        clouds: NationalCloud::ALL
            .into_iter()
            .filter(|cloud| services.admin.authority(*cloud).is_some())
            .map(|cloud| (cloud.name(), labels::cloud(cloud)))
            .collect(),
    };
    let logins: Vec<String> = services
        .admin
        .authorities
        .iter()
        .filter_map(|(_, login)| crate::auth::csrf::origin_of(login))
        .collect();
    allow_forms_to(
        answer(
            StatusCode::OK,
            partial,
            page.title,
            || page.render(),
            || page.as_content().render(),
        ),
        &logins,
    )
}
