//! The `plugin-upload` function: API Gateway HTTP API events to
//! [`tenure::service::http::plugin_routes`], taking components of up to
//! [`LAMBDA_REQUEST_BYTES`] in a request (what fits in a Lambda request), and
//! larger ones through an upload URL.

use lambda_http::Error;
use tenure::service::Services;
use tenure::service::plugins::{LAMBDA_REQUEST_BYTES, UploadLimits};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tenure_lambda::init_tracing();
    let env = tenure_lambda::Environment::read(&tenure_lambda::PLUGIN_UPLOAD)?;
    tenure_lambda::run_http(env, routes).await
}

/// The plugin routes, each request's body within what a Lambda request carries.
fn routes(services: Services) -> axum::Router {
    let uploads = UploadLimits {
        max_request_bytes: Some(LAMBDA_REQUEST_BYTES),
        ..services.uploads
    };
    tenure::service::http::plugin_routes(Services {
        uploads,
        ..services
    })
}
