//! The token endpoint: client secrets, client assertions, and Microsoft's error bodies.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    CLIENT_ID, EXCHANGE_SCOPE, GRAPH_SCOPE, SECRET, TestResult, spawn, spawn_with,
};

/// A token request's form fields.
type Form = [(&'static str, &'static str)];

const CERT_CLIENT: &str = "99999999-8888-7777-6666-555555555555";

fn testdata(name: &str) -> Result<String, std::io::Error> {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(name),
    )
}

/// The certificate's SHA-256 thumbprint, base64url, as `x5t#S256` carries it.
fn thumbprint() -> Result<String, Box<dyn std::error::Error>> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let pem = testdata("client-cert.pem")?;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(der)))
}

fn assertion(
    audience: &str,
    issuer: &str,
    expires_in: i64,
    alg: jsonwebtoken::Algorithm,
) -> Result<String, Box<dyn std::error::Error>> {
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({
        "aud": audience,
        "iss": issuer,
        "sub": issuer,
        "jti": uuid::Uuid::new_v4().to_string(),
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + expires_in,
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(testdata("client-key.pem")?.as_bytes())?;
    let mut header = jsonwebtoken::Header::new(alg);
    header.x5t_s256 = Some(thumbprint()?);
    Ok(jsonwebtoken::encode(&header, &claims, &key)?)
}

#[tokio::test]
async fn a_client_secret_gets_a_bearer_token_that_graph_accepts() -> TestResult {
    let t = spawn().await?;
    let answer = t
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("scope", GRAPH_SCOPE),
        ])
        .await?;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert!(answer.body["expires_in"].as_u64().is_some_and(|s| s > 0));
    let token = answer.body["access_token"].as_str().ok_or("no token")?;
    let me = t
        .graph_with(token, Method::GET, "/users?$top=1", None)
        .await?;
    assert_eq!(me.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client_7000215() -> TestResult {
    let t = spawn().await?;
    let answer = t
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
            ("scope", GRAPH_SCOPE),
        ])
        .await?;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body["error"], "invalid_client");
    assert_eq!(answer.body["error_codes"], json!([7000215]));
    let description = answer.body["error_description"]
        .as_str()
        .unwrap_or_default();
    assert!(description.starts_with("AADSTS7000215: Invalid client secret provided."));
    assert!(!description.contains("wrong"), "the secret is never echoed");
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(answer.body[field].is_string(), "{field}");
    }
    Ok(())
}

#[tokio::test]
async fn unknown_tenant_client_scope_and_grant_have_their_codes() -> TestResult {
    let t = spawn().await?;
    let url = format!(
        "{}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token",
        t.tenant.uri()
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("scope", GRAPH_SCOPE),
    ];
    let unknown_tenant = crate::helpers::answer(t.http.post(url).form(&form).send().await?).await?;
    assert_eq!(unknown_tenant.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_tenant.body["error_codes"], json!([90002]));

    let cases: [(&Form, &str, u64); 3] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", SECRET),
                ("scope", GRAPH_SCOPE),
            ],
            "unauthorized_client",
            700016,
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", "https://graph.microsoft.com/User.Read"),
            ],
            "invalid_scope",
            70011,
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", GRAPH_SCOPE),
            ],
            "unsupported_grant_type",
            70003,
        ),
    ];
    for (form, error, code) in cases {
        let answer = t.token_request(form).await?;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(answer.body["error"], error);
        assert_eq!(answer.body["error_codes"], json!([code]));
    }
    Ok(())
}

#[tokio::test]
async fn graph_refuses_missing_foreign_and_expired_tokens() -> TestResult {
    let t = spawn().await?;
    let url = format!("{}/v1.0/users", t.tenant.uri());
    let none = crate::helpers::answer(t.http.get(&url).send().await?).await?;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.error_code(), "InvalidAuthenticationToken");
    assert_eq!(none.error_message(), "Access token is empty.");
    assert!(none.body["error"]["innerError"]["request-id"].is_string());

    let exchange_token = t.token(EXCHANGE_SCOPE).await?;
    let foreign = t
        .graph_with(&exchange_token, Method::GET, "/users", None)
        .await?;
    assert_eq!(foreign.status, StatusCode::UNAUTHORIZED);

    let graph_token = t.token(GRAPH_SCOPE).await?;
    t.tenant.handle().expire_tokens();
    let expired = t
        .graph_with(&graph_token, Method::GET, "/users", None)
        .await?;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.error_code(), "InvalidAuthenticationToken");
    Ok(())
}

async fn assertion_answer(
    t: &crate::helpers::TestTenant,
    assertion: &str,
) -> Result<crate::helpers::Answer, Box<dyn std::error::Error>> {
    t.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", CERT_CLIENT),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
        ("scope", GRAPH_SCOPE),
    ])
    .await
}

#[tokio::test]
async fn a_client_assertion_signed_with_the_registered_certificate_gets_a_token() -> TestResult {
    let cert = testdata("client-cert.pem")?;
    let t = spawn_with(|c| c.with_client_certificate(CERT_CLIENT, &cert)).await?;
    for alg in [
        jsonwebtoken::Algorithm::RS256,
        jsonwebtoken::Algorithm::PS256,
    ] {
        let jwt = assertion(&t.token_url(), CERT_CLIENT, 600, alg)?;
        let answer = assertion_answer(&t, &jwt).await?;
        assert_eq!(answer.status, StatusCode::OK, "{alg:?}: {}", answer.body);
        assert!(answer.body["access_token"].is_string());
    }
    Ok(())
}

#[tokio::test]
async fn expired_misaddressed_or_foreign_assertions_are_invalid_client() -> TestResult {
    let public_key = testdata("client-pub.pem")?;
    let t = spawn_with(|c| c.with_client_certificate(CERT_CLIENT, &public_key)).await?;
    let rs = jsonwebtoken::Algorithm::RS256;
    let cases = [
        (assertion(&t.token_url(), CERT_CLIENT, -120, rs)?, 700024),
        (
            assertion(
                "https://login.microsoftonline.com/other/oauth2/v2.0/token",
                CERT_CLIENT,
                600,
                rs,
            )?,
            700212,
        ),
        (assertion(&t.token_url(), "someone-else", 600, rs)?, 700021),
    ];
    let malformed = assertion_answer(&t, "not-a-jwt").await?;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["error_codes"], json!([50027]));
    for (jwt, code) in cases {
        let answer = assertion_answer(&t, &jwt).await?;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{code}");
        assert_eq!(answer.body["error"], "invalid_client");
        assert_eq!(answer.body["error_codes"], json!([code]));
    }
    Ok(())
}

#[tokio::test]
async fn an_assertion_must_name_the_registered_certificate() -> TestResult {
    let cert = testdata("client-cert.pem")?;
    let t = spawn_with(|c| c.with_client_certificate(CERT_CLIENT, &cert)).await?;
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({
        "aud": t.token_url(), "iss": CERT_CLIENT, "sub": CERT_CLIENT,
        "jti": "1", "nbf": now - 60, "exp": now + 600,
    });
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(testdata("client-key.pem")?.as_bytes())?;
    let mut wrong = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    wrong.x5t_s256 = Some("bm90LXRoZS1jZXJ0aWZpY2F0ZQ".to_owned());
    let unnamed = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    for header in [wrong, unnamed] {
        let jwt = jsonwebtoken::encode(&header, &claims, &key)?;
        let answer = assertion_answer(&t, &jwt).await?;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body["error_codes"], json!([700027]));
    }
    Ok(())
}
