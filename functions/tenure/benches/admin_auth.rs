//! `cargo bench -p tenure --bench admin_auth [-- REQUESTS]`: what the admin layer costs each
//! admin request. The same trivial route (`GET` and a CSRF-checked `POST` on
//! `/connections/{id}/probe`) is called in process (`tower::ServiceExt::oneshot`), with and
//! without the layer in front: the difference is opening the session cookie (AES-256-GCM under
//! the cached key ring), the CSRF and `Origin` checks, reading the connection record (local
//! files, as `tenure serve` keeps them) and the role decision. Keys are warm (read once before
//! timing), as in any instance after its first request. Prints p50, p99 and max per request.
//!
//! API tokens: the check alone (`tenure::service::tokens::verify`: the connection's token
//! secret read from the local store, the HMAC under the cached key, compared in constant time),
//! and a `GET` with `Authorization: Bearer` through the layer (the check, the connection record,
//! and the access audit record every token use writes).
//!
//! The first JWKS fetch of a sign-in: a fresh `OidcVerifier` reading the discovery document and
//! the signing keys of the emulated sample tenant over loopback (what an instance's first
//! sign-in waits for before it checks the ID token; Microsoft's endpoints are farther away).

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use secrecy::ExposeSecret as _;
use tenure::auth::api_token::{PresentedToken, Scope};
use tenure::plugin::{PluginHost, SandboxLimits};
use tenure::service::Services;
use tenure::service::http::{AdminRoute, admin_layer};
use tenure::service::tokens::{self, TokenRequest};
use tenure::store::DataDir;
use tenure::store::connections::ConnectionId;
use tenure_test_support::Error;
use tenure_test_support::admin::operator_session;
use tenure_test_support::machine;
use tower::ServiceExt as _;

fn main() -> Result<(), Error> {
    let requests: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "machine: {} cores, {}; {requests} requests each, one at a time",
        machine::cores(),
        machine::cpu_model()
    );
    runtime.block_on(run(requests))
}

async fn run(requests: usize) -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let data = DataDir::open(dir.path().join("data"))?;
    let services = Services::local(&data, PluginHost::new(SandboxLimits::default(), None)?)?;
    let connection = ConnectionId::parse("contoso")?;
    services
        .connections
        .put_new(&tenure_test_support::samples::connection(&connection)?)
        .await?;
    let (services, session) = operator_session(services).await?;
    let probe = || {
        Router::new().route(
            "/connections/{id}/probe",
            get(|| async { "ok" }).post(|| async { "ok" }),
        )
    };
    let bare = probe();
    let guarded = probe().route_layer(from_fn_with_state(services.clone(), admin_layer));
    let get = |cookie: bool| {
        let mut request = Request::get("/connections/contoso/probe");
        if cookie {
            request = request.header("cookie", &session.cookie);
        }
        request.body(Body::empty())
    };
    let post = |cookie: bool| {
        let mut request = Request::post("/connections/contoso/probe");
        if cookie {
            request = request
                .header("cookie", &session.cookie)
                .header("x-csrf-token", &session.csrf_token);
        }
        request.body(Body::empty())
    };
    // Warm the key ring and the allocator.
    for _ in 0..100 {
        let answer = guarded.clone().oneshot(get(true)?).await?;
        assert_eq!(answer.status(), 200, "the session is refused");
    }
    let mut bare_get = Vec::with_capacity(requests);
    let mut guarded_get = Vec::with_capacity(requests);
    let mut bare_post = Vec::with_capacity(requests);
    let mut guarded_post = Vec::with_capacity(requests);
    for _ in 0..requests {
        bare_get.push(time(&bare, get(false)?).await?);
        guarded_get.push(time(&guarded, get(true)?).await?);
        bare_post.push(time(&bare, post(false)?).await?);
        guarded_post.push(time(&guarded, post(true)?).await?);
    }
    report("GET without the layer", &mut bare_get);
    report("GET with the layer", &mut guarded_get);
    report("POST without the layer", &mut bare_post);
    report("POST with the layer (CSRF)", &mut guarded_post);

    let made = tokens::create(
        &services,
        &connection,
        &TokenRequest {
            name: "bench".into(),
            scopes: vec![Scope::PlansRead],
            expires_in_days: None,
        },
        "bench",
    )
    .await?;
    let value = made.value.expose_secret().to_owned();
    let presented = PresentedToken::parse(&value)?;
    let tokened = probe().route_layer(from_fn_with_state(
        AdminRoute::tokens(&services, &[Scope::PlansRead]),
        admin_layer,
    ));
    let bearer = || {
        Request::get("/connections/contoso/probe")
            .header("authorization", format!("Bearer {value}"))
            .body(Body::empty())
    };
    for _ in 0..100 {
        tokens::verify(&services, &connection, &presented).await?;
    }
    let mut checks = Vec::with_capacity(requests);
    let mut bearer_get = Vec::with_capacity(requests);
    for _ in 0..requests {
        let start = Instant::now();
        tokens::verify(&services, &connection, &presented).await?;
        checks.push(start.elapsed());
        bearer_get.push(time(&tokened, bearer()?).await?);
    }
    report("API-token check (verify)", &mut checks);
    report("GET with an API token", &mut bearer_get);

    let tenant = tenure_test_support::tenant::start_sample(|c| c).await?;
    let mut first_fetch = Vec::with_capacity(100);
    for _ in 0..100 {
        let verifier = tenure::auth::OidcVerifier::new();
        let start = Instant::now();
        verifier.metadata(&tenant.uri(), tenant.tenant_id()).await?;
        first_fetch.push(start.elapsed());
    }
    report("first discovery + JWKS fetch", &mut first_fetch);
    Ok(())
}

async fn time(router: &Router, request: Request<Body>) -> Result<Duration, Error> {
    let start = Instant::now();
    let answer = router.clone().oneshot(request).await?;
    let took = start.elapsed();
    assert_eq!(answer.status(), 200);
    Ok(took)
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "{what:<30} p50 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs",
        micros(at(0.50)),
        micros(at(0.99)),
        micros(at(1.0)),
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
