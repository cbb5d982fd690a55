//! Builds the test plugins in `plugins/test-programs` and the reference plugins in
//! `plugins/examples`, the Rust ones for wasm32-wasip2 the way the engine's build script builds
//! the standard mapper, the JavaScript and Python ones with componentize-js and
//! componentize-py, and tells the library where they are.
//!
//! When a JavaScript or Python tool chain is not installed, the build goes on (the host
//! workspace still builds and lints) but the library's `read` fails every test that needs one of
//! its plugins, saying how to install it: nothing is skipped.

use tenure_plugin_build::PluginWorkspace;
use tenure_plugin_build::guest::{self, Capabilities, GuestBuildError};

/// Package name, and the environment variable that carries the component's path.
const PROGRAMS: &[(&str, &str)] = &[
    ("tenure-test-echo", "TENURE_TEST_ECHO_WASM"),
    ("tenure-test-socket", "TENURE_TEST_SOCKET_WASM"),
    ("tenure-test-wrong-world", "TENURE_TEST_WRONG_WORLD_WASM"),
    (
        "tenure-test-forbidden-import",
        "TENURE_TEST_FORBIDDEN_IMPORT_WASM",
    ),
    (
        "tenure-example-contractors",
        "TENURE_EXAMPLE_CONTRACTORS_RUST_WASM",
    ),
];

/// The current contract, for a JavaScript plugin that also maps batches in JSON (1.1).
const JSON_WORLD: (&str, &str) = ("wit/mapper.wit", guest::WORLD_JSON);

/// A plugin in JavaScript or Python.
struct Guest {
    /// The environment variable that carries the component's path.
    variable: &'static str,
    /// The component's file name in `<target>/plugins/guests`.
    name: &'static str,
    language: Language,
    capabilities: Capabilities,
}

enum Language {
    /// The module's path under `plugins/`, and the contract it is built against: the WIT file
    /// (a path under `plugins/`) and the world.
    JavaScript(&'static str, (&'static str, &'static str)),
    /// The folder under `plugins/`, and the module in it.
    Python(&'static str, &'static str),
}

const GUESTS: &[Guest] = &[
    Guest {
        variable: "TENURE_EXAMPLE_CONTRACTORS_JS_WASM",
        name: "example-contractors-js",
        language: Language::JavaScript("examples/javascript/plugin.js", JSON_WORLD),
        capabilities: Capabilities::Sandboxed,
    },
    Guest {
        variable: "TENURE_EXAMPLE_CONTRACTORS_JS_1_0_WASM",
        name: "example-contractors-js-1.0",
        language: Language::JavaScript(
            "examples/javascript/plugin.js",
            ("test-programs/contract-1.0/mapper.wit", guest::WORLD),
        ),
        capabilities: Capabilities::Sandboxed,
    },
    Guest {
        variable: "TENURE_EXAMPLE_CONTRACTORS_PY_WASM",
        name: "example-contractors-py",
        language: Language::Python("examples/python", "plugin"),
        capabilities: Capabilities::Sandboxed,
    },
    Guest {
        variable: "TENURE_TEST_HOSTILE_JS_WASM",
        name: "hostile-js",
        language: Language::JavaScript("test-programs/javascript/hostile.js", JSON_WORLD),
        capabilities: Capabilities::Sandboxed,
    },
    Guest {
        variable: "TENURE_TEST_HOSTILE_JS_FETCH_WASM",
        name: "hostile-js-fetch",
        language: Language::JavaScript("test-programs/javascript/hostile.js", JSON_WORLD),
        capabilities: Capabilities::ToolDefaults,
    },
    Guest {
        variable: "TENURE_TEST_HOSTILE_PY_WASM",
        name: "hostile-py",
        language: Language::Python("test-programs/python", "hostile"),
        capabilities: Capabilities::Sandboxed,
    },
    Guest {
        variable: "TENURE_TEST_HOSTILE_PY_SOCKETS_WASM",
        name: "hostile-py-sockets",
        language: Language::Python("test-programs/python", "hostile"),
        capabilities: Capabilities::ToolDefaults,
    },
];

fn main() {
    let plugins = PluginWorkspace::from_build_script();
    plugins.watch(&["wit", "test-programs", "examples", "Cargo.toml"]);
    plugins.watch_guest_tools();
    let packages: Vec<&str> = PROGRAMS.iter().map(|(package, _)| *package).collect();
    for (wasm, (_, variable)) in plugins.build(&packages).iter().zip(PROGRAMS) {
        println!("cargo::rustc-env={variable}={}", wasm.display());
    }
    // The interpreters' builds are slow and mostly single-threaded: two at a time.
    let results: Vec<Result<(), GuestBuildError>> = std::thread::scope(|scope| {
        let plugins = &plugins;
        let halves = GUESTS.split_at(GUESTS.len() / 2);
        let first = scope.spawn(move || build_all(plugins, halves.0));
        let second = scope.spawn(move || build_all(plugins, halves.1));
        [first, second]
            .into_iter()
            .flat_map(|half| half.join().expect("a guest build thread panicked"))
            .collect()
    });
    let mut missing = Vec::new();
    for (guest, result) in GUESTS.iter().zip(results) {
        let path = plugins.guest_component(guest.name);
        println!("cargo::rustc-env={}={}", guest.variable, path.display());
        match result {
            Ok(()) => {}
            Err(error @ GuestBuildError::MissingTool { .. }) => {
                // No stale component is ever used in its place.
                let _ = std::fs::remove_file(&path);
                let error = error.to_string();
                if !missing.contains(&error) {
                    println!("cargo::warning={error}; the tests of its plugins will fail");
                    missing.push(error);
                }
            }
            Err(error) => panic!("building the plugin {}: {error}", guest.name),
        }
    }
    println!(
        "cargo::rustc-env=TENURE_GUEST_TOOLS_MISSING={}",
        missing.join("; ")
    );
}

fn build_all(plugins: &PluginWorkspace, guests: &[Guest]) -> Vec<Result<(), GuestBuildError>> {
    guests
        .iter()
        .map(|guest| {
            match guest.language {
                Language::JavaScript(source, contract) => {
                    plugins.build_javascript(source, contract, guest.name, guest.capabilities)
                }
                Language::Python(dir, module) => {
                    plugins.build_python(dir, module, guest.name, guest.capabilities)
                }
            }
            .map(drop)
        })
        .collect()
}
