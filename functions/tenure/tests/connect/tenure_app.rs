//! Tenure's app linked by an administrator: the authorize and admin-consent round trips,
//! every way a callback can be wrong, delegated tokens from the kept refresh token, rotation
//! under concurrency, revocation, and each national cloud.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use tenure::auth::OidcVerifier;
use tenure::connect::{
    Callback, LinkError, LinkOwner, Linked, TenureApp, finish_link, start_link, status_after,
    token_source,
};
use tenure::microsoft::{ApiError, ClientCredential, GraphClient, NationalCloud, TokenError};
use tenure::store::connections::{Connection, ConnectionStatus, ConnectionStore};
use tenure::store::secrets::SecretKind;
use tenure_emulator::{EmulatedTenant, RegisteredClient, SignIn, TenantConfig};

use super::helpers::{Error, Stores, TestResult, connection, options, stores, tenant};

const APP: &str = "77777777-8888-9999-aaaa-bbbbbbbbbbbb";
const APP_SECRET: &str = "tenure-app-secret~Lk3";
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
const ADMIN: &str = "admin@contoso.onmicrosoft.com";

fn app(redirect: &str) -> TenureApp {
    TenureApp {
        client_id: APP.to_owned(),
        credential: ClientCredential::Secret(SecretString::from(APP_SECRET.to_owned())),
        redirect_uri: redirect.to_owned(),
    }
}

fn registered(config: TenantConfig) -> TenantConfig {
    config
        .with_app(
            RegisteredClient::with_secret(APP, APP_SECRET)
                .redirect_uris(&[REDIRECT])
                .multi_tenant(),
        )
        .with_auto_consent(ADMIN)
}

/// A connection through Tenure's app to `t`, kept in `s`.
async fn linkable(t: &EmulatedTenant, s: &Stores) -> Result<Connection, Error> {
    let record = connection(t, "contoso", t.tenant_id(), APP)?;
    s.connections.put_new(&record).await?;
    Ok(record)
}

/// Follows a sign-in URL as the browser would, up to the redirect back to Tenure.
async fn browse(url: &str) -> Result<(u16, Option<Callback>, String), Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = client.get(url).send().await?;
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = answer.text().await?;
    let callback = location
        .filter(|l| l.starts_with(REDIRECT))
        .map(|l| Callback::from_query(l.split_once('?').map_or("", |(_, q)| q)));
    Ok((status, callback, body))
}

async fn sign_in(url: &str) -> Result<Callback, Error> {
    let (status, callback, body) = browse(url).await?;
    callback.ok_or_else(|| format!("no redirect back ({status}): {body}").into())
}

/// Starts linking `record` with Tenure's app at its registered redirect URI.
async fn start(s: &Stores, record: &Connection) -> Result<tenure::connect::LinkStart, LinkError> {
    start_link(
        &app(REDIRECT),
        record,
        s.secrets.as_ref(),
        LinkOwner::Operator,
        jiff::Timestamp::now(),
    )
    .await
}

/// Starts a link and signs in: the linked connection.
async fn signed_in(s: &Stores, record: &Connection) -> Result<Connection, Error> {
    let start = start_link(
        &app(REDIRECT),
        record,
        s.secrets.as_ref(),
        LinkOwner::Operator,
        jiff::Timestamp::now(),
    )
    .await?;
    match finish(s, &sign_in(&start.authorize_url).await?).await? {
        Linked::SignedIn { connection } => Ok(connection),
        other => Err(format!("expected a sign-in, got {other:?}").into()),
    }
}

async fn finish(s: &Stores, callback: &Callback) -> Result<Linked, LinkError> {
    finish_link(
        &app(REDIRECT),
        callback,
        &s.connections,
        s.secrets.as_ref(),
        LinkOwner::Operator,
        &OidcVerifier::new(),
        jiff::Timestamp::now(),
    )
    .await
}

