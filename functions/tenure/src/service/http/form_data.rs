//! `multipart/form-data` bodies (a form with a file), read with `multer`: the admin layer takes
//! the CSRF token from one as it does from a URL-encoded form, and the console's upload takes
//! its file from it.

use bytes::Bytes;

/// The largest `multipart/form-data` body taken: the larger of an HR export and a plugin at
/// their limits, and the rest of the form.
pub(crate) fn max_bytes(services: &crate::service::Services) -> usize {
    let plugin = services.plugins.host().limits().max_wasm_bytes;
    plugin.max(crate::service::hr_export::MAX_EXPORT_BYTES) + 64 * 1024
}

/// One part of a form: its field name, the file name when it is a file, and its bytes.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) bytes: Bytes,
}

/// Whether a `Content-Type` is `multipart/form-data`.
pub(crate) fn is_form_data(content_type: &str) -> bool {
    content_type
        .get(..19)
        .is_some_and(|media| media.eq_ignore_ascii_case("multipart/form-data"))
}

/// Every part of `body`, in order.
pub(crate) async fn parts(body: Bytes, content_type: &str) -> Result<Vec<Part>, multer::Error> {
    let boundary = multer::parse_boundary(content_type)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await?;
        parts.push(Part {
            name,
            file_name,
            bytes,
        });
    }
    Ok(parts)
}
