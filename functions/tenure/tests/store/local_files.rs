//! What only the local stores have: owner-only files and folders, unreadable files, and
//! compare-and-swap across processes.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use tenure::store::connections::{ConnectionStore, LocalConnectionStore};
use tenure::store::secrets::{LocalSecretStore, SecretError, SecretKind, SecretName, SecretStore};
use tenure::store::{DataDir, DataDirError};

use super::helpers::{Error, TestResult, assert_hides, sample_connection, unique_id};

fn mode(path: &Path) -> Result<u32, Error> {
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

fn names_in(folder: &Path) -> Result<Vec<String>, Error> {
    let mut names = std::fs::read_dir(folder)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<Vec<_>, Error>>()?;
    names.sort();
    Ok(names)
}

#[tokio::test]
async fn files_and_folders_are_readable_by_their_owner_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("tenure-data");
    let data = DataDir::open(&root)?;
    let secrets = LocalSecretStore::open(&data)?;
    let connections = LocalConnectionStore::open(&data)?;
    let id = unique_id();
    let name = SecretName::for_connection(&id, SecretKind::RefreshToken);
    let version = secrets
        .put_new(&name, &SecretString::from("token-1"))
        .await?;
    secrets
        .replace(&name, &SecretString::from("token-2"), &version)
        .await?;
    connections.put_new(&sample_connection(&id)?).await?;

    let secret_folder = secrets.folder().join(id.as_str());
    for folder in [
        &root,
        secrets.folder(),
        &secret_folder,
        connections.folder(),
    ] {
        assert_eq!(mode(folder)?, 0o700, "{}", folder.display());
    }
    let secret_file = secret_folder.join("refresh-token.json");
    let record_file = connections.folder().join(format!("{id}.json"));
    for file in [&secret_file, &record_file, &secrets.folder().join(".lock")] {
        assert_eq!(mode(file)?, 0o600, "{}", file.display());
    }
    // No temporary file is left behind.
    assert_eq!(names_in(&secret_folder)?, ["refresh-token.json"]);
    assert_eq!(
        names_in(connections.folder())?,
        [".lock".to_owned(), format!("{id}.json")]
    );
    Ok(())
}

#[test]
fn a_store_folder_open_to_others_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(dir.path().join("secrets"))?;
    // The umask may have narrowed the mode: set it.
    std::fs::set_permissions(
        dir.path().join("secrets"),
        std::fs::Permissions::from_mode(0o755),
    )?;
    let data = DataDir::open(dir.path())?;
    match LocalSecretStore::open(&data) {
        Err(e @ DataDirError::TooOpen { mode: 0o755, .. }) => {
            let text = e.to_string();
            assert!(text.contains("must be owner-only"), "{text}");
            assert!(
                text.contains(&format!(
                    "chmod 700 {}",
                    dir.path().join("secrets").display()
                )),
                "{text}"
            );
        }
        other => return Err(format!("expected the folder to be refused, got {other:?}").into()),
    }
    // A folder Tenure made is fine.
    assert!(LocalConnectionStore::open(&data).is_ok());
    Ok(())
}

#[tokio::test]
async fn an_unreadable_secret_file_is_named_without_showing_its_value() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = LocalSecretStore::open(&DataDir::open(dir.path())?)?;
    let value = "Zq8~value-in-a-damaged-file";
    let contents = [
        format!(r#"{{"format":"{value}","version":"v","value":"{value}"}}"#),
        format!(r#"{{"format":1,"version":5,"value":"{value}"}}"#),
        format!(r#"{{"format":1,"version":"v","value":["{value}"]}}"#),
        format!(r#"{{"format":1,"version":"v","value":"{value}"#),
        format!(r#"{{"format":1,"version":"v","value":"{value}","{value}":1}}"#),
        value.to_owned(),
        format!(r#"{{"format":2,"version":"v","value":"{value}"}}"#),
    ];
    for content in contents {
        let name = SecretName::for_connection(&unique_id(), SecretKind::ClientSecret);
        let folder = store
            .folder()
            .join(name.connection().ok_or("no connection")?.as_str());
        std::fs::DirBuilder::new().mode(0o700).create(&folder)?;
        std::fs::write(folder.join("client-secret.json"), &content)?;
        match store.get(&name).await {
            Err(e @ SecretError::Unreadable { .. }) => {
                assert!(e.to_string().contains(name.as_str()), "{e}");
                assert_hides(&e, value);
            }
            other => return Err(format!("{content}: expected unreadable, got {other:?}").into()),
        }
        // A write refuses too, rather than overwrite what it cannot read.
        let written = store.put_new(&name, &SecretString::from(value)).await;
        match written {
            Err(e @ SecretError::Unreadable { .. }) => assert_hides(&e, value),
            other => return Err(format!("{content}: expected unreadable, got {other:?}").into()),
        }
    }
    Ok(())
}

/// Where the worker process below finds its store.
const WORKER_DIR: &str = "TENURE_STORE_TEST_WORKER_DIR";
const WORKER_TEST: &str = "store::local_files::increment_worker";
const EACH: usize = 15;

async fn increment(store: &dyn SecretStore, name: &SecretName, times: usize) -> TestResult {
    for _ in 0..times {
        loop {
            let (value, version) = store.get(name).await?.ok_or("missing")?;
            let n: usize = value.expose_secret().parse()?;
            match store
                .replace(name, &SecretString::from((n + 1).to_string()), &version)
                .await
            {
                Ok(_) => break,
                Err(SecretError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

fn counter() -> Result<SecretName, Error> {
    Ok(SecretName::parse("tenure/cross-process/refresh-token")?)
}

/// Two other processes and this one increment one counter in one data directory: every
/// increment counts, so the file lock holds across processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_from_several_processes_lose_no_update() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(LocalSecretStore::open(&DataDir::open(dir.path())?)?);
    store.put_new(&counter()?, &SecretString::from("0")).await?;
    let exe = std::env::current_exe()?;
    let name = counter()?;
    let spawn = || {
        tokio::process::Command::new(&exe)
            .args([
                "--exact",
                WORKER_TEST,
                "--ignored",
                "--test-threads",
                "1",
                "--nocapture",
            ])
            .env(WORKER_DIR, dir.path())
            .output()
    };
    let (a, b, here) = tokio::join!(spawn(), spawn(), increment(store.as_ref(), &name, EACH));
    here?;
    for out in [a?, b?] {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("1 passed"),
            "the worker failed:\n{text}"
        );
    }
    let (value, _) = store.get(&counter()?).await?.ok_or("missing")?;
    assert_eq!(value.expose_secret(), (3 * EACH).to_string());
    Ok(())
}

#[tokio::test]
#[ignore = "a worker: concurrent_increments_from_several_processes_lose_no_update runs it in a child process"]
async fn increment_worker() -> TestResult {
    let dir = std::env::var_os(WORKER_DIR).ok_or("run by the cross-process test only")?;
    let store = LocalSecretStore::open(&DataDir::open(dir)?)?;
    increment(&store, &counter()?, EACH).await
}
