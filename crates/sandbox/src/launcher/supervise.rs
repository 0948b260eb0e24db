//! Waiting for a run's end: init's report, init's exit (through a pidfd)
//! and kill requests from the server, polled together. If the server goes
//! away the run is killed and the launcher ends.
//!
//! Init reports how the program ended (after killing whatever was left)
//! before it exits; its exit then tears the namespaces down, which can take
//! tens of milliseconds (the kernel waits for an RCU grace period). Acting
//! on the report keeps that teardown off the request's path: the slot reaps
//! init before its next run.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::MsgFlags;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::child::init::Report;
use crate::protocol::{recv, ToLauncher};
use crate::{ExitStatus, Usage};

/// How a run ended, as the launcher learnt it.
pub(super) enum Ending {
    /// Init reported; it may still be exiting, and must be reaped later.
    Reported(Report),
    /// Init exited (and was reaped) without a report: it was killed.
    Exited(ExitStatus),
    /// A zygote reported its run's end on its control socket; the sandbox
    /// lives on for the next run.
    Served(ExitStatus, Usage),
}

/// Waits for the run in init `pid`'s sandbox to end. `zygote`: the control
/// socket of a zygote serving the run, which reports the run's end there.
pub(super) fn until_end(
    sock: RawFd,
    pid: Pid,
    status_read: &OwnedFd,
    zygote: Option<&OwnedFd>,
) -> Result<Ending, String> {
    // SAFETY: pidfd_open returns a new descriptor (or -1) and touches no memory.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) } as RawFd;
    if raw < 0 {
        return Err(format!("pidfd_open: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor we own.
    let pidfd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: the socket outlives this function (owned by `main`).
    let sock_fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(sock) };
    let mut report_open = true;
    let mut zygote = zygote;
    loop {
        let status_flags = if report_open {
            PollFlags::POLLIN
        } else {
            PollFlags::empty()
        };
        let zygote_fd = zygote.unwrap_or(status_read);
        let zygote_flags = if zygote.is_some() {
            PollFlags::POLLIN
        } else {
            PollFlags::empty()
        };
        let mut fds = [
            PollFd::new(sock_fd.as_fd(), PollFlags::POLLIN),
            PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
            PollFd::new(status_read.as_fd(), status_flags),
            PollFd::new(zygote_fd.as_fd(), zygote_flags),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        let sock_ready = fds[0].revents().is_some_and(|r| !r.is_empty());
        let child_ready = fds[1].revents().is_some_and(|r| !r.is_empty());
        let report_ready = report_open && fds[2].revents().is_some_and(|r| !r.is_empty());
        let zygote_ready = zygote.is_some() && fds[3].revents().is_some_and(|r| !r.is_empty());
        if zygote_ready && !report_ready && !child_ready {
            if let Some((status, usage)) = zygote.and_then(read_zygote_report) {
                return Ok(Ending::Served(status, usage));
            }
            // It closed the socket (it ended, or never started: an exec
            // that failed) or said nothing we know: init's report or exit
            // tells how the run ended, and the run's timeout still holds.
            zygote = None;
        }
        if report_ready {
            // Init writes its report in one write, well under PIPE_BUF, so
            // one read holds all of it; nothing (EOF) means init died.
            match read_report_once(status_read) {
                Some(report) => return Ok(Ending::Reported(report)),
                None => report_open = false,
            }
        }
        if child_ready {
            let status = wait_exit(pid);
            return Ok(match read_report(status_read) {
                Some(report) => Ending::Reported(report),
                None => Ending::Exited(status),
            });
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

/// A zygote's `exit N` or `signal N`, then the run's CPU milliseconds and
/// peak RSS in KiB, one datagram.
fn read_zygote_report(control: &OwnedFd) -> Option<(ExitStatus, Usage)> {
    let mut buf = [0u8; 64];
    let n = loop {
        match nix::sys::socket::recv(control.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
            Ok(n) => break n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return None,
        }
    };
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    let mut words = text.split_whitespace();
    let word = words.next()?;
    let number: i32 = words.next()?.parse().ok()?;
    let status = match word {
        "exit" => ExitStatus::Exited(number),
        "signal" => ExitStatus::Signaled(number),
        _ => return None,
    };
    Some((status, Usage::parse_figures(words)))
}

fn read_report_once(fd: &OwnedFd) -> Option<Report> {
    let mut buf = vec![0u8; 8 * 1024];
    loop {
        match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
            Ok(n) => return Report::decode(&String::from_utf8_lossy(&buf[..n])),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
}

fn read_report(fd: &OwnedFd) -> Option<Report> {
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
