//! The `provision` and `scheduled-sync` handlers through their real event types: SQS batches as
//! Lambda delivers them against the in-process emulated tenant (stores, queues and dead-letter
//! queue on `moto_server`), EventBridge events fanning a connection's HR export out over a FIFO
//! queue, and `drain` over the in-process queue with local stores.

mod continuation;
mod dates;
mod dead_letter_retry;
mod digest;
mod drain;
mod first_day;
mod guard;
mod helpers;
mod killed;
mod known_pruning;
mod mail_postponed;
mod notifications;
mod pace;
mod read_postponed;
mod refusals;
mod retry_after;
mod schedule;
mod sqs;
mod supervised;

/// The handlers' futures can be spawned (`tenure serve`) and run by the Lambda runtime.
#[test]
fn the_handlers_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let services: Option<tenure::service::Services> = None;
    if let Some(services) = &services {
        send(&tenure::service::provision::handle_sqs(
            services,
            Default::default(),
            tenure::service::provision::Deadline::none(),
        ));
        send(&tenure::service::provision::drain(
            services,
            1,
            std::time::Duration::ZERO,
        ));
        send(&tenure::service::provision::provision(services, &[]));
        send(&tenure::service::schedule::schedule(
            services,
            serde_json::Value::Null,
        ));
    }
}
