//! An administrator signing in to `tenure serve` against the emulated tenant, as a browser does:
//! `GET /signin`, the tenant's authorize page (answered at once as the user), the callback, and
//! from then on the session cookie and its CSRF token on every request.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use tenure_emulator::{EmulatedTenant, RegisteredClient, SignIn, TenantConfig};

use super::harness::{Connected, Result, Running, Served, tenure};

/// Tenure's app in these tests.
pub(crate) const APP: &str = "tenure-serve-app";
/// Its secret.
pub(crate) const APP_SECRET: &str = "serve-app-secret-Vb71";
/// The sample tenant's Global Administrator.
pub(crate) const ADMIN: &str = "admin@contoso.onmicrosoft.com";
/// A member without a role.
pub(crate) const MEMBER: &str = "olivia.bennett@contoso.com";

/// The tenant as a `tenure serve` with sign-in needs it: Tenure's app registered for any
/// localhost port, and the sample's roles.
pub(crate) fn with_tenure_app(config: TenantConfig) -> TenantConfig {
    config.with_sample_roles().with_app(
        RegisteredClient::with_secret(APP, APP_SECRET)
            .redirect_uris(&[
                "http://localhost/signin/callback",
                "http://localhost/oauth/callback",
            ])
            .multi_tenant()
            .consented(true),
    )
}

impl Connected {
    /// `tenure serve` with Tenure's app, admins signing in at `authority` (the emulated tenant),
    /// reached as `http://localhost:<port>`.
    pub(crate) async fn serve_with_sign_in(&self, authority: &str) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let public = format!("http://localhost:{port}");
        let mut command = tenure(
            &self.state(),
            &[
                "serve",
                "--listen",
                &listen,
                "--public-url",
                &public,
                "--sign-in-authority",
                authority,
            ],
        );
        command
            .env("TENURE_APP_CLIENT_ID", APP)
            .env("TENURE_APP_CLIENT_SECRET", APP_SECRET);
        let running = tokio::task::spawn_blocking(move || Running::start(command))
            .await
            .expect("joins");
        self.served(running, format!("http://{listen}")).await
    }
}

/// A signed-in administrator's client: the session cookie and its CSRF token.
pub(crate) struct Admin {
    pub(crate) http: reqwest::Client,
    pub(crate) cookie: String,
    pub(crate) csrf_token: String,
}

fn cookie_pair(answer: &reqwest::Response, name: &str) -> Option<String> {
    answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

impl Admin {
    /// Signs in to `served` as `user` of `tenant`.
    pub(crate) async fn sign_in(
        served: &Served,
        tenant: &EmulatedTenant,
        user: &str,
    ) -> Result<Admin> {
        tenant.handle().set_sign_in(SignIn::Accept {
            user: user.to_owned(),
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let started = http.get(format!("{}/signin", served.url)).send().await?;
        let flow = cookie_pair(&started, "tenure-sign-in").ok_or("no sign-in cookie")?;
        let authorize = started
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("sign-in sent nowhere")?
            .to_owned();
        let back = http.get(&authorize).send().await?;
        let callback = back
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("the tenant sent nobody back")?
            .to_owned();
        let query = callback.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let finished = http
            .get(format!("{}/signin/callback?{query}", served.url))
            .header(COOKIE, &flow)
            .send()
            .await?;
        let cookie = cookie_pair(&finished, "tenure-session")
            .ok_or_else(|| format!("no session ({})", finished.status()))?;
        let session: serde_json::Value = http
            .get(format!("{}/session", served.url))
            .header(COOKIE, &cookie)
            .send()
            .await?
            .json()
            .await?;
        let csrf_token = session["csrf_token"]
            .as_str()
            .ok_or("no CSRF token")?
            .to_owned();
        Ok(Admin {
            http,
            cookie,
            csrf_token,
        })
    }

    /// A request carrying the session and its CSRF token.
    pub(crate) fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf_token)
    }
}
