//! The console's routes as the `console` Lambda runs them (API Gateway events through
//! `lambda_http`): the page or its htmx partial, sign-in for a browser without a session, the
//! connections a caller may manage with their last run, no secret on a page, the static files.
//! The browser journeys are in tests/console (headless Chromium).

use jiff::Timestamp;
use tenure::console::console_routes;
use tenure::microsoft::NationalCloud;
use tenure::store::connections::{
    BaseUrl, ClientId, Connection, ConnectionId, ConnectionType, CustomerCredential,
    EndpointOverrides, TenantId,
};
use tenure::store::objects::{Condition, ObjectKey};
use tenure::store::secrets::SecretKind;

use super::helpers::{ApiEvent, Local, TestResult};

/// Another tenant than the operator's.
const TENANT: &str = "4f0b6c9e-2d3a-4b5c-8d7e-9f0a1b2c3d4e";
const SECRET: &str = "customer-secret-never-shown~X81";

/// A connection in a national cloud whose every endpoint is a closed port on loopback: what
/// reads the tenant (a review before an approval) fails at once, and nothing leaves the machine.
async fn stored(local: &Local, id: &str) -> TestResult<Connection> {
    let mut connection = Connection::new(
        ConnectionId::parse(id)?,
        ConnectionType::CustomerApp {
            credential: CustomerCredential::ClientSecret,
        },
        NationalCloud::UsGovHigh,
        TenantId::parse(TENANT)?,
        ClientId::parse("11111111-2222-3333-4444-555555555555")?,
        Timestamp::now(),
    );
    connection.endpoints = EndpointOverrides::all_at(&closed_port()?);
    local.connections.put_new(&connection).await?;
    local
        .secrets
        .put_new(
            &connection.secret_name(SecretKind::ClientSecret),
            &SECRET.to_owned().into(),
        )
        .await?;
    Ok(connection)
}

/// `http://127.0.0.1:<port>` with nothing listening on the port.
fn closed_port() -> TestResult<BaseUrl> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(BaseUrl::parse(&format!("http://127.0.0.1:{port}"))?)
}

