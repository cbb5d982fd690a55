//! Builds the standard mapper plugin for wasm32-wasip2 so the engine can embed it.

use tenure_plugin_build::PluginWorkspace;

fn main() {
    let plugins = PluginWorkspace::from_build_script();
    plugins.watch(&[
        "wit",
        "standard-mapper/src",
        "standard-mapper/Cargo.toml",
        "Cargo.toml",
        // The HR field table the standard mapper shares with the engine.
        "../functions/hr-fields/src",
    ]);
    for wasm in plugins.build(&["tenure-standard-mapper"]) {
        println!(
            "cargo::rustc-env=TENURE_STANDARD_MAPPER_WASM={}",
            wasm.display()
        );
    }
}
