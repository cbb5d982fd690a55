//! The session cookie: tampered, forged, expired or signed out is no session; a rotated key
//! still opens the cookies sealed with the one before.

use jiff::{SignedDuration, Timestamp};
use tenure::auth::{Session, SessionCookies};
use tenure::store::secrets::KeyPurpose;

use super::helpers::{ADMIN, ApiEvent, Door, TestResult, get, post};

const COOKIE: &str = "__Host-tenure-session";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_forged_session_cookie_is_no_session() -> TestResult {
    let door = Door::new().await?;
    let mut browser = door.signed_in(ADMIN).await?;
    let value = browser.cookie(COOKIE).ok_or("no cookie")?.to_owned();
    let mut tampered = value.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let candidates = [
        String::from_utf8(tampered)?,
        format!("{value}x"),
        value[..value.len() - 4].to_owned(),
        r#"{"identity":{"tenant_id":"x"}}"#.to_owned(),
    ];
    for candidate in candidates {
        browser.set_cookie(COOKIE, &candidate);
        let answer = browser
            .send(&door.router, get("/connections/contoso/plugins"))
            .await?;
        assert_eq!(answer.status, 401, "{candidate}: {}", answer.body);
        let page = browser
            .send(
                &door.router,
                get("/connections/contoso/consent").header("accept", "text/html"),
            )
            .await?;
        assert_eq!(page.status, 302);
        assert!(
            page.header("location")
                .is_some_and(|l| l.starts_with("/signin?next="))
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_or_too_old_session_is_no_session() -> TestResult {
    let door = Door::new().await?;
    let mut browser = door.signed_in(ADMIN).await?;
    let json = browser.send(&door.router, get("/session")).await?.json()?;
    let identity = tenure::auth::Identity {
        tenant_id: json["tenant_id"].as_str().unwrap_or_default().to_owned(),
        object_id: json["object_id"].as_str().unwrap_or_default().to_owned(),
        username: ADMIN.to_owned(),
        name: String::new(),
        roles: vec![tenure_emulator::GLOBAL_ADMINISTRATOR.to_owned()],
    };
    let now = Timestamp::now();
    let idle = Session {
        seen_at: now - SignedDuration::from_mins(31),
        ..Session::new(identity.clone(), now - SignedDuration::from_hours(1))
    };
    let old = Session {
        seen_at: now - SignedDuration::from_mins(1),
        ..Session::new(identity.clone(), now - SignedDuration::from_hours(9))
    };
    let fresh = Session::new(identity, now);
    let cookies = SessionCookies::new(true);
    for (session, status) in [(idle, 401), (old, 401), (fresh, 200)] {
        let sealed = cookies.seal_session(&door.services.keys, &session).await?;
        let value = sealed
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .ok_or("no value")?
            .1
            .to_owned();
        browser.set_cookie(COOKIE, &value);
        let answer = browser
            .send(&door.router, get("/connections/contoso/plugins"))
            .await?;
        assert_eq!(answer.status, status, "{session:?}: {}", answer.body);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_session_key_still_opens_the_previous_cookies_once() -> TestResult {
    let door = Door::new().await?;
    let mut browser = door.signed_in(ADMIN).await?;
    door.services.keys.rotate(KeyPurpose::Session).await?;
    let answer = browser.send(&door.router, get("/session")).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    door.services.keys.rotate(KeyPurpose::Session).await?;
    let answer = browser.send(&door.router, get("/session")).await?;
    assert_eq!(
        answer.status, 401,
        "a key two rotations old still opens a session"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_and_takes_the_csrf_token() -> TestResult {
    let door = Door::new().await?;
    let mut browser = door.signed_in(ADMIN).await?;
    let without = browser.send(&door.router, post("/signout")).await?;
    assert_eq!(
        without.status, 403,
        "a sign-out without the token: {}",
        without.body
    );
    let token = browser.csrf_token(&door.router).await?;
    let answer = browser
        .send(
            &door.router,
            ApiEvent::post("POST /signout", "/signout")
                .domain(super::helpers::DOMAIN)
                .form(&format!("csrf_token={token}")),
        )
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let removal = answer
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>();
    assert!(
        removal
            .iter()
            .any(|v| v.starts_with(COOKIE) && v.contains("Max-Age=0")),
        "{removal:?}"
    );
    assert!(browser.cookie(COOKIE).is_none());
    let after = browser.send(&door.router, get("/session")).await?;
    assert_eq!(after.status, 401);
    Ok(())
}
