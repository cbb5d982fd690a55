//! The `provision` function: SQS batches of work to [`tenure::service::provision::handle_sqs`],
//! answering with the messages that failed (partial batch failures).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let services = &tenure_lambda::services(&tenure_lambda::PROVISION).await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(
            tenure::service::provision::handle_sqs(services, event.payload).await,
        )
    }))
    .await
}
