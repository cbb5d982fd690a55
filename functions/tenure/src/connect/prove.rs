//! Proving a connection works: a token, a harmless Graph read, and (when Exchange is on) a
//! harmless Exchange read; Microsoft's refusals turned into what the administrator should do.

use std::sync::Arc;

use super::error::ConnectError;
use crate::microsoft::{
    ApiError, ClientOptions, ExchangeClient, GraphClient, TokenError, TokenSource,
};
use crate::store::connections::{Connection, ConnectionType};

/// The application permissions a customer's app is asked to have admin consent for (docs/connections.md).
pub const APPLICATION_PERMISSIONS: &str = "User.ReadWrite.All, Group.ReadWrite.All, Directory.ReadWrite.All, User.EnableDisableAccount.All, UserAuthenticationMethod.ReadWrite.All, Mail.Send";

/// What Exchange needs of the account Tenure acts as.
pub const EXCHANGE_ROLES: &str = "a role group with the Distribution Groups, Security Group Creation and Membership, and Mail Recipients roles (such as Recipient Management), and for an app the Exchange.ManageAsApp permission";

/// Gets a Graph token, reads the tenant (`GET /organization`), and, when Exchange is enabled,
/// runs a harmless `Get-Mailbox` (one mailbox). Returns the clients for use.
pub async fn prove(
    connection: &Connection,
    tokens: Arc<TokenSource>,
    options: ClientOptions,
) -> Result<(GraphClient, Option<ExchangeClient>), ConnectError> {
    let endpoints = connection.endpoints();
    let token_error = |source| ConnectError::Token {
        advice: token_advice(connection, &source),
        source,
    };
    tokens
        .token(&connection.cloud.graph_scope())
        .await
        .map_err(token_error)?;
    let graph = GraphClient::new(&endpoints, Arc::clone(&tokens), options.clone())
        .map_err(|source| api_error(connection, source))?;
    graph
        .tenant()
        .await
        .map_err(|source| api_error(connection, source))?;
    if !connection.exchange.enabled {
        return Ok((graph, None));
    }
    let anchor = connection.exchange.anchor_upn.as_ref().ok_or_else(|| {
        ConnectError::Settings(format!(
            "connection {} has Exchange enabled but no anchor mailbox (the service account's UPN)",
            connection.id
        ))
    })?;
    let exchange = ExchangeClient::new(&endpoints, tokens, anchor.as_str(), options)
        .map_err(|source| exchange_error(connection, source))?;
    let mut parameters = serde_json::Map::new();
    parameters.insert("ResultSize".into(), serde_json::json!(1));
    exchange
        .invoke("Get-Mailbox", parameters)
        .await
        .map_err(|source| exchange_error(connection, source))?;
    Ok((graph, Some(exchange)))
}

/// What to do about a refused token request.
pub fn token_advice(connection: &Connection, error: &TokenError) -> String {
    let tenant = connection.tenant_id.as_str();
    let cloud = connection.cloud;
    let client = connection.client_id.as_str();
    let description = match error {
        TokenError::InvalidClient { description }
        | TokenError::InvalidGrant { description }
        | TokenError::ConsentRequired { description }
        | TokenError::Refused { description, .. } => description.as_str(),
        _ => "",
    };
    match error {
        TokenError::UnknownTenant { .. } => format!(
            "tenant {tenant} is not known to the {cloud} cloud's login service: check the tenant id or domain, and whether the tenant is in another national cloud"
        ),
        TokenError::AppNotFound { .. } => format!(
            "no app with client id {client} in tenant {tenant}: check the client id (Entra ID → App registrations → Application (client) ID) and that the app is registered in this tenant"
        ),
        TokenError::InvalidClient { .. } if description.contains("AADSTS7000222") => format!(
            "the client secret of app {client} has expired: create a new one under Certificates & secrets and connect again"
        ),
        TokenError::InvalidClient { .. }
            if description.contains("AADSTS700027") || description.contains("AADSTS700024") =>
        {
            format!(
                "app {client} does not accept this certificate: upload the certificate to the app registration (Certificates & secrets → Certificates) and connect again"
            )
        }
        TokenError::InvalidClient { .. } => format!(
            "Microsoft refused the credentials of app {client}: the client secret is wrong or expired; create a new one and connect again"
        ),
        _ if description.contains("AADSTS500011") => format!(
            "tenant {tenant} does not know the {cloud} cloud's Microsoft Graph: the tenant is in another national cloud; set the connection's cloud to the tenant's"
        ),
        TokenError::ConsentRequired { .. } => format!(
            "an administrator of tenant {tenant} must grant admin consent to app {client} for {APPLICATION_PERMISSIONS}"
        ),
        TokenError::InvalidGrant { .. } if connection.app == ConnectionType::TenureApp => {
            format!(
                "the link to tenant {tenant} has expired or was revoked: an administrator must link it again"
            )
        }
        other => other.to_string(),
    }
}

fn api_error(connection: &Connection, source: ApiError) -> ConnectError {
    let advice = match source.status() {
        Some(401 | 403) => format!(
            "app {} got a token but may not read tenant {}: an administrator must grant admin consent for {APPLICATION_PERMISSIONS} ({source})",
            connection.client_id, connection.tenant_id
        ),
        _ => match &source {
            ApiError::Token(token) => token_advice(connection, token),
            other => format!("cannot read tenant {}: {other}", connection.tenant_id),
        },
    };
    ConnectError::Api { advice, source }
}

fn exchange_error(connection: &Connection, source: ApiError) -> ConnectError {
    let denied = matches!(source.status(), Some(401 | 403))
        || source.to_string().contains("management role")
        || source.to_string().contains("isn't assigned");
    let advice = if denied {
        format!(
            "Exchange Online refused the connection's account ({}): it needs {EXCHANGE_ROLES} ({source})",
            connection
                .exchange
                .anchor_upn
                .as_ref()
                .map_or("the app", |u| u.as_str())
        )
    } else {
        match &source {
            ApiError::Token(token) => token_advice(connection, token),
            other => format!(
                "cannot reach Exchange Online for tenant {}: {other}",
                connection.tenant_id
            ),
        }
    };
    ConnectError::Api { advice, source }
}
