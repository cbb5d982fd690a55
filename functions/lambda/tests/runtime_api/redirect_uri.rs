//! `consent` and `oauth-callback` as deployed. The SAM template cannot tell them the API's URL
//! (the API's routes refer to the functions, so the reverse would be a circular dependency): they
//! build the OAuth redirect URI from the domain API Gateway received each request on, or from
//! `TENURE_PUBLIC_URL` when the deployment names a custom domain. An administrator links a
//! tenant through the two binaries, with the redirect URI registered in the form the stack's
//! `OAuthRedirectUri` output gives it; the emulated tenant, like Microsoft, refuses any other.
//! The administrator is an operator of the deployment (`TENURE_OPERATORS`) with a session cookie
//! sealed with the deployment's session key in Secrets Manager, as the `sign-in` function seals
//! it.

use secrecy::ExposeSecret;
use serde_json::Value;
use tenure::store::connections::{
    ConnectionId, ConnectionStatus, ConnectionStore, ConnectionType, S3ConnectionStore,
};
use tenure::store::secrets::{SecretKind, SecretName, SecretStore, SecretsManagerStore};
use tenure_emulator::{EmulatedTenant, RegisteredClient};
use tenure_test_support::apigw::ApiEvent;
use tenure_test_support::{aws, tenant};

use crate::stack::{Error, OPERATOR, Process, Stack, TestResult, operator_cookie};

/// Tenure's app in the emulated tenant, and its secret (never to be seen in output).
const APP: &str = "0c0ffee0-1111-2222-3333-444455556666";
const APP_SECRET: &str = "tenure-app-e2e-secret-Qz81";
const ADMIN: &str = "admin@contoso.onmicrosoft.com";
/// What API Gateway reports as `requestContext.domainName` for a request to the API's own URL,
/// `https://<api-id>.execute-api.<region>.amazonaws.com/`.
const API_DOMAIN: &str = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com";

/// moto, a tenant with Tenure's app registered for `registered`, a connection through Tenure's
/// app to it, and `consent` and `oauth-callback` running with Tenure's app (and
/// `TENURE_PUBLIC_URL` when given).
struct Linking {
    stack: Stack,
    tenant: EmulatedTenant,
    connection: ConnectionId,
    config: aws_config::SdkConfig,
    /// The operator's session cookie (`name=value`).
    cookie: String,
    _functions: Vec<Process>,
}

impl Linking {
    async fn start(registered: &str, public_url: Option<&str>) -> Result<Self, Error> {
        let stack = Stack::without_functions().await?;
        let tenant = tenant::start_sample(|c| {
            c.with_app(
                RegisteredClient::with_secret(APP, APP_SECRET)
                    .redirect_uris(&[registered])
                    .multi_tenant(),
            )
            .with_auto_consent(ADMIN)
        })
        .await?;
        let config = aws::moto_config().await?;

        let unique = uuid::Uuid::new_v4().simple().to_string();
        let connection = ConnectionId::parse(&format!("link-{}", &unique[..12]))?;
        let record = tenant::connection_to(&tenant, &connection, ConnectionType::TenureApp, APP)?;
        S3ConnectionStore::new(&config, &stack.bucket, "connections/")
            .put_new(&record)
            .await?;

        // Tenure's app's client secret, created before deploying (docs/deploy.md, step 1).
        let app_secret = format!("tenure-app/e2e-{}", &unique[..12]);
        aws_sdk_secretsmanager::Client::new(&config)
            .create_secret()
            .name(&app_secret)
            .secret_string(APP_SECRET)
            .send()
            .await?;
        let operators = format!("{}/{}", OPERATOR.0, OPERATOR.1);
        let mut environment = vec![
            ("TENURE_APP_CLIENT_ID", APP),
            ("TENURE_APP_CLIENT_SECRET_ID", app_secret.as_str()),
            ("TENURE_OPERATORS", operators.as_str()),
        ];
        environment.extend(public_url.map(|url| ("TENURE_PUBLIC_URL", url)));
        let functions = vec![
            stack.spawn_with(
                "consent",
                env!("CARGO_BIN_EXE_consent"),
                "debug",
                &environment,
            )?,
            stack.spawn_with(
                "oauth-callback",
                env!("CARGO_BIN_EXE_oauth-callback"),
                "debug",
                &environment,
            )?,
        ];
        let cookie = operator_cookie(&config).await?;
        Ok(Self {
            stack,
            tenant,
            connection,
            config,
            cookie,
            _functions: functions,
        })
    }

