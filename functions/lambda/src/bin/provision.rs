//! The `provision` function: SQS batches of work to [`tenure::service::provision::handle_sqs`]
//! until the invocation's deadline (less the stop margin), answering with the messages that
//! failed (partial batch failures); the rest of unfinished work goes back on the queue.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::PROVISION)?;
    let services = &tenure_lambda::services_with(&env, &tenure_lambda::aws_config().await).await?;
    let timeout = env.provision_timeout;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = tenure_lambda::invocation_deadline(
            event.context.deadline,
            timeout,
            services.provision.stop_margin,
        );
        Ok::<SqsBatchResponse, Error>(
            tenure::service::provision::handle_sqs(services, event.payload, deadline).await,
        )
    }))
    .await
}
