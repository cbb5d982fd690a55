//! The `plugin-upload` function through API Gateway HTTP API events: uploads checked, tried,
//! precompiled, stored by content and activated; every refusal with its reason; versions listed
//! and re-activated; the stored compiled code loaded on a cold start and never trusted when
//! damaged; the console's upload of a large plugin through its own routes.

mod console;
mod helpers;
mod loading;
mod quota;
mod refusals;
mod staged;
mod upload;
mod versions;
