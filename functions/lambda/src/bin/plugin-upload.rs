//! The `plugin-upload` function: API Gateway HTTP API events to
//! [`tenure::service::http::plugin_routes`], taking components up to
//! [`tenure_lambda::LAMBDA_UPLOAD_LIMIT`] (what fits in a Lambda request).

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let mut env = tenure_lambda::Environment::read(&tenure_lambda::PLUGIN_UPLOAD)?;
    env.plugin_limits.max_wasm_bytes = tenure_lambda::LAMBDA_UPLOAD_LIMIT;
    tenure_lambda::run_http(env, tenure::service::http::plugin_routes).await
}
