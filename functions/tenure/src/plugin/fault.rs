//! Naming what went wrong when a call into a plugin failed.

use wasmtime::Trap;

use super::PluginError;
use super::limits::Budget;
use super::sandbox::StoreState;

/// Turns the error of a failed instantiation or call into the error a customer reads.
pub(crate) fn classify(error: &wasmtime::Error, state: &StoreState, budget: Budget) -> PluginError {
    // The sandbox's own records come first: a denied call or a refused memory growth is the
    // cause even when the guest then crashed because of it.
    if let Some(capability) = state.denied() {
        return PluginError::Denied {
            capability: capability.to_owned(),
        };
    }
    if state.hit_memory_limit() {
        return PluginError::MemoryLimit {
            bytes: budget.memory_bytes,
        };
    }
    // Wasmtime counts the memories, tables and instances each core module defines against
    // the limiter's counts before it creates them.
    if let Some(reason) = error
        .chain()
        .map(ToString::to_string)
        .find(|cause| cause.contains("count too high"))
    {
        return PluginError::TooManyResources {
            reason: reason
                .trim_start_matches("resource limit exceeded: ")
                .to_owned(),
        };
    }
    let what = match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => return PluginError::FuelExhausted { fuel: budget.fuel },
        Some(Trap::Interrupt) => {
            return PluginError::Timeout {
                after: budget.deadline,
            };
        }
        Some(Trap::UnreachableCodeReached) => {
            "it panicked or reached an `unreachable` instruction".to_owned()
        }
        Some(Trap::StackOverflow) => "it overflowed its stack (recursion too deep?)".to_owned(),
        Some(Trap::MemoryOutOfBounds) => "it read or wrote memory out of bounds".to_owned(),
        Some(Trap::IntegerDivisionByZero) => "it divided by zero".to_owned(),
        Some(trap) => format!("it trapped: {trap}"),
        None => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => format!("it exited with status {} instead of answering", exit.0),
            None => format!("{error}"),
        },
    };
    let said = last_words(&state.stderr());
    let message = if said.is_empty() {
        what
    } else {
        format!("{what}; it wrote: {said}")
    };
    PluginError::Trap { message }
}

/// A plugin's stderr on one line, without Rust's advice to set an environment variable the
/// sandbox does not pass on.
fn last_words(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("note: run with `RUST_BACKTRACE"))
        .collect::<Vec<_>>()
        .join(" ")
}
