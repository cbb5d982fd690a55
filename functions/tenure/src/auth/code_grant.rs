//! Redeeming an authorization code (with its PKCE verifier and the app's credential) through
//! the `oauth2` crate, keeping the OpenID Connect `id_token` of the answer as well as the
//! refresh token.

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeVerifier, RedirectUrl, StandardRevocableToken, StandardTokenResponse,
    TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::microsoft::{ClientCredential, TokenError};

/// The `id_token` field of a token answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What a redeemed code gave.
pub(crate) struct Redeemed {
    /// The refresh token (with `offline_access`).
    pub(crate) refresh_token: Option<SecretString>,
    /// The ID token (with `openid`).
    pub(crate) id_token: Option<String>,
}

/// The app redeeming a code: its client id, credential and the redirect URI the code was sent
/// to.
pub(crate) struct CodeClient<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) credential: &'a ClientCredential,
    pub(crate) redirect_uri: &'a str,
    /// The tenant named in errors.
    pub(crate) tenant: &'a str,
}

/// Redeems `code` at `token_url`.
pub(crate) async fn redeem(
    app: &CodeClient<'_>,
    token_url: &str,
    code: &str,
    verifier: &str,
) -> Result<Redeemed, TokenError> {
    let malformed = |message: String| TokenError::Malformed { message };
    let mut client: OidcClient = oauth2::Client::new(ClientId::new(app.client_id.to_owned()))
        .set_token_uri(
            TokenUrl::new(token_url.to_owned())
                .map_err(|e| malformed(format!("the token URL is not a URL: {e}")))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(app.redirect_uri.to_owned())
                .map_err(|e| malformed(format!("the redirect URI is not a URL: {e}")))?,
        )
        .set_auth_type(oauth2::AuthType::RequestBody);
    if let ClientCredential::Secret(secret) = app.credential {
        client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| TokenError::Unreachable {
            url: token_url.to_owned(),
            message: e.to_string(),
        })?;
    let mut request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
    if let ClientCredential::Certificate(certificate) = app.credential {
        let params = certificate
            .token_request_params(app.client_id, token_url)
            .map_err(|e| malformed(e.to_string()))?;
        for (name, value) in params {
            request = request.add_extra_param(name, value);
        }
    }
    let answer = request
        .request_async(&http)
        .await
        .map_err(|e| crate::microsoft::token_error(e, app.tenant, app.client_id, token_url))?;
    Ok(Redeemed {
        refresh_token: answer
            .refresh_token()
            .map(|t| SecretString::from(t.secret().clone())),
        id_token: answer.extra_fields().id_token.clone(),
    })
}