#[tokio::test]
async fn an_operator_sees_every_connection_with_its_last_run_and_no_secret() -> TestResult {
    let local = Local::new()?;
    stored(&local, "contoso").await?;
    let (services, session) = local.signed_in(None).await?;
    let line = |at: &str| {
        format!(
            "{{\"at\":\"{at}\",\"employee_id\":\"1001\",\"action\":\"create_user\",\"before\":null,\"after\":{{}},\"reason\":\"new hire\"}}\n"
        )
    };
    for (key, body) in [
        (
            "audit/contoso/2026-12-01/d1-aaaa.jsonl",
            line("2026-12-01T10:00:00Z"),
        ),
        (
            "audit/contoso/2026-12-03/d2-bbbb.jsonl",
            line("2026-12-03T09:00:00Z") + &line("2026-12-03T09:00:01Z"),
        ),
        (
            "audit/contoso/2026-12-03/d3-cccc.jsonl",
            line("2026-12-03T08:00:00Z"),
        ),
    ] {
        services
            .objects
            .put(
                &ObjectKey::parse(key)?,
                body.into_bytes(),
                Condition::Always,
            )
            .await?;
    }
    let router = console_routes(services);

    let page = session
        .on(ApiEvent::get("GET /console", "/console"))
        .send(&router)
        .await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.starts_with("<!doctype html>"), "{}", page.body);
    assert!(page.body.contains(r#"href="/console/connections/contoso""#));
    assert!(page.body.contains("US Government GCC High"));
    assert!(page.body.contains("Not linked yet"));
    assert!(
        page.body.contains("2026-12-03 09:00:01 UTC"),
        "the newest run"
    );
    assert!(
        page.body.contains("2 changes applied (d2)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("operator of this deployment") || page.body.contains("Operator"));
    page.assert_hides(&[SECRET, &session.cookie]);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|csp| csp.contains("script-src 'self'") && !csp.contains("unsafe")),
    );

    let partial = session
        .on(ApiEvent::get("GET /console", "/console").header("hx-request", "true"))
        .send(&router)
        .await?;
    assert_eq!(partial.status, 200);
    assert!(
        partial
            .body
            .starts_with("<title>Connections · Tenure</title>"),
        "{}",
        partial.body
    );
    assert!(!partial.body.contains("<html"), "only the content");
    assert!(partial.body.contains("contoso"));
    Ok(())
}

#[tokio::test]
async fn a_browser_without_a_session_is_sent_to_sign_in_and_back() -> TestResult {
    let local = Local::new()?;
    let router = console_routes(local.services(None)?);
    let answer = ApiEvent::get("GET /console", "/console")
        .header("accept", "text/html,application/xhtml+xml")
        .send(&router)
        .await?;
    assert_eq!(answer.status, 302);
    assert_eq!(answer.header("location"), Some("/signin?next=%2Fconsole"));
    let api = ApiEvent::get("GET /console", "/console")
        .send(&router)
        .await?;
    assert_eq!(api.status, 401);
    // An htmx request of a page open since before the session ended: htmx is told to go to
    // sign-in and back to the page the browser is on.
    let htmx = ApiEvent::post(
        "POST /console/connections/{id}/approvals/{approval}/approve",
        "/console/connections/contoso/approvals/a1/approve",
    )
    .header("hx-request", "true")
    .header(
        "hx-current-url",
        "https://tenure.example/console/connections/contoso/approvals",
    )
    .send(&router)
    .await?;
    assert_eq!(htmx.status, 401);
    assert_eq!(
        htmx.header("hx-redirect"),
        Some("/signin?next=%2Fconsole%2Fconnections%2Fcontoso%2Fapprovals")
    );
    Ok(())
}

#[tokio::test]
async fn the_landing_page_and_the_static_files_are_public() -> TestResult {
    let local = Local::new()?;
    let router = console_routes(local.services(None)?);
    let landing = ApiEvent::get("GET /", "/").send(&router).await?;
    assert_eq!(landing.status, 200);
    assert!(landing.body.contains(r#"action="/signin""#));
    assert!(
        landing
            .header("content-security-policy")
            .is_some_and(|csp| csp.contains("form-action 'self' https://login.microsoftonline.com")),
        "the sign-in form may go on to Microsoft"
    );
    let htmx = ApiEvent::get("GET /console/{proxy+}", "/console/assets/htmx.min.js")
        .send(&router)
        .await?;
    assert_eq!(htmx.status, 200);
    assert!(htmx.body.starts_with("var htmx="));
    let missing = ApiEvent::get("GET /console/{proxy+}", "/console/assets/secrets.txt")
        .send(&router)
        .await?;
    assert_eq!(missing.status, 404);
    Ok(())
}

#[tokio::test]
async fn an_approval_takes_the_forms_csrf_token_and_records_who_approved() -> TestResult {
    use tenure::service::guard::{self, ApprovalStatus};

    let local = Local::new()?;
    let connection = stored(&local, "contoso").await?;
    let (services, session) = local.signed_in(None).await?;
    let held = guard::hold(
        &services,
        &connection.id,
        crate::support::forty_disables_held(),
    )
    .await?;
    let router = console_routes(services.clone());
    let listed = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/contoso/approvals",
        ))
        .send(&router)
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(listed.body.contains("it disables 40 of 50 managed users"));
    assert!(
        listed.body.contains("No plan yet"),
        "no mapping to plan with"
    );
    assert!(listed.body.contains(&format!(
        "name=\"csrf_token\" value=\"{}\"",
        session.csrf_token
    )));

    let path = format!("/console/connections/contoso/approvals/{}/approve", held.id);
    let forged = session
        .forged_console_form(&path, "csrf_token=not-the-token&plan_digest=none")
        .send(&router)
        .await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let still = guard::list(services.objects.as_ref(), &connection.id).await?;
    assert_eq!(still[0].status, ApprovalStatus::Pending);

    let approved = session
        .console_form(&path, "plan_digest=none")
        .send(&router)
        .await?;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert!(
        approved.body.contains("released to provisioning"),
        "{}",
        approved.body
    );
    let after = guard::list(services.objects.as_ref(), &connection.id).await?;
    let ApprovalStatus::Approved { by, .. } = &after[0].status else {
        return Err("not approved".into());
    };
    assert!(by.starts_with("user:"), "{by}");
    let again = session
        .console_form(&path, "plan_digest=none")
        .send(&router)
        .await?;
    assert!(again.body.contains("approved before"), "{}", again.body);
    Ok(())
}

#[tokio::test]
async fn a_connections_pages_say_what_it_asks_for_and_never_its_secret() -> TestResult {
    let local = Local::new()?;
    stored(&local, "contoso").await?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services);
    let page = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/contoso",
        ))
        .send(&router)
        .await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("a client secret, kept in the secret store (never shown)")
    );
    page.assert_hides(&[SECRET]);
    let permissions = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/contoso/permissions",
        ))
        .send(&router)
        .await?;
    for name in [
        "User.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.ReadWrite.All",
        "User.EnableDisableAccount.All",
    ] {
        assert!(permissions.body.contains(name), "{name}");
    }
    let missing = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/nowhere",
        ))
        .send(&router)
        .await?;
    assert_eq!(missing.status, 404);
    Ok(())
}

