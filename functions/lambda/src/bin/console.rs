//! The `console` function: API Gateway HTTP API events to [`tenure::console::console_routes`]
//! (the landing page, the console's pages and its static files).

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::CONSOLE)?;
    tenure_lambda::run_http(env, tenure::console::console_routes).await
}
