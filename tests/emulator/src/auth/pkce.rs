//! Proof Key for Code Exchange (RFC 7636), `S256` only: the authorize request carries
//! `BASE64URL(SHA256(verifier))`, the code redemption the verifier.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Whether a `code_challenge` has the size an `S256` challenge has (43 base64url characters).
pub(crate) fn challenge_is_well_formed(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a verifier is 43 to 128 unreserved characters (RFC 7636 §4.1) and hashes to the
/// challenge.
pub(crate) fn verifies(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()))
            == challenge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(challenge_is_well_formed(challenge));
        assert!(verifies(verifier, challenge));
        assert!(!verifies(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!verifies(challenge, challenge));
        assert!(!challenge_is_well_formed(
            verifier.get(..40).unwrap_or_default()
        ));
    }
}
