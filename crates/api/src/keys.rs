//! API key material: generation, hashing and the public prefix. Keys are
//! random, so a plain SHA-256 is a sound hash (no password stretching
//! needed); only hashes are stored.

use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Characters of a key shown and stored in clear to find it again.
pub const PREFIX_LEN: usize = 8;
const KEY_PREFIX: &str = "rbx_";
const RANDOM_LEN: usize = 40;

/// A new random key: `rbx_` followed by 40 letters and digits.
pub fn generate() -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(RANDOM_LEN)
        .map(char::from)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// The public part of a key: its first characters, or the whole key when
/// an operator chose one shorter than that (`RUNBOX_API_KEY=secret`);
/// `None` for an empty one.
pub fn prefix(key: &str) -> Option<&str> {
    if key.is_empty() {
        return None;
    }
    Some(key.get(..PREFIX_LEN).unwrap_or(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let key = generate();
        assert!(key.starts_with("rbx_"));
        assert_eq!(key.len(), 44);
        assert_eq!(prefix(&key).map(str::len), Some(8));
        assert_eq!(prefix("k"), Some("k"));
        assert_eq!(prefix(""), None);
        assert_ne!(generate(), key);
        assert_eq!(hash(&key), hash(&key));
    }
}
