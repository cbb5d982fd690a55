//! The `plugin-upload` function: API Gateway HTTP API events to [`tenure::service::http::plugin_routes`].

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let services = tenure_lambda::services().await?;
    lambda_http::run(tenure::service::http::plugin_routes(services)).await
}
