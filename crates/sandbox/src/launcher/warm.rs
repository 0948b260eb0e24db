//! Two-step programs (see `RunSpec::payload`): a sandbox started ahead of
//! its run, with `/dev/null` as output and a control socket, then handed
//! its payload and real output pipes when the run arrives. After each such
//! run the launcher pre-starts the next one from the same template, so a
//! warm slot answers with the program's start-up already done.
//!
//! A warm sandbox is as fresh as a cold one: new namespaces, root, scratch
//! space and process, used for exactly one run. It only started earlier.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::sys::signal::{kill, Signal};
use nix::sys::socket::{
    sendmsg, socketpair, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, UnixAddr,
};

use super::start::{start_sandbox, Outputs, Started};
use super::supervise::wait_exit;
use super::Slot;
use crate::RunSpec;

pub(super) struct Warm {
    key: String,
    pub started: Started,
    /// Our end of the control socket.
    pub control: OwnedFd,
}

impl Warm {
    /// Kills the idle sandbox and reaps it.
    pub fn discard(self) {
        let _ = kill(self.started.pid, Signal::SIGKILL);
        wait_exit(self.started.pid);
    }
}

/// Starts a two-step program with no payload yet.
pub(super) fn prestart(slot: &Slot, spec: &RunSpec, sock: RawFd) -> Result<Warm, String> {
    let null = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .map(OwnedFd::from)
            .map_err(|e| format!("/dev/null: {e}"))
    };
    let (stdout, stderr, result) = (null()?, null()?, null()?);
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| format!("socketpair: {e}"))?;
    let outputs = Outputs {
        stdout: &stdout,
        stderr: &stderr,
        result: Some(&result),
    };
    let started = start_sandbox(
        slot,
        spec,
        &outputs,
        Some((&theirs, ours.as_raw_fd())),
        sock,
    )?;
    Ok(Warm {
        key: spec.template_key(),
        started,
        control: ours,
    })
}

/// Runs a two-step spec: in the warm sandbox if it matches, else in one
/// started now. Either way the program then gets its payload and outputs;
/// the sandbox that got them is returned.
pub(super) fn run_payload(
    slot: &mut Slot,
    spec: &RunSpec,
    payload: &str,
    outputs: &Outputs<'_>,
    sock: RawFd,
) -> Result<Warm, String> {
    let key = spec.template_key();
    if let Some(warm) = slot.warm.take() {
        if warm.key == key {
            match deliver(&warm.control, payload, outputs) {
                Ok(()) => return Ok(warm),
                // It died while idle: start a fresh one below.
                Err(_) => warm.discard(),
            }
        } else {
            warm.discard();
        }
    }
    let cold = prestart(slot, spec, sock)?;
    match deliver(&cold.control, payload, outputs) {
        Ok(()) => Ok(cold),
        Err(e) => {
            cold.discard();
            Err(e)
        }
    }
}

/// Sends `[payload memfd, stdout, stderr, result]` over the control socket.
fn deliver(control: &OwnedFd, payload: &str, outputs: &Outputs<'_>) -> Result<(), String> {
    use std::io::Write;
    let memfd = nix::sys::memfd::memfd_create(
        c"runbox-payload",
        nix::sys::memfd::MemFdCreateFlag::MFD_CLOEXEC,
    )
    .map_err(|e| format!("memfd: {e}"))?;
    let mut file = std::fs::File::from(memfd);
    file.write_all(payload.as_bytes())
        .map_err(|e| format!("payload: {e}"))?;
    let result = outputs
        .result
        .ok_or("a two-step program needs a result channel")?;
    let fds = [
        file.as_raw_fd(),
        outputs.stdout.as_raw_fd(),
        outputs.stderr.as_raw_fd(),
        result.as_raw_fd(),
    ];
    let iov = [IoSlice::new(b"run")];
    sendmsg::<UnixAddr>(
        control.as_raw_fd(),
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )
    .map_err(|e| format!("deliver payload: {e}"))?;
    Ok(())
}
