//! The HTTP functions (`hr-webhook`, `consent`, `oauth-callback`, `console`) driven as a Lambda drives
//! them: real API Gateway HTTP API (payload 2.0) events turned into requests by `lambda_http`,
//! answered by the engine's routers.

mod callback;
mod certificate;
mod consent;
mod console;
mod helpers;
mod hr_webhook;
mod public_url;
