//! Validated numeric limits: a value of these types is always within bounds.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
#[error("{what} must be between {min} and {max}, got {got}")]
pub struct OutOfRange {
    pub what: &'static str,
    pub min: i64,
    pub max: i64,
    pub got: i64,
}

/// How long an execution may run, in whole seconds, at least one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timeout(u32);

impl Timeout {
    /// A timeout between 1 and `max_secs` seconds inclusive.
    pub fn new(secs: i64, max_secs: u32) -> Result<Self, OutOfRange> {
        if (1..=i64::from(max_secs)).contains(&secs) {
            Ok(Self(secs as u32))
        } else {
            Err(OutOfRange {
                what: "timeout",
                min: 1,
                max: i64::from(max_secs),
                got: secs,
            })
        }
    }

    pub fn secs(self) -> u32 {
        self.0
    }

    pub fn as_duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0))
    }
}

/// Scheduling priority: higher runs first. 0..=100, default 50.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Priority(u8);

impl Priority {
    pub const DEFAULT: Priority = Priority(50);

    pub fn new(value: i64) -> Result<Self, OutOfRange> {
        if (0..=100).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(OutOfRange {
                what: "priority",
                min: 0,
                max: 100,
                got: value,
            })
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_bounds() {
        assert!(Timeout::new(0, 300).is_err());
        assert!(Timeout::new(1, 300).is_ok());
        assert!(Timeout::new(300, 300).is_ok());
        assert!(Timeout::new(301, 300).is_err());
    }

    #[test]
    fn priority_bounds() {
        assert!(Priority::new(-1).is_err());
        assert_eq!(Priority::new(100).map(Priority::value).ok(), Some(100));
        assert!(Priority::new(101).is_err());
    }
}

/// How deeply JSON that runbox keeps (request data, results, module
/// inputs and outputs) may nest. The store keeps such values inside its
/// own documents, a few levels deeper, and must read them back under
/// serde_json's limit of 128.
pub const MAX_JSON_DEPTH: usize = 64;

/// Arrays and objects nested in one another, at most (a scalar is 0).
pub fn json_depth(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        stack.extend(children.map(|child| (child, level + 1)));
    }
    deepest
}

#[cfg(test)]
mod depth_tests {
    use serde_json::json;

    #[test]
    fn depth_counts_nested_containers() {
        assert_eq!(super::json_depth(&json!(1)), 0);
        assert_eq!(super::json_depth(&json!([])), 1);
        assert_eq!(super::json_depth(&json!({"a": [1, {"b": []}]})), 4);
    }
}
