//! Tenure's standard mapping plugin: a WebAssembly component that maps an HR worker to the state of
//! their Entra ID account and Exchange Online mailbox, driven by a JSON configuration rather than code.
//!
//! The configuration format is documented in this crate's README. The code is plain Rust, tested
//! natively; only this file knows about the component model:
//!
//! - `config`: reads and checks the JSON once, into the parsed pieces below;
//! - `template`, `fields`, `fold`: placeholders, how worker fields are read, how names are folded;
//! - `identity`, `attributes`, `rules`: candidate UPNs, Graph properties, groups and licenses;
//! - `lifecycle`: the phase on a given day, and the leave and leaver policies;
//! - `desired`: one worker's desired state from all of the above;
//! - `cache`: the parsed configuration kept between calls.

mod attributes;
mod error;
mod fields;
mod fold;
mod identity;
mod lifecycle;
mod rules;
mod template;

#[allow(unsafe_code, unreachable_pub, missing_docs)]
mod bindings {
    wit_bindgen::generate!({ path: "../wit", world: "plugin", additional_derives: [PartialEq, Eq] });
}

use bindings::tenure::mapper::types;
