//! A fresh tenant per test, loaded with the sample directory, and a small Graph/Exchange client.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tenure::directory::Snapshot;
use tenure_emulator::{EmulatedTenant, TenantConfig};

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

pub(crate) const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const SECRET: &str = "s3cr3t~value";
pub(crate) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub(crate) const EXCHANGE_SCOPE: &str = "https://outlook.office365.com/.default";
pub(crate) const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
pub(crate) const SEATTLE_DL: &str = "all-seattle@contoso.com";

/// The sample directory of the repository.
pub(crate) fn sample() -> Result<Snapshot, Box<dyn std::error::Error>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samplesdata/directory.json");
    Ok(Snapshot::read(&path)?)
}

/// A tenant under test and a client for it.
pub(crate) struct TestTenant {
    pub(crate) tenant: EmulatedTenant,
    pub(crate) http: reqwest::Client,
}

/// An answer: status, headers and JSON body (`Null` when empty).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub(crate) fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

pub(crate) async fn spawn() -> Result<TestTenant, Box<dyn std::error::Error>> {
    spawn_with(|c| c).await
}

pub(crate) async fn spawn_with(
    configure: impl FnOnce(TenantConfig) -> TenantConfig,
) -> Result<TestTenant, Box<dyn std::error::Error>> {
    let config = configure(TenantConfig::new(sample()?).with_client_secret(CLIENT_ID, SECRET));
    let tenant = EmulatedTenant::start(config).await?;
    Ok(TestTenant {
        tenant,
        http: reqwest::Client::new(),
    })
}

impl TestTenant {
    pub(crate) fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.tenant.uri(),
            self.tenant.tenant_id()
        )
    }

    /// Asks for a token with a form.
    pub(crate) async fn token_request(
        &self,
        form: &[(&str, &str)],
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let response = self.http.post(self.token_url()).form(form).send().await?;
        answer(response).await
    }

    /// A token for a scope with the client secret.
    pub(crate) async fn token(&self, scope: &str) -> Result<String, Box<dyn std::error::Error>> {
        let answer = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", scope),
            ])
            .await?;
        answer.body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no token: {}", answer.body).into())
    }

    /// A Graph call with a fresh Graph token.
    pub(crate) async fn graph(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let token = self.token(GRAPH_SCOPE).await?;
        self.graph_with(&token, method, path, body).await
    }

    pub(crate) async fn graph_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}/v1.0{path}", self.tenant.uri())
        };
        let mut request = self.http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await?).await
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Answer, Box<dyn std::error::Error>> {
        self.graph(Method::GET, path, None).await
    }

    /// A `GET` asking for pages of at most `size` (`Prefer: odata.maxpagesize`).
    pub(crate) async fn get_paged(
        &self,
        path: &str,
        size: usize,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let token = self.token(GRAPH_SCOPE).await?;
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}/v1.0{path}", self.tenant.uri())
        };
        let request = self
            .http
            .get(url)
            .bearer_auth(token)
            .header("Prefer", format!("odata.maxpagesize={size}"));
        answer(request.send().await?).await
    }

    /// A whole delta round from `path` (or a delta link): every page's items, in order, and
    /// the final `@odata.deltaLink`.
    pub(crate) async fn delta_round(
        &self,
        path: &str,
    ) -> Result<(Vec<Value>, String), Box<dyn std::error::Error>> {
        let mut items = Vec::new();
        let mut url = path.to_owned();
        loop {
            let page = self.get(&url).await?;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            items.extend(page.body["value"].as_array().cloned().unwrap_or_default());
            match (
                page.body["@odata.nextLink"].as_str(),
                page.body["@odata.deltaLink"].as_str(),
            ) {
                (Some(next), None) => url = next.to_owned(),
                (None, Some(delta)) => return Ok((items, delta.to_owned())),
                _ => return Err(format!("a page without exactly one link: {}", page.body).into()),
            }
        }
    }

    /// An Exchange cmdlet.
    pub(crate) async fn cmdlet(
        &self,
        name: &str,
        parameters: Value,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let token = self.token(EXCHANGE_SCOPE).await?;
        let url = format!(
            "{}/adminapi/beta/{}/InvokeCommand",
            self.tenant.uri(),
            self.tenant.tenant_id()
        );
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .header(
                "X-AnchorMailbox",
                format!(
                    "UPN:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{}",
                    "contoso.com"
                ),
            )
            .json(&json!({"CmdletInput": {"CmdletName": name, "Parameters": parameters}}))
            .send()
            .await?;
        answer(response).await
    }

    /// Creates a user and returns its id.
    pub(crate) async fn create_user(
        &self,
        nickname: &str,
        employee_id: &str,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let created = self
            .graph(
                Method::POST,
                "/users",
                Some(new_user(nickname, employee_id)),
            )
            .await?;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        created.body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no id".into())
    }
}

/// A valid `POST /users` body.
pub(crate) fn new_user(nickname: &str, employee_id: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.user",
        "accountEnabled": true,
        "displayName": nickname,
        "mailNickname": nickname,
        "userPrincipalName": format!("{nickname}@contoso.com"),
        "employeeId": employee_id,
        "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "Xy7!pass-word"},
    })
}

pub(crate) async fn answer(
    response: reqwest::Response,
) -> Result<Answer, Box<dyn std::error::Error>> {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Waits until `check` holds, or fails after `deadline`.
pub(crate) async fn eventually<F, Fut>(deadline: Duration, mut check: F) -> TestResult
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, Box<dyn std::error::Error>>>,
{
    let end = Instant::now() + deadline;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > end {
            return Err("condition not met before the deadline".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