#[tokio::test]
async fn the_activity_page_filters_by_worker_and_day_and_says_what_is_wrong_with_a_filter()
-> TestResult {
    let local = Local::new()?;
    stored(&local, "contoso").await?;
    let (services, session) = local.signed_in(None).await?;
    let record = |at: &str, worker: &str| {
        format!(
            "{{\"at\":\"{at}\",\"employee_id\":\"{worker}\",\"action\":\"disable_user\",\"before\":{{\"accountEnabled\":true}},\"after\":{{\"accountEnabled\":false}},\"reason\":\"terminated\",\"request_id\":\"req-{worker}\"}}\n"
        )
    };
    for (key, body) in [
        (
            "audit/contoso/2026-12-01/d1-aaaa.jsonl",
            record("2026-12-01T10:00:00Z", "1001"),
        ),
        (
            "audit/contoso/2026-12-03/d2-bbbb.jsonl",
            record("2026-12-03T09:00:00Z", "1002") + &record("2026-12-03T09:00:01Z", "1003"),
        ),
    ] {
        services
            .objects
            .put(
                &ObjectKey::parse(key)?,
                body.into_bytes(),
                Condition::Always,
            )
            .await?;
    }
    let router = console_routes(services);
    let get = |query: &str| {
        session
            .on(ApiEvent::get(
                "GET /console/{proxy+}",
                "/console/connections/contoso/activity",
            ))
            .query(query.to_owned())
    };
    let all = get("").send(&router).await?;
    assert_eq!(all.status, 200, "{}", all.body);
    for id in ["req-1001", "req-1002", "req-1003"] {
        assert!(all.body.contains(id), "{id}");
    }
    let worker = get("worker=1002").send(&router).await?;
    assert!(worker.body.contains("req-1002"));
    assert!(!worker.body.contains("req-1003") && !worker.body.contains("req-1001"));
    let day = get("day=2026-12-01").send(&router).await?;
    assert!(day.body.contains("req-1001") && !day.body.contains("req-1002"));
    let wrong = get("day=yesterday").send(&router).await?;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong
            .body
            .contains("<p class=\"field-error\" id=\"day-error\">&#34;yesterday&#34; is not a day"),
        "{}",
        wrong.body
    );
    Ok(())
}

#[tokio::test]
async fn creating_a_connection_says_what_is_wrong_next_to_the_field_and_keeps_nothing() -> TestResult
{
    let local = Local::new()?;
    // Another tenant's connection, under the name an operator's form will ask for.
    stored(&local, "taken").await?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services.clone());
    let form = |fields: &str| session.console_form("/console/connections/new", fields);
    let empty = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/new",
        ))
        .send(&router)
        .await?;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(
        empty
            .body
            .contains("Application (client) ID on your app&#39;s Overview blade")
            || empty.body.contains("Overview blade")
    );

    let wrong = form("name=+++&cloud=mars&client_id=&tenant_id=not+a+tenant&client_secret=")
        .send(&router)
        .await?;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    for field in ["name", "cloud", "client_id", "tenant_id", "client_secret"] {
        assert!(
            wrong.body.contains(&format!("id=\"{field}-error\"")),
            "no error next to {field}: {}",
            wrong.body
        );
    }
    assert_eq!(services.connections.list().await?.len(), 1, "nothing kept");
    let two_lines = form("name=Two%0Alines&cloud=global").send(&router).await?;
    assert!(
        two_lines.body.contains("it has a control character"),
        "{}",
        two_lines.body
    );

    let forged = session
        .forged_console_form("/console/connections/new", "name=New+one&cloud=global&client_id=a&tenant_id=4f0b6c9e-2d3a-4b5c-8d7e-9f0a1b2c3d4e&client_secret=s")
        .send(&router)
        .await?;
    assert_eq!(forged.status, 403, "no CSRF token: {}", forged.body);
    assert_eq!(services.connections.list().await?.len(), 1, "nothing kept");
    Ok(())
}

