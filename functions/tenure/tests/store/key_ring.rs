//! The deployment's key ring over every secret store: made on first use and shared by every
//! instance, rotated with the previous key still accepted, never printed.
//!
//! On moto each test has a region of its own: the key ring's names are fixed
//! (`tenure/_deployment/<purpose>`), and Secrets Manager keeps secrets per region.

use std::sync::Arc;

use secrecy::ExposeSecret;
use tenure::store::KeyRing;
use tenure::store::key_ring::{KEY_BYTES, KeyId};
use tenure::store::secrets::{
    KeyPurpose, LocalSecretStore, SecretName, SecretStore, SecretsManagerStore,
};
use tenure::store::{AwsSettings, DataDir};

use super::helpers::{Error, TestResult};

/// A store nobody else uses: local files, or Secrets Manager on moto in `region`.
async fn stores(
    region: &str,
) -> Result<Vec<(Arc<dyn SecretStore>, Option<tempfile::TempDir>)>, Error> {
    let dir = tempfile::tempdir()?;
    let local = LocalSecretStore::open(&DataDir::open(dir.path().join("data"))?)?;
    let moto = tenure_test_support::moto::shared()?;
    let config = AwsSettings::emulator(
        moto.endpoint(),
        region,
        tenure_test_support::moto::ACCESS_KEY_ID,
        tenure_test_support::moto::SECRET_ACCESS_KEY,
    )
    .load()
    .await;
    Ok(vec![
        (Arc::new(local), Some(dir)),
        (Arc::new(SecretsManagerStore::new(&config)), None),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_use_makes_a_key_every_instance_then_shares() -> TestResult {
    for (store, _dir) in stores("eu-west-3").await? {
        let first = KeyRing::new(Arc::clone(&store));
        let second = KeyRing::new(Arc::clone(&store));
        // Two instances starting at once: one key wins and both use it.
        let (a, b) = tokio::join!(
            first.keys(KeyPurpose::Session),
            second.keys(KeyPurpose::Session)
        );
        let (a, b) = (a?, b?);
        assert_eq!(a.current().id(), KeyId(1));
        assert_eq!(a.current().expose(), b.current().expose());
        assert_eq!(a.current().expose().len(), KEY_BYTES);
        assert!(a.previous().is_none());
        // A third instance, later, reads the same key from the store.
        let later = KeyRing::new(Arc::clone(&store))
            .keys(KeyPurpose::Session)
            .await?;
        assert_eq!(later.current().expose(), a.current().expose());
        // Each purpose has its own key.
        let hmac = first.keys(KeyPurpose::PluginCodeHmac).await?;
        assert_ne!(hmac.current().expose(), a.current().expose());
        assert!(
            store
                .get(&SecretName::for_deployment_key(KeyPurpose::PluginCodeHmac))
                .await?
                .is_some()
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_keeps_the_previous_key_accepted_and_drops_the_one_before() -> TestResult {
    for (store, _dir) in stores("ap-southeast-2").await? {
        let ring = KeyRing::new(Arc::clone(&store));
        let one = ring.keys(KeyPurpose::Session).await?.current().clone();

        let rotated = ring.rotate(KeyPurpose::Session).await?;
        assert_eq!(rotated.current().id(), KeyId(2));
        assert_ne!(rotated.current().expose(), one.expose());
        let previous = rotated.previous().ok_or("the previous key was dropped")?;
        assert_eq!((previous.id(), previous.expose()), (one.id(), one.expose()));
        assert_eq!(
            ring.keys(KeyPurpose::Session).await?.current().id(),
            KeyId(2)
        );

        let again = ring.rotate(KeyPurpose::Session).await?;
        assert_eq!(again.current().id(), KeyId(3));
        assert_eq!(again.previous().map(|k| k.id()), Some(KeyId(2)));
        assert!(
            again.get(KeyId(1)).is_none(),
            "a key two rotations old is still accepted"
        );
        assert!(ring.key(KeyPurpose::Session, KeyId(1)).await?.is_none());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_asked_for_a_key_rotated_elsewhere_reads_the_store_again() -> TestResult {
    for (store, _dir) in stores("ca-central-1").await? {
        let stale = KeyRing::new(Arc::clone(&store));
        assert_eq!(
            stale.keys(KeyPurpose::Session).await?.current().id(),
            KeyId(1)
        );
        let rotated = KeyRing::new(Arc::clone(&store))
            .rotate(KeyPurpose::Session)
            .await?;

        let found = stale
            .key(KeyPurpose::Session, KeyId(2))
            .await?
            .ok_or("the instance did not find the key another one rotated in")?;
        assert_eq!(found.expose(), rotated.current().expose());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_never_printed() -> TestResult {
    for (store, _dir) in stores("sa-east-1").await? {
        let keys = KeyRing::new(Arc::clone(&store))
            .keys(KeyPurpose::ApiTokenHmac)
            .await?;
        let (stored, _) = store
            .get(&SecretName::for_deployment_key(KeyPurpose::ApiTokenHmac))
            .await?
            .ok_or("no stored keys")?;
        let stored: serde_json::Value = serde_json::from_str(stored.expose_secret())?;
        let encoded = stored["keys"][0]["key"]
            .as_str()
            .ok_or("no key in the secret")?
            .to_owned();
        let shown = format!("{keys:?} {:?}", keys.current());
        assert!(shown.contains("[REDACTED]"), "{shown}");
        assert!(!shown.contains(&encoded), "a key is shown: {shown}");
        assert!(!shown.contains(&format!("{:?}", keys.current().expose())));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_keys_are_refused_without_being_shown() -> TestResult {
    for (store, _dir) in stores("eu-north-1").await? {
        let name = SecretName::for_deployment_key(KeyPurpose::Session);
        let value = r#"{"format":1,"keys":[{"id":1,"created_at":"2026-01-01T00:00:00Z","key":"c2hvcnQtYnV0LXNlY3JldA=="}]}"#;
        store.put_new(&name, &value.to_owned().into()).await?;
        let error = KeyRing::new(Arc::clone(&store))
            .keys(KeyPurpose::Session)
            .await
            .err()
            .ok_or("a 17-byte key was accepted")?;
        let shown = format!("{error} {error:?}");
        assert!(
            shown.contains("tenure/_deployment/session") && shown.contains("not 64"),
            "{shown}"
        );
        assert!(!shown.contains("c2hvcnQtYnV0LXNlY3JldA"), "{shown}");
    }
    Ok(())
}
