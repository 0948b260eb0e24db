//! Encryption at rest: AES-256-GCM (an authenticated cipher: a wrong key
//! or a changed byte fails to decrypt rather than yielding garbage) under
//! a key from `RUNBOX_SECRETS_KEY` or a key file created with mode 0600.
//! Each value has a fresh random nonce, and its owner and name are the
//! associated data, so a stored value moved to another secret's row does
//! not decrypt.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
/// The version tag of the stored form, so the format can change later.
const FORMAT: &str = "v1";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RUNBOX_SECRETS_KEY must be 32 bytes written as 64 hex digits or in base64 (generate one with `openssl rand -base64 32`)")]
    Malformed,
    #[error("the secrets key file {path}: {reason}")]
    File { path: String, reason: String },
}

/// The key secrets are encrypted with.
#[derive(Clone)]
pub struct SecretsKey(Key<Aes256Gcm>);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(…)")
    }
}

impl SecretsKey {
    /// A key written as 64 hex digits or as base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_BYTES {
            hex::decode(text).ok()
        } else {
            STANDARD.decode(text).ok()
        };
        match bytes {
            Some(bytes) if bytes.len() == KEY_BYTES => {
                Ok(Self(*Key::<Aes256Gcm>::from_slice(&bytes)))
            }
            _ => Err(KeyError::Malformed),
        }
    }

    /// The key in `path`, created (random, mode 0600) when the file does
    /// not exist.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let failed = |reason: String| KeyError::File {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| failed(e.to_string())),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = Aes256Gcm::generate_key(OsRng);
                let text = format!("{}\n", STANDARD.encode(key));
                write_private(path, text.as_bytes()).map_err(|e| failed(e.to_string()))?;
                Ok(Self(key))
            }
            Err(err) => Err(failed(err.to_string())),
        }
    }

    /// `value` encrypted, bound to `context` (who owns it, what it is).
    pub fn seal(&self, value: &str, context: &str) -> Result<String, String> {
        let cipher = Aes256Gcm::new(&self.0);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| "encryption failed".to_owned())?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{FORMAT}:{}", STANDARD.encode(bytes)))
    }

    /// The value [`seal`](Self::seal) sealed with this key and `context`;
    /// `None` for another key, another context or a damaged value.
    pub fn open(&self, sealed: &str, context: &str) -> Option<String> {
        let encoded = sealed.strip_prefix(FORMAT)?.strip_prefix(':')?;
        let bytes = STANDARD.decode(encoded).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plain = Aes256Gcm::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key_and_context() {
        let key = SecretsKey::parse(&"ab".repeat(32)).expect("hex key");
        let sealed = key.seal("ghp_token", "alice:GITHUB").expect("seal");
        assert!(!sealed.contains("ghp_token"));
        assert_ne!(sealed, key.seal("ghp_token", "alice:GITHUB").expect("seal"));
        assert_eq!(
            key.open(&sealed, "alice:GITHUB").as_deref(),
            Some("ghp_token")
        );
        assert_eq!(key.open(&sealed, "bob:GITHUB"), None, "another context");
        let other = SecretsKey::parse(&STANDARD.encode([7u8; 32])).expect("base64 key");
        assert_eq!(other.open(&sealed, "alice:GITHUB"), None, "another key");
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push('A');
        assert_eq!(key.open(&damaged, "alice:GITHUB"), None);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["", "short", &"zz".repeat(32), &STANDARD.encode([1u8; 16])] {
            assert!(SecretsKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.key");
        let key = SecretsKey::from_file(&path).expect("created");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = key.seal("value", "c").expect("seal");
        let again = SecretsKey::from_file(&path).expect("read");
        assert_eq!(again.open(&sealed, "c").as_deref(), Some("value"));
    }
}
