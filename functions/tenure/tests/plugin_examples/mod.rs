//! The reference plugins of `plugins/examples` (Rust, JavaScript, Python), built from source:
//! one policy in three languages gives one plan.

/// The sample company through each reference plugin.
mod same_plan;
