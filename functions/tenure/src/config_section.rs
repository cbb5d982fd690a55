//! A section of a mapping configuration (the JSON the standard mapper reads) that the engine
//! reads for what it does itself: `matching`, `notifications`.

use serde::de::DeserializeOwned;

/// Where in a section a value is wrong (a JSON path below the section, empty for the section
/// itself), and what.
pub(crate) struct SectionError {
    pub(crate) path: String,
    pub(crate) message: String,
}

/// Section `name` of `config`: `T::default()` when the configuration has none, or is not a JSON
/// object (a custom plugin's configuration may be anything).
pub(crate) fn read_section<T: DeserializeOwned + Default>(
    config: &str,
    name: &str,
) -> Result<T, SectionError> {
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(config) else {
        return Ok(T::default());
    };
    let Some(section) = object.remove(name) else {
        return Ok(T::default());
    };
    serde_path_to_error::deserialize(section).map_err(|error| {
        let path = error.path().to_string();
        SectionError {
            path: if path == "." {
                String::new()
            } else {
                format!(".{path}")
            },
            message: error.into_inner().to_string(),
        }
    })
}
