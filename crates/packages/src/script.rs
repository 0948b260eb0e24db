//! PEP 723 inline script metadata: the `# /// script` … `# ///` comment
//! block, anywhere in the code, read as TOML.
//!
//! The block is found as the specification's reference implementation
//! finds it: an opening line exactly `# /// script`, then comment lines
//! (`#` alone or `# ` + text), closed by the last line exactly `# ///`
//! before the first line that is not such a comment. Two `script` blocks
//! are an error, as is a block that is never closed.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{Requirement, VersionOrUrl};
use runbox_domain::Destination;
use serde::Deserialize;

use crate::RequirementSet;

/// At most this many requirements in one block.
pub const MAX_DEPENDENCIES: usize = 100;

/// What a piece of Python declares. The default (no block) asks for nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptMetadata {
    pub requires_python: Option<VersionSpecifiers>,
    pub dependencies: RequirementSet,
    /// `[tool.runbox] network`: destinations the code asks to reach.
    pub network: Vec<Destination>,
}

/// Why a block was refused; the text follows `Invalid dependencies: `.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MetadataError(pub String);

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Block {
    requires_python: Option<toml::Value>,
    dependencies: Option<toml::Value>,
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    runbox: Option<RunboxTool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunboxTool {
    network: Option<Vec<String>>,
}

impl ScriptMetadata {
    /// Reads the `script` block of `code`, if any.
    pub fn parse(code: &str) -> Result<ScriptMetadata, MetadataError> {
        let Some(toml_text) = find_block(code)? else {
            return Ok(ScriptMetadata::default());
        };
        let block: Block = toml::from_str(&toml_text).map_err(|e| {
            MetadataError(format!(
                "the `# /// script` block is not valid TOML: {}",
                one_line(e.message())
            ))
        })?;
        let requires_python = match block.requires_python {
            None => None,
            Some(toml::Value::String(text)) => Some(
                VersionSpecifiers::from_str(&text)
                    .map_err(|e| MetadataError(format!("requires-python {text:?}: {e}")))?,
            ),
            Some(_) => return Err(MetadataError("requires-python must be a string".into())),
        };
        let dependencies = match block.dependencies {
            None => RequirementSet::default(),
            Some(value) => parse_dependencies(value)?,
        };
        let network = match block.tool.and_then(|t| t.runbox).and_then(|r| r.network) {
            None => Vec::new(),
            Some(entries) => runbox_domain::parse_destinations(&entries)
                .map_err(|e| MetadataError(format!("[tool.runbox] network: {e}")))?,
        };
        Ok(ScriptMetadata {
            requires_python,
            dependencies,
            network,
        })
    }

    /// Whether the interpreter `python` (`3.11.2`) satisfies `requires-python`.
    pub fn check_python(&self, python: &str) -> Result<(), MetadataError> {
        let Some(specifiers) = &self.requires_python else {
            return Ok(());
        };
        let version = Version::from_str(python)
            .map_err(|e| MetadataError(format!("the sandbox's Python version {python:?}: {e}")))?;
        if specifiers.contains(&version) {
            Ok(())
        } else {
            Err(MetadataError(format!(
                "requires-python {specifiers} is not satisfied by this server's Python {python}"
            )))
        }
    }
}

fn parse_dependencies(value: toml::Value) -> Result<RequirementSet, MetadataError> {
    let toml::Value::Array(items) = value else {
        return Err(MetadataError(
            "dependencies must be a list of PEP 508 strings".into(),
        ));
    };
    if items.len() > MAX_DEPENDENCIES {
        return Err(MetadataError(format!(
            "at most {MAX_DEPENDENCIES} dependencies, got {}",
            items.len()
        )));
    }
    let mut requirements = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let toml::Value::String(text) = item else {
            return Err(MetadataError(format!(
                "dependencies[{i}] must be a PEP 508 string"
            )));
        };
        let requirement = Requirement::from_str(&text).map_err(|e| {
            MetadataError(format!(
                "dependencies[{i}] {text:?} is not a PEP 508 requirement: {}",
                one_line(&e.message.to_string())
            ))
        })?;
        if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
            return Err(MetadataError(format!(
                "dependencies[{i}] {text:?}: direct URL requirements are not supported; \
                 install from the package index"
            )));
        }
        requirements.push(requirement);
    }
    Ok(RequirementSet::new(requirements))
}

