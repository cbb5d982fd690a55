//! The link flow, closed: only a signed-in administrator of the connection starts it, its
//! `state` works only in their session, and the callback keeps a refresh token only from an
//! administrator of the connection's own tenant.

use secrecy::ExposeSecret;
use tenure::connect::MAX_PENDING;
use tenure::connect::open_connection;
use tenure::microsoft::ClientOptions;
use tenure::store::connections::ConnectionStatus;
use tenure::store::connections::TenantId;
use tenure::store::secrets::{SecretKind, SecretName};
use tenure_emulator::IdTokenFault;
use tenure_test_support::admin::{APP, PUBLIC_URL, follow_microsoft};

use super::helpers::{
    ADMIN, ApiEvent, Browser, DOMAIN, Door, Error, MEMBER, OTHER_TENANT, TestResult, get,
};

/// Starts a link in `browser`'s session: where Microsoft sends the admin back.
async fn start(door: &Door, browser: &mut Browser, query: &str) -> Result<String, Error> {
    let answer = browser
        .send(
            &door.router,
            get("/connections/contoso/consent").query(query),
        )
        .await?;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let authorize = answer.header("location").ok_or("no location")?.to_owned();
    if query.is_empty() {
        assert!(
            authorize.contains("openid") && authorize.contains("nonce="),
            "{authorize}"
        );
    }
    follow_microsoft(&authorize).await
}

/// Sends Microsoft's redirect to `/oauth/callback` in `browser`.
async fn come_back(
    door: &Door,
    browser: &mut Browser,
    callback: &str,
) -> Result<super::helpers::Answer, Error> {
    let query = callback
        .strip_prefix(&format!("{PUBLIC_URL}/oauth/callback?"))
        .ok_or_else(|| format!("not the callback: {callback}"))?;
    browser
        .send(
            &door.router,
            ApiEvent::get("GET /oauth/callback", "/oauth/callback")
                .domain(DOMAIN)
                .query(query),
        )
        .await
}

async fn refresh_token(door: &Door) -> Result<Option<String>, Error> {
    let name = SecretName::for_connection(&door.connection, SecretKind::RefreshToken);
    Ok(door
        .services
        .secrets
        .get(&name)
        .await?
        .map(|(value, _)| value.expose_secret().to_owned()))
}