#[tokio::test]
async fn an_admin_links_the_tenant_and_syncs_read_with_delegated_tokens() -> TestResult {
    let t = tenant(registered).await?;
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    let start = start(&s, &record).await?;
    assert!(start.authorize_url.contains("code_challenge_method=S256"));
    assert!(start.authorize_url.contains("offline_access"));
    assert!(start.authorize_url.contains("Directory.AccessAsUser.All"));
    // First-day access: passes and mail from the sender mailbox, consented with the rest.
    assert!(
        start
            .authorize_url
            .contains("UserAuthenticationMethod.ReadWrite.All")
    );
    assert!(start.authorize_url.contains("Mail.Send.Shared"));

    let linked = finish(&s, &sign_in(&start.authorize_url).await?).await?;
    let Linked::SignedIn { connection } = linked else {
        return Err("the sign-in links".into());
    };
    assert_eq!(connection.status, ConnectionStatus::Linked);
    let name = connection.secret_name(SecretKind::RefreshToken);
    let (first, _) = s.secrets.get(&name).await?.ok_or("refresh token kept")?;

    let consented = finish(&s, &sign_in(&start.admin_consent_url).await?).await?;
    assert!(
        matches!(consented, Linked::Consented { .. }),
        "{consented:?}"
    );
    assert!(t.handle().consented(APP));

    let tokens =
        Arc::new(token_source(&connection, Arc::clone(&s.secrets), Some(&app(REDIRECT))).await?);
    let graph = GraphClient::new(&connection.endpoints(), tokens, options())?;
    assert_eq!(graph.list_users().await?.len(), 39);
    let (rotated, _) = s.secrets.get(&name).await?.ok_or("still kept")?;
    assert_ne!(
        rotated.expose_secret(),
        first.expose_secret(),
        "the rotated refresh token is kept"
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_forged_replayed_expired_or_foreign_state_is_refused() -> TestResult {
    let t = tenant(registered).await?;
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    let start = start(&s, &record).await?;
    let good = sign_in(&start.authorize_url).await?;

    let missing = Callback {
        state: None,
        ..good.clone()
    };
    assert!(matches!(
        finish(&s, &missing).await,
        Err(LinkError::MissingState)
    ));
    let forged = Callback {
        state: Some("contoso.forged-nonce".into()),
        ..good.clone()
    };
    assert!(matches!(
        finish(&s, &forged).await,
        Err(LinkError::UnknownState)
    ));
    let foreign = Callback {
        state: good
            .state
            .as_ref()
            .map(|st| st.replacen("contoso", "fabrikam", 1)),
        ..good.clone()
    };
    assert!(matches!(
        finish(&s, &foreign).await,
        Err(LinkError::UnknownState)
    ));

    let late = finish_link(
        &app(REDIRECT),
        &good,
        &s.connections,
        s.secrets.as_ref(),
        LinkOwner::Operator,
        &OidcVerifier::new(),
        jiff::Timestamp::now() + jiff::SignedDuration::from_mins(11),
    )
    .await;
    assert!(matches!(late, Err(LinkError::ExpiredState)), "{late:?}");

    finish(&s, &good).await?;
    let replay = finish(&s, &good).await.expect_err("a replay");
    assert!(matches!(replay, LinkError::ReusedState), "{replay:?}");
    assert!(replay.to_string().contains("works once"), "{replay}");
    Ok(())
}

#[tokio::test]
async fn a_code_redeemed_with_another_sign_ins_verifier_is_refused() -> TestResult {
    let t = tenant(registered).await?;
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    let first = start(&s, &record).await?;
    let second = start(&s, &record).await?;
    let from_first = sign_in(&first.authorize_url).await?;
    let from_second = sign_in(&second.authorize_url).await?;
    // The first sign-in's code under the second's state: the second's verifier does not match.
    let swapped = Callback {
        state: from_second.state.clone(),
        ..from_first
    };
    let error = finish(&s, &swapped).await.expect_err("PKCE mismatch");
    assert!(
        matches!(error, LinkError::Token(TokenError::InvalidGrant { .. })),
        "{error:?}"
    );
    assert!(error.to_string().contains("AADSTS501481"), "{error}");
    let name = record.secret_name(SecretKind::RefreshToken);
    assert!(s.secrets.get(&name).await?.is_none(), "nothing kept");
    Ok(())
}

#[tokio::test]
async fn a_redirect_uri_one_character_off_is_never_redirected_to() -> TestResult {
    let t = tenant(registered).await?;
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    for wrong in [
        "http://127.0.0.1:53682/callback/",
        "http://127.0.0.1:53682/Callback",
        "http://127.0.0.1:53683/callback",
    ] {
        let start = start_link(
            &app(wrong),
            &record,
            s.secrets.as_ref(),
            LinkOwner::Operator,
            jiff::Timestamp::now(),
        )
        .await?;
        let (status, callback, body) = browse(&start.authorize_url).await?;
        assert!(callback.is_none(), "{wrong}");
        assert!(!(300..400).contains(&status), "{wrong}: {status}");
        assert!(body.contains("AADSTS50011"), "{body}");
    }
    Ok(())
}

#[tokio::test]
async fn a_declined_consent_says_so() -> TestResult {
    let t = tenant(registered).await?;
    t.handle().set_sign_in(SignIn::Decline);
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    let start = start(&s, &record).await?;
    for url in [&start.authorize_url, &start.admin_consent_url] {
        let error = finish(&s, &sign_in(url).await?)
            .await
            .expect_err("declined");
        assert!(matches!(error, LinkError::Declined { .. }), "{error:?}");
        assert!(error.to_string().contains("declined to consent"), "{error}");
    }
    Ok(())
}

#[tokio::test]
async fn a_revoked_refresh_token_marks_the_connection_for_re_linking() -> TestResult {
    let t = tenant(registered).await?;
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    let connection = signed_in(&s, &record).await?;
    assert!(t.handle().revoke_user_sessions(ADMIN) > 0);
    let tokens =
        Arc::new(token_source(&connection, Arc::clone(&s.secrets), Some(&app(REDIRECT))).await?);
    let graph = GraphClient::new(&connection.endpoints(), tokens, options())?;
    let error = graph.list_users().await.expect_err("revoked");
    assert!(
        matches!(&error, ApiError::Token(TokenError::InvalidGrant { .. })),
        "{error:?}"
    );
    let status = status_after(&connection, &error).ok_or("a status")?;
    assert!(
        matches!(&status, ConnectionStatus::NeedsRelink { reason } if reason.contains("link it again")),
        "{status:?}"
    );
    Ok(())
}

#[tokio::test]
async fn concurrent_refreshes_never_lose_the_newest_refresh_token() -> TestResult {
    let t = tenant(registered).await?;
    let s = stores()?;
    let record = linkable(&t, &s).await?;
    let connection = signed_in(&s, &record).await?;
    // Eight hosts refresh the same connection at once, each with its own token source.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let tokens =
            token_source(&connection, Arc::clone(&s.secrets), Some(&app(REDIRECT))).await?;
        let scope = connection.cloud.graph_scope();
        tasks.push(tokio::spawn(async move {
            tokens.token(&scope).await.map(|_| ())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let issued = t.handle().refresh_tokens();
    assert_eq!(issued.len(), 9, "one from the sign-in, one per refresh");
    // The kept token is one Microsoft issued, still valid, and a new host can use it.
    let tokens = token_source(&connection, Arc::clone(&s.secrets), Some(&app(REDIRECT))).await?;
    tokens.token(&connection.cloud.graph_scope()).await?;
    Ok(())
}

#[tokio::test]
async fn linking_works_in_every_national_cloud() -> TestResult {
    for cloud in NationalCloud::ALL {
        let t = tenant(|c| registered(c.in_cloud(cloud))).await?;
        let s = stores()?;
        let mut record = connection(&t, "contoso", t.tenant_id(), APP)?;
        record.cloud = cloud;
        s.connections.put_new(&record).await?;
        let start = start(&s, &record).await?;
        let graph_host = cloud.hosts().graph;
        assert!(
            start.authorize_url.contains(graph_host),
            "{cloud}: {}",
            start.authorize_url
        );
        let Linked::SignedIn { connection } =
            finish(&s, &sign_in(&start.authorize_url).await?).await?
        else {
            return Err(format!("{cloud}: linked").into());
        };
        let tokens = Arc::new(
            token_source(&connection, Arc::clone(&s.secrets), Some(&app(REDIRECT))).await?,
        );
        let graph = GraphClient::new(&connection.endpoints(), tokens, options())?;
        assert_eq!(graph.list_users().await?.len(), 39, "{cloud}");
    }
    Ok(())
}
