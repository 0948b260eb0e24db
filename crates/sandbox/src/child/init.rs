//! Init: pid 1 of the run's PID namespace. It waits for the launcher to map
//! its user ids, builds the private root, starts the target program, reaps
//! every process, and reports how the target ended. When init exits, the
//! kernel kills everything left in the namespace — so a backgrounded or
//! double-forked process cannot outlive its run.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult, Gid, Pid, Uid};

use super::{mounts, target, ChildContext};
use crate::{ExitStatus, Usage};

/// What init tells the launcher, one line on the status pipe.
pub(crate) enum Report {
    Ended(ExitStatus, Usage),
    SetupFailed(String),
}

impl Report {
    pub fn encode(&self) -> String {
        let figures = |usage: &Usage| match (usage.cpu_ms, usage.memory_peak_bytes) {
            (Some(cpu), Some(peak)) => format!(" {cpu} {}", peak / 1024),
            _ => String::new(),
        };
        match self {
            Report::Ended(ExitStatus::Exited(code), usage) => format!("E{code}{}", figures(usage)),
            Report::Ended(ExitStatus::Signaled(sig), usage) => format!("S{sig}{}", figures(usage)),
            Report::SetupFailed(msg) => format!("X{msg}"),
        }
    }

    pub fn decode(text: &str) -> Option<Report> {
        let (kind, rest) = text.split_at_checked(1)?;
        if kind == "X" {
            return Some(Report::SetupFailed(rest.to_owned()));
        }
        let mut words = rest.split_whitespace();
        let number = words.next()?.parse().ok()?;
        let status = match kind {
            "E" => ExitStatus::Exited(number),
            "S" => ExitStatus::Signaled(number),
            _ => return None,
        };
        Some(Report::Ended(status, Usage::parse_figures(words)))
    }
}

/// The clone entry point. Never returns to the launcher's code.
pub(crate) fn main(ctx: &ChildContext<'_>) -> isize {
    let report = match run(ctx) {
        Ok(status) => Report::Ended(status, children_usage()),
        // Short enough for one atomic pipe write (see launcher::supervise).
        Err(msg) => Report::SetupFailed(msg.chars().take(2000).collect()),
    };
    let _ = nix::unistd::write(ctx.status_write, report.encode().as_bytes());
    // SAFETY: _exit ends this copy of the launcher without running its
    // destructors (which would, e.g., close the launcher's socket state).
    unsafe { libc::_exit(0) }
}

fn run(ctx: &ChildContext<'_>) -> Result<ExitStatus, String> {
    let _ = nix::unistd::close(ctx.launcher_socket);
    if let Some(peer) = ctx.control_peer {
        let _ = nix::unistd::close(peer);
    }
    // If the launcher dies, so does the whole sandbox.
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(|e| format!("pdeathsig: {e}"))?;
    wait_for_id_maps(ctx)?;
    nix::unistd::setresgid(Gid::from_raw(0), Gid::from_raw(0), Gid::from_raw(0))
        .map_err(|e| format!("setresgid: {e}"))?;
    nix::unistd::setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0))
        .map_err(|e| format!("setresuid: {e}"))?;
    // Changing credentials clears the death signal: set it again. (The
    // first one covers the launcher dying before the id maps arrive.)
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(|e| format!("pdeathsig: {e}"))?;
    nix::unistd::setgroups(&[]).map_err(|e| format!("setgroups: {e}"))?;
    mounts::build_root(ctx.fs, ctx.spec, ctx.binds)?;
    forward_termination_signals()?;
    let (error_read, error_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
    // SAFETY: the launcher (and so this copy of it) is single-threaded, so
    // the child may run arbitrary code before exec.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(error_read);
            target::run(ctx, &error_write)
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(e) => return Err(format!("fork: {e}")),
    };
    drop(error_write);
    release_descriptors(&[ctx.status_write.as_raw_fd(), error_read.as_raw_fd()]);
    let exec_error = read_all(&error_read);
    if !exec_error.is_empty() {
        reap(child);
        return Err(exec_error);
    }
    Ok(reap(child))
}

fn wait_for_id_maps(ctx: &ChildContext<'_>) -> Result<(), String> {
    let mut byte = [0u8; 1];
    match nix::unistd::read(ctx.sync_read.as_raw_fd(), &mut byte) {
        Ok(1) => Ok(()),
        Ok(_) => Err("launcher went away before mapping user ids".to_owned()),
        Err(e) => Err(format!("waiting for user id maps: {e}")),
    }
}

/// Pid 1 ignores signals it has no handler for, so TERM from the launcher
/// (on timeout or cancel) must be passed on explicitly to every process.
fn forward_termination_signals() -> Result<(), String> {
    extern "C" fn forward(sig: libc::c_int) {
        // SAFETY: kill is async-signal-safe; -1 means every process of this
        // PID namespace except init itself.
        unsafe {
            libc::kill(-1, sig);
        }
    }
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        // SAFETY: the handler only calls kill, which is async-signal-safe.
        unsafe { signal::signal(sig, SigHandler::Handler(forward)) }
            .map_err(|e| format!("signal: {e}"))?;
    }
    Ok(())
}

/// Once the program is forked, init keeps only `keep` above stdio: no copy
/// of the run's pipes (so the server sees end-of-file as soon as the
/// program's processes are gone), nor of anything else the launcher held
/// when it cloned init, such as the pipes of the run it was serving then
/// (init may outlive that run: a zygote's does).
fn release_descriptors(keep: &[RawFd]) {
    let mut keep = keep.to_vec();
    keep.sort_unstable();
    let mut from: u32 = 3;
    for fd in keep.into_iter().filter_map(|fd| u32::try_from(fd).ok()) {
        if fd > from {
            close_range(from, fd - 1);
        }
        from = from.max(fd + 1);
    }
    close_range(from, u32::MAX);
}

fn close_range(first: u32, last: u32) {
    // SAFETY: close_range only closes descriptors; the ones init still
    // uses are outside the range.
    unsafe {
        libc::syscall(libc::SYS_close_range, first, last, 0u32);
    }
}

fn read_all(fd: &OwnedFd) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What every process init reaped used (the target, and the orphans of
/// the run that it reaped along the way).
fn children_usage() -> Usage {
    match nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN) {
        Ok(usage) => {
            let ms = |t: nix::sys::time::TimeVal| {
                u64::try_from(t.tv_sec()).unwrap_or(0) * 1000
                    + u64::try_from(t.tv_usec()).unwrap_or(0) / 1000
            };
            Usage::from_rusage(
                ms(usage.user_time()) + ms(usage.system_time()),
                u64::try_from(usage.max_rss()).unwrap_or(0),
            )
        }
        Err(_) => Usage::default(),
    }
}

/// Reaps every child until the target ends, then kills what is left.
fn reap(target: Pid) -> ExitStatus {
    let status = loop {
        match waitpid(None::<Pid>, None) {
            Ok(WaitStatus::Exited(pid, code)) if pid == target => break ExitStatus::Exited(code),
            Ok(WaitStatus::Signaled(pid, sig, _)) if pid == target => {
                break ExitStatus::Signaled(sig as i32)
            }
            Ok(_) => continue,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break ExitStatus::Signaled(libc::SIGKILL),
        }
    };
    // SAFETY: kill(-1) from pid 1 signals every other process in the namespace.
    unsafe {
        libc::kill(-1, libc::SIGKILL);
    }
    status
}
