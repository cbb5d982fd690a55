//! HR webhook deliveries signed as an HR system signs them (the generic `X-Tenure-*` scheme),
//! computed here with `hmac` rather than by the engine, so that a test of the engine's check
//! does not rest on the engine's own signing.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The signature headers of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `X-Tenure-Timestamp`: Unix seconds.
    pub timestamp: String,
    /// `X-Tenure-Signature`: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>`.
    pub signature: String,
}

impl Signature {
    /// The two headers, named as an HR system sends them.
    pub fn headers(&self) -> [(&'static str, &str); 2] {
        [
            ("X-Tenure-Timestamp", self.timestamp.as_str()),
            ("X-Tenure-Signature", self.signature.as_str()),
        ]
    }
}

/// The signature of `body` sent at `at` with the connection's webhook `key`.
pub fn sign(key: &str, body: &[u8], at: jiff::Timestamp) -> Signature {
    let timestamp = at.as_second().to_string();
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Signature {
        timestamp,
        signature: format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
    }
}
