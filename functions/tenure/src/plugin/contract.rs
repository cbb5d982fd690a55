//! What a component must export and may import to be loaded as a mapping plugin.
//!
//! Checked twice, with the same rules and messages: on the names the component's binary declares
//! ([`check_declared`], before it is compiled, so a plugin that would be refused costs no
//! compilation), and on the compiled component's types ([`check`], before anything is linked or
//! run). A refusal names the export or import at fault.

use wasmparser::{Parser, Payload};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::PluginError;

/// The package and interface a plugin exports.
const MAPPING: (&str, &str) = ("tenure:mapper", "mapping");

/// The interface a plugin may export besides, since 1.1: the batch call in JSON.
const MAPPING_JSON: (&str, &str) = ("tenure:mapper", "mapping-json");

/// The function of [`MAPPING_JSON`].
pub(crate) const MAP_BATCH_JSON: &str = "map-batch-json";

/// The contract's major version this Tenure runs.
const MAJOR: u64 = 1;

/// The contract's minor version this Tenure implements: it runs plugins built for any minor
/// version up to this one (they use a part of what it offers), and refuses one built for a later
/// one (which may need what it does not know).
const MINOR: u64 = 1;

/// The versions of the contract this Tenure runs: 1.0 to 1.1, at any patch level.
const CONTRACT: Track = Track::UpTo(MAJOR, MINOR);

/// What [`PluginError::WrongWorld`] says is expected.
pub(crate) const EXPECTED: &str = "tenure:mapper/mapping@1.0 to 1.1";

/// What a component exports of the contract, by its full names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exports {
    /// The mapping interface, such as `tenure:mapper/mapping@1.0.0`.
    pub(crate) mapping: String,
    /// The JSON batch interface (1.1), such as `tenure:mapper/mapping-json@1.1.0`, if exported.
    pub(crate) mapping_json: Option<String>,
}

/// The interfaces a plugin may import, by package and version track, and interface name.
///
/// `tenure:mapper/types` holds only types. The WASI interfaces are the ones a Rust, JavaScript
/// or Python component pulls in through its standard library; the sandbox gives each a
/// deny-all implementation (see [`super::sandbox`]). Sockets, HTTP and anything else are
/// refused at load.
const ALLOWED: &[(&str, Track, &[&str])] = &[
    ("tenure:mapper", CONTRACT, &["types"]),
    ("wasi:io", WASI_P2, &["error", "poll", "streams"]),
    (
        "wasi:cli",
        WASI_P2,
        &[
            "environment",
            "exit",
            "stdin",
            "stdout",
            "stderr",
            "terminal-input",
            "terminal-output",
            "terminal-stdin",
            "terminal-stdout",
            "terminal-stderr",
        ],
    ),
    ("wasi:clocks", WASI_P2, &["wall-clock", "monotonic-clock"]),
    (
        "wasi:random",
        WASI_P2,
        &["random", "insecure", "insecure-seed"],
    ),
    ("wasi:filesystem", WASI_P2, &["types", "preopens"]),
];

/// WASI 0.2.x.
const WASI_P2: Track = Track::Minor(0, 2);

/// A semver-compatible series of versions.
#[derive(Debug, Clone, Copy)]
enum Track {
    /// `major.0.*` to `major.minor.*`, for major ≥ 1.
    UpTo(u64, u64),
    /// `0.minor.*`.
    Minor(u64, u64),
}

impl Track {
    fn contains(self, version: Version) -> bool {
        match self {
            Self::UpTo(major, minor) => version.major == major && version.minor <= minor,
            Self::Minor(major, minor) => version.major == major && version.minor == minor,
        }
    }
}

/// The numeric part of a semver version; pre-releases never match a track.
#[derive(Debug, Clone, Copy)]
struct Version {
    major: u64,
    minor: u64,
}

/// An interface name, `namespace:package/interface@version`.
struct InterfaceName<'a> {
    package: &'a str,
    interface: &'a str,
    version: Option<Version>,
}

impl<'a> InterfaceName<'a> {
    fn parse(name: &'a str) -> Option<Self> {
        let (path, version) = match name.split_once('@') {
            Some((path, version)) => (path, Some(parse_version(version)?)),
            None => (name, None),
        };
        let (package, interface) = path.split_once('/')?;
        package.contains(':').then_some(Self {
            package,
            interface,
            version,
        })
    }

