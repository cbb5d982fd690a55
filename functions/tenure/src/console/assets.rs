//! The console's static files, built into the binary: htmx (vendored from npm's `htmx.org`,
//! Zero-Clause BSD, `assets/console/htmx-LICENSE`), the console's one script of its own (a
//! large plugin through an upload URL, `plugin_uploads`), the stylesheet and the icon. Public by design: they
//! are the same for everyone and carry nothing of a tenant.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// htmx, the version vendored.
const HTMX: &[u8] = include_bytes!("../../assets/console/htmx-2.0.11.min.js");
/// The mapping page's upload of a plugin larger than one request carries.
const PLUGIN_UPLOAD: &[u8] = include_bytes!("../../assets/console/plugin-upload.js");
/// The icon.
const ICON: &[u8] = include_bytes!("../../assets/console/favicon.svg");
/// The stylesheet.
const STYLESHEET: &[u8] = include_bytes!("../../assets/console/console.css");

/// `GET /console/assets/{file}`.
pub(crate) async fn file(Path(file): Path<String>) -> Response {
    let (bytes, content_type) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "plugin-upload.js" => (PLUGIN_UPLOAD, "text/javascript; charset=utf-8"),
        "console.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    };
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, "public, max-age=3600"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ]
    .map(|(name, value)| (name, HeaderValue::from_static(value)));
    (headers, bytes).into_response()
}
