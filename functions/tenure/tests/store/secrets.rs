//! Every secret store through the same specification: values and versions, compare-and-swap,
//! concurrent read-modify-write without lost updates, limits, and errors that never show a value.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use tenure::store::secrets::{MAX_SECRET_BYTES, SecretError, SecretKind, SecretStore};

use super::helpers::{Error, TestResult, assert_hides, unique_secret};

/// Runs each function below against Secrets Manager (moto) and the local file store.
macro_rules! for_each_store {
    ($($test:ident),* $(,)?) => {
        mod secrets_manager {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    let under_test = super::super::helpers::secrets_manager().await?;
                    super::$test(std::sync::Arc::clone(&under_test.store)).await
                }
            )*
        }
        mod local_files {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() -> super::super::helpers::TestResult {
                    let under_test = super::super::helpers::local_secrets()?;
                    super::$test(std::sync::Arc::clone(&under_test.store)).await
                }
            )*
        }
    };
}

for_each_store!(
    a_secret_is_created_read_replaced_and_deleted,
    creating_a_secret_that_exists_is_a_conflict,
    of_two_writers_from_one_version_the_second_gets_a_conflict_and_retries,
    of_two_simultaneous_writers_from_one_version_exactly_one_wins,
    concurrent_increments_lose_no_update,
    replacing_a_missing_secret_says_it_does_not_exist,
    a_version_of_another_secret_is_a_conflict,
    a_value_over_the_limit_is_refused_without_being_shown,
    errors_name_the_secret_but_never_show_its_value,
);

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_owned())
}

async fn a_secret_is_created_read_replaced_and_deleted(store: Arc<dyn SecretStore>) -> TestResult {
    let name = unique_secret(SecretKind::RefreshToken);
    assert!(store.get(&name).await?.is_none());

    // Quotes, backslashes, new lines and non-ASCII survive the round trip.
    let first_value = "0.AAAA\"refresh\\token\"\n\u{e9}\u{1f511}";
    let first = store.put_new(&name, &secret(first_value)).await?;
    let (value, version) = store.get(&name).await?.ok_or("the new secret is missing")?;
    assert_eq!(value.expose_secret(), first_value);
    assert_eq!(version, first);

    let second = store.replace(&name, &secret("rotated"), &first).await?;
    assert_ne!(second, first);
    let (value, version) = store.get(&name).await?.ok_or("the secret is missing")?;
    assert_eq!((value.expose_secret(), version), ("rotated", second));

    store.delete(&name).await?;
    assert!(store.get(&name).await?.is_none());
    store.delete(&name).await?; // deleting again is fine

    // The name can be used again at once, and old versions mean nothing for the new secret.
    let again = store.put_new(&name, &secret("relinked")).await?;
    assert_ne!(again, first);
    let refused = store.replace(&name, &secret("stale"), &first).await;
    assert!(
        matches!(refused, Err(SecretError::Conflict { .. })),
        "{refused:?}"
    );
    Ok(())
}

async fn creating_a_secret_that_exists_is_a_conflict(store: Arc<dyn SecretStore>) -> TestResult {
    let name = unique_secret(SecretKind::ClientSecret);
    store.put_new(&name, &secret("first")).await?;
    let second = store.put_new(&name, &secret("second")).await;
    match second {
        Err(SecretError::Conflict {
            name: n,
            expected: None,
        }) => assert_eq!(n, name),
        other => return Err(format!("expected a conflict, got {other:?}").into()),
    }
    let (value, _) = store.get(&name).await?.ok_or("missing")?;
    assert_eq!(value.expose_secret(), "first");
    Ok(())
}

async fn of_two_writers_from_one_version_the_second_gets_a_conflict_and_retries(
    store: Arc<dyn SecretStore>,
) -> TestResult {
    let name = unique_secret(SecretKind::RefreshToken);
    let v0 = store.put_new(&name, &secret("token-0")).await?;

    // Both refresh from token-0; the first to write wins.
    let won = store.replace(&name, &secret("token-a"), &v0).await?;
    let lost = store.replace(&name, &secret("token-b"), &v0).await;
    match &lost {
        Err(SecretError::Conflict {
            expected: Some(expected),
            ..
        }) => assert_eq!(expected, &v0),
        other => return Err(format!("expected a conflict, got {other:?}").into()),
    }

    // The loser re-reads, sees the winner's token, and writes from there.
    let (value, version) = store.get(&name).await?.ok_or("missing")?;
    assert_eq!((value.expose_secret(), &version), ("token-a", &won));
    store.replace(&name, &secret("token-b"), &version).await?;
    let (value, _) = store.get(&name).await?.ok_or("missing")?;
    assert_eq!(value.expose_secret(), "token-b");
    Ok(())
}

async fn of_two_simultaneous_writers_from_one_version_exactly_one_wins(
    store: Arc<dyn SecretStore>,
) -> TestResult {
    let name = unique_secret(SecretKind::RefreshToken);
    let mut version = store.put_new(&name, &secret("start")).await?;
    for round in 0..8 {
        let (value_a, value_b) = (secret(&format!("a{round}")), secret(&format!("b{round}")));
        let (a, b) = tokio::join!(
            store.replace(&name, &value_a, &version),
            store.replace(&name, &value_b, &version),
        );
        let (winner, value) = match (a, b) {
            (Ok(v), Err(SecretError::Conflict { .. })) => (v, format!("a{round}")),
            (Err(SecretError::Conflict { .. }), Ok(v)) => (v, format!("b{round}")),
            other => {
                return Err(format!(
                    "round {round}: expected one win and one conflict, got {other:?}"
                )
                .into());
            }
        };
        let (stored, current) = store.get(&name).await?.ok_or("missing")?;
        assert_eq!(
            (stored.expose_secret(), &current),
            (value.as_str(), &winner)
        );
        version = current;
    }
    Ok(())
}

