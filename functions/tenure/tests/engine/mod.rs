//! The engine's integration tests, one module per concept.

mod apply;
mod helpers;
mod hr_csv;
mod hr_json;
mod matching;
mod names;
mod pipeline;
mod planner;
mod samples;
mod snapshot;
mod today;
