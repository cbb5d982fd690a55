use sha2::{Digest as _, Sha256};
use tenure::plugin::{Plugin, PluginError, PluginHost, SandboxLimits};

use super::helpers::{TestResult, try_load};

#[test]
fn a_plugin_can_be_shared_between_threads() {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Plugin>();
    send_and_sync::<PluginHost>();
}

#[test]
fn a_plugin_is_known_by_the_sha256_of_its_bytes() -> TestResult {
    let wasm = plugin_artifacts::read(plugin_artifacts::ECHO)?;
    let plugin = PluginHost::new(SandboxLimits::default(), None)?.load(&wasm)?;
    assert_eq!(plugin.sha256(), hex::encode(Sha256::digest(&wasm)));
    assert!(!plugin.from_cache());
    Ok(())
}

#[test]
fn the_wrong_world_says_what_it_exports_and_what_is_expected() -> TestResult {
    let error = try_load(plugin_artifacts::WRONG_WORLD)?.err();
    assert_eq!(
        error,
        Some(PluginError::WrongWorld {
            found: "tenure:mapper/mapping@2.0.0".into(),
            expected: "tenure:mapper/mapping@1.0 to 1.1".into(),
        })
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("the plugin exports tenure:mapper/mapping@2.0.0; this Tenure runs tenure:mapper/mapping@1.0 to 1.1"),
        "{message}"
    );
    Ok(())
}

#[test]
fn a_custom_import_is_forbidden_by_name() -> TestResult {
    let error = try_load(plugin_artifacts::FORBIDDEN_IMPORT)?.err();
    assert_eq!(
        error,
        Some(PluginError::ForbiddenImport {
            import: "acme:exfil/net".into()
        })
    );
    let message = error.map(|error| error.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("the plugin imports `acme:exfil/net`"),
        "{message}"
    );
    Ok(())
}

#[test]
fn a_plugin_that_would_open_a_socket_is_refused_at_load() -> TestResult {
    let Err(error @ PluginError::ForbiddenImport { .. }) = try_load(plugin_artifacts::SOCKET)?
    else {
        return Err("a socket plugin should be refused with ForbiddenImport".into());
    };
    let message = error.to_string();
    assert!(
        message.starts_with("the plugin imports `wasi:sockets/"),
        "{message}"
    );
    assert!(
        message.contains("Remove the code that opens sockets"),
        "{message}"
    );
    Ok(())
}

#[test]
fn an_upload_over_the_size_limit_is_refused_before_anything_else() -> TestResult {
    let limits = SandboxLimits {
        max_wasm_bytes: 1000,
        ..SandboxLimits::default()
    };
    let host = PluginHost::new(limits, None)?;
    let wasm = plugin_artifacts::read(plugin_artifacts::ECHO)?;
    let error = host.load(&wasm).err();
    assert_eq!(
        error,
        Some(PluginError::TooLarge {
            bytes: wasm.len(),
            limit: 1000
        })
    );
    let too_big_garbage = vec![0xff_u8; 1001];
    assert!(matches!(
        host.load(&too_big_garbage),
        Err(PluginError::TooLarge { .. })
    ));
    Ok(())
}

#[test]
fn garbage_is_not_a_component() -> TestResult {
    let host = PluginHost::new(SandboxLimits::default(), None)?;
    let wasm = plugin_artifacts::read(plugin_artifacts::ECHO)?;
    let cases: [(&[u8], &str); 5] = [
        (b"", "magic bytes"),
        (b"#!/bin/sh\nrm -rf /\n", "magic bytes"),
        (b"\0asm\x01\0\0\0", "core WebAssembly module"),
        (b"\0asm\x0d\0\x01\0\xff\xff\xff", ""),
        (&wasm[..wasm.len() / 2], ""),
    ];
    for (bytes, says) in cases {
        let Err(PluginError::NotAComponent { reason }) = host.load(bytes) else {
            return Err(format!("{} bytes of garbage should be NotAComponent", bytes.len()).into());
        };
        assert!(reason.contains(says), "{reason}");
    }
    // The host is none the worse for it.
    assert!(host.load(&wasm).is_ok());
    Ok(())
}
