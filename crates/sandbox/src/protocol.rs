//! Messages between the server and a slot's launcher, over a Unix
//! `SOCK_SEQPACKET` socket pair: one JSON document per packet, with file
//! descriptors (pipes, the spec's memfd) passed beside it as `SCM_RIGHTS`.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags, UnixAddr};
use serde::{Deserialize, Serialize};

use crate::ExitStatus;

/// Largest packet either side sends; specs travel in a memfd, not here.
pub(crate) const MAX_PACKET: usize = 64 * 1024;

/// Sent once, first, to configure a freshly started launcher.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LauncherSetup {
    pub slot: u32,
    /// Outside uid/gid that root inside the sandbox maps to (set-up only).
    pub outer_root_id: u32,
    /// Outside uid/gid of the sandboxed program ([`crate::SANDBOX_UID`] inside).
    pub outer_user_id: u32,
    /// Outside uid/gid of programs run as [`crate::RunUser::Builder`].
    pub outer_builder_id: u32,
    /// Name of this slot's cgroup directories, unique per server process.
    pub cgroup_name: String,
    pub fs: FsPlan,
    /// Memory and pids limits the slot cgroups start with.
    pub memory_mb: u32,
    pub pids: u32,
}

/// Which host paths the sandbox sees, read-only, and which must be hidden.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FsPlan {
    /// Host directories bound read-only at the same path (symlinks among
    /// them are recreated as symlinks).
    pub read_only: Vec<PathBuf>,
    /// Paths that must never be visible (runbox's data directory, database,
    /// configuration): covered with an empty mount if they fall inside a
    /// read-only path.
    pub hidden: Vec<PathBuf>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ToLauncher {
    Setup(LauncherSetup),
    /// Run the spec read from the first descriptor; the next are stdout,
    /// stderr and, when the spec asks for it, the result channel.
    Run,
    /// Send a signal to every process of the current run.
    Kill {
        signal: i32,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum FromLauncher {
    /// Set-up done; `layers` describes what is enforced, `warnings` what is not.
    Ready {
        layers: Vec<String>,
        warnings: Vec<String>,
    },
    SetupFailed {
        error: String,
    },
    /// The program is started; with a [`crate::RunSpec::proxy`], the
    /// run's proxy listener comes along as the one descriptor.
    Started {
        pid: i32,
    },
    Finished {
        status: Option<ExitStatus>,
        setup_error: Option<String>,
        oom_killed: bool,
        #[serde(default)]
        usage: crate::Usage,
    },
}

/// Sends one message with descriptors. Blocking or not depends on the socket.
pub(crate) fn send<T: Serialize>(sock: RawFd, msg: &T, fds: &[RawFd]) -> std::io::Result<()> {
    let body = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    let iov = [IoSlice::new(&body)];
    let cmsgs = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &cmsgs };
    sendmsg::<UnixAddr>(sock, &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None)?;
    Ok(())
}

/// A received message and the descriptors that came with it. `Ok(None)` is
/// an orderly end of the connection.
pub(crate) fn recv<T: for<'de> Deserialize<'de>>(
    sock: RawFd,
    flags: MsgFlags,
) -> std::io::Result<Option<(T, Vec<OwnedFd>)>> {
    let mut buf = vec![0u8; MAX_PACKET];
    let mut cmsg_space = nix::cmsg_space!([RawFd; 8]);
    let (len, fds) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<UnixAddr>(
            sock,
            &mut iov,
            Some(&mut cmsg_space),
            flags | MsgFlags::MSG_CMSG_CLOEXEC,
        )?;
        let mut fds = Vec::new();
        for cmsg in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(raw) = cmsg {
                // SAFETY: the kernel just installed these descriptors in
                // this process for us; nobody else owns them.
                fds.extend(
                    raw.into_iter()
                        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                );
            }
        }
        (msg.bytes, fds)
    };
    if len == 0 {
        return Ok(None);
    }
    let msg = serde_json::from_slice(&buf[..len]).map_err(std::io::Error::other)?;
    Ok(Some((msg, fds)))
}
