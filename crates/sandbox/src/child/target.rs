//! The last steps before the program itself runs: standard descriptors in
//! place, every other descriptor closed, the unprivileged uid, no
//! capabilities, `no_new_privs`, rlimits, Landlock, seccomp — then `exec`.
//! Runs in the process that becomes the program; any failure is written to
//! `error_pipe` and the process exits without running anything.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::sys::resource::{setrlimit, Resource};
use nix::unistd::{dup2, execve, setresgid, setresuid, Gid, Uid};

use super::ChildContext;
use crate::{FILES_DIR, SANDBOX_UID};

const MIB: u64 = 1024 * 1024;

pub(crate) fn run(ctx: &ChildContext<'_>, error_pipe: &OwnedFd) -> ! {
    let mut error_fd = error_pipe.as_raw_fd();
    let err = match harden_and_exec(ctx, &mut error_fd) {
        Ok(never) => match never {},
        Err(err) => err,
    };
    // SAFETY: error_fd is the (possibly moved) error pipe, still open: it
    // is only closed by a successful exec.
    let _ = nix::unistd::write(
        unsafe { std::os::fd::BorrowedFd::borrow_raw(error_fd) },
        err.as_bytes(),
    );
    // SAFETY: _exit is always safe; it skips destructors of a process that
    // is a partial copy of the launcher.
    unsafe { libc::_exit(127) }
}

enum Never {}

fn harden_and_exec(ctx: &ChildContext<'_>, error_fd: &mut RawFd) -> Result<Never, String> {
    let spec = ctx.spec;
    let argv = to_cstrings(spec.argv.iter().map(String::as_str))?;
    let env = to_cstrings(
        spec.env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    )?;
    let program = argv.first().ok_or("empty argv")?.clone();
    *error_fd = wire_descriptors(ctx, *error_fd)?;
    nix::unistd::setsid().map_err(|e| format!("setsid: {e}"))?;
    nix::unistd::setgroups(&[]).map_err(|e| format!("setgroups: {e}"))?;
    let id = SANDBOX_UID;
    setresgid(Gid::from_raw(id), Gid::from_raw(id), Gid::from_raw(id))
        .map_err(|e| format!("setresgid: {e}"))?;
    drop_capability_bounding_set()?;
    // Leaving uid 0 of the namespace clears every remaining capability.
    setresuid(Uid::from_raw(id), Uid::from_raw(id), Uid::from_raw(id))
        .map_err(|e| format!("setresuid: {e}"))?;
    // After the credential changes, which would clear it.
    set_death_signal()?;
    nix::sys::prctl::set_no_new_privs().map_err(|e| format!("no_new_privs: {e}"))?;
    set_rlimits(ctx)?;
    super::landlock::restrict(&ctx.fs.read_only, ctx.binds)?;
    super::seccomp::apply(ctx.seccomp, ctx.seccomp_clone3)?;
    let err = execve(&program, &argv, &env).err();
    Err(format!(
        "cannot run {}: {}",
        spec.argv[0],
        err.map(|e| e.to_string()).unwrap_or_default()
    ))
}

fn to_cstrings<'a>(items: impl Iterator<Item = &'a str>) -> Result<Vec<CString>, String> {
    items
        .map(|s| {
            CString::new(s)
                .map_err(|_| format!("argument or environment contains a NUL byte: {s:?}"))
        })
        .collect()
}

/// stdin, stdout, stderr, (when asked) the result channel and the control
/// socket as fds 0..=4,
/// the error pipe right after them (closed by exec), everything else closed
/// so nothing of the launcher leaks in. Returns the error pipe's new number.
fn wire_descriptors(ctx: &ChildContext<'_>, error_fd: RawFd) -> Result<RawFd, String> {
    let stdin = match &ctx.spec.stdin_file {
        Some(name) => format!("{FILES_DIR}/{name}"),
        None => "/dev/null".to_owned(),
    };
    let stdin = nix::fcntl::open(
        stdin.as_str(),
        nix::fcntl::OFlag::O_RDONLY,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| format!("open stdin {stdin}: {e}"))?;
    // Move sources above the target range first so no dup2 clobbers one.
    let mut sources: Vec<RawFd> = vec![stdin, ctx.stdout.as_raw_fd(), ctx.stderr.as_raw_fd()];
    if let Some(result) = ctx.result {
        sources.push(result.as_raw_fd());
    }
    if let Some(control) = ctx.control {
        if sources.len() != crate::CONTROL_FD as usize {
            return Err("a two-step program needs a result channel".to_owned());
        }
        sources.push(control.as_raw_fd());
    }
    let mut lifted = Vec::with_capacity(sources.len());
    for fd in &sources {
        lifted.push(
            nix::fcntl::fcntl(*fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(100))
                .map_err(|e| format!("dup: {e}"))?,
        );
    }
    let error_lifted = nix::fcntl::fcntl(error_fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(100))
        .map_err(|e| format!("dup: {e}"))?;
    for (target, fd) in lifted.iter().enumerate() {
        dup2(*fd, target as RawFd).map_err(|e| format!("dup2: {e}"))?;
    }
    let error_target = lifted.len() as RawFd;
    dup2(error_lifted, error_target).map_err(|e| format!("dup2: {e}"))?;
    nix::fcntl::fcntl(
        error_target,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )
    .map_err(|e| format!("cloexec: {e}"))?;
    let first_closed = error_target as u32 + 1;
    // SAFETY: close_range only closes descriptors; nothing in this process
    // uses the closed ones afterwards (the lifted copies are CLOEXEC anyway).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first_closed, u32::MAX, 0u32) };
    if rc != 0 {
        return Err(format!("close_range: {}", std::io::Error::last_os_error()));
    }
    Ok(error_target)
}

fn set_death_signal() -> Result<(), String> {
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .map_err(|e| format!("pdeathsig: {e}"))
}

fn drop_capability_bounding_set() -> Result<(), String> {
    let last: libc::c_ulong = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40);
    for cap in 0..=last {
        // SAFETY: prctl with integer arguments has no memory effects.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        if rc != 0 {
            return Err(format!(
                "drop capability {cap}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    // SAFETY: as above.
    let rc = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if rc != 0 {
        return Err(format!(
            "clear ambient capabilities: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn set_rlimits(ctx: &ChildContext<'_>) -> Result<(), String> {
    let l = &ctx.spec.limits;
    let mut limits = vec![
        (Resource::RLIMIT_NPROC, u64::from(l.pids)),
        (Resource::RLIMIT_NOFILE, u64::from(l.open_files)),
        (Resource::RLIMIT_FSIZE, u64::from(l.file_size_mb) * MIB),
        (Resource::RLIMIT_CPU, u64::from(l.cpu_secs)),
        (Resource::RLIMIT_CORE, 0),
        (Resource::RLIMIT_MEMLOCK, 8 * MIB),
    ];
    if ctx.limit_address_space {
        // Without a memory cgroup the address space is the only handle on
        // memory; it also counts reservations, so leave generous headroom.
        limits.push((Resource::RLIMIT_AS, u64::from(l.memory_mb) * MIB * 2));
    }
    for (resource, value) in limits {
        // The CPU soft limit sends SIGXCPU; the hard one, a second later, SIGKILL.
        let hard = if resource == Resource::RLIMIT_CPU {
            value + 1
        } else {
            value
        };
        setrlimit(resource, value, hard)
            .map_err(|e| format!("setrlimit {resource:?}={value}: {e}"))?;
    }
    Ok(())
}