/// The TOML text of the only `script` block, without comment markers.
fn find_block(code: &str) -> Result<Option<String>, MetadataError> {
    let lines: Vec<&str> = code.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut found: Option<String> = None;
    let mut index = 0;
    while index < lines.len() {
        if lines[index] != "# /// script" {
            index += 1;
            continue;
        }
        let start = index + 1;
        let mut end = start;
        let mut close = None;
        while end < lines.len() && is_comment(lines[end]) {
            if lines[end] == "# ///" {
                close = Some(end);
            }
            end += 1;
        }
        let Some(close) = close else {
            return Err(MetadataError(format!(
                "the `# /// script` block opened on line {} is never closed with `# ///`",
                index + 1
            )));
        };
        if found.is_some() {
            return Err(MetadataError(format!(
                "more than one `# /// script` block (another opens on line {})",
                index + 1
            )));
        }
        let content: Vec<&str> = lines[start..close]
            .iter()
            .map(|line| {
                line.strip_prefix("# ")
                    .unwrap_or(line.trim_start_matches('#'))
            })
            .collect();
        found = Some(content.join("\n"));
        index = close + 1;
    }
    Ok(found)
}

fn is_comment(line: &str) -> bool {
    line == "#" || line.starts_with("# ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(code: &str) -> Result<ScriptMetadata, String> {
        ScriptMetadata::parse(code).map_err(|e| e.0)
    }

    #[test]
    fn no_block_asks_for_nothing() {
        let meta = parse("print('hi')\n# /// not-script\n# x = 1\n# ///\n").unwrap();
        assert!(meta.dependencies.is_empty() && meta.network.is_empty());
        assert!(meta.requires_python.is_none());
    }

    #[test]
    fn reads_the_block_anywhere() {
        let code = "import sys\n\n# /// script\n# requires-python = \">=3.9\"\n# dependencies = [\n#   \"Requests>=2.31\",\n#   \"tabulate==0.9.0\",\n# ]\n#\n# [tool.runbox]\n# network = [\"api.github.com\"]\n# ///\nprint(1)\n";
        let meta = parse(code).unwrap();
        assert_eq!(
            meta.dependencies.lines(),
            ["requests>=2.31", "tabulate==0.9.0"]
        );
        assert_eq!(meta.network[0].to_string(), "api.github.com");
        assert!(meta.check_python("3.11.2").is_ok());
        assert!(meta.check_python("3.8.0").is_err());
    }

    #[test]
    fn the_last_closing_line_of_the_comment_run_ends_it() {
        let code = "# /// script\n# dependencies = [\"a\"]\n# ///\n# ///\nx = 1\n";
        // `# ///` inside: the block runs to the last closing line, so its
        // content holds a stray `///` line, which is not TOML.
        assert!(parse(code).unwrap_err().contains("not valid TOML"));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("# /// script\n# dependencies = [\n", "never closed"),
            ("# /// script\n# dependencies = 3\n# ///\n", "list of PEP 508"),
            ("# /// script\n# dependencies = [1]\n# ///\n", "dependencies[0]"),
            ("# /// script\n# dependencies = [\"requests>>2\"]\n# ///\n", "not a PEP 508"),
            ("# /// script\n# dependencies = [\"x @ https://e.org/x.whl\"]\n# ///\n", "direct URL"),
            ("# /// script\n# requires-python = \">=banana\"\n# ///\n", "requires-python"),
            ("# /// script\n# = broken\n# ///\n", "not valid TOML"),
            ("# /// script\n# [tool.runbox]\n# network = [\"http://x\"]\n# ///\n", "network"),
            (
                "# /// script\n# dependencies = []\n# ///\nx = 1\n# /// script\n# dependencies = []\n# ///\n",
                "more than one",
            ),
        ];
        for (code, expected) in cases {
            let error = parse(code).unwrap_err();
            assert!(error.contains(expected), "{code:?}: {error}");
        }
    }
}
