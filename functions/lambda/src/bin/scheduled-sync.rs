//! The `scheduled-sync` function: EventBridge Scheduler events to
//! [`tenure::service::schedule::schedule`], which fans the reconcile out over the work queue.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let services = &tenure_lambda::services().await?;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let scheduled = tenure::service::schedule::schedule(services, event.payload).await?;
            Ok::<_, Error>(serde_json::to_value(scheduled)?)
        },
    ))
    .await
}
