//! The descriptors of one run, on the server's side: the spec in a memfd,
//! the output pipes (write ends go to the launcher, read ends are read
//! here) and the tasks that capture each stream.

use std::os::fd::OwnedFd;

use crate::capture::{capture, Captured};
use crate::pool::OutputSink;
use crate::{RunSpec, SandboxError};

pub(crate) fn spec_memfd(spec: &RunSpec) -> Result<OwnedFd, SandboxError> {
    use std::io::Write;
    let fd = nix::sys::memfd::memfd_create(
        c"runbox-spec",
        nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC,
    )?;
    let mut file = std::fs::File::from(fd);
    let body = serde_json::to_vec(spec).map_err(|e| SandboxError::Setup(format!("spec: {e}")))?;
    file.write_all(&body)?;
    Ok(OwnedFd::from(file))
}

/// The pipes of one run: the launcher gets the write ends, we read.
pub(crate) struct RunPipes {
    pub(crate) stdout_r: OwnedFd,
    pub(crate) stdout_w: OwnedFd,
    pub(crate) stderr_r: Option<OwnedFd>,
    pub(crate) stderr_w: OwnedFd,
    pub(crate) result_r: Option<OwnedFd>,
    pub(crate) result_w: Option<OwnedFd>,
}

pub(crate) struct Readers {
    pub(crate) stdout: tokio::net::unix::pipe::Receiver,
    pub(crate) stderr: Option<tokio::net::unix::pipe::Receiver>,
    pub(crate) result: Option<tokio::net::unix::pipe::Receiver>,
}

impl RunPipes {
    pub(crate) fn new(spec: &RunSpec) -> Result<Self, SandboxError> {
        let pipe = || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC);
        let (stdout_r, stdout_w) = pipe()?;
        let (stderr_r, stderr_w) = if spec.combined_output {
            (None, stdout_w.try_clone()?)
        } else {
            let (r, w) = pipe()?;
            (Some(r), w)
        };
        let (result_r, result_w) = if spec.result_channel {
            let (r, w) = pipe()?;
            (Some(r), Some(w))
        } else {
            (None, None)
        };
        Ok(Self {
            stdout_r,
            stdout_w,
            stderr_r,
            stderr_w,
            result_r,
            result_w,
        })
    }

    /// Drops our copies of the write ends (the launcher has its own now) and
    /// wraps the read ends for async reading.
    pub(crate) fn into_readers(self) -> Result<Readers, SandboxError> {
        use tokio::net::unix::pipe::Receiver;
        drop((self.stdout_w, self.stderr_w, self.result_w));
        Ok(Readers {
            stdout: Receiver::from_owned_fd(self.stdout_r)?,
            stderr: self.stderr_r.map(Receiver::from_owned_fd).transpose()?,
            result: self.result_r.map(Receiver::from_owned_fd).transpose()?,
        })
    }
}

pub(crate) fn spawn_capture(
    reader: tokio::net::unix::pipe::Receiver,
    limit: usize,
    sink: Option<OutputSink>,
    is_stderr: bool,
) -> tokio::task::JoinHandle<Captured> {
    tokio::spawn(async move {
        capture(reader, limit, |chunk| {
            if let Some(sink) = &sink {
                sink(is_stderr, chunk);
            }
        })
        .await
    })
}
