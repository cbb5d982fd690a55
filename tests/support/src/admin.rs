//! Administrators signing in as a browser does: Tenure's app registered in emulated tenants,
//! the deployment's admin access pointed at them, and a [`Browser`] that keeps cookies, follows
//! the sign-in through the emulated tenant and sends requests to a router.

use tenure::auth::{AdminAccess, Operators};
use tenure::connect::TenureApp;
use tenure::microsoft::{ClientCredential, NationalCloud};
use tenure::service::http::PublicUrl;
use tenure_emulator::{EmulatedTenant, RegisteredClient, SignIn};

use crate::Error;
use crate::apigw::{Answer, ApiEvent};

/// Tenure's app (client id) in the tests.
pub const APP: &str = "77777777-8888-9999-aaaa-bbbbbbbbbbbb";
/// Its client secret.
pub const APP_SECRET: &str = "tenure-app-secret~Lk3";
/// Where the deployment is reached.
pub const PUBLIC_URL: &str = "https://tenure.example.com";
/// The domain of [`PUBLIC_URL`].
pub const DOMAIN: &str = "tenure.example.com";

/// Tenure's app as the deployment holds it (its redirect URI under [`PUBLIC_URL`]).
pub fn tenure_app() -> TenureApp {
    TenureApp {
        client_id: APP.to_owned(),
        credential: ClientCredential::Secret(APP_SECRET.to_owned().into()),
        redirect_uri: format!("{PUBLIC_URL}/oauth/callback"),
    }
}

/// Tenure's app as an emulated tenant knows it: multi-tenant, both redirect URIs registered,
/// consented.
pub fn registered_app() -> RegisteredClient {
    RegisteredClient::with_secret(APP, APP_SECRET)
        .redirect_uris(&[
            &format!("{PUBLIC_URL}/oauth/callback"),
            &format!("{PUBLIC_URL}/signin/callback"),
        ])
        .multi_tenant()
        .consented(true)
}

/// Admin access with admins of each `(cloud, tenant)` signing in at that emulated tenant.
pub fn admin_access(
    tenants: &[(NationalCloud, &EmulatedTenant)],
    operators: Operators,
) -> AdminAccess {
    let mut access = AdminAccess::new(operators);
    for (cloud, tenant) in tenants {
        access = access.with_authority(*cloud, &tenant.uri());
    }
    match PublicUrl::parse(PUBLIC_URL) {
        Ok(url) => access.with_public_url(url),
        Err(_) => access,
    }
}

/// A browser: its cookies, sent with every request and updated from every answer.
#[derive(Debug, Default, Clone)]
pub struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    /// A browser without cookies.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `Cookie` header it sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The value of one cookie.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a cookie as if a site had (to tamper with one).
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    /// Forgets every cookie.
    pub fn clear(&mut self) {
        self.cookies.clear();
    }

    /// Takes the answer's `Set-Cookie`s (a removal deletes the cookie).
    pub fn take_cookies(&mut self, answer: &Answer) {
        for (name, value) in &answer.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let Some((pair, attributes)) = value.split_once(';').or(Some((value, ""))) else {
                continue;
            };
            let Some((cookie, content)) = pair.split_once('=') else {
                continue;
            };
            let cookie = cookie.trim().to_owned();
            self.cookies.retain(|(n, _)| *n != cookie);
            let removed = attributes.to_ascii_lowercase().contains("max-age=0");
            if !removed {
                self.cookies.push((cookie, content.trim().to_owned()));
            }
        }
    }

    /// Sends `event` with this browser's cookies (and `Origin` left as the event has it) and
    /// takes the answer's cookies.
    pub async fn send(&mut self, router: &axum::Router, event: ApiEvent) -> Result<Answer, Error> {
        let event = if self.cookies.is_empty() {
            event
        } else {
            event.header("cookie", &self.cookie_header())
        };
        let answer = event.send(router).await?;
        self.take_cookies(&answer);
        Ok(answer)
    }

    /// Signs in as `user` of `tenant` (which answers sign-ins at once as that user) in `cloud`
    /// (`None`: the default), through `GET /signin`, the emulated tenant and
    /// `GET /signin/callback`; the callback's answer.
    pub async fn sign_in(
        &mut self,
        router: &axum::Router,
        tenant: &EmulatedTenant,
        user: &str,
        cloud: Option<&str>,
    ) -> Result<Answer, Error> {
        tenant.handle().set_sign_in(SignIn::Accept {
            user: user.to_owned(),
        });
        let mut start = ApiEvent::get("GET /signin", "/signin").domain(DOMAIN);
        if let Some(cloud) = cloud {
            start = start.query(format!("cloud={cloud}"));
        }
        let started = self.send(router, start).await?;
        let authorize = started
            .header("location")
            .ok_or_else(|| format!("sign-in sent nowhere: {} {}", started.status, started.body))?
            .to_owned();
        let callback = follow_microsoft(&authorize).await?;
        self.finish(router, &callback).await
    }

    /// Sends the callback Microsoft redirected to (`https://…/signin/callback?…`) to `router`.
    pub async fn finish(&mut self, router: &axum::Router, callback: &str) -> Result<Answer, Error> {
        let (path, query) = callback
            .strip_prefix(PUBLIC_URL)
            .unwrap_or(callback)
            .split_once('?')
            .unwrap_or((callback, ""));
        let route = format!("GET {path}");
        let event = ApiEvent::get(&route, path).query(query).domain(DOMAIN);
        self.send(router, event).await
    }

    /// The session's CSRF token, from `GET /session`.
    pub async fn csrf_token(&mut self, router: &axum::Router) -> Result<String, Error> {
        let answer = self
            .send(
                router,
                ApiEvent::get("GET /session", "/session").domain(DOMAIN),
            )
            .await?;
        let json = answer.json()?;
        Ok(json["csrf_token"]
            .as_str()
            .ok_or_else(|| format!("no CSRF token: {} {}", answer.status, answer.body))?
            .to_owned())
    }
}