    fn is(&self, package: &str, interface: &str, track: Track) -> bool {
        self.package == package
            && self.interface == interface
            && self.version.is_some_and(|version| track.contains(version))
    }
}

fn parse_version(text: &str) -> Option<Version> {
    // Build metadata (`+…`) does not matter; a pre-release (`-…`) is not on any track.
    let core = text.split('+').next().unwrap_or(text);
    if core.contains('-') {
        return None;
    }
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let _patch: u64 = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some(Version { major, minor })
}

/// Refuses a component that does not export the mapping interface at a version this Tenure
/// runs, or that imports anything outside [`ALLOWED`]; gives the contract's interfaces it exports.
pub(crate) fn check(engine: &Engine, component: &Component) -> Result<Exports, PluginError> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let mapping = check_exports(&exports)?.to_owned();
    for (name, _) in ty.imports(engine) {
        check_import(name)?;
    }
    let mapping_json = exports
        .iter()
        .find(|name| {
            InterfaceName::parse(name)
                .is_some_and(|parsed| parsed.is(MAPPING_JSON.0, MAPPING_JSON.1, CONTRACT))
        })
        .map(|name| (*name).to_owned());
    Ok(Exports {
        mapping,
        mapping_json,
    })
}

/// The same checks as [`check`], on the names the component's own export and import sections
/// declare (not those of the components and modules nested in it), read without compiling
/// anything. Bytes that do not parse pass: compiling them then says what is wrong with them.
pub(crate) fn check_declared(wasm: &[u8]) -> Result<(), PluginError> {
    let Some(declared) = Declared::read(wasm) else {
        return Ok(());
    };
    check_exports(&declared.exports)?;
    declared.imports.into_iter().try_for_each(check_import)
}

/// The names a component's binary exports and imports at its top level.
#[derive(Debug, Default, PartialEq, Eq)]
struct Declared<'a> {
    exports: Vec<&'a str>,
    imports: Vec<&'a str>,
}

impl<'a> Declared<'a> {
    /// `None` when the bytes do not parse as WebAssembly.
    fn read(wasm: &'a [u8]) -> Option<Self> {
        let mut declared = Self::default();
        // How many nested modules and components the parser is inside.
        let mut depth = 0usize;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.ok()? {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                Payload::End(_) => depth = depth.saturating_sub(1),
                Payload::ComponentExportSection(exports) if depth == 0 => {
                    for export in exports {
                        declared.exports.push(export.ok()?.name.name);
                    }
                }
                Payload::ComponentImportSection(imports) if depth == 0 => {
                    for import in imports {
                        declared.imports.push(import.ok()?.name.name);
                    }
                }
                _ => {}
            }
        }
        Some(declared)
    }
}

fn check_exports<'a>(exports: &[&'a str]) -> Result<&'a str, PluginError> {
    let mapping = exports.iter().find(|name| {
        InterfaceName::parse(name).is_some_and(|parsed| parsed.is(MAPPING.0, MAPPING.1, CONTRACT))
    });
    if let Some(mapping) = mapping {
        return Ok(mapping);
    }
    let found = if exports.is_empty() {
        "nothing".to_owned()
    } else {
        exports.join(", ")
    };
    Err(PluginError::WrongWorld {
        found,
        expected: EXPECTED.to_owned(),
    })
}

