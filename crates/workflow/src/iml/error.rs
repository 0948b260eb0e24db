//! [`ImlError`]: what went wrong in an expression, and where.

use std::fmt;

/// A parse or evaluation error. Carries the whole template text and the
/// character position (0-based) where the problem starts, so a user can
/// find it; evaluation errors also name the function or operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImlError {
    /// The template as written, e.g. `Hello {{upper(1.name}}`.
    pub expression: String,
    /// Character offset (0-based) into `expression`.
    pub position: usize,
    pub message: String,
    /// The function (`formatDate`) or operator (`/`) that failed, for
    /// evaluation errors.
    pub function: Option<String>,
}

impl ImlError {
    /// An error at byte offset `byte` of `source`.
    pub(crate) fn at(source: &str, byte: usize, message: impl Into<String>) -> Self {
        let byte = byte.min(source.len());
        let position = source
            .char_indices()
            .take_while(|&(offset, _)| offset < byte)
            .count();
        Self {
            expression: source.to_owned(),
            position,
            message: message.into(),
            function: None,
        }
    }

    pub(crate) fn in_function(mut self, name: &str) -> Self {
        self.function = Some(name.to_owned());
        self
    }
}

impl fmt::Display for ImlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.function {
            Some(function) => write!(f, "{function}: {}", self.message)?,
            None => f.write_str(&self.message)?,
        }
        write!(
            f,
            " (at position {} in `{}`)",
            self.position, self.expression
        )
    }
}

impl std::error::Error for ImlError {}