    /// `consent` for the connection, reached on `domain`: where it sends the admin.
    async fn consent(&self, domain: &str) -> Result<String, Error> {
        let path = format!("/connections/{}/consent", self.connection);
        let event = api_event(
            "GET /connections/{id}/consent",
            &path,
            "",
            domain,
            &self.cookie,
        );
        let answer = self.stack.invoke("consent", &event).await?;
        assert_eq!(answer["statusCode"], 302, "{answer}");
        Ok(answer["headers"]["location"]
            .as_str()
            .ok_or("no Location")?
            .to_owned())
    }

    /// `oauth-callback` reached on `domain` with Microsoft's query.
    async fn callback(&self, domain: &str, query: &str) -> Result<Value, Error> {
        let event = api_event(
            "GET /oauth/callback",
            "/oauth/callback",
            query,
            domain,
            &self.cookie,
        );
        self.stack.invoke("oauth-callback", &event).await
    }

    /// The connection's refresh token in Secrets Manager, and its record's status.
    async fn linked(&self) -> Result<(Option<String>, ConnectionStatus), Error> {
        let name = SecretName::for_connection(&self.connection, SecretKind::RefreshToken);
        let token = SecretsManagerStore::new(&self.config)
            .get(&name)
            .await?
            .map(|(token, _)| token.expose_secret().to_owned());
        let (record, _) = S3ConnectionStore::new(&self.config, &self.stack.bucket, "connections/")
            .get(&self.connection)
            .await?
            .ok_or("no connection record")?;
        Ok((token, record.status))
    }
}

/// An API Gateway HTTP API (payload 2.0) `GET` event from a browser with `cookie`, received
/// on `domain`.
fn api_event(route: &str, path: &str, query: &str, domain: &str, cookie: &str) -> Value {
    ApiEvent::get(route, path)
        .query(query)
        .domain(domain)
        .header("accept", "text/html")
        .header("cookie", cookie)
        .json()
}

/// The value of `name` in a query (`a=1&b=2`) or a URL's query.
fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?').map_or(url, |(_, query)| query);
    let url = reqwest::Url::parse(&format!("https://example.com/?{query}")).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Follows Microsoft's sign-in page as the admin's browser does: the query it sends back to
/// `redirect_uri`.
async fn sign_in(url: &str, redirect_uri: &str) -> Result<String, Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = client.get(url).send().await?;
    let status = answer.status();
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(location) = location else {
        return Err(format!("the sign-in answered {status}: {}", answer.text().await?).into());
    };
    Ok(location
        .strip_prefix(redirect_uri)
        .and_then(|rest| rest.strip_prefix('?'))
        .ok_or_else(|| format!("sent back elsewhere: {location}"))?
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_links_a_tenant_with_the_redirect_uri_of_the_apis_own_domain() -> TestResult {
    let registered = format!("https://{API_DOMAIN}/oauth/callback");
    let linking = Linking::start(&registered, None).await?;

    let authorize = linking.consent(API_DOMAIN).await?;
    assert!(authorize.starts_with(&linking.tenant.uri()), "{authorize}");
    assert_eq!(param(&authorize, "redirect_uri"), Some(registered.clone()));
    let back = sign_in(&authorize, &registered).await?;
    let code = param(&back, "code").ok_or("no code")?;

    let page = linking.callback(API_DOMAIN, &back).await?;
    assert_eq!(page["statusCode"], 200, "{page}");
    let body = page["body"].as_str().unwrap_or_default();
    assert!(body.contains("Connection linked"), "{body}");
    let (token, status) = linking.linked().await?;
    let token = token.ok_or("no refresh token kept")?;
    assert_eq!(status, ConnectionStatus::Linked);
    for secret in [token.as_str(), code.as_str(), APP_SECRET] {
        assert!(!body.contains(secret), "the page shows a secret");
    }

    // The same functions reached on another domain (a custom domain mapped to the API) send
    // that domain's redirect URI.
    let elsewhere = linking.consent("tenure.example.org").await?;
    assert_eq!(
        param(&elsewhere, "redirect_uri").as_deref(),
        Some("https://tenure.example.org/oauth/callback")
    );
    linking.stack.assert_no_secret_in_output()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_url_the_deployment_names_wins_over_the_requests_domain() -> TestResult {
    let public_url = "https://tenure.example.com/hr";
    let registered = format!("{public_url}/oauth/callback");
    let linking = Linking::start(&registered, Some(public_url)).await?;

    let authorize = linking.consent(API_DOMAIN).await?;
    assert_eq!(param(&authorize, "redirect_uri"), Some(registered.clone()));
    let back = sign_in(&authorize, &registered).await?;
    let page = linking.callback(API_DOMAIN, &back).await?;
    assert_eq!(page["statusCode"], 200, "{page}");
    let (token, status) = linking.linked().await?;
    assert!(token.is_some(), "no refresh token kept");
    assert_eq!(status, ConnectionStatus::Linked);
    Ok(())
}