fn check_import(name: &str) -> Result<(), PluginError> {
    let allowed = InterfaceName::parse(name).is_some_and(|parsed| {
        ALLOWED.iter().any(|(package, track, interfaces)| {
            interfaces
                .iter()
                .any(|interface| parsed.is(package, interface, *track))
        })
    });
    if allowed {
        Ok(())
    } else {
        Err(PluginError::ForbiddenImport {
            import: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_at_1_0_or_1_1_is_accepted_at_any_patch_level() {
        assert_eq!(
            check_exports(&["tenure:mapper/mapping@1.0.0"]).ok(),
            Some("tenure:mapper/mapping@1.0.0")
        );
        assert_eq!(
            check_exports(&["other:pkg/thing@0.1.0", "tenure:mapper/mapping@1.1.3"]).ok(),
            Some("tenure:mapper/mapping@1.1.3")
        );
    }

    #[test]
    fn another_version_or_interface_is_the_wrong_world() {
        for exports in [
            &["tenure:mapper/mapping@2.0.0"][..],
            // Built for a later minor version: it may need what this Tenure does not know.
            &["tenure:mapper/mapping@1.2.0"],
            &["tenure:mapper/mapping@1.0.0-rc.1"],
            &["tenure:mapper/mapping"],
            &["tenure:mapper/mapper@1.0.0"],
            &[],
        ] {
            let error = check_exports(exports).err();
            assert!(
                matches!(error, Some(PluginError::WrongWorld { .. })),
                "{exports:?}"
            );
        }
    }

    #[test]
    fn wasi_0_2_is_allowed_at_any_patch_level() {
        for name in [
            "wasi:io/streams@0.2.0",
            "wasi:cli/environment@0.2.6",
            "wasi:random/random@0.2.12",
        ] {
            assert!(check_import(name).is_ok(), "{name}");
        }
        assert!(check_import("tenure:mapper/types@1.0.0").is_ok());
        assert!(check_import("tenure:mapper/types@1.1.0").is_ok());
        assert!(check_import("tenure:mapper/types@1.2.0").is_err());
    }

    #[test]
    fn sockets_http_other_wasi_versions_and_custom_imports_are_forbidden() {
        for name in [
            "wasi:sockets/tcp@0.2.6",
            "wasi:sockets/instance-network@0.2.0",
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:cli/environment@0.3.0",
            "wasi:io/streams",
            "acme:exfil/net",
            "send",
        ] {
            assert_eq!(
                check_import(name),
                Err(PluginError::ForbiddenImport {
                    import: name.to_owned()
                }),
                "{name}"
            );
        }
    }

    fn declared(path: &str) -> Result<(), PluginError> {
        let wasm = plugin_artifacts::read(path).expect(path);
        check_declared(&wasm)
    }

    #[test]
    fn plugins_in_every_language_pass_on_their_declared_names_alone() {
        for path in [
            plugin_artifacts::ECHO,
            plugin_artifacts::EXAMPLE_RUST,
            plugin_artifacts::EXAMPLE_JS,
            plugin_artifacts::EXAMPLE_JS_1_0,
            plugin_artifacts::EXAMPLE_PY,
            plugin_artifacts::HOSTILE_JS,
            plugin_artifacts::HOSTILE_PY,
        ] {
            // Their nested core modules import much more (`wasi_snapshot_preview1`, `env`…): only
            // the component's own imports count.
            assert_eq!(declared(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn a_forbidden_import_or_the_wrong_world_is_refused_before_compiling() {
        let forbidden = |path: &str| match declared(path) {
            Err(PluginError::ForbiddenImport { import }) => import,
            other => panic!("{path}: {other:?}"),
        };
        assert!(forbidden(plugin_artifacts::SOCKET).starts_with("wasi:sockets/"));
        assert!(forbidden(plugin_artifacts::HOSTILE_PY_SOCKETS).starts_with("wasi:sockets/"));
        assert!(forbidden(plugin_artifacts::HOSTILE_JS_FETCH).starts_with("wasi:http/"));
        assert_eq!(
            forbidden(plugin_artifacts::FORBIDDEN_IMPORT),
            "acme:exfil/net"
        );
        assert!(matches!(
            declared(plugin_artifacts::WRONG_WORLD),
            Err(PluginError::WrongWorld { found, .. }) if found == "tenure:mapper/mapping@2.0.0"
        ));
    }

    #[test]
    fn the_declared_names_are_the_compiled_components_names() {
        let engine = Engine::default();
        for path in [
            plugin_artifacts::ECHO,
            plugin_artifacts::SOCKET,
            plugin_artifacts::WRONG_WORLD,
            plugin_artifacts::FORBIDDEN_IMPORT,
        ] {
            let wasm = plugin_artifacts::read(path).expect(path);
            let component = Component::new(&engine, &wasm).expect(path);
            let ty = component.component_type();
            let compiled = Declared {
                exports: ty.exports(&engine).map(|(name, _)| name).collect(),
                imports: ty.imports(&engine).map(|(name, _)| name).collect(),
            };
            assert_eq!(Declared::read(&wasm), Some(compiled), "{path}");
        }
    }

    #[test]
    fn bytes_that_do_not_parse_are_left_to_the_compiler() {
        assert_eq!(check_declared(b"\0asm\x0d\0\x01\0garbage"), Ok(()));
        assert_eq!(Declared::read(b"not wasm"), None);
    }
}