/// Where Microsoft (the emulated tenant) sends the browser back after an authorize request:
/// the `Location` of its answer.
pub async fn follow_microsoft(authorize: &str) -> Result<String, Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = client.get(authorize).send().await?;
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    location.ok_or_else(|| {
        format!(
            "the tenant did not send the browser back ({})",
            answer.status()
        )
        .into()
    })
}

/// The operator [`operator_session`] signs in: a user of another tenant who may manage every
/// connection because the deployment lists them.
pub const OPERATOR: (&str, &str) = (
    "0b7c1e2d-0000-4000-8000-00000000a11c",
    "0b7c1e2d-0000-4000-8000-0000000000ff",
);

/// The headers a signed-in client sends.
#[derive(Debug, Clone)]
pub struct SessionHeaders {
    /// `Cookie`: the session cookie.
    pub cookie: String,
    /// `X-CSRF-Token`: the session's token.
    pub csrf_token: String,
}

/// `services` with [`OPERATOR`] as the deployment's operator, and the headers of a session of
/// theirs sealed with the deployment's key: for tests of what lies behind the admin layer (its
/// own tests sign in through the emulated tenant instead).
pub async fn operator_session(
    services: tenure::service::Services,
) -> Result<(tenure::service::Services, SessionHeaders), Error> {
    use tenure::auth::{Identity, Session, SessionCookies};
    let (tenant_id, object_id) = OPERATOR;
    let operators = Operators::parse(&format!("{tenant_id}/{object_id}"))?;
    let services = services.with_admin_access(AdminAccess::new(operators));
    let identity = Identity {
        tenant_id: tenant_id.to_owned(),
        object_id: object_id.to_owned(),
        username: "operator@tenure.test".to_owned(),
        name: "Operator".to_owned(),
        roles: Vec::new(),
    };
    let session = Session::new(identity, jiff::Timestamp::now());
    let sealed = SessionCookies::new(true)
        .seal_session(&services.keys, &session)
        .await?;
    let cookie = sealed.split(';').next().unwrap_or_default().to_owned();
    Ok((
        services,
        SessionHeaders {
            cookie,
            csrf_token: session.csrf_token,
        },
    ))
}

impl SessionHeaders {
    /// `event` carrying the session (cookie and CSRF token).
    pub fn on(&self, event: ApiEvent) -> ApiEvent {
        event
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf_token)
    }

    /// A console form posted to `path` as a page posts it: the session's cookie, and its CSRF
    /// token as the form's first field before `fields` (encoded; may be empty).
    pub fn console_form(&self, path: impl Into<String>, fields: &str) -> ApiEvent {
        let token = format!("csrf_token={}", self.csrf_token);
        let fields = if fields.is_empty() {
            token
        } else {
            format!("{token}&{fields}")
        };
        self.forged_console_form(path, &fields)
    }

    /// A console form posted to `path` with the session's cookie and only the given `fields`:
    /// no CSRF token unless `fields` carries one (a forged or guessed post).
    pub fn forged_console_form(&self, path: impl Into<String>, fields: &str) -> ApiEvent {
        ApiEvent::post("POST /console/{proxy+}", path)
            .header("cookie", &self.cookie)
            .form(fields)
    }
}
