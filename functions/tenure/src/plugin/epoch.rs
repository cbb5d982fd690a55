//! The clock behind epoch interruption: a background thread that advances the engine's epoch.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::Engine;

use super::PluginError;

/// How often the epoch advances; deadlines are enforced to within one tick.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// Advances an engine's epoch every [`TICK`] until dropped.
pub(crate) struct EpochTicker {
    /// Dropping it wakes the thread and tells it to stop.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts the thread.
    pub(crate) fn start(engine: &Engine) -> Result<Self, PluginError> {
        let engine = engine.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tenure-plugin-epoch".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })
            .map_err(|error| {
                PluginError::internal(format!("cannot start the epoch thread: {error}"))
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The number of ticks that covers `deadline`: never less than it, never zero.
    pub(crate) fn ticks(deadline: Duration) -> u64 {
        let ticks = deadline.as_nanos().div_ceil(TICK.as_nanos());
        // One more, because the first tick may come at any moment after the deadline is set.
        u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1)
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only sleeps and increments; it cannot panic, and a join error would
            // have nothing left to clean up.
            let _ = thread.join();
        }
    }
}
