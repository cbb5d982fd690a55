//! The `scheduled-sync` function: EventBridge Scheduler events (one connection's, or
//! `{"connections": "all"}`) to [`tenure::service::schedule::handle_event`], which fans the
//! reconcile out over the work queue.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let services = &tenure_lambda::services(&tenure_lambda::SCHEDULED_SYNC).await?;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(tenure::service::schedule::handle_event(services, event.payload).await?)
        },
    ))
    .await
}
