//! A delta link Graph no longer knows: it expired (seven days for directory objects), the
//! tenant was migrated, or the link is not one Graph issued. The only way on is a full read.

use super::error::ApiError;

impl ApiError {
    /// Whether Graph refused a delta link and wants a full read again: `410 Gone`, or the codes
    /// `syncStateNotFound` / `resyncRequired` (any case, any 4xx). The caller should read the
    /// directory whole ([`super::read_directory_with_delta`]) and keep the new links.
    pub fn is_resync_required(&self) -> bool {
        match self {
            Self::Service { status, code, .. } => {
                *status == 410
                    || ((400..500).contains(status)
                        && ["syncStateNotFound", "resyncRequired", "SyncStateInvalid"]
                            .iter()
                            .any(|c| code.eq_ignore_ascii_case(c)))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::microsoft::error::{Api, ApiError};

    fn refusal(status: u16, code: &str) -> ApiError {
        ApiError::Service {
            api: Api::Graph,
            operation: "GET /users/delta".into(),
            status,
            code: code.into(),
            message: "m".into(),
            request_id: None,
        }
    }

    #[test]
    fn gone_and_the_resync_codes_ask_for_a_full_read() {
        assert!(refusal(410, "syncStateNotFound").is_resync_required());
        assert!(refusal(410, "Gone").is_resync_required());
        assert!(refusal(400, "resyncRequired").is_resync_required());
        assert!(refusal(400, "SyncStateNotFound").is_resync_required());
        assert!(!refusal(400, "BadRequest").is_resync_required());
        assert!(!refusal(503, "syncStateNotFound").is_resync_required());
    }
}
