//! Host bindings generated from the WIT contract, world `tenure:mapper/plugin`.
//!
//! Parameters borrow from Tenure's own values (`Borrowing`), so a worker's strings are copied
//! once, straight into the plugin's memory.

wasmtime::component::bindgen!({
    path: "../../plugins/wit",
    world: "plugin",
    ownership: Borrowing { duplicate_if_necessary: true },
});
