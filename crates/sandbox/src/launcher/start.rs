//! Creating one sandbox: `clone` init into fresh namespaces, map its user
//! ids, and release it to build its root and start the program.

use std::os::fd::{OwnedFd, RawFd};

use nix::sched::CloneFlags;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

use super::Slot;
use crate::child::{self, ChildContext};
use crate::protocol::LauncherSetup;
use crate::{RunSpec, RunUser, SANDBOX_UID};

use crate::binds::{detach_binds, DetachedBind};

/// Where the program's output goes.
pub(super) struct Outputs<'a> {
    pub stdout: &'a OwnedFd,
    pub stderr: &'a OwnedFd,
    pub result: Option<&'a OwnedFd>,
}

/// A released sandbox: its init's pid and where init reports the end.
pub(super) struct Started {
    pub pid: Pid,
    pub status_read: OwnedFd,
}

pub(super) fn start_sandbox(
    slot: &Slot,
    spec: &RunSpec,
    outputs: &Outputs<'_>,
    control: Option<(&OwnedFd, RawFd)>,
    sock: RawFd,
) -> Result<Started, String> {
    let pipe =
        || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"));
    let (sync_read, sync_write) = pipe()?;
    let (status_read, status_write) = pipe()?;
    let binds: Vec<DetachedBind> = detach_binds(&spec.binds)?;
    let ctx = ChildContext {
        spec,
        fs: &slot.setup.fs,
        seccomp: &slot.seccomp,
        seccomp_clone3: &slot.seccomp_clone3,
        sync_read: &sync_read,
        status_write: &status_write,
        stdout: outputs.stdout,
        stderr: outputs.stderr,
        result: outputs.result,
        control: control.map(|(theirs, _)| theirs),
        launcher_socket: sock,
        control_peer: control.map(|(_, ours)| ours),
        limit_address_space: !slot.cgroups.has_memory(),
        binds: &binds,
    };
    let pid = spawn_init(&ctx)?;
    // The child holds its own copies; ours would keep the pipes open.
    drop((sync_read, status_write, binds));
    if let Err(e) = map_ids(pid, &slot.setup, spec.user) {
        let _ = kill(pid, Signal::SIGKILL);
        let _ = waitpid(pid, None);
        return Err(e);
    }
    nix::unistd::write(&sync_write, &[1]).map_err(|e| format!("release init: {e}"))?;
    Ok(Started { pid, status_read })
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
fn map_ids(pid: Pid, setup: &LauncherSetup, user: RunUser) -> Result<(), String> {
    let outer_user = match user {
        RunUser::Slot => setup.outer_user_id,
        RunUser::Builder => setup.outer_builder_id,
    };
    let map = format!(
        "0 {} 1\n{SANDBOX_UID} {outer_user} 1\n",
        setup.outer_root_id
    );
    for file in ["uid_map", "gid_map"] {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, &map).map_err(|e| format!("write {path}: {e}"))?;
    }
    Ok(())
}
