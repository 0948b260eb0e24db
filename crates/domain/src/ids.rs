//! Identifiers: execution ids (one format per API dialect), user names, node ids.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id an API shows for an execution (`job_id`, `execution_id`,
/// `executionId`). Stored as text; its format depends on the dialect that
/// created it (a UUID for most, 32 hex characters for scenarios).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExecutionId(String);

impl ExecutionId {
    /// A random UUID v4 in its hyphenated form.
    pub fn new_uuid() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// 32 lowercase hexadecimal characters, the scenario dialect's format.
    pub fn new_hex32() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Wraps an id read from storage or a request path. Ids are opaque: an
    /// id that does not exist is simply not found, so no validation here.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid name {0:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'")]
pub struct InvalidName(pub String);

/// A user name, as API keys are issued to (`alice`, `admin`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, InvalidName> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidName(raw.to_owned()))
        }
    }

    pub fn admin() -> Self {
        Self("admin".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = InvalidName;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<UserName> for String {
    fn from(value: UserName) -> Self {
        value.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// Identifies one running runbox process (a node). A restarted process is a
/// new node: leases held by the old one expire rather than being resumed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(String);

impl NodeId {
    pub fn generate() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "node".to_owned());
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        Self(format!("{host}-{}-{suffix}", std::process::id()))
    }

    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_validated() {
        assert!(UserName::parse("alice").is_ok());
        assert!(UserName::parse("bob.smith@example").is_ok());
        assert!(UserName::parse("").is_err());
        assert!(UserName::parse("a b").is_err());
        assert!(UserName::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn hex_ids_have_32_lowercase_hex_chars() {
        let id = ExecutionId::new_hex32();
        assert_eq!(id.as_str().len(), 32);
        assert!(id
            .as_str()
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
