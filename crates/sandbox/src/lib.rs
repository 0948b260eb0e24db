//! The sandbox: the only code in runbox that creates processes.
//!
//! A [`RunSpec`] (program, environment, files, limits — policy as data) is
//! turned into a process that has its own user, PID, mount, IPC, UTS and
//! network namespaces, runs as an unprivileged user with no capabilities and
//! `no_new_privs`, under a seccomp filter and Landlock rules, sees a private
//! root made of read-only system directories plus size-limited scratch space,
//! and is held by rlimits and (where the host has them) cgroups.
//!
//! Process tree, per execution slot:
//!
//! ```text
//! runbox serve ──socket──▶ launcher (one per slot: own network namespace, slot cgroups)
//!                              └─ init   (pid 1 of a fresh PID namespace: builds the root, reaps)
//!                                   └─ target (hardened, then exec'd: python3, /bin/sh, …)
//! ```
//!
//! Launchers are long-lived, so a run costs one `clone` and one `exec` and
//! never a cgroup migration. When a target exits, init exits and the kernel
//! kills whatever is left in its PID namespace: nothing outlives its run.
//! If any layer cannot be set up the run fails with
//! [`SandboxError::Setup`]; nothing ever runs unsandboxed.

mod binds;
mod capture;
mod cgroup;
mod child;
mod error;
pub mod launcher;
mod pool;
mod protocol;
mod run_io;
mod spec;

pub use capture::Captured;
pub use error::SandboxError;
pub use pool::{IdlePolicy, OutputSink, ProxyService, RunControl, Sandbox, SandboxConfig};
pub use spec::{
    proxy_env, Bind, ExitStatus, Limits, RunOutcome, RunSpec, RunUser, SandboxFile, Usage,
    CONTROL_FD, PROXY_ADDR,
};

/// The inside user id of sandboxed programs (mapped to an unprivileged
/// outside uid per slot). Shown as `runbox` in the sandbox's `/etc/passwd`.
pub const SANDBOX_UID: u32 = 1000;
/// Working directory and `HOME` of sandboxed programs: size-limited scratch.
pub const WORK_DIR: &str = "/work";
/// Read-only directory holding the files a [`RunSpec`] ships in.
pub const FILES_DIR: &str = "/runbox";
