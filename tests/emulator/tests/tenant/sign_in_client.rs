//! A client of the login endpoints written from Microsoft's documentation: PKCE pairs,
//! authorize and admin-consent URLs, a browser that does not follow redirects, the parameters
//! a redirect carries, and code redemption.

use base64::Engine as _;
use reqwest::StatusCode;
use sha2::Digest as _;
use tenure_emulator::{RegisteredClient, TenantConfig};

use crate::helpers::{Answer, TestTenant, spawn_with};

/// Tenure's app in these tests: multi-tenant, a confidential client with a secret.
pub(crate) const APP: &str = "7c3a1c52-9a0e-4d51-8f0b-5a1d2e3f4a5b";
pub(crate) const APP_SECRET: &str = "link~secret.value";
pub(crate) const CALLBACK: &str = "https://tenure.example.com/connections/callback";
pub(crate) const ADMIN: &str = "admin@contoso.onmicrosoft.com";
pub(crate) const SCOPES: &str = "https://graph.microsoft.com/User.ReadWrite.All https://graph.microsoft.com/Group.ReadWrite.All https://graph.microsoft.com/Directory.AccessAsUser.All offline_access";

/// A PKCE verifier and its `S256` challenge.
pub(crate) struct Pkce {
    pub(crate) verifier: String,
    pub(crate) challenge: String,
}

impl Pkce {
    pub(crate) fn new() -> Self {
        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// Tenure's app registered (multi-tenant, not yet consented) in a tenant answering sign-ins
/// as `config` says.
pub(crate) fn with_app(config: TenantConfig) -> TenantConfig {
    config.with_app(
        RegisteredClient::with_secret(APP, APP_SECRET)
            .redirect_uris(&[CALLBACK, "http://localhost/cb", "http://127.0.0.1:8400/cb"])
            .multi_tenant(),
    )
}

/// A tenant where the admin signs in and accepts at once.
pub(crate) async fn accepting() -> Result<TestTenant, Box<dyn std::error::Error>> {
    spawn_with(|c| with_app(c).with_auto_consent(ADMIN)).await
}

/// The parameters of a redirect's `Location` (query or fragment), in order.
pub(crate) struct Redirect {
    pub(crate) location: String,
    pub(crate) params: Vec<(String, String)>,
}

impl Redirect {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        self.params.iter().map(|(k, _)| k.as_str()).collect()
    }
}

impl TestTenant {
    /// A client that shows redirects instead of following them, as a test browser.
    pub(crate) fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    }

    /// `/{tenant}/oauth2/v2.0/authorize` with these parameters.
    pub(crate) fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!(
            "{}/{}/oauth2/v2.0/authorize?{query}",
            self.tenant.uri(),
            self.tenant.tenant_id()
        )
    }

    /// `/{tenant}/v2.0/adminconsent` with these parameters.
    pub(crate) fn admin_consent_url(&self, params: &[(&str, &str)]) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!(
            "{}/{}/v2.0/adminconsent?{query}",
            self.tenant.uri(),
            self.tenant.tenant_id()
        )
    }

    /// A GET that must answer `302`: its redirect.
    pub(crate) async fn redirected(
        &self,
        url: &str,
    ) -> Result<Redirect, Box<dyn std::error::Error>> {
        let response = Self::browser().get(url).send().await?;
        let status = response.status();
        if status != StatusCode::FOUND {
            let body = response.text().await?;
            return Err(format!("expected a 302, got {status}: {body}").into());
        }
        redirect_of(&response)
    }

    /// A GET that must answer a page (no redirect): its HTML.
    pub(crate) async fn page(&self, url: &str) -> Result<String, Box<dyn std::error::Error>> {
        let response = Self::browser().get(url).send().await?;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("location").is_none());
        let html = response.text().await?;
        Ok(html)
    }

    /// A sign-in with PKCE for Tenure's scopes, answered at once: the redirect.
    pub(crate) async fn sign_in(
        &self,
        pkce: &Pkce,
        state: &str,
    ) -> Result<Redirect, Box<dyn std::error::Error>> {
        self.redirected(&self.authorize_url(&authorize_params(CALLBACK, SCOPES, state, pkce)))
            .await
    }

    /// A code for Tenure's scopes: signs in and returns it with its verifier.
    pub(crate) async fn code(&self) -> Result<(String, Pkce), Box<dyn std::error::Error>> {
        let pkce = Pkce::new();
        let redirect = self.sign_in(&pkce, "s-1").await?;
        let code = redirect.get("code").ok_or("no code")?.to_owned();
        Ok((code, pkce))
    }

    /// Redeems a code with the app's secret.
    pub(crate) async fn redeem(
        &self,
        code: &str,
        verifier: &str,
        extra: &[(&str, &str)],
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("client_secret", APP_SECRET),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ];
        form.extend_from_slice(extra);
        self.token_request(&form).await
    }

    /// Refreshes with the app's secret.
    pub(crate) async fn refresh(
        &self,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", APP),
            ("client_secret", APP_SECRET),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token_request(&form).await
    }

    /// Signs in and redeems: the token answer.
    pub(crate) async fn delegated_tokens(&self) -> Result<Answer, Box<dyn std::error::Error>> {
        let (code, pkce) = self.code().await?;
        let answer = self.redeem(&code, &pkce.verifier, &[]).await?;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        Ok(answer)
    }
}

/// The parameters of an authorize request for a code with PKCE `S256`.
pub(crate) fn authorize_params<'a>(
    redirect_uri: &'a str,
    scope: &'a str,
    state: &'a str,
    pkce: &'a Pkce,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", APP),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("response_mode", "query"),
        ("scope", scope),
        ("state", state),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// The redirect a `302` answer carries.
pub(crate) fn redirect_of(
    response: &reqwest::Response,
) -> Result<Redirect, Box<dyn std::error::Error>> {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Location")?
        .to_owned();
    let encoded = location
        .split_once('#')
        .or_else(|| location.split_once('?'))
        .map(|(_, q)| q)
        .unwrap_or_default();
    let params = form_urlencoded::parse(encoded.as_bytes())
        .into_owned()
        .collect();
    Ok(Redirect { location, params })
}
