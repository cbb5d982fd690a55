//! Microsoft's admin consent workflow: a user who may not grant an app its admin-only
//! permissions gets "Approval required", asks with a justification, and goes back to the app
//! with `AADSTS90094`; the tenant's admins see the request (who asked, why) and approve or deny
//! it; approved, the user signs in without asking again.

use reqwest::StatusCode;

use crate::helpers::{TestResult, TestTenant, spawn_with};
use crate::sign_in_client::{
    ADMIN, APP, CALLBACK, Pkce, SCOPES, authorize_params, redirect_of, with_app,
};

const MEMBER: &str = "olivia.bennett@contoso.com";

fn context_of(html: &str) -> Result<String, Box<dyn std::error::Error>> {
    Ok(html
        .split("name=\"ctx\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no ctx on the page")?
        .to_owned())
}

async fn post(
    url: &str,
    form: &[(&str, &str)],
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    Ok(TestTenant::browser().post(url).form(form).send().await?)
}

/// Signs `user` in on the page for Tenure's scopes: the answer to the sign-in form.
async fn sign_in(
    t: &TestTenant,
    user: &str,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let pkce = Pkce::new();
    let html = t
        .page(&t.authorize_url(&authorize_params(CALLBACK, SCOPES, "s<1>", &pkce)))
        .await?;
    let login = format!("{}/{}/login", t.tenant.uri(), t.tenant.tenant_id());
    post(
        &login,
        &[
            ("ctx", &context_of(&html)?),
            ("login", user),
            ("consent", "accept"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_member_asks_for_approval_and_an_administrator_reviews_it() -> TestResult {
    let t = spawn_with(|c| {
        with_app(c)
            .with_sample_roles()
            .with_admin_consent_workflow()
    })
    .await?;
    let requests = format!("{}/_emulator/admin/consent-requests", t.tenant.uri());

    // Approval required: no code, a justification box.
    let answer = sign_in(&t, MEMBER).await?;
    assert_eq!(answer.status(), StatusCode::OK);
    let html = answer.text().await?;
    assert!(html.contains("<h1>Approval required</h1>"), "{html}");
    assert!(
        html.contains("<li class=\"permission\">User.ReadWrite.All</li>"),
        "{html}"
    );
    let context = context_of(&html)?;
    let form = format!("{}/{}/consentrequest", t.tenant.uri(), t.tenant.tenant_id());
    let empty = post(
        &form,
        &[
            ("ctx", &context),
            ("justification", " "),
            ("action", "request"),
        ],
    )
    .await?;
    assert!(empty.text().await?.contains("Enter a justification"));
    let sent = post(
        &form,
        &[
            ("ctx", &context),
            ("justification", "HR <sync> for Contoso"),
            ("action", "request"),
        ],
    )
    .await?;
    assert!(sent.text().await?.contains("<h1>Request sent</h1>"));
    let back = post(&form, &[("ctx", &context), ("action", "return")]).await?;
    assert_eq!(back.status(), StatusCode::FOUND);
    let redirect = redirect_of(&back)?;
    assert_eq!(redirect.get("error"), Some("access_denied"));
    assert!(
        redirect
            .get("error_description")
            .is_some_and(|d| d.starts_with("AADSTS90094: ")),
        "{:?}",
        redirect.get("error_description")
    );
    assert_eq!(redirect.get("state"), Some("s<1>"));
    assert!(redirect.get("code").is_none());

    // The admins' page: who asked and why (escaped), pending; only an administrator decides.
    let list = reqwest::get(&requests).await?.text().await?;
    assert!(
        list.contains(MEMBER) && list.contains("HR &lt;sync&gt; for Contoso"),
        "{list}"
    );
    assert!(list.contains("Pending"), "{list}");
    let review = list
        .split("href=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|h| h.starts_with("/_emulator/admin/consent-requests/"))
        })
        .ok_or("no Review permissions and consent link")?
        .to_owned();
    let review = format!("{}{review}", t.tenant.uri());
    let page = reqwest::get(&review).await?.text().await?;
    assert!(page.contains("Review permissions and consent") && page.contains("User.ReadWrite.All"));
    let refused = post(&review, &[("login", MEMBER), ("decision", "approve")]).await?;
    assert!(refused.text().await?.contains("AADSTS90093"));
    assert!(!t.tenant.handle().consented(APP));

    // Approved: the member signs in and gets a code, without asking again.
    let approved = post(&review, &[("login", ADMIN), ("decision", "approve")]).await?;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let list = reqwest::get(&requests).await?.text().await?;
    assert!(list.contains(&format!("Approved by {ADMIN}")), "{list}");
    let answer = sign_in(&t, MEMBER).await?;
    assert_eq!(answer.status(), StatusCode::FOUND);
    assert!(redirect_of(&answer)?.get("code").is_some());
    Ok(())
}

#[tokio::test]
async fn a_denied_request_shows_denied_and_leaving_without_asking_is_declining() -> TestResult {
    let t = spawn_with(|c| {
        with_app(c)
            .with_sample_roles()
            .with_admin_consent_workflow()
    })
    .await?;
    let form = format!("{}/{}/consentrequest", t.tenant.uri(), t.tenant.tenant_id());
    let html = sign_in(&t, MEMBER).await?.text().await?;
    let back = post(&form, &[("ctx", &context_of(&html)?), ("action", "return")]).await?;
    let redirect = redirect_of(&back)?;
    assert!(
        redirect
            .get("error_description")
            .is_some_and(|d| d.starts_with("AADSTS65004: ")),
        "{:?}",
        redirect.get("error_description")
    );

    let html = sign_in(&t, MEMBER).await?.text().await?;
    let context = context_of(&html)?;
    post(
        &form,
        &[
            ("ctx", &context),
            ("justification", "please"),
            ("action", "request"),
        ],
    )
    .await?;
    let requests = format!("{}/_emulator/admin/consent-requests", t.tenant.uri());
    let list = reqwest::get(&requests).await?.text().await?;
    let review = list
        .split("href=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|h| h.starts_with("/_emulator/admin/consent-requests/"))
        })
        .ok_or("no review link")?
        .to_owned();
    post(
        &format!("{}{review}", t.tenant.uri()),
        &[("login", ADMIN), ("decision", "deny")],
    )
    .await?;
    let list = reqwest::get(&requests).await?.text().await?;
    assert!(list.contains(&format!("Denied by {ADMIN}")), "{list}");
    assert!(!t.tenant.handle().consented(APP));
    // A non-administrator cannot grant admin consent either.
    let consent = t.admin_consent_url(&[
        ("client_id", APP),
        ("scope", "https://graph.microsoft.com/.default"),
        ("redirect_uri", CALLBACK),
        ("state", "c-1"),
    ]);
    let html = t.page(&consent).await?;
    let login = format!("{}/{}/login", t.tenant.uri(), t.tenant.tenant_id());
    let refused = post(
        &login,
        &[
            ("ctx", &context_of(&html)?),
            ("login", MEMBER),
            ("consent", "accept"),
        ],
    )
    .await?;
    assert!(refused.text().await?.contains("AADSTS90093"));
    assert!(!t.tenant.handle().consented(APP));
    Ok(())
}
