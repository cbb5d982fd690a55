//! The `hr-webhook` function: API Gateway HTTP API events to [`tenure::service::http::webhook_routes`].

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let services = tenure_lambda::services().await?;
    lambda_http::run(tenure::service::http::webhook_routes(services)).await
}
