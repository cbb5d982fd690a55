//! The `console` function: API Gateway HTTP API events to [`tenure::console::console_routes`]
//! (the landing page, the console's pages and its static files), a plugin of up to
//! [`LAMBDA_REQUEST_BYTES`] taken in a request (what fits in a Lambda request), a larger one
//! through an upload URL (the mapping page's script).

use lambda_http::Error;
use tenure::service::Services;
use tenure::service::plugins::{LAMBDA_REQUEST_BYTES, UploadLimits};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::CONSOLE)?;
    tenure_lambda::run_http(env, routes).await
}

/// The console's routes, each request's body within what a Lambda request carries.
fn routes(services: Services) -> axum::Router {
    let uploads = UploadLimits {
        max_request_bytes: Some(LAMBDA_REQUEST_BYTES),
        ..services.uploads
    };
    tenure::console::console_routes(Services {
        uploads,
        ..services
    })
}
