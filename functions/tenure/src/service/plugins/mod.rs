//! The plugin registry: connections' uploaded plugin versions, their precompiled code, and
//! the plugin a run uses.
//!
//! Everything lives in the object store, by content:
//!
//! | key | what |
//! |---|---|
//! | `plugins/<connection>/<sha256>.wasm` | an uploaded version's WebAssembly |
//! | `plugins/<connection>/<sha256>.json` | its [`VersionRecord`]: when, how large, what the trial showed |
//! | `plugins/<connection>/uploads.json` | when its uploads of the last window began ([`UploadLimits`]) |
//! | `plugin-uploads/<connection>/<upload>.…` | an upload in two steps, while it lasts (`staged`) |
//! | `compiled/<sha256>/<engine-key>.cwasm` | its machine code for one engine, sealed and authenticated with an HMAC-SHA256 of the deployment's compiled-code key ([`PluginHost::precompile`](crate::plugin::PluginHost::precompile), [`KeyPurpose::PluginCodeHmac`](crate::store::secrets::KeyPurpose)) |
//!
//! [`upload`] checks a component, tries it on the connection's sample workers, precompiles
//! it, stores it and (optionally) activates it; [`activate`] makes an earlier version the
//! active one again; [`list_versions`] lists them. [`load`] gives the plugin a connection's
//! settings choose: from this process's [`PluginLibrary`], else deserialized from the stored
//! compiled code, else compiled (and that code stored, the standard mapper's too), so a cold
//! Lambda deserializes instead of compiling. Compiled code whose HMAC does not verify (in
//! constant time, before it is deserialized) or whose header does not match is compiled again
//! from the stored WebAssembly and logged, never run.
//!
//! Uploads are limited per connection ([`UploadLimits`]): so many per sliding window (429 with
//! `Retry-After` beyond), and so many versions kept (the oldest inactive pruned).
//!
//! Files: `keys` (object keys, [`PluginSha256`]), `record` ([`VersionRecord`], [`TrialReport`]),
//! `quota` (the upload log and pruning),
//! `upload` (check → configuration → trial → precompile → store → activate), `staged` (the same
//! upload in two steps, through an upload URL, for components larger than a request may
//! carry), `admission` (the
//! checks before anything is stored, which `tenure plugin check` runs offline), `trial` (mapping
//! the sample workers), `activate` (listing, re-activation by compare-and-swap of the mapping
//! settings), `library` ([`PluginLibrary`]: loaded plugins in memory; a cold start deserializes
//! sealed code from the store; damaged code is compiled again) and `error`.

mod activate;
mod admission;
mod error;
mod keys;
mod library;
mod quota;
mod record;
mod staged;
mod trial;
mod upload;

use std::sync::Arc;

use super::Services;
use super::settings::PluginChoice;
use crate::plugin::Plugin;
use crate::store::connections::ConnectionId;

pub use activate::{ListedVersion, Versions, activate, activate_standard, list_versions};
pub use admission::{admit, compile};
pub use error::{FailureKind, PluginLoadError, UploadError, WorkerFailure};
pub use keys::{InvalidPluginVersion, PluginSha256, compiled_key, record_key, wasm_key};
pub use library::PluginLibrary;
pub use quota::{LAMBDA_REQUEST_BYTES, UploadLimits};
pub use record::{RECORD_FORMAT, TrialReport, VersionRecord};
pub use staged::{
    IssuedUpload, UPLOAD_URL_LIFETIME, complete_upload, issue_upload_url, receive_upload,
};
pub use trial::TRIAL_WORKERS;
pub use upload::{UploadedVersion, upload};

/// Loads the plugin `choice` names for `connection` (see the module's documentation for
/// where it comes from).
pub async fn load(
    services: &Services,
    connection: &ConnectionId,
    choice: &PluginChoice,
) -> Result<Arc<Plugin>, PluginLoadError> {
    services
        .plugins
        .load(
            services.objects.as_ref(),
            services.keys.as_ref(),
            connection,
            choice,
        )
        .await
}
