//! The `admin-api` function: API Gateway HTTP API events to
//! [`tenure::service::http::admin_api_routes`] (API tokens, held changes, the HR export, match
//! confirmation), every route behind the admin layer.

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::ADMIN_API)?;
    tenure_lambda::run_http(env, tenure::service::http::admin_api_routes).await
}
