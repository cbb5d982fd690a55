//! Builds the test plugins in `plugins/test-programs` for wasm32-wasip2, the way the engine's
//! build script builds the standard mapper, and tells the library where they are.

use tenure_plugin_build::PluginWorkspace;

/// Package name, and the environment variable that carries the component's path.
const PROGRAMS: &[(&str, &str)] = &[
    ("tenure-test-echo", "TENURE_TEST_ECHO_WASM"),
    ("tenure-test-socket", "TENURE_TEST_SOCKET_WASM"),
    ("tenure-test-wrong-world", "TENURE_TEST_WRONG_WORLD_WASM"),
    (
        "tenure-test-forbidden-import",
        "TENURE_TEST_FORBIDDEN_IMPORT_WASM",
    ),
];

fn main() {
    let plugins = PluginWorkspace::from_build_script();
    plugins.watch(&["wit", "test-programs", "Cargo.toml"]);
    let packages: Vec<&str> = PROGRAMS.iter().map(|(package, _)| *package).collect();
    for (wasm, (_, variable)) in plugins.build(&packages).iter().zip(PROGRAMS) {
        println!("cargo::rustc-env={variable}={}", wasm.display());
    }
}
