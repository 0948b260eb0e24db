//! Sandbox errors: set-up failures are reported, never worked around.

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The sandbox could not be built; the program did not run.
    #[error("sandbox setup failed: {0}")]
    Setup(String),
    /// The launcher process for a slot stopped answering.
    #[error("sandbox launcher failed: {0}")]
    Launcher(String),
    #[error("sandbox I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<nix::Error> for SandboxError {
    fn from(err: nix::Error) -> Self {
        Self::Io(std::io::Error::from(err))
    }
}
