//! Placeholder while the standard mapper is written.
wit_bindgen::generate!({ path: "../wit", world: "plugin" });
