//! The fairness model of `benches/fairness` (a discrete-event simulation of one deployment):
//! the checks that would fail if the model were broken, run on a small day so they take
//! seconds. The benchmark reads every figure the model makes; these tests read fewer.

#[allow(dead_code)]
#[path = "../../benches/fairness/model/mod.rs"]
mod model;

mod invariants;
mod queue;
