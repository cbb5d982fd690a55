//! Exchange Online turned on for a stored connection only once a one-mailbox `Get-Mailbox`
//! answers through the anchor mailbox; an account without the roles is refused with what to
//! assign and nothing is kept; turned off at once.

use std::sync::Arc;

use secrecy::SecretString;
use tenure::connect::{
    CustomerSecret, ExchangeChange, ExchangeSetupError, connect_customer_app, set_exchange,
};
use tenure::names::Upn;
use tenure::store::connections::ConnectionStore;
use tenure_emulator::ExchangeRole;

use super::helpers::{CLIENT_ID, SECRET, TestResult, connection, options, stores, tenant};

#[tokio::test]
async fn exchange_is_kept_only_once_get_mailbox_answers_and_an_account_without_roles_is_told_which()
-> TestResult {
    let t = tenant(|c| c.with_client_secret(CLIENT_ID, SECRET)).await?;
    let s = stores()?;
    let record = connection(&t, "contoso", t.tenant_id(), CLIENT_ID)?;
    let secret = CustomerSecret::ClientSecret(SecretString::from(SECRET.to_owned()));
    let id = connect_customer_app(
        record,
        secret,
        &s.connections,
        Arc::clone(&s.secrets),
        options(),
        jiff::Timestamp::now(),
    )
    .await?
    .connection
    .id;
    let enable = ExchangeChange::Enable {
        anchor: Upn::parse("admin@contoso.com")?,
    };
    let set = |change: ExchangeChange| {
        let secrets = Arc::clone(&s.secrets);
        let connections = &s.connections;
        let id = id.clone();
        async move {
            set_exchange(
                connections,
                secrets,
                None,
                &id,
                change,
                options(),
                jiff::Timestamp::now(),
            )
            .await
        }
    };

    // Without the roles: refused with the roles to assign, and nothing kept.
    t.handle()
        .set_exchange_role(CLIENT_ID, ExchangeRole::Missing);
    match set(enable.clone()).await {
        Err(ExchangeSetupError::Refused { advice }) => {
            assert!(advice.contains("Distribution Groups"), "{advice}");
            assert!(!advice.contains(SECRET));
        }
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    let (kept, _) = s.connections.get(&id).await?.ok_or("gone")?;
    assert!(!kept.exchange.enabled);

    // With them: proved by Get-Mailbox through the anchor, then kept.
    t.handle()
        .set_exchange_role(CLIENT_ID, ExchangeRole::Assigned);
    t.handle().clear_requests();
    let kept = set(enable).await?;
    assert!(kept.exchange.enabled);
    assert_eq!(
        kept.exchange.anchor_upn.as_ref().map(Upn::as_str),
        Some("admin@contoso.com")
    );
    assert!(
        t.handle()
            .requests()
            .iter()
            .any(|r| r.path.contains("InvokeCommand") && r.status == 200),
        "Get-Mailbox was run"
    );
    let (stored, _) = s.connections.get(&id).await?.ok_or("gone")?;
    assert_eq!(stored.exchange, kept.exchange);

    let off = set(ExchangeChange::Disable).await?;
    assert!(!off.exchange.enabled);
    Ok(())
}
