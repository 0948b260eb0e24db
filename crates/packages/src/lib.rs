//! Python dependencies (contract section 10): what a piece of Python asks
//! for in its PEP 723 `# /// script` block, and the environments that hold
//! it.
//!
//! - [`script`]: finding and reading the block ([`ScriptMetadata`]):
//!   `dependencies` as PEP 508 requirements, `requires-python` as PEP 440
//!   specifiers, and runbox's own `[tool.runbox] network`.
//! - `set`: a normalized requirement list and the id of its environment.
//! - `layout`: environments on disk, under `<data dir>/environments`: one
//!   directory per id, built elsewhere and renamed into place, with the
//!   resolved versions beside the files.
//! - `install`: the installer (uv, else the sandbox Python's pip) as a
//!   sandboxed run that sees only the environment being built, its cache and
//!   the package index (through runbox's proxy).
//! - [`Environments`]: one build per set however many runs want it, leases
//!   for runs using one, least-recently-used removal past `cache_mb`.
//!
//! Runs never see an environment being built: it becomes visible by one
//! rename, and it is mounted read-only into the runs that declared it.

mod install;
mod layout;
mod manager;
pub mod script;
mod set;

pub use layout::EnvironmentInfo;
pub use manager::{EnvLease, Environments, PrepareError, RemoveError};
pub use script::{MetadataError, ScriptMetadata};
pub use set::RequirementSet;

/// Where a run's environment appears inside the sandbox.
pub const ENV_MOUNT: &str = "/packages";
