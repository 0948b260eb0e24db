//! Secrets (contract section 12): values such as API tokens that runs use
//! by reference and that runbox never stores or shows in clear.
//!
//! - [`cipher`]: the key (`RUNBOX_SECRETS_KEY` or a 0600 key file) and
//!   authenticated encryption at rest;
//! - [`vault`]: secrets as stored (sealed, in the store's catalog), and the
//!   decrypted set one run may use;
//! - [`mask`]: `***` in place of every occurrence of a value, in texts,
//!   JSON and streamed output split across chunks.

pub mod cipher;
pub mod mask;
pub mod vault;

pub use cipher::{KeyError, SecretsKey};
pub use mask::{Masker, StreamMask, MASK};
pub use vault::{check_value, RunSecrets, SecretInfo, Vault, VaultError, KIND};
