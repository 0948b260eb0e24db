//! The launcher: one long-lived process per execution slot, started by the
//! server as `runbox __launcher` with its end of a socket pair on fd 3.
//!
//! At start it enters a private network namespace and its slot's cgroups,
//! and compiles the seccomp filter. Then, for each `Run` request, it
//! `clone`s init into fresh user/PID/mount/IPC/UTS namespaces, maps init's
//! user ids to the slot's unprivileged outside ids, and reports back when
//! the run ended. It is single-threaded, so the cloned child may safely
//! allocate and run ordinary Rust code.

mod net;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::FileExt;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sched::CloneFlags;
use nix::sys::signal::{kill, Signal};
use nix::sys::socket::MsgFlags;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::cgroup::SlotCgroups;
use crate::child::{self, init::Report, ChildContext};
use crate::protocol::{recv, send, FromLauncher, LauncherSetup, ToLauncher};
use crate::{ExitStatus, RunSpec, SANDBOX_UID};

/// The hidden subcommand of the runbox binary that runs a launcher.
pub const SUBCOMMAND: &str = "__launcher";

/// The descriptor the server places the launcher's socket on.
pub const SOCKET_FD: RawFd = 3;

/// Entry point of `runbox __launcher`. Returns the process exit code.
pub fn main() -> i32 {
    // SAFETY: the server dup2'ed our end of the socket pair to SOCKET_FD
    // just before exec; nothing else in this process owns it.
    let sock = unsafe { OwnedFd::from_raw_fd(SOCKET_FD) };
    match serve(&sock) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("runbox launcher: {err}");
            1
        }
    }
}

struct Slot {
    setup: LauncherSetup,
    cgroups: SlotCgroups,
    seccomp: seccompiler::BpfProgram,
    seccomp_clone3: seccompiler::BpfProgram,
    limits: (u32, u32),
}

fn serve(sock: &OwnedFd) -> Result<(), String> {
    let fd = sock.as_raw_fd();
    let setup = match recv::<ToLauncher>(fd, MsgFlags::empty()).map_err(|e| e.to_string())? {
        Some((ToLauncher::Setup(setup), _)) => setup,
        Some(_) => return Err("first message was not Setup".to_owned()),
        None => return Ok(()),
    };
    let slot = match prepare(setup) {
        Ok(slot) => slot,
        Err(error) => {
            let _ = send(
                fd,
                &FromLauncher::SetupFailed {
                    error: error.clone(),
                },
                &[],
            );
            return Err(error);
        }
    };
    let mut slot = slot;
    let ready = FromLauncher::Ready {
        layers: describe_layers(&slot),
        warnings: layer_warnings(&slot),
    };
    send(fd, &ready, &[]).map_err(|e| e.to_string())?;
    loop {
        match recv::<ToLauncher>(fd, MsgFlags::empty()).map_err(|e| e.to_string())? {
            None => return Ok(()),
            Some((ToLauncher::Run, fds)) => {
                let finished = run_one(&mut slot, fd, fds)?;
                send(fd, &finished, &[]).map_err(|e| e.to_string())?;
            }
            // A late kill for a run that already ended: nothing to do.
            Some((ToLauncher::Kill { .. }, _)) | Some((ToLauncher::Setup(_), _)) => {}
        }
    }
}

/// What this slot enforces, for logs and the health check.
fn describe_layers(slot: &Slot) -> Vec<String> {
    let mut layers: Vec<String> = [
        "user, PID, mount, IPC and UTS namespaces per run",
        "network namespace with loopback only",
        "private read-only root, size-limited /work and /tmp",
        "uid 1000 without capabilities, no_new_privs",
        "seccomp deny list",
        "rlimits (processes, files, file size, CPU)",
    ]
    .map(str::to_owned)
    .to_vec();
    if let Some(abi) = landlock_abi() {
        layers.push(format!("landlock (kernel ABI {abi})"));
    }
    layers.extend(slot.cgroups.describe());
    layers
}

fn layer_warnings(slot: &Slot) -> Vec<String> {
    let mut warnings = slot.cgroups.warnings.clone();
    if landlock_abi().is_none() {
        warnings.push(
            "landlock is not available: the private root is the only filesystem layer".to_owned(),
        );
    }
    warnings
}

/// The Landlock ABI version the kernel offers, if any.
fn landlock_abi() -> Option<i64> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute and size 0 this call only reports the
    // ABI version; it touches no memory.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    (abi > 0).then_some(abi)
}

fn prepare(setup: LauncherSetup) -> Result<Slot, String> {
    net::enter_empty_network_namespace()?;
    let cgroups = SlotCgroups::create_and_join(&setup.cgroup_name, setup.memory_mb, setup.pids)?;
    let seccomp = child::seccomp::deny_list()?;
    let seccomp_clone3 = child::seccomp::clone3_filter()?;
    let limits = (setup.memory_mb, setup.pids);
    Ok(Slot {
        setup,
        cgroups,
        seccomp,
        seccomp_clone3,
        limits,
    })
}

