//! The file a console form uploads (`multipart/form-data`): the part of one field, or what the
//! person is to do about it, in words for the page.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

use crate::service::http::form_data;

/// The file of field `field` and its name, or what is wrong ("Choose {what} to upload.").
pub(crate) async fn chosen_file(
    headers: &HeaderMap,
    body: Bytes,
    field: &str,
    what: &str,
) -> Result<(String, Bytes), String> {
    let choose = || format!("Choose {what} to upload.");
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !form_data::is_form_data(content_type) {
        return Err(choose());
    }
    let parts = form_data::parts(body, content_type)
        .await
        .map_err(|error| format!("The upload could not be read: {error}"))?;
    match parts.into_iter().find(|p| p.name == field) {
        Some(part) if !part.bytes.is_empty() => {
            Ok((part.file_name.unwrap_or_default(), part.bytes))
        }
        Some(_) => Err(format!("{} (the file chosen is empty)", choose())),
        None => Err(choose()),
    }
}
