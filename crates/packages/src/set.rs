//! [`RequirementSet`]: the requirements of one piece of Python, normalized
//! (canonical names, one spelling, sorted, duplicates dropped) so that code
//! asking for the same packages in another order or case shares one
//! environment, and the id of that environment.

use pep508_rs::Requirement;
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequirementSet {
    lines: Vec<String>,
}

impl RequirementSet {
    pub fn new(requirements: Vec<Requirement>) -> Self {
        // pep508_rs prints the normalized name, sorted extras and
        // specifiers without blanks: equal requirements print the same.
        let mut lines: Vec<String> = requirements.iter().map(ToString::to_string).collect();
        lines.sort();
        lines.dedup();
        Self { lines }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// One requirement per entry, as given to the installer.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The environment's id: a digest of the requirements, the Python that
    /// will import them and everything about how they are installed.
    pub fn environment_id(&self, python: &str, install_settings: &str) -> String {
        let mut digest = Sha256::new();
        for part in [python, install_settings] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        for line in &self.lines {
            digest.update(line.as_bytes());
            digest.update([0]);
        }
        hex::encode(&digest.finalize()[..16])
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn set(items: &[&str]) -> RequirementSet {
        RequirementSet::new(
            items
                .iter()
                .map(|s| Requirement::from_str(s).unwrap())
                .collect(),
        )
    }

    #[test]
    fn spelling_and_order_do_not_matter() {
        let a = set(&["Requests >= 2.31", "tabulate==0.9.0"]);
        let b = set(&["tabulate == 0.9.0", "requests>=2.31", "requests>=2.31"]);
        assert_eq!(a, b);
        assert_eq!(
            a.environment_id("3.11.2", "x"),
            b.environment_id("3.11.2", "x")
        );
        assert_ne!(
            a.environment_id("3.11.2", "x"),
            a.environment_id("3.12.0", "x")
        );
        assert_ne!(
            a.environment_id("3.11.2", "x"),
            a.environment_id("3.11.2", "y")
        );
        assert_eq!(a.environment_id("3.11.2", "x").len(), 32);
    }
}
