use std::fs;
use std::path::{Path, PathBuf};

use tenure::plugin::{PluginError, PluginHost, SandboxLimits};

use super::helpers::{TestResult, domains, items, upn};

fn cached_host(dir: &Path) -> Result<PluginHost, PluginError> {
    PluginHost::new(SandboxLimits::default(), Some(dir.to_owned()))
}

/// The cache's files.
fn cache_files(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        files.push(entry?.path());
    }
    Ok(files)
}

/// The one file in the cache.
fn the_cache_file(dir: &Path) -> Result<PathBuf, crate::support::Error> {
    let mut files = cache_files(dir)?;
    match (files.pop(), files.is_empty()) {
        (Some(file), true) => Ok(file),
        _ => Err(format!("one cache file expected in {}", dir.display()).into()),
    }
}

/// Loads the echo plugin and checks that it maps.
fn load_and_map(host: &PluginHost) -> Result<bool, crate::support::Error> {
    let plugin = host.load(&plugin_artifacts::read(plugin_artifacts::ECHO)?)?;
    let outcome = plugin.map_all(&items(&["c1"]), &domains(), "{}");
    assert_eq!(
        outcome.results[0].as_ref().ok().and_then(upn),
        Some("c1@contoso.com")
    );
    Ok(plugin.from_cache())
}

#[test]
fn a_second_load_takes_the_compiled_plugin_from_the_cache() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("cache");
    assert!(
        !load_and_map(&cached_host(&dir)?)?,
        "the first load compiles"
    );
    assert_eq!(cache_files(&dir)?.len(), 1);
    assert!(load_and_map(&cached_host(&dir)?)?, "a later host finds it");
    Ok(())
}

#[test]
fn hosts_loading_one_new_plugin_at_once_compile_it_once() -> TestResult {
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("cache");
    let hosts = [cached_host(&dir)?, cached_host(&dir)?, cached_host(&dir)?];
    let start = std::sync::Barrier::new(hosts.len());
    let from_cache = std::thread::scope(|scope| {
        let loads: Vec<_> = hosts
            .iter()
            .map(|host| {
                scope.spawn(|| {
                    start.wait();
                    load_and_map(host).map_err(|error| error.to_string())
                })
            })
            .collect();
        loads
            .into_iter()
            .map(|load| load.join().map_err(|_| "a load panicked".to_owned())?)
            .collect::<Result<Vec<bool>, String>>()
    })?;
    let compiled = from_cache.iter().filter(|&&cached| !cached).count();
    assert_eq!(
        compiled, 1,
        "one compiles, the others wait and load its code"
    );
    assert_eq!(
        cache_files(&dir)?.len(),
        1,
        "the compiled plugin, no lock left"
    );
    Ok(())
}

#[test]
fn a_corrupted_cache_file_is_recompiled_not_run() -> TestResult {
    let temp = tempfile::tempdir()?;
    let host = cached_host(temp.path())?;
    load_and_map(&host)?;
    let file = the_cache_file(temp.path())?;
    let mut bytes = fs::read(&file)?;
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    fs::write(&file, &bytes)?;
    assert!(!load_and_map(&host)?, "a damaged file must not be used");
    assert!(load_and_map(&host)?, "the file was rewritten whole");
    Ok(())
}

#[test]
fn a_truncated_or_emptied_cache_file_is_recompiled() -> TestResult {
    let temp = tempfile::tempdir()?;
    let host = cached_host(temp.path())?;
    load_and_map(&host)?;
    let file = the_cache_file(temp.path())?;
    let bytes = fs::read(&file)?;
    for damaged in [&bytes[..bytes.len() - 1], &bytes[..10], &[][..]] {
        fs::write(&file, damaged)?;
        assert!(!load_and_map(&host)?);
    }
    Ok(())
}

#[test]
fn a_refused_plugin_is_never_cached() -> TestResult {
    let temp = tempfile::tempdir()?;
    let host = cached_host(temp.path())?;
    let wasm = plugin_artifacts::read(plugin_artifacts::FORBIDDEN_IMPORT)?;
    assert!(matches!(
        host.load(&wasm),
        Err(PluginError::ForbiddenImport { .. })
    ));
    assert!(cache_files(temp.path())?.is_empty());
    Ok(())
}

#[cfg(unix)]
#[test]
fn the_cache_directory_is_created_private() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    let temp = tempfile::tempdir()?;
    let dir = temp.path().join("a/b");
    load_and_map(&cached_host(&dir)?)?;
    assert_eq!(fs::metadata(&dir)?.permissions().mode() & 0o777, 0o700);
    for file in cache_files(&dir)? {
        assert_eq!(fs::metadata(&file)?.permissions().mode() & 0o777, 0o600);
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_cache_directory_others_can_write_to_is_refused() -> TestResult {
    use std::os::unix::fs::PermissionsExt as _;
    let temp = tempfile::tempdir()?;
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o777))?;
    let Err(PluginError::Cache { reason, .. }) = cached_host(temp.path()) else {
        return Err("a world-writable cache directory should be refused".into());
    };
    assert!(reason.contains("chmod 700"), "{reason}");
    Ok(())
}