fn finished_with_error(error: String) -> FromLauncher {
    FromLauncher::Finished {
        status: None,
        setup_error: Some(error),
        oom_killed: false,
    }
}

/// Runs one spec to its end. Errors returned here end the launcher (the
/// server went away); failures of the run itself are reported in the reply.
fn run_one(slot: &mut Slot, sock: RawFd, mut fds: Vec<OwnedFd>) -> Result<FromLauncher, String> {
    if fds.len() < 3 {
        return Ok(finished_with_error(format!(
            "expected at least 3 descriptors, got {}",
            fds.len()
        )));
    }
    let result = if fds.len() >= 4 { fds.pop() } else { None };
    let stderr = fds.pop().ok_or("missing stderr")?;
    let stdout = fds.pop().ok_or("missing stdout")?;
    let spec_fd = fds.pop().ok_or("missing spec")?;
    let spec = match read_spec(spec_fd) {
        Ok(spec) => spec,
        Err(e) => return Ok(finished_with_error(e)),
    };
    let wanted = (spec.limits.memory_mb, spec.limits.pids);
    if wanted != slot.limits {
        if let Err(e) = slot.cgroups.set_limits(wanted.0, wanted.1) {
            return Ok(finished_with_error(e));
        }
        slot.limits = wanted;
    }
    let oom_before = slot.cgroups.oom_kills();
    let pipe =
        || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"));
    let (sync_read, sync_write) = pipe()?;
    let (status_read, status_write) = pipe()?;
    let ctx = ChildContext {
        spec: &spec,
        fs: &slot.setup.fs,
        seccomp: &slot.seccomp,
        seccomp_clone3: &slot.seccomp_clone3,
        sync_read: &sync_read,
        status_write: &status_write,
        stdout: &stdout,
        stderr: &stderr,
        result: result.as_ref(),
        launcher_socket: sock,
        limit_address_space: !slot.cgroups.has_memory(),
    };
    let pid = match spawn_init(&ctx) {
        Ok(pid) => pid,
        Err(e) => return Ok(finished_with_error(e)),
    };
    // The child holds its own copies; ours would keep pipes open.
    drop((sync_read, status_write, stdout, stderr, result));
    if let Err(e) = map_ids(pid, &slot.setup) {
        let _ = kill(pid, Signal::SIGKILL);
        let _ = waitpid(pid, None);
        return Ok(finished_with_error(e));
    }
    nix::unistd::write(&sync_write, &[1]).map_err(|e| format!("release init: {e}"))?;
    drop(sync_write);
    send(sock, &FromLauncher::Started { pid: pid.as_raw() }, &[]).map_err(|e| e.to_string())?;
    let waited = supervise(sock, pid)?;
    let report = read_report(&status_read);
    let oom_killed = slot.cgroups.oom_kills() > oom_before;
    Ok(match report {
        Some(Report::Ended(status)) => FromLauncher::Finished {
            status: Some(status),
            setup_error: None,
            oom_killed,
        },
        Some(Report::SetupFailed(error)) => finished_with_error(error),
        None => FromLauncher::Finished {
            status: Some(waited),
            setup_error: None,
            oom_killed,
        },
    })
}

fn read_spec(fd: OwnedFd) -> Result<RunSpec, String> {
    let file = File::from(fd);
    let len = file.metadata().map_err(|e| format!("spec: {e}"))?.len() as usize;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, 0)
        .map_err(|e| format!("spec: {e}"))?;
    serde_json::from_slice(&buf).map_err(|e| format!("spec: {e}"))
}

fn spawn_init(ctx: &ChildContext<'_>) -> Result<Pid, String> {
    let flags = CloneFlags::CLONE_NEWUSER
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWUTS;
    let mut stack = vec![0u8; 1024 * 1024];
    let callback = Box::new(|| child::init::main(ctx));
    // SAFETY: the launcher is single-threaded, so the child starts from a
    // consistent copy of the whole process; it never returns into our code
    // (init::main ends with _exit).
    unsafe { nix::sched::clone(callback, &mut stack, flags, Some(libc::SIGCHLD)) }
        .map_err(|e| format!("cannot create namespaces: {e}"))
}

/// Inside uid 0 (used only while building the root) and the program's uid
/// map to two unprivileged outside ids of this slot: nothing inside is
/// ever root on the host.
fn map_ids(pid: Pid, setup: &LauncherSetup) -> Result<(), String> {
    let map = format!(
        "0 {} 1\n{SANDBOX_UID} {} 1\n",
        setup.outer_root_id, setup.outer_user_id
    );
    for file in ["uid_map", "gid_map"] {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, &map).map_err(|e| format!("write {path}: {e}"))?;
    }
    Ok(())
}

/// Waits for init to exit, passing on kill requests. If the server goes
/// away, the run is killed and the launcher ends.
fn supervise(sock: RawFd, pid: Pid) -> Result<ExitStatus, String> {
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

fn wait_exit(pid: Pid) -> ExitStatus {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return ExitStatus::Exited(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return ExitStatus::Signaled(sig as i32),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return ExitStatus::Signaled(libc::SIGKILL),
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
