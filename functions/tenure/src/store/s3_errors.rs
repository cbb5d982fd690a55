//! How S3 answers a conditional write, for the stores that keep objects in S3.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// S3 refused a conditional write: 412 Precondition Failed, or 409 when another conditional
/// write to the same key was in progress.
pub(crate) fn refused_condition<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    matches!(
        e.as_service_error().and_then(|e| e.code()),
        Some("PreconditionFailed" | "ConditionalRequestConflict")
    ) || matches!(status(e), Some(412 | 409))
}

/// The HTTP status S3 answered with, when it answered.
pub(crate) fn status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}
