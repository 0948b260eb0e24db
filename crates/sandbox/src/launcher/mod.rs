//! The launcher: one long-lived process per execution slot, started by the
//! server as `runbox __launcher` with its end of a socket pair on fd 3.
//!
//! At start it enters a private network namespace and its slot's cgroups,
//! and compiles the seccomp filter. Then, for each `Run` request, it
//! `clone`s init into fresh user/PID/mount/IPC/UTS namespaces, maps init's
//! user ids to the slot's unprivileged outside ids, and reports back when
//! the run ended. It is single-threaded, so the cloned child may safely
//! allocate and run ordinary Rust code.
//!
//! - `start`: creating one sandbox (clone, id maps, release);
//! - `warm`: two-step programs, pre-started after each run (see
//!   `RunSpec::payload`);
//! - `supervise`: waiting for a run's end, passing on kill requests.

mod net;
mod start;
mod supervise;
mod warm;

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::FileExt;

use nix::sys::socket::MsgFlags;

use crate::cgroup::SlotCgroups;
use crate::child::{self, init::Report};
use crate::protocol::{recv, send, FromLauncher, LauncherSetup, ToLauncher};
use crate::RunSpec;

use start::{start_sandbox, Outputs, Started};
use warm::Warm;

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
    /// A two-step program started ahead of its run, waiting for a payload.
    warm: Option<Warm>,
    /// The last run's init, which reported but may still be exiting.
    exiting: Option<nix::unistd::Pid>,
}

impl Slot {
    /// Waits for the last run's init to be gone, so a new sandbox never
    /// overlaps an old one in the slot's cgroups.
    fn reap_exiting(&mut self) {
        if let Some(pid) = self.exiting.take() {
            supervise::wait_exit(pid);
        }
    }
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
    let served = serve_runs(&mut slot, fd);
    // The server is gone (or the connection broke): nothing may outlive it.
    if let Some(idle) = slot.warm.take() {
        idle.discard();
    }
    served
}

