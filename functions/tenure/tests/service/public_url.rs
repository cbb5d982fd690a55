//! `PublicUrl`: where the deployment is reached, read once from configuration or from the domain
//! API Gateway received a request on; the OAuth redirect URI is the callback path under it.

use tenure::service::http::{CALLBACK_PATH, PublicUrl};

#[test]
fn a_public_url_keeps_its_path_and_loses_one_trailing_slash()
-> Result<(), Box<dyn std::error::Error>> {
    for (given, kept) in [
        ("https://tenure.example.com", "https://tenure.example.com"),
        ("https://tenure.example.com/", "https://tenure.example.com"),
        (
            "https://example.com/hr/tenure/",
            "https://example.com/hr/tenure",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("HTTPS://Tenure.Example.COM", "https://tenure.example.com"),
    ] {
        let url = PublicUrl::parse(given)?;
        assert_eq!(url.as_str(), kept, "{given}");
        assert_eq!(url.redirect_uri(), format!("{kept}{CALLBACK_PATH}"));
    }
    assert_eq!(CALLBACK_PATH, "/oauth/callback");
    Ok(())
}

#[test]
fn a_public_url_that_cannot_be_one_is_refused_with_the_reason() {
    for (given, reason) in [
        ("tenure.example.com", "is not a URL"),
        ("ftp://tenure.example.com", "must start with https://"),
        (
            "https://admin:pw@tenure.example.com",
            "user name or password",
        ),
        ("https://tenure.example.com/?a=1", "query or a fragment"),
        ("https://tenure.example.com/#top", "query or a fragment"),
        ("", "is not a URL"),
    ] {
        let error = PublicUrl::parse(given).expect_err(given).to_string();
        assert!(error.contains(reason), "{given}: {error}");
        assert!(error.contains(&format!("{given:?}")), "{given}: {error}");
    }
}

#[test]
fn a_requests_domain_becomes_an_https_url_and_nothing_else_does()
-> Result<(), Box<dyn std::error::Error>> {
    let own = PublicUrl::of_domain("a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com")?;
    assert_eq!(
        own.redirect_uri(),
        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/oauth/callback"
    );
    assert_eq!(
        PublicUrl::of_domain("Tenure.Example.org")?.as_str(),
        "https://tenure.example.org"
    );
    for not_a_domain in [
        "",
        "evil.example/path",
        "tenure.example.com:444",
        "user@tenure.example.com",
        "tenure.example.com?x=1",
        "tenure.example.com#x",
    ] {
        let error = PublicUrl::of_domain(not_a_domain).expect_err(not_a_domain);
        assert!(!error.to_string().is_empty());
    }
    Ok(())
}
