//! API tokens for automation: made by a signed-in administrator, shown once, kept only as an
//! HMAC, bound to one connection, scoped, expiring and revocable; and attacked: expired,
//! revoked, tampered, malformed, another connection's, the wrong scope, a token making tokens,
//! a cookie beside a bearer standing in for CSRF. Every use is audited by the token's id, and
//! the secret appears in no answer, log line, audit record or stored secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use secrecy::ExposeSecret;
use tenure::clock::Clock;
use tenure::service::Services;
use tenure::store::connections::{ConnectionId, ConnectionType};
use tenure::store::secrets::{SecretKind, SecretName};
use tenure_test_support::admin::{APP, Browser};

use super::helpers::{ADMIN, Door, Error, TestResult, get, post, router};
use crate::support::{Answer, ApiEvent};

const PLUGINS: &str = "/connections/contoso/plugins";

/// Makes a token for `connection` as the signed-in `admin`: its answer.
pub(crate) async fn make_token(
    router: &axum::Router,
    admin: &mut Browser,
    connection: &str,
    body: serde_json::Value,
) -> Result<Answer, Error> {
    let csrf = admin.csrf_token(router).await?;
    admin
        .send(
            router,
            post(&format!("/connections/{connection}/tokens"))
                .header("x-csrf-token", &csrf)
                .header("content-type", "application/json")
                .body(body.to_string().as_bytes()),
        )
        .await
}

/// A token of `scopes` for `connection`: (its value, its id).
pub(crate) async fn token(
    router: &axum::Router,
    admin: &mut Browser,
    connection: &str,
    scopes: &[&str],
) -> Result<(String, String), Error> {
    let made = make_token(
        router,
        admin,
        connection,
        serde_json::json!({ "name": "CI", "scopes": scopes }),
    )
    .await?;
    assert_eq!(made.status, 201, "{}", made.body);
    let json = made.json()?;
    let value = json["token"].as_str().ok_or("no token")?.to_owned();
    let id = json["id"].as_str().ok_or("no id")?.to_owned();
    Ok((value, id))
}

/// `event` with `Authorization: Bearer <token>`.
pub(crate) fn bearer(event: ApiEvent, token: &str) -> ApiEvent {
    event.header("authorization", &format!("Bearer {token}"))
}