async fn pending_links(door: &Door) -> Result<Option<usize>, Error> {
    let name = SecretName::for_connection(&door.connection, SecretKind::Authorization);
    let Some((value, _)) = door.services.secrets.get(&name).await? else {
        return Ok(None);
    };
    let record: serde_json::Value = serde_json::from_str(value.expose_secret())?;
    Ok(record["pending"].as_array().map(Vec::len))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_links_the_connection_in_their_own_session() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let callback = start(&door, &mut admin, "").await?;
    let answer = come_back(&door, &mut admin, &callback).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(refresh_token(&door).await?.is_some());
    let consent = start(&door, &mut admin, "admin=1").await?;
    let answer = come_back(&door, &mut admin, &consent).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Consent granted"), "{}", answer.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_brought_into_another_session_is_refused_and_stays_usable() -> TestResult {
    let door = Door::new().await?;
    let mut victim = door.signed_in(ADMIN).await?;
    let callback = start(&door, &mut victim, "").await?;

    let mut attacker = door.signed_in(ADMIN).await?;
    let answer = come_back(&door, &mut attacker, &callback).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let mut anonymous = Browser::new();
    let answer = come_back(&door, &mut anonymous, &callback).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        refresh_token(&door).await?.is_none(),
        "a refresh token was kept"
    );

    let answer = come_back(&door, &mut victim, &callback).await?;
    assert_eq!(
        answer.status, 200,
        "the owner's link was spent: {}",
        answer.body
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_of_another_tenant_or_a_non_admin_keeps_no_refresh_token() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let callback = start(&door, &mut admin, "").await?;
    assert_eq!(come_back(&door, &mut admin, &callback).await?.status, 200);
    let linked = refresh_token(&door).await?.ok_or("not linked")?;

    // Microsoft's answer names another tenant.
    door.home
        .handle()
        .set_id_token_fault(Some(IdTokenFault::Tenant(OTHER_TENANT.to_owned())));
    let callback = start(&door, &mut admin, "").await?;
    let answer = come_back(&door, &mut admin, &callback).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    door.home.handle().set_id_token_fault(None);
    assert_eq!(
        refresh_token(&door).await?.as_deref(),
        Some(linked.as_str())
    );

    // A manager without an administrator role may start a link, but not finish one.
    door.add_manager(MEMBER).await?;
    let mut member = door.signed_in(MEMBER).await?;
    let callback = start(&door, &mut member, "").await?;
    let answer = come_back(&door, &mut member, &callback).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("administrator"), "{}", answer.body);
    assert_eq!(
        refresh_token(&door).await?.as_deref(),
        Some(linked.as_str())
    );

    // Nor grant the tenant-wide consent.
    let consent = start(&door, &mut member, "admin=1").await?;
    let answer = come_back(&door, &mut member, &consent).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    answer.assert_hides(&[&linked]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cannot_name_a_tenant_alias() {
    for alias in ["common", "organizations", "consumers", "Common"] {
        let error = TenantId::parse(alias).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("names no tenant")),
            "{alias}: {error:?}"
        );
    }
    let record = r#"{"id":"contoso","app":{"type":"tenure_app"},"cloud":"global",
        "tenant_id":"organizations","client_id":"77777777-8888-9999-aaaa-bbbbbbbbbbbb",
        "exchange":{"enabled":false},"status":{"state":"pending"},
        "created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}"#;
    assert!(serde_json::from_str::<tenure::store::connections::Connection>(record).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_anonymous_link_starts_keep_nothing() -> TestResult {
    let door = Door::new().await?;
    for _ in 0..1_000 {
        let answer = get("/connections/contoso/consent")
            .send(&door.router)
            .await?;
        assert_eq!(answer.status, 401);
    }
    assert_eq!(pending_links(&door).await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_flight_are_bounded_oldest_dropped() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let first = start(&door, &mut admin, "").await?;
    let mut last = String::new();
    for _ in 0..20 {
        last = start(&door, &mut admin, "").await?;
        assert!(
            pending_links(&door)
                .await?
                .is_some_and(|n| n <= MAX_PENDING)
        );
    }
    let dropped = come_back(&door, &mut admin, &first).await?;
    assert_eq!(
        dropped.status, 400,
        "the oldest link was kept: {}",
        dropped.body
    );
    let answer = come_back(&door, &mut admin, &last).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    Ok(())
}

/// Microsoft's admin consent workflow, end to end: a manager who may not consent is asked for
/// approval instead of a code, so the connection awaits admin approval (who asked, no token
/// kept), and the tenant's admins see the request. The manager cannot finish it by consenting
/// for the tenant; an administrator's consent through Tenure links it with Tenure's app's own
/// credential (no user's refresh token), the request shows approved, and the connection works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_asks_for_approval_and_an_administrators_consent_links_the_connection()
-> TestResult {
    let door = Door::new().await?;
    door.home.handle().set_admin_consent_workflow(true);
    door.home.handle().set_permissions_granted(APP, false);
    door.add_manager(MEMBER).await?;
    let mut member = door.signed_in(MEMBER).await?;
    let callback = start(&door, &mut member, "").await?;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let answer = come_back(&door, &mut member, &callback).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("Admin approval requested"),
        "{}",
        answer.body
    );
    let status = |door: &Door| {
        let connections = door.services.connections.clone();
        let id = door.connection.clone();
        async move { Ok::<_, Error>(connections.get(&id).await?.ok_or("gone")?.0) }
    };
    let record = status(&door).await?;
    assert!(
        matches!(&record.status, ConnectionStatus::AwaitingAdminApproval { requested_by, .. } if requested_by == MEMBER),
        "{:?}",
        record.status
    );
    assert!(refresh_token(&door).await?.is_none());
    let requests = format!("{}/_emulator/admin/consent-requests", door.home.uri());
    let page = reqwest::get(&requests).await?.text().await?;
    assert!(page.contains(MEMBER) && page.contains("Pending"), "{page}");

    let consent = start(&door, &mut member, "admin=1").await?;
    let answer = come_back(&door, &mut member, &consent).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(matches!(
        status(&door).await?.status,
        ConnectionStatus::AwaitingAdminApproval { .. }
    ));

    let mut admin = door.signed_in(ADMIN).await?;
    let consent = start(&door, &mut admin, "admin=1").await?;
    let answer = come_back(&door, &mut admin, &consent).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let record = status(&door).await?;
    assert_eq!(record.status, ConnectionStatus::Linked);
    assert!(refresh_token(&door).await?.is_none(), "no user's token");
    let page = reqwest::get(&requests).await?.text().await?;
    assert!(page.contains(&format!("Approved by {ADMIN}")), "{page}");
    let (graph, _) = open_connection(
        &record,
        door.services.secrets.clone(),
        door.services.tenure_app.as_deref(),
        ClientOptions::default(),
    )
    .await?;
    graph.tenant().await?;
    Ok(())
}
