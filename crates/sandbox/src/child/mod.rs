//! Code that runs inside a new sandbox, after the launcher's `clone`: the
//! namespace's init process ([`init`]), the root it builds ([`mounts`]) and
//! the hardening of the program before `exec` ([`target`], [`seccomp`],
//! [`landlock`]).
//!
//! This code runs in a forked copy of the single-threaded launcher, so it may
//! allocate; it reports every failure to the launcher as text rather than
//! continuing with a weaker sandbox.

pub(crate) mod init;
mod landlock;
mod mounts;
pub(crate) mod seccomp;
mod target;

use std::os::fd::OwnedFd;

use crate::protocol::FsPlan;
use crate::RunSpec;

/// Everything the child needs, prepared by the launcher before `clone`.
pub(crate) struct ChildContext<'a> {
    pub spec: &'a RunSpec,
    pub fs: &'a FsPlan,
    pub seccomp: &'a seccompiler::BpfProgram,
    pub seccomp_clone3: &'a seccompiler::BpfProgram,
    /// The launcher writes one byte here once uid/gid maps are in place.
    pub sync_read: &'a OwnedFd,
    /// Where init reports how the run ended (see [`init::Report`]).
    pub status_write: &'a OwnedFd,
    pub stdout: &'a OwnedFd,
    pub stderr: &'a OwnedFd,
    pub result: Option<&'a OwnedFd>,
    /// The control socket of a two-step program (see `RunSpec::payload`).
    pub control: Option<&'a OwnedFd>,
    /// The launcher's control socket: init must not keep a copy open, or the
    /// server would not notice the launcher dying.
    pub launcher_socket: std::os::fd::RawFd,
    /// The launcher's end of a two-step program's control socket: init must
    /// not keep a copy either, or a waiting program would never see the
    /// launcher go away and would outlive it.
    pub control_peer: Option<std::os::fd::RawFd>,
    /// No memory cgroup: cap the address space with an rlimit instead.
    pub limit_address_space: bool,
    /// Host paths to attach in the new root.
    pub binds: &'a [crate::binds::DetachedBind],
}
