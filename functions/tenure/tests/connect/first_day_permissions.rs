//! What a connection asks the tenant for covers first-day access: Temporary Access Passes
//! (`UserAuthenticationMethod.ReadWrite.All`) and mail from the sender mailbox (`Mail.Send`
//! for the customer's app, `Mail.Send.Shared` delegated for Tenure's app), each with the line
//! that says why (the console's "Permissions requested" page).

use tenure::connect::{PermissionKind, delegated_scopes, requested};
use tenure::microsoft::NationalCloud;
use tenure::store::connections::{
    ClientId, Connection, ConnectionId, ConnectionType, CustomerCredential, TenantId,
};

use super::helpers::{Error, TestResult};

fn of_type(app: ConnectionType) -> Result<Connection, Error> {
    Ok(Connection::new(
        ConnectionId::parse("contoso")?,
        app,
        NationalCloud::Global,
        TenantId::parse("contoso.onmicrosoft.com")?,
        ClientId::parse("33333333-4444-5555-6666-777777777777")?,
        jiff::Timestamp::now(),
    ))
}

#[test]
fn both_connection_types_ask_for_passes_and_mail_and_say_why() -> TestResult {
    let cases = [
        (
            ConnectionType::CustomerApp {
                credential: CustomerCredential::ClientSecret,
            },
            PermissionKind::Application,
            ["UserAuthenticationMethod.ReadWrite.All", "Mail.Send"],
        ),
        (
            ConnectionType::TenureApp,
            PermissionKind::Delegated,
            ["UserAuthenticationMethod.ReadWrite.All", "Mail.Send.Shared"],
        ),
    ];
    for (app, kind, wanted) in cases {
        let asked = requested(&of_type(app)?);
        for name in wanted {
            let permission = asked
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| format!("{name} is not asked for: {asked:?}"))?;
            assert_eq!(permission.kind, kind, "{name}");
            assert!(!permission.why.is_empty(), "{name} says why");
        }
    }
    let scopes = delegated_scopes(NationalCloud::UsGovHigh);
    assert!(
        scopes.contains(&"https://graph.microsoft.us/Mail.Send.Shared".to_owned()),
        "{scopes:?}"
    );
    Ok(())
}