/// Tasks that each read the counter, add one and write it back (retrying on a conflict): the
/// end value counts every increment. This is two refreshes of one connection never losing the
/// newest refresh token.
async fn concurrent_increments_lose_no_update(store: Arc<dyn SecretStore>) -> TestResult {
    const TASKS: usize = 6;
    const EACH: usize = 5;
    let name = unique_secret(SecretKind::RefreshToken);
    store.put_new(&name, &secret("0")).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        let name = name.clone();
        tasks.spawn(async move {
            let mut conflicts = 0usize;
            for _ in 0..EACH {
                loop {
                    let (value, version) = store.get(&name).await?.ok_or("missing")?;
                    let n: usize = value.expose_secret().parse()?;
                    match store
                        .replace(&name, &secret(&(n + 1).to_string()), &version)
                        .await
                    {
                        Ok(_) => break,
                        Err(SecretError::Conflict { .. }) => conflicts += 1,
                        Err(e) => return Err(Error::from(e)),
                    }
                }
            }
            Ok::<usize, Error>(conflicts)
        });
    }
    let mut conflicts = 0;
    while let Some(done) = tasks.join_next().await {
        conflicts += done??;
    }
    let (value, _) = store.get(&name).await?.ok_or("missing")?;
    assert_eq!(
        value.expose_secret(),
        (TASKS * EACH).to_string(),
        "after {conflicts} conflicts"
    );
    Ok(())
}

async fn replacing_a_missing_secret_says_it_does_not_exist(
    store: Arc<dyn SecretStore>,
) -> TestResult {
    let other = unique_secret(SecretKind::WebhookKey);
    let version = store.put_new(&other, &secret("x")).await?;
    let name = unique_secret(SecretKind::WebhookKey);
    let result = store.replace(&name, &secret("y"), &version).await;
    match result {
        Err(e @ SecretError::NotFound { .. }) => {
            assert_eq!(e.to_string(), format!("secret {name} does not exist"));
        }
        other => return Err(format!("expected not found, got {other:?}").into()),
    }
    assert!(store.get(&name).await?.is_none());
    Ok(())
}

async fn a_version_of_another_secret_is_a_conflict(store: Arc<dyn SecretStore>) -> TestResult {
    let a = unique_secret(SecretKind::CertificateKey);
    let b = unique_secret(SecretKind::CertificateKey);
    store.put_new(&a, &secret("a")).await?;
    let b_version = store.put_new(&b, &secret("b")).await?;
    let result = store.replace(&a, &secret("a2"), &b_version).await;
    assert!(
        matches!(result, Err(SecretError::Conflict { .. })),
        "{result:?}"
    );
    let (value, _) = store.get(&a).await?.ok_or("missing")?;
    assert_eq!(value.expose_secret(), "a");
    Ok(())
}

async fn a_value_over_the_limit_is_refused_without_being_shown(
    store: Arc<dyn SecretStore>,
) -> TestResult {
    let name = unique_secret(SecretKind::CertificateKey);
    let huge = format!("BEGIN-{}", "k".repeat(MAX_SECRET_BYTES));
    let error = store
        .put_new(&name, &secret(&huge))
        .await
        .err()
        .ok_or("a value over the limit was stored")?;
    assert!(matches!(error, SecretError::TooLarge { .. }), "{error:?}");
    assert_hides(&error, "BEGIN-kkkk");
    assert!(error.to_string().contains(name.as_str()), "{error}");
    assert!(store.get(&name).await?.is_none());
    Ok(())
}

async fn errors_name_the_secret_but_never_show_its_value(
    store: Arc<dyn SecretStore>,
) -> TestResult {
    let name = unique_secret(SecretKind::ClientSecret);
    let value = "Zq8~never-show-this-client-secret";
    let v1 = store.put_new(&name, &secret(value)).await?;
    store.replace(&name, &secret(value), &v1).await?;
    let errors = [
        store.put_new(&name, &secret(value)).await.err(),
        store.replace(&name, &secret(value), &v1).await.err(),
        store
            .replace(
                &unique_secret(SecretKind::ClientSecret),
                &secret(value),
                &v1,
            )
            .await
            .err(),
    ];
    for error in errors {
        let error = error.ok_or("a write that should fail succeeded")?;
        assert!(
            error.to_string().contains("tenure/t-"),
            "the secret is not named: {error}"
        );
        assert_hides(&error, value);
    }
    Ok(())
}

#[tokio::test]
async fn an_unreachable_secrets_manager_is_named_without_the_value() -> TestResult {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = tenure::store::AwsSettings::emulator(
        &format!("http://127.0.0.1:{port}"),
        crate::support::moto::REGION,
        crate::support::moto::ACCESS_KEY_ID,
        crate::support::moto::SECRET_ACCESS_KEY,
    )
    .load()
    .await;
    let store = tenure::store::secrets::SecretsManagerStore::new(&config);
    let name = unique_secret(SecretKind::RefreshToken);
    let value = "0.ARwA-unreachable-refresh-token";
    let error = store
        .put_new(&name, &secret(value))
        .await
        .err()
        .ok_or("a write to nowhere succeeded")?;
    assert!(
        matches!(
            error,
            SecretError::Unavailable {
                operation: "create",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("could not create secret {name}: ")),
        "{error}"
    );
    assert_hides(&error, value);
    Ok(())
}
