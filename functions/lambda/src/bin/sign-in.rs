//! The `sign-in` function: API Gateway HTTP API events to
//! [`tenure::service::http::sign_in_routes`] (admin sign-in, the session, sign-out).

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::SIGN_IN)?;
    tenure_lambda::run_http(env, tenure::service::http::sign_in_routes).await
}