/// The deployment with a clock the test moves.
fn with_clock(door: &Door) -> (Services, axum::Router, Clock) {
    let clock = Clock::manual(Timestamp::now());
    let services = Services {
        clock: clock.clone(),
        ..door.services.clone()
    };
    let router = router(&services);
    (services, router, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_a_token_that_is_shown_once_and_kept_only_as_an_hmac() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let made = make_token(
        &door.router,
        &mut admin,
        "contoso",
        serde_json::json!({ "name": "CI uploads", "scopes": ["plugins:write", "plans:read"] }),
    )
    .await?;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.header("cache-control"), Some("no-store"));
    let json = made.json()?;
    let value = json["token"].as_str().ok_or("no token")?;
    let id = json["id"].as_str().ok_or("no id")?;
    let secret = value
        .strip_prefix(&format!("tenure_{id}_"))
        .ok_or("not tenure_<id>_<secret>")?;
    assert_eq!(secret.len(), 64, "256 bits of secret, as hex");
    assert_eq!(
        json["scopes"],
        serde_json::json!(["plugins:write", "plans:read"])
    );
    let created: Timestamp = json["created_at"]
        .as_str()
        .ok_or("no created_at")?
        .parse()?;
    let expires: Timestamp = json["expires_at"]
        .as_str()
        .ok_or("no expires_at")?
        .parse()?;
    assert_eq!(
        expires.duration_since(created),
        SignedDuration::from_hours(90 * 24)
    );

    let listed = admin
        .send(&door.router, get("/connections/contoso/tokens"))
        .await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let tokens = listed.json()?["tokens"].clone();
    assert_eq!(tokens[0]["id"], id);
    assert_eq!(tokens[0]["state"], "active");
    assert!(tokens[0].get("token").is_none() && tokens[0].get("hmac").is_none());
    listed.assert_hides(&[secret]);

    let name = SecretName::for_connection(&door.connection, SecretKind::ApiTokens);
    let (stored, _) = door
        .services
        .secrets
        .get(&name)
        .await?
        .ok_or("not stored")?;
    let stored = stored.expose_secret();
    assert!(!stored.contains(secret), "the secret itself is stored");
    assert!(stored.contains("\"hmac\""), "{stored}");

    let answer = bearer(get(PLUGINS), value).send(&door.router).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_does_only_what_its_scopes_allow() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let (writer, _) = token(&door.router, &mut admin, "contoso", &["plugins:write"]).await?;
    let (reader, reader_id) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let (hr, _) = token(&door.router, &mut admin, "contoso", &["hr:write"]).await?;
    let activate = format!("{PLUGINS}/{}/activate", "ab".repeat(32));

    // plugins:write may upload, activate and list (no such version: the handler answers).
    let listed = bearer(get(PLUGINS), &writer).send(&door.router).await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let activated = bearer(post(&activate), &writer).send(&door.router).await?;
    assert_eq!(activated.status, 404, "{}", activated.body);

    // plans:read may list, not upload or activate.
    let listed = bearer(get(PLUGINS), &reader).send(&door.router).await?;
    assert_eq!(listed.status, 200, "{}", listed.body);
    for refused in [
        bearer(post(&activate), &reader),
        bearer(
            post(PLUGINS)
                .header("content-type", "application/wasm")
                .body(b"\0asm\x01\0\0\0")
                .base64(),
            &reader,
        ),
    ] {
        let answer = refused.send(&door.router).await?;
        assert_eq!(answer.status, 403, "{}", answer.body);
        assert!(answer.error()?.contains(&reader_id), "{}", answer.body);
        assert!(answer.error()?.contains("plugins:write"), "{}", answer.body);
    }
    // hr:write reads no plugins.
    let answer = bearer(get(PLUGINS), &hr).send(&door.router).await?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        door.services.objects.list("plugins/").await?.is_empty(),
        "a refused upload was stored"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_revoked_tampered_malformed_and_foreign_tokens_answer_401() -> TestResult {
    let door = Door::new().await?;
    let (services, router, clock) = with_clock(&door);
    let fabrikam = ConnectionId::parse("fabrikam")?;
    let record = crate::support::tenant::connection_to(
        &door.home,
        &fabrikam,
        ConnectionType::TenureApp,
        APP,
    )?;
    services.connections.put_new(&record).await?;
    let mut admin = Browser::new();
    let signed_in = admin.sign_in(&router, &door.home, ADMIN, None).await?;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);

    let (foreign, _) = token(&router, &mut admin, "fabrikam", &["plans:read"]).await?;
    let (good, _) = token(&router, &mut admin, "contoso", &["plans:read"]).await?;
    let (revoked, revoked_id) = token(&router, &mut admin, "contoso", &["plans:read"]).await?;
    let short = make_token(
        &router,
        &mut admin,
        "contoso",
        serde_json::json!({ "name": "short", "scopes": ["plans:read"], "expires_in_days": 1 }),
    )
    .await?;
    let expiring = short.json()?["token"]
        .as_str()
        .ok_or("no token")?
        .to_owned();

    // The other connection's token works there, and nowhere else.
    let there = bearer(get("/connections/fabrikam/plugins"), &foreign)
        .send(&router)
        .await?;
    assert_eq!(there.status, 200, "{}", there.body);
    let here = bearer(get(PLUGINS), &foreign).send(&router).await?;
    assert_eq!(here.status, 401, "{}", here.body);
    let nowhere = bearer(get("/connections/nowhere/plugins"), &foreign)
        .send(&router)
        .await?;
    assert_eq!(nowhere.status, 401, "{}", nowhere.body);
    assert_eq!(
        here.error()?.replace("contoso", "X"),
        nowhere.error()?.replace("nowhere", "X"),
        "a connection that exists is told apart from one that does not"
    );

    let csrf = admin.csrf_token(&router).await?;
    let revoke = admin
        .send(
            &router,
            ApiEvent::new(
                "DELETE",
                "$default",
                format!("/connections/contoso/tokens/{revoked_id}"),
            )
            .domain(tenure_test_support::admin::DOMAIN)
            .header("x-csrf-token", &csrf),
        )
        .await?;
    assert_eq!(revoke.status, 200, "{}", revoke.body);
    assert_eq!(revoke.json()?["state"], "revoked");
    let answer = bearer(get(PLUGINS), &revoked).send(&router).await?;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.error()?.contains("revoked"), "{}", answer.body);

    let works = bearer(get(PLUGINS), &expiring).send(&router).await?;
    assert_eq!(works.status, 200, "{}", works.body);
    clock.advance(SignedDuration::from_hours(25));
    let answer = bearer(get(PLUGINS), &expiring).send(&router).await?;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.error()?.contains("expired"), "{}", answer.body);

    // One character of the secret changed; the id of a good token with a made-up secret;
    // not a token at all; another scheme.
    let mut tampered = good.clone();
    let last = if tampered.ends_with('0') { "1" } else { "0" };
    tampered.replace_range(tampered.len() - 1.., last);
    let id = good.split('_').nth(1).ok_or("no id")?;
    let made_up = format!("tenure_{id}_{}", "0".repeat(64));
    for bad in [
        format!("Bearer {tampered}"),
        format!("Bearer {made_up}"),
        "Bearer tenure_".to_owned(),
        format!("Bearer {}", &good[..good.len() - 1]),
        format!("Basic {good}"),
        "Bearer".to_owned(),
    ] {
        let answer = get(PLUGINS)
            .header("authorization", &bad)
            .send(&router)
            .await?;
        assert_eq!(answer.status, 401, "{bad}: {}", answer.body);
        assert_eq!(
            answer.error()?,
            "the API token is not valid for connection contoso",
            "{bad}"
        );
        assert!(
            answer
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer"))
        );
        answer.assert_hides(&[&good[good.len() - 64..]]);
    }
    let still = bearer(get(PLUGINS), &good).send(&router).await?;
    assert_eq!(still.status, 200, "{}", still.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_cannot_make_list_or_revoke_tokens() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let all = ["plugins:write", "hr:write", "plans:read", "plans:approve"];
    let (value, id) = token(&door.router, &mut admin, "contoso", &all).await?;
    let body = serde_json::json!({ "name": "minted", "scopes": all }).to_string();
    for request in [
        post("/connections/contoso/tokens")
            .header("content-type", "application/json")
            .body(body.as_bytes()),
        get("/connections/contoso/tokens"),
        ApiEvent::new(
            "DELETE",
            "$default",
            format!("/connections/contoso/tokens/{id}"),
        )
        .domain(tenure_test_support::admin::DOMAIN),
        get("/session"),
    ] {
        let answer = bearer(request, &value).send(&door.router).await?;
        assert_eq!(answer.status, 403, "{}", answer.body);
    }
    let listed = admin
        .send(&door.router, get("/connections/contoso/tokens"))
        .await?;
    let tokens = listed.json()?["tokens"].clone();
    assert_eq!(tokens.as_array().map(Vec::len), Some(1), "{tokens}");
    assert_eq!(tokens[0]["state"], "active");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_is_judged_alone_and_a_cookie_beside_it_never_stands_in_for_csrf() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let (reader, _) = token(&door.router, &mut admin, "contoso", &["plans:read"]).await?;
    let activate = format!("{PLUGINS}/{}/activate", "ab".repeat(32));
    // The admin's session may activate (with its CSRF token); without one, a made-up bearer
    // beside the cookie must not let the request through as the session.
    let forged = admin
        .send(
            &door.router,
            post(&activate).header("authorization", "Bearer forged"),
        )
        .await?;
    assert_eq!(forged.status, 401, "{}", forged.body);
    // A real token of too small a scope beside the admin's cookie: the token decides.
    let narrow = admin
        .send(&door.router, bearer(post(&activate), &reader))
        .await?;
    assert_eq!(narrow.status, 403, "{}", narrow.body);
    assert!(narrow.error()?.contains("plugins:write"), "{}", narrow.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_requests_say_what_is_wrong() -> TestResult {
    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    for (body, expected) in [
        (serde_json::json!({ "name": "x", "scopes": [] }), "scopes"),
        (
            serde_json::json!({ "name": "x", "scopes": ["admin"] }),
            "plans:approve",
        ),
        (
            serde_json::json!({ "name": "x", "scopes": ["hr:write"], "expires_in_days": 366 }),
            "365",
        ),
        (
            serde_json::json!({ "name": "x", "scopes": ["hr:write"], "expires_in_days": 0 }),
            "365",
        ),
        (
            serde_json::json!({ "name": " ", "scopes": ["hr:write"] }),
            "name",
        ),
    ] {
        let answer = make_token(&door.router, &mut admin, "contoso", body).await?;
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.error()?.contains(expected), "{}", answer.body);
    }
    // Without the session's CSRF token, no token is made.
    let answer = admin
        .send(
            &door.router,
            post("/connections/contoso/tokens")
                .header("content-type", "application/json")
                .body(br#"{"name":"x","scopes":["hr:write"]}"#),
        )
        .await?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    Ok(())
}

/// Every log line of the test, as written.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

// One thread, so that every log line of the requests reaches this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn every_use_is_audited_by_id_and_the_secret_is_in_no_log_answer_or_record() -> TestResult {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let door = Door::new().await?;
    let mut admin = door.signed_in(ADMIN).await?;
    let made = make_token(
        &door.router,
        &mut admin,
        "contoso",
        serde_json::json!({ "name": "CI", "scopes": ["plans:read"] }),
    )
    .await?;
    let value = made.json()?["token"].as_str().ok_or("no token")?.to_owned();
    let id = made.json()?["id"].as_str().ok_or("no id")?.to_owned();
    let secret = value[value.len() - 64..].to_owned();
    let mut answers = vec![
        bearer(get(PLUGINS), &value).send(&door.router).await?,
        bearer(post(PLUGINS), &value).send(&door.router).await?,
        bearer(get("/connections/contoso/tokens"), &value)
            .send(&door.router)
            .await?,
        bearer(get("/connections/nowhere/plugins"), &value)
            .send(&door.router)
            .await?,
    ];
    answers.push(
        admin
            .send(&door.router, get("/connections/contoso/tokens"))
            .await?,
    );
    for answer in &answers {
        answer.assert_hides(&[&secret]);
    }

    let mut records = Vec::new();
    for key in door.services.objects.list("audit/contoso/").await? {
        let (bytes, _) = door.services.objects.get(&key).await?.ok_or("gone")?;
        let text = String::from_utf8(bytes)?;
        assert!(
            !text.contains(&secret),
            "the secret is in audit record {key}"
        );
        for line in text.lines() {
            records.push(serde_json::from_str::<serde_json::Value>(line)?);
        }
    }
    let uses: Vec<_> = records
        .iter()
        .filter(|r| r["actor"]["token_id"] == id.as_str())
        .map(|r| (r["method"].as_str().unwrap_or(""), r["status"].as_u64()))
        .collect();
    assert!(uses.contains(&("GET", Some(200))), "{records:?}");
    assert!(uses.contains(&("POST", Some(403))), "{records:?}");
    let made_by = records
        .iter()
        .find(|r| r["method"] == "POST" && r["path"] == "/connections/contoso/tokens")
        .ok_or("the token's creation is not audited")?;
    assert_eq!(made_by["actor"]["kind"], "user", "{made_by}");

    let logs = logs.text();
    assert!(logs.contains(&id), "no log line names the token: {logs}");
    assert!(!logs.contains(&secret), "the secret is in a log line");
    Ok(())
}
