//! The `oauth-callback` function: API Gateway HTTP API events to [`tenure::service::http::callback_routes`].

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::OAUTH_CALLBACK)?;
    tenure_lambda::run_http(env, tenure::service::http::callback_routes).await
}
