//! Secret names and connection ids: Tenure's prefix and nothing outside it.

use tenure::store::connections::ConnectionId;
use tenure::store::secrets::{KeyPurpose, SecretKind, SecretName};

use super::helpers::TestResult;

#[test]
fn a_connection_secret_is_named_under_tenures_prefix() -> TestResult {
    let id = ConnectionId::parse("contoso-eu")?;
    let name = SecretName::for_connection(&id, SecretKind::RefreshToken);
    assert_eq!(name.as_str(), "tenure/contoso-eu/refresh-token");
    assert_eq!(name.to_string(), "tenure/contoso-eu/refresh-token");
    assert_eq!(SecretName::parse("tenure/contoso-eu/refresh-token")?, name);
    assert_eq!(name.connection(), Some(&id));
    assert_eq!(name.kind(), Some(SecretKind::RefreshToken));
    assert_eq!(name.key_purpose(), None);
    for kind in SecretKind::ALL {
        let name = SecretName::for_connection(&id, kind);
        assert_eq!(SecretName::parse(name.as_str())?.kind(), Some(kind));
    }
    Ok(())
}

#[test]
fn names_outside_the_prefix_or_malformed_are_refused_with_the_reason() {
    let cases = [
        ("other/contoso/refresh-token", "outside Tenure's prefix"),
        ("Tenure/contoso/refresh-token", "outside Tenure's prefix"),
        ("/tenure/contoso/refresh-token", "outside Tenure's prefix"),
        ("tenure/contoso", "no kind"),
        ("tenure//refresh-token", "it is empty"),
        ("tenure/../refresh-token", "a character other than"),
        ("tenure/Contoso/refresh-token", "a character other than"),
        ("tenure/-contoso/refresh-token", "starts with '-'"),
        ("tenure/contoso/password", "\"password\" is not a kind"),
        ("tenure/contoso/refresh-token/extra", "is not a kind"),
        ("tenure/contoso/refresh-token ", "is not a kind"),
    ];
    for (name, reason) in cases {
        match SecretName::parse(name) {
            Ok(parsed) => panic!("{name:?} was accepted as {parsed}"),
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains(reason), "{name:?}: {text}");
                assert!(
                    text.contains(&format!("{name:?}")),
                    "the name is not quoted: {text}"
                );
                assert!(text.contains("tenure/<connection-id>/<kind>"), "{text}");
            }
        }
    }
}

#[test]
fn connection_ids_are_short_lower_case_and_safe_in_paths() {
    for good in ["contoso", "a", "acme-eu-2", "0day", &"x".repeat(64)] {
        assert!(ConnectionId::parse(good).is_ok(), "{good:?}");
    }
    for bad in [
        "",
        "Contoso",
        "a_b",
        "a.b",
        "a/b",
        "-a",
        "ä",
        &"x".repeat(65),
    ] {
        assert!(ConnectionId::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn a_deployment_key_is_named_under_the_deployment_folder() -> TestResult {
    for purpose in KeyPurpose::ALL {
        let name = SecretName::for_deployment_key(purpose);
        assert_eq!(name.as_str(), format!("tenure/_deployment/{purpose}"));
        assert_eq!(SecretName::parse(name.as_str())?, name);
        assert_eq!(name.key_purpose(), Some(purpose));
        assert_eq!((name.connection(), name.kind()), (None, None));
    }
    assert_eq!(
        SecretName::for_deployment_key(KeyPurpose::Session).as_str(),
        "tenure/_deployment/session"
    );
    let unknown = SecretName::parse("tenure/_deployment/refresh-token")
        .err()
        .ok_or("a connection kind under _deployment was accepted")?;
    assert!(
        unknown
            .to_string()
            .contains("not a purpose of a deployment key")
    );
    Ok(())
}
