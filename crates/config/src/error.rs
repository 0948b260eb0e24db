//! [`ConfigError`]: why start-up refuses a configuration, worded for the
//! person who has to fix it.
//!
//! Every message names where the bad value came from: the configuration file
//! with the key and `line N`, or the environment variable (or flag). Secret
//! values (API key, webhook secret, database URL credentials) are never
//! echoed back.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A configuration that cannot be used. Start-up stops on any of these.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read: missing, unreadable, not UTF-8.
    #[error("config file {}: cannot read it: {cause}", .path.display())]
    Read {
        path: PathBuf,
        /// Not `source`: the message already says it, and a cause chain
        /// would print it twice.
        cause: io::Error,
    },

    /// The configuration file is not valid TOML, has an unknown key, a value
    /// of the wrong type or out of bounds.
    #[error("config file {}: {}{message}{}", .path.display(), KeyPrefix(.key), LineSuffix(.line))]
    File {
        path: PathBuf,
        /// Dotted path of the offending key (`limits.workers`,
        /// `buttons[0].id`), when the problem is about one key.
        key: Option<String>,
        /// 1-based line of the offending value in the file.
        line: Option<usize>,
        message: String,
    },

    /// A value given through a `RUNBOX_*` environment variable or a flag is
    /// invalid; `name` says which.
    #[error("{name}: {message}")]
    Override { name: String, message: String },

    /// Several of the above, reported together so one failed start shows
    /// every problem at once.
    #[error("{}", Lines(.0))]
    Several(Vec<ConfigError>),
}

impl ConfigError {
    /// The individual problems: this error itself, or each of [`ConfigError::Several`].
    pub fn problems(&self) -> Vec<&ConfigError> {
        match self {
            Self::Several(all) => all.iter().flat_map(ConfigError::problems).collect(),
            one => vec![one],
        }
    }

    /// `Ok(())` when `errors` is empty, the lone error, or all of them.
    pub(crate) fn from_all(mut errors: Vec<ConfigError>) -> Result<(), ConfigError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Self::Several(errors)),
        }
    }
}

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

struct KeyPrefix<'a>(&'a Option<String>);

impl fmt::Display for KeyPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, "{key}: "),
            None => Ok(()),
        }
    }
}

struct LineSuffix<'a>(&'a Option<usize>);

impl fmt::Display for LineSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

struct Lines<'a>(&'a [ConfigError]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let text = "a = 1\nb = 2\n\nc = 3";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 5), 1);
        assert_eq!(line_of(text, 6), 2);
        assert_eq!(line_of(text, 13), 4);
        assert_eq!(line_of(text, 1000), 4);
    }

    #[test]
    fn file_error_format() {
        let error = ConfigError::File {
            path: "/etc/runbox.toml".into(),
            key: Some("limits.workers".into()),
            line: Some(7),
            message: "must be between 1 and 1024, got 0".into(),
        };
        assert_eq!(
            error.to_string(),
            "config file /etc/runbox.toml: limits.workers: must be between 1 and 1024, got 0 (line 7)"
        );
    }
}
