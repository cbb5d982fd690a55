//! What a user signs in with on the emulated sign-in page: the last password set for them
//! (`POST /users`, `passwordProfile`) and their Temporary Access Pass, if any. Both are secrets:
//! kept here, compared in constant time, never logged or dumped.

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A user's Temporary Access Pass (`temporaryAccessPassAuthenticationMethod`).
#[derive(Debug)]
pub(crate) struct AccessPass {
    /// The method's id.
    pub(crate) id: String,
    pass: SecretString,
    /// When it was created.
    pub(crate) created: jiff::Timestamp,
    /// When it becomes usable.
    pub(crate) start: jiff::Timestamp,
    /// How long it is usable from `start`.
    pub(crate) lifetime_minutes: i64,
    /// Whether one sign-in uses it up.
    pub(crate) usable_once: bool,
    /// When it was last used to sign in.
    pub(crate) last_used: Option<jiff::Timestamp>,
}

/// Why a pass cannot be used now, as Graph's `methodUsabilityReason` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usability {
    /// Usable.
    EnabledByPolicy,
    /// Its start is still to come.
    NotYetValid,
    /// Its lifetime is over.
    Expired,
    /// A one-time pass already used.
    OneTimeUsed,
}

impl Usability {
    /// Graph's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::EnabledByPolicy => "EnabledByPolicy",
            Self::NotYetValid => "NotYetValid",
            Self::Expired => "Expired",
            Self::OneTimeUsed => "OneTimeUsed",
        }
    }
}

impl AccessPass {
    /// Whether (and why not) the pass can be used at `now`.
    pub(crate) fn usability(&self, now: jiff::Timestamp) -> Usability {
        let end = self.start + jiff::SignedDuration::from_mins(self.lifetime_minutes);
        if now < self.start {
            Usability::NotYetValid
        } else if now >= end {
            Usability::Expired
        } else if self.usable_once && self.last_used.is_some() {
            Usability::OneTimeUsed
        } else {
            Usability::EnabledByPolicy
        }
    }
}

/// The settings of a new pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewPass {
    pub(crate) start: jiff::Timestamp,
    pub(crate) lifetime_minutes: i64,
    pub(crate) usable_once: bool,
}

/// Why a sign-in's secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialRefusal {
    /// Neither the password nor a usable pass.
    Invalid,
}

/// The sign-in secrets of every user, by object id.
#[derive(Debug, Default)]
pub(crate) struct Credentials {
    passwords: HashMap<String, [u8; 32]>,
    passes: HashMap<String, AccessPass>,
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A new pass: 16 characters a person can type, from the operating system's random source.
fn new_pass() -> SecretString {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#$%&*+=?@";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let more = uuid::Uuid::new_v4().into_bytes();
    let text: String = bytes
        .iter()
        .zip(more.iter())
        .map(|(a, b)| {
            let i = (usize::from(*a) << 8 | usize::from(*b)) % ALPHABET.len();
            char::from(ALPHABET[i])
        })
        .collect();
    SecretString::from(text)
}

impl Credentials {
    /// Remembers the password just set for a user (only its digest is kept).
    pub(crate) fn set_password(&mut self, user_id: &str, password: &str) {
        self.passwords.insert(user_id.to_owned(), digest(password));
    }

    /// Creates a user's pass, replacing the one they had (a user has one pass at most); gives
    /// the pass itself, shown once.
    pub(crate) fn issue_pass(
        &mut self,
        user_id: &str,
        settings: NewPass,
        now: jiff::Timestamp,
    ) -> (&AccessPass, SecretString) {
        let pass = new_pass();
        let method = AccessPass {
            id: crate::ids::new_guid(),
            pass: SecretString::from(pass.expose_secret().to_owned()),
            created: now,
            start: settings.start,
            lifetime_minutes: settings.lifetime_minutes,
            usable_once: settings.usable_once,
            last_used: None,
        };
        self.passes.insert(user_id.to_owned(), method);
        let stored = &self.passes[user_id];
        (stored, pass)
    }

    /// A user's pass.
    pub(crate) fn pass(&self, user_id: &str) -> Option<&AccessPass> {
        self.passes.get(user_id)
    }

    /// Deletes a user's pass by method id; whether there was one.
    pub(crate) fn delete_pass(&mut self, user_id: &str, method_id: &str) -> bool {
        match self.passes.get(user_id) {
            Some(pass) if pass.id == method_id => {
                self.passes.remove(user_id);
                true
            }
            _ => false,
        }
    }

    /// Checks what a user typed on the sign-in page: their usable pass (used up when it is
    /// good for one sign-in only) or their password.
    pub(crate) fn sign_in(
        &mut self,
        user_id: &str,
        secret: &str,
        now: jiff::Timestamp,
    ) -> Result<(), CredentialRefusal> {
        if let Some(pass) = self.passes.get_mut(user_id)
            && pass.usability(now) == Usability::EnabledByPolicy
            && same(pass.pass.expose_secret(), secret)
        {
            pass.last_used = Some(now);
            return Ok(());
        }
        match self.passwords.get(user_id) {
            Some(known) if constant_eq(known, &digest(secret)) => Ok(()),
            _ => Err(CredentialRefusal::Invalid),
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    constant_eq(&digest(a), &digest(b))
}

/// Compares two digests without stopping at the first difference.
fn constant_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
