//! Signing in with Microsoft: the session it gives, and every way an ID token or a callback can
//! be wrong, each refused without a session.

use tenure_emulator::{GLOBAL_ADMINISTRATOR, IdTokenFault};
use tenure_test_support::admin::{APP_SECRET, follow_microsoft};

use super::helpers::{ADMIN, ApiEvent, Browser, DOMAIN, Door, OTHER_TENANT, TestResult, get};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_gives_a_host_only_http_only_session_naming_the_user() -> TestResult {
    let door = Door::new().await?;
    let mut browser = Browser::new();
    let answer = browser
        .sign_in(&door.router, &door.home, ADMIN, None)
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Signed in as"), "{}", answer.body);
    let cookie = answer
        .headers
        .iter()
        .find(|(n, v)| n == "set-cookie" && v.starts_with("__Host-tenure-session="))
        .map(|(_, v)| v.clone())
        .ok_or("no session cookie")?;
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    // The sign-in cookie is gone once used.
    assert!(browser.cookie("__Host-tenure-sign-in").is_none());

    let session = browser.send(&door.router, get("/session")).await?.json()?;
    assert_eq!(session["tenant_id"], door.home.tenant_id());
    assert_eq!(session["username"], ADMIN);
    assert_eq!(session["administrator"], true);
    let roles = session["roles"].as_array().ok_or("no roles")?;
    assert!(roles.iter().any(|r| r == GLOBAL_ADMINISTRATOR), "{session}");

    // Nothing secret in what the browser saw: the app's secret, the session's own value.
    let value = browser
        .cookie("__Host-tenure-session")
        .ok_or("no cookie")?
        .to_owned();
    answer.assert_hides(&[APP_SECRET]);
    assert!(!answer.body.contains(&value));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_with_a_wrong_signature_audience_issuer_nonce_or_lifetime_is_refused()
-> TestResult {
    let door = Door::new().await?;
    let faults = [
        (IdTokenFault::WrongSignature, "signature"),
        (
            IdTokenFault::Audience("another-app".to_owned()),
            "another application",
        ),
        (
            IdTokenFault::Issuer(format!(
                "https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"
            )),
            "issuer",
        ),
        (
            IdTokenFault::Issuer("https://sts.evil.example/v2.0".to_owned()),
            "issuer",
        ),
        (IdTokenFault::Nonce("replayed-nonce".to_owned()), "nonce"),
        (IdTokenFault::Expired, "expired"),
    ];
    for (fault, reason) in faults {
        door.home.handle().set_id_token_fault(Some(fault.clone()));
        let mut browser = Browser::new();
        let answer = browser
            .sign_in(&door.router, &door.home, ADMIN, None)
            .await?;
        assert_eq!(answer.status, 400, "{fault:?} accepted: {}", answer.body);
        assert!(answer.body.contains(reason), "{fault:?}: {}", answer.body);
        assert!(
            browser.cookie("__Host-tenure-session").is_none(),
            "{fault:?} gave a session"
        );
        let session = browser.send(&door.router, get("/session")).await?;
        assert_eq!(session.status, 401, "{fault:?}");
    }
    door.home.handle().set_id_token_fault(None);
    let mut browser = Browser::new();
    assert_eq!(
        browser
            .sign_in(&door.router, &door.home, ADMIN, None)
            .await?
            .status,
        200
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_over_signing_key_is_fetched_again() -> TestResult {
    let door = Door::new().await?;
    door.signed_in(ADMIN).await?;
    door.home.handle().rotate_signing_key();
    door.signed_in(ADMIN).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_in_another_browser_or_with_another_state_is_refused() -> TestResult {
    let door = Door::new().await?;
    door.home
        .handle()
        .set_sign_in(tenure_emulator::SignIn::Accept {
            user: ADMIN.to_owned(),
        });
    let mut victim = Browser::new();
    let started = victim
        .send(
            &door.router,
            ApiEvent::get("GET /signin", "/signin").domain(DOMAIN),
        )
        .await?;
    let authorize = started.header("location").ok_or("no location")?.to_owned();
    let callback = follow_microsoft(&authorize).await?;

    // The attacker's browser never started this sign-in.
    let mut attacker = Browser::new();
    let stolen = attacker.finish(&door.router, &callback).await?;
    assert_eq!(stolen.status, 400, "{}", stolen.body);
    assert!(attacker.cookie("__Host-tenure-session").is_none());

    // The right browser with a state that is not its own.
    let forged = callback.replace("state=", "state=x");
    let answer = victim.finish(&door.router, &forged).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(victim.cookie("__Host-tenure-session").is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sign_in_the_admin_goes_only_to_a_local_path() -> TestResult {
    let door = Door::new().await?;
    for next in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:x",
    ] {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish();
        let answer = ApiEvent::get("GET /signin", "/signin")
            .domain(DOMAIN)
            .query(query)
            .send(&door.router)
            .await?;
        assert_eq!(answer.status, 400, "{next}: {}", answer.body);
    }
    door.home
        .handle()
        .set_sign_in(tenure_emulator::SignIn::Accept {
            user: ADMIN.to_owned(),
        });
    let mut browser = Browser::new();
    let started = browser
        .send(
            &door.router,
            ApiEvent::get("GET /signin", "/signin")
                .domain(DOMAIN)
                .query("next=%2Fconnections%2Fcontoso%2Fplugins"),
        )
        .await?;
    let callback = follow_microsoft(started.header("location").ok_or("no location")?).await?;
    let answer = browser.finish(&door.router, &callback).await?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        Some("/connections/contoso/plugins")
    );
    Ok(())
}
