//! The signature and timestamp checks on their own.

use std::time::Duration;

use jiff::SignedDuration;
use proptest::prelude::*;
use secrecy::SecretString;
use tenure::webhook::signature::{
    DEFAULT_REPLAY_WINDOW, Scheme, sign_bamboohr, sign_generic, verify,
};
use tenure::webhook::{Headers, WebhookError};

use super::helpers::{TestResult, key, now};

#[test]
fn a_generic_signature_verifies() -> TestResult {
    let body = br#"{"events":[]}"#;
    let verified = verify(
        &sign_generic(body, &key(), now()),
        body,
        &key(),
        now(),
        DEFAULT_REPLAY_WINDOW,
    )?;
    assert_eq!(verified.scheme, Scheme::Generic);
    assert_eq!(verified.timestamp, now());
    Ok(())
}

#[test]
fn a_bamboohr_signature_is_hmac_of_body_then_timestamp() -> TestResult {
    let body = br#"{"employees":[]}"#;
    let headers = sign_bamboohr(body, &key(), now());
    assert_eq!(
        verify(&headers, body, &key(), now(), DEFAULT_REPLAY_WINDOW)?.scheme,
        Scheme::BambooHr
    );
    // Computed independently: HMAC-SHA256(key, body || "1800000000"), hex.
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"whsec-test-key-1234")?;
    mac.update(body);
    mac.update(b"1800000000");
    assert_eq!(
        headers.get("x-bamboohr-signature"),
        Some(hex::encode(mac.finalize().into_bytes()).as_str())
    );
    Ok(())
}

#[test]
fn a_missing_header_is_named() {
    let body = b"{}";
    let headers = Headers::from_pairs([("X-Tenure-Timestamp", "1800000000")]);
    let error = verify(&headers, body, &key(), now(), DEFAULT_REPLAY_WINDOW).err();
    assert!(
        matches!(
            error,
            Some(WebhookError::MissingHeader {
                name: "X-Tenure-Signature"
            })
        ),
        "{error:?}"
    );
}

#[test]
fn another_key_is_a_bad_signature_and_the_key_is_never_shown() {
    let body = br#"{"events":[]}"#;
    let other = SecretString::from("another-key".to_owned());
    let error = verify(
        &sign_generic(body, &other, now()),
        body,
        &key(),
        now(),
        DEFAULT_REPLAY_WINDOW,
    )
    .expect_err("refused");
    assert!(matches!(error, WebhookError::BadSignature));
    assert_eq!(error.status(), 401);
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(
            !text.contains("whsec") && !text.contains("another-key"),
            "{text}"
        );
    }
}

#[test]
fn the_window_holds_both_ways() -> TestResult {
    let body = br#"{"events":[]}"#;
    let window = Duration::from_secs(300);
    let edge = SignedDuration::from_secs(300);
    for at in [now().checked_sub(edge)?, now().checked_add(edge)?] {
        verify(&sign_generic(body, &key(), at), body, &key(), now(), window)?;
    }
    let late = now().checked_sub(SignedDuration::from_secs(301))?;
    let error = verify(
        &sign_generic(body, &key(), late),
        body,
        &key(),
        now(),
        window,
    )
    .err();
    assert!(
        matches!(
            error,
            Some(WebhookError::Stale {
                age_seconds: 301,
                ..
            })
        ),
        "{error:?}"
    );
    let early = now().checked_add(SignedDuration::from_secs(301))?;
    let error = verify(
        &sign_generic(body, &key(), early),
        body,
        &key(),
        now(),
        window,
    )
    .err();
    assert!(
        matches!(
            error,
            Some(WebhookError::Future {
                ahead_seconds: 301,
                ..
            })
        ),
        "{error:?}"
    );
    Ok(())
}

proptest! {
    #[test]
    fn any_single_byte_change_fails(
        body in proptest::collection::vec(any::<u8>(), 1..512),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        bamboo in any::<bool>(),
    ) {
        let headers = if bamboo { sign_bamboohr(&body, &key(), now()) } else { sign_generic(&body, &key(), now()) };
        let mut changed = body.clone();
        let i = index.index(changed.len());
        changed[i] ^= flip;
        let result = verify(&headers, &changed, &key(), now(), DEFAULT_REPLAY_WINDOW);
        prop_assert!(matches!(result, Err(WebhookError::BadSignature)));
    }
}