/// A new connection's id is a slug of its name: a name whose id is taken gets the first free
/// suffix (the other connection untouched), a reserved word of the console's routes is never an
/// id, and a connection that was kept but does not work comes back with its id, so saving again
/// fixes it instead of making another.
#[tokio::test]
async fn a_new_connections_id_is_its_names_slug_never_taken_never_reserved() -> TestResult {
    let local = Local::new()?;
    let taken = stored(&local, "taken").await?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services.clone());
    let form = |fields: &str| session.console_form("/console/connections/new", fields);
    // Nothing listens at the endpoint: each connection is kept, and its proof fails.
    let fields = format!(
        "cloud=global&client_id=tenure-local&tenant_id={TENANT}&client_secret=s&endpoint=http%3A%2F%2F127.0.0.1%3A9"
    );
    for (name, shown, id) in [
        ("Taken", "Taken", "taken-2"),
        ("+T%C3%A4ken+", "Täken", "taken-3"),
        ("New", "New", "new-connection"),
    ] {
        let answer = form(&format!("name={name}&{fields}")).send(&router).await?;
        assert_eq!(answer.status, 422, "{}", answer.body);
        assert!(
            answer.body.contains(&format!(
                "<input type=\"hidden\" name=\"id\" value=\"{id}\">"
            )),
            "{name} is kept as {id}: {}",
            answer.body
        );
        let (kept, _) = services
            .connections
            .get(&ConnectionId::parse(id)?)
            .await?
            .ok_or(id)?;
        assert_eq!(kept.display_name(), shown);
    }
    let untouched = services.connections.get(&taken.id).await?.ok_or("taken")?.0;
    assert_eq!(untouched, taken);
    // Saving the kept one again fixes it: no fourth connection.
    let again = form(&format!("name=Taken&id=taken-2&{fields}"))
        .send(&router)
        .await?;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(services.connections.list().await?.len(), 4);
    Ok(())
}

/// The Exchange Online form: how Exchange is reached for the connection and the roles to assign
/// (each with why); a mailbox that is not a UPN and a role not confirmed are each said next to
/// their field, and nothing is kept; without the form's CSRF token nothing is done.
#[tokio::test]
async fn the_exchange_form_says_what_is_wrong_next_to_the_field_and_keeps_nothing() -> TestResult {
    let local = Local::new()?;
    let contoso = stored(&local, "contoso").await?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services.clone());
    let page = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/contoso/exchange",
        ))
        .send(&router)
        .await?;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "App-only: the app&#39;s own token",
        "Distribution Groups",
        "Security Group Creation and Membership",
        "Mail Recipients",
        "aria-current=\"page\">Exchange Online</a>",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let exchange = "/console/connections/contoso/exchange";
    let form = |fields: &str| session.console_form(exchange, fields);
    let wrong = form("enabled=on&anchor=not+a+mailbox&role-distribution-groups=on")
        .send(&router)
        .await?;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"anchor-error\""), "{}", wrong.body);
    assert!(
        wrong
            .body
            .contains("Security Group Creation and Membership, Mail Recipients missing"),
        "{}",
        wrong.body
    );
    let forged = session
        .forged_console_form(exchange, "enabled=on&anchor=svc%40contoso.com")
        .send(&router)
        .await?;
    assert_eq!(forged.status, 403);
    let (kept, _) = services.connections.get(&contoso.id).await?.ok_or("gone")?;
    assert_eq!(kept.exchange, contoso.exchange);
    Ok(())
}

/// A boosted form's answer keeps the address bar on the page the form was on: htmx would
/// otherwise put the POST-only address into the history, and a reload would answer 405. A
/// form sent without htmx and a page asked for with GET are left alone.
#[tokio::test]
async fn a_form_answered_with_a_page_keeps_the_address_of_the_page_it_was_on() -> TestResult {
    let local = Local::new()?;
    let (services, session) = local.signed_in(None).await?;
    let router = console_routes(services.clone());
    let form = || session.console_form("/console/connections/new", "name=+++&cloud=global");

    // htmx gets the refused form's content (as 200, which it swaps in).
    let refused = form().header("hx-request", "true").send(&router).await?;
    assert!(
        refused.body.contains("id=\"name-error\""),
        "{}",
        refused.body
    );
    assert_eq!(refused.header("hx-push-url"), Some("false"));

    let without_htmx = form().send(&router).await?;
    assert_eq!(without_htmx.status, 400, "{}", without_htmx.body);
    assert_eq!(without_htmx.header("hx-push-url"), None);

    let page = session
        .on(ApiEvent::get(
            "GET /console/{proxy+}",
            "/console/connections/new",
        ))
        .header("hx-request", "true")
        .send(&router)
        .await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("hx-push-url"), None);
    Ok(())
}
