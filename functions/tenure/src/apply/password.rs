//! New passwords: random, strong, and held only as secrets.

use rand::seq::{IndexedRandom, SliceRandom};
use secrecy::SecretString;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#$%&*+-=?@^_";

/// A 24-character password with every one of Entra ID's four character classes, from the
/// operating system's random source. It exists only as a [`SecretString`], which never prints.
pub fn new_password() -> SecretString {
    let mut rng = rand::rng();
    let classes = [LOWER, UPPER, DIGITS, SYMBOLS];
    let all: Vec<u8> = classes.concat();
    let mut bytes: Vec<u8> = classes
        .iter()
        .filter_map(|class| class.choose(&mut rng).copied())
        .collect();
    while bytes.len() < 24 {
        if let Some(&b) = all.choose(&mut rng) {
            bytes.push(b);
        }
    }
    bytes.shuffle(&mut rng);
    SecretString::from(String::from_utf8_lossy(&bytes).into_owned())
}
