//! Hashes and encodings.
//!
//! - `md5(text)`: lower-case hex.
//! - `sha256(text; encoding?; key?)`: `hex` (default) or `base64`; with a
//!   key, HMAC-SHA256 keyed with it (Make's optional key argument).
//! - `base64(text)`: standard alphabet with padding, of the UTF-8 bytes.

use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::Value;
use sha2::Sha256;

use super::{optional, text_arg};
use crate::iml::value::to_text;

pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let text = text_arg(args, 0)?;
    let out = match name {
        "md5" => hex::encode(Md5::digest(text.as_bytes())),
        "base64" => base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
        "sha256" => {
            let digest: Vec<u8> = match optional(args, 2) {
                Some(key) => {
                    let mut mac = Hmac::<Sha256>::new_from_slice(to_text(key).as_bytes())
                        .map_err(|e| format!("invalid key: {e}"))?;
                    mac.update(text.as_bytes());
                    mac.finalize().into_bytes().to_vec()
                }
                None => Sha256::digest(text.as_bytes()).to_vec(),
            };
            match optional(args, 1).map(to_text).as_deref() {
                None | Some("hex") => hex::encode(digest),
                Some("base64") => base64::engine::general_purpose::STANDARD.encode(digest),
                Some(other) => {
                    return Err(format!("encoding must be hex or base64, got {other:?}"))
                }
            }
        }
        other => return Err(format!("unknown function `{other}`")),
    };
    Ok(Value::String(out))
}
