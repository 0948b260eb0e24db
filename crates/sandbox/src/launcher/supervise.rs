//! Waiting for a run's end: init's exit (through a pidfd) and kill requests
//! from the server, polled together. If the server goes away the run is
//! killed and the launcher ends.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::MsgFlags;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::child::init::Report;
use crate::protocol::{recv, ToLauncher};
use crate::ExitStatus;

pub(super) fn until_exit(sock: RawFd, pid: Pid) -> Result<ExitStatus, String> {
    // SAFETY: pidfd_open returns a new descriptor (or -1) and touches no memory.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) } as RawFd;
    if raw < 0 {
        return Err(format!("pidfd_open: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor we own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: the socket outlives this function (owned by `main`).
    let sock_fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(sock) };
    loop {
        let mut fds = [
            PollFd::new(sock_fd.as_fd(), PollFlags::POLLIN),
            PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        let sock_ready = fds[0].revents().is_some_and(|r| !r.is_empty());
        let child_ready = fds[1].revents().is_some_and(|r| !r.is_empty());
        if child_ready {
            return Ok(wait_exit(pid));
        }
        if sock_ready {
            match recv::<ToLauncher>(sock, MsgFlags::empty()) {
                Ok(Some((ToLauncher::Kill { signal }, _))) => {
                    if let Ok(sig) = Signal::try_from(signal) {
                        let _ = kill(pid, sig);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    let _ = kill(pid, Signal::SIGKILL);
                    wait_exit(pid);
                    return Err("server went away; run killed".to_owned());
                }
            }
        }
    }
}

pub(super) fn wait_exit(pid: Pid) -> ExitStatus {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return ExitStatus::Exited(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return ExitStatus::Signaled(sig as i32),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return ExitStatus::Signaled(libc::SIGKILL),
        }
    }
}

pub(super) fn read_report(fd: &OwnedFd) -> Option<Report> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0;
    // Init wrote everything before exiting; the pipe is at EOF or holds it all.
    while len < buf.len() {
        match nix::unistd::read(fd.as_raw_fd(), &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    Report::decode(&String::from_utf8_lossy(&buf[..len]))
}