fn serve_runs(slot: &mut Slot, fd: RawFd) -> Result<(), String> {
    loop {
        match recv::<ToLauncher>(fd, MsgFlags::empty()).map_err(|e| e.to_string())? {
            None => return Ok(()),
            Some((ToLauncher::Run, fds)) => {
                let (finished, template) = run_one(slot, fd, fds)?;
                send(fd, &finished, &[]).map_err(|e| e.to_string())?;
                // Init reported just before exiting: reap it now, while the
                // server handles the reply, so no zombie waits for the
                // slot's next run.
                slot.reap_exiting();
                // Start the next one now too.
                if let Some(template) = template {
                    slot.warm = warm::prestart(slot, &template, fd).ok();
                }
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
        warm: None,
        exiting: None,
    })
}

/// The sandbox a run is in: started for it alone, or a zygote's, which
/// stays after the run.
enum Running {
    Once(Started),
    Zygote(warm::Warm),
}

fn finished_with_error(error: String) -> FromLauncher {
    FromLauncher::Finished {
        status: None,
        setup_error: Some(error),
        oom_killed: false,
        usage: crate::Usage::default(),
    }
}

/// Runs one spec to its end. Errors returned here end the launcher (the
/// server went away); failures of the run itself are reported in the reply.
/// Also returns the spec of a two-step program, to pre-start the next one.
fn run_one(
    slot: &mut Slot,
    sock: RawFd,
    mut fds: Vec<OwnedFd>,
) -> Result<(FromLauncher, Option<RunSpec>), String> {
    if fds.len() < 3 {
        return Ok((
            finished_with_error(format!(
                "expected at least 3 descriptors, got {}",
                fds.len()
            )),
            None,
        ));
    }
    let result = if fds.len() >= 4 { fds.pop() } else { None };
    let stderr = fds.pop().ok_or("missing stderr")?;
    let stdout = fds.pop().ok_or("missing stdout")?;
    let spec_fd = fds.pop().ok_or("missing spec")?;
    let spec = match read_spec(spec_fd) {
        Ok(spec) => spec,
        Err(e) => return Ok((finished_with_error(e), None)),
    };
    let wanted = (spec.limits.memory_mb, spec.limits.pids);
    if wanted != slot.limits {
        // The slot's cgroups are about to change: a program started under
        // the old limits must not run under the new ones.
        if let Some(stale) = slot.warm.take() {
            stale.discard();
        }
        if let Err(e) = slot.cgroups.set_limits(wanted.0, wanted.1) {
            return Ok((finished_with_error(e), None));
        }
        slot.limits = wanted;
    }
    slot.reap_exiting();
    let proxy_listener = match spec.proxy.then(proxy_listener).transpose() {
        Ok(listener) => listener,
        Err(e) => return Ok((finished_with_error(e), None)),
    };
    let oom_before = slot.cgroups.oom_kills();
    let outputs = Outputs {
        stdout: &stdout,
        stderr: &stderr,
        result: result.as_ref(),
    };
    let running = match &spec.payload {
        Some(payload) => warm::run_payload(slot, &spec, payload, &outputs, sock).map(|warm| {
            if spec.zygote {
                Running::Zygote(warm)
            } else {
                Running::Once(warm.started)
            }
        }),
        None => {
            if let Some(idle) = slot.warm.take() {
                // Its memory and processes count against this run's cgroup.
                idle.discard();
            }
            start_sandbox(slot, &spec, &outputs, None, sock).map(Running::Once)
        }
    };
    drop((stdout, stderr, result));
    let running = match running {
        Ok(running) => running,
        Err(e) => return Ok((finished_with_error(e), None)),
    };
    let (started, zygote) = match &running {
        Running::Once(started) => (started, None),
        Running::Zygote(warm) => (&warm.started, Some(&warm.control)),
    };
    let pid = started.pid;
    let handed: Vec<RawFd> = proxy_listener.iter().map(AsRawFd::as_raw_fd).collect();
    send(sock, &FromLauncher::Started { pid: pid.as_raw() }, &handed).map_err(|e| e.to_string())?;
    // The server has its own copy now; when it drops it the port closes.
    drop(proxy_listener);
    let ending = supervise::until_end(sock, pid, &started.status_read, zygote)?;
    let oom_killed = slot.cgroups.oom_kills() > oom_before;
    if let (supervise::Ending::Served(status, usage), Running::Zygote(warm)) = (&ending, running) {
        // The zygote stays for the slot's next run: nothing to pre-start.
        slot.warm = Some(warm);
        let finished = FromLauncher::Finished {
            status: Some(*status),
            setup_error: None,
            oom_killed,
            usage: *usage,
        };
        return Ok((finished, None));
    }
    let finished = match ending {
        supervise::Ending::Reported(report) => {
            slot.exiting = Some(pid);
            match report {
                Report::Ended(status, usage) => FromLauncher::Finished {
                    status: Some(status),
                    setup_error: None,
                    oom_killed,
                    usage,
                },
                Report::SetupFailed(error) => finished_with_error(error),
            }
        }
        supervise::Ending::Exited(status) => FromLauncher::Finished {
            status: Some(status),
            setup_error: None,
            oom_killed,
            usage: crate::Usage::default(),
        },
        supervise::Ending::Served(status, usage) => FromLauncher::Finished {
            status: Some(status),
            setup_error: None,
            oom_killed,
            usage,
        },
    };
    let template = spec.payload.is_some().then_some(spec);
    Ok((finished, template))
}

/// The run's proxy listener, made in this slot's network namespace before
/// the program starts (so the program cannot take the port first).
fn proxy_listener() -> Result<std::net::TcpListener, String> {
    std::net::TcpListener::bind(crate::PROXY_ADDR)
        .map_err(|e| format!("proxy listener on {}: {e}", crate::PROXY_ADDR))
}

fn read_spec(fd: OwnedFd) -> Result<RunSpec, String> {
    let file = File::from(fd);
    let len = file.metadata().map_err(|e| format!("spec: {e}"))?.len() as usize;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, 0)
        .map_err(|e| format!("spec: {e}"))?;
    serde_json::from_slice(&buf).map_err(|e| format!("spec: {e}"))
}
