//! The server side: a pool of execution slots, each served by a launcher
//! process, and [`Sandbox::run`], which hands a spec to a free slot, reads
//! the program's output, and enforces the timeout and cancellation (TERM,
//! a grace period, then KILL of every process of the run).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::socket::{socketpair, AddressFamily, MsgFlags, SockFlag, SockType};
use tokio::io::unix::AsyncFd;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use runbox_domain::metric_names::SANDBOX_START_SECONDS;

use crate::capture::Captured;
use crate::protocol::{recv, send, FromLauncher, FsPlan, LauncherSetup, ToLauncher};
use crate::run_io::{spawn_capture, spec_memfd, RunPipes};
use crate::{cgroup, Limits, RunOutcome, RunSpec, SandboxError};

mod idle;
mod proxy_run;
pub use idle::IdlePolicy;
use proxy_run::ProxyRun;

/// Receives live output as it is read: `(is_stderr, bytes)`.
pub type OutputSink = Arc<dyn Fn(bool, &[u8]) + Send + Sync>;

/// Serves a run's proxy listener (see [`RunSpec::proxy`]) until the token
/// fires, which it does when the run has ended. The sandbox knows nothing
/// of what is spoken on it: the caller brings the proxy.
pub type ProxyService = Box<
    dyn FnOnce(
            tokio::net::TcpListener,
            CancellationToken,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

/// How the caller controls one run.
pub struct RunControl {
    /// Wall-clock limit; the run is killed when it is reached.
    pub timeout: Duration,
    /// Cancelling kills the run the same way a timeout does.
    pub cancel: CancellationToken,
    pub on_output: Option<OutputSink>,
    /// Serves the proxy listener of a spec with `proxy` set.
    pub proxy: Option<ProxyService>,
}

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Runs that may execute at once (one launcher each).
    pub slots: u32,
    /// The program started as a launcher (the runbox binary) and its arguments.
    pub launcher_program: PathBuf,
    pub launcher_args: Vec<OsString>,
    /// Slot `n` maps inside root to `uid_base + 2n` and the program's user
    /// to `uid_base + 2n + 1` (same numbers for groups).
    pub uid_base: u32,
    pub read_only: Vec<PathBuf>,
    pub hidden: Vec<PathBuf>,
    /// Limits a new slot's cgroups start with (runs may ask for others).
    pub default_limits: Limits,
    /// Bytes of stdout and of stderr kept per run.
    pub output_limit: usize,
    /// Between TERM and KILL on timeout or cancel.
    pub kill_grace: Duration,
    /// Which slots stay warm while the pool is idle.
    pub idle: IdlePolicy,
}

impl SandboxConfig {
    /// The host directories programs need: binaries, libraries, and /etc
    /// (whose identity files are replaced inside).
    pub fn default_read_only() -> Vec<PathBuf> {
        [
            "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect()
    }

    /// The outside uid (and gid) of [`crate::RunUser::Builder`] runs: the
    /// first of the two spare ids after the slots' own.
    pub fn builder_uid(&self) -> u32 {
        self.uid_base + 2 * self.slots
    }
}

/// What the launchers reported about enforcement on this host.
#[derive(Clone, Debug, Default)]
pub struct LayerReport {
    pub layers: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    /// Idle slots, least recently used first: a slot whose launcher has had
    /// the most time to pre-start its next program is taken first.
    free: Mutex<VecDeque<Slot>>,
    available: Semaphore,
    cgroup_prefix: String,
    report: Mutex<Option<LayerReport>>,
}

struct Slot {
    index: u32,
    launcher: Option<Launcher>,
    /// The template of the two-step program its launcher pre-started.
    warm: Option<String>,
    /// When its last run ended: the launcher pre-starts the next program
    /// then, so for a moment the slot is free but still busy warming.
    released: Option<std::time::Instant>,
    /// When it was last handed out or put back (idle trimming).
    used: Instant,
}

/// How long a launcher takes, at most and usually far less, to pre-start
/// the next interpreter after a run.
const WARMING: Duration = Duration::from_millis(25);

struct Launcher {
    process: tokio::process::Child,
    sock: AsyncFd<OwnedFd>,
}

const CGROUP_PREFIX: &str = "runbox-";

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        cgroup::sweep_stale(CGROUP_PREFIX);
        let slots = (0..config.slots)
            .rev()
            .map(|index| Slot {
                index,
                launcher: None,
                warm: None,
                released: None,
                used: Instant::now(),
            })
            .collect();
        let inner = Inner {
            available: Semaphore::new(config.slots as usize),
            free: Mutex::new(slots),
            cgroup_prefix: format!("{CGROUP_PREFIX}{}-", std::process::id()),
            report: Mutex::new(None),
            config,
        };
        let inner = Arc::new(inner);
        idle::spawn_trimmer(Arc::downgrade(&inner), inner.config.idle.clone());
        Self { inner }
    }

    /// What the first launcher reported (None until one has started).
    pub fn layer_report(&self) -> Option<LayerReport> {
        self.inner.report.lock().ok().and_then(|r| r.clone())
    }

    /// Starts one launcher now, so set-up problems show at start-up rather
    /// than on the first run.
    pub async fn warm_up(&self) -> Result<LayerReport, SandboxError> {
        let _permit = self.inner.available.acquire().await.map_err(|_| closed())?;
        let mut slot = self.take_slot(None)?;
        let result = match &slot.launcher {
            Some(_) => Ok(()),
            None => self
                .inner
                .spawn_launcher(slot.index)
                .await
                .map(|l| slot.launcher = Some(l)),
        };
        self.put_slot(slot);
        result?;
        Ok(self.layer_report().unwrap_or_default())
    }

    /// Runs `spec` in a free slot (waiting for one) and returns what it did.
    pub async fn run(
        &self,
        spec: RunSpec,
        control: RunControl,
    ) -> Result<RunOutcome, SandboxError> {
        let _permit = self.inner.available.acquire().await.map_err(|_| closed())?;
        let template = spec.payload.is_some().then(|| spec.template_key());
        let zygote = spec.zygote;
        let mut slot = self.take_slot(template.as_deref())?;
        slot.warm = None;
        let result = self.inner.run_in_slot(&mut slot, spec, control).await;
        if result.is_ok() {
            // The launcher pre-starts the next program of a two-step
            // template (a zygote is ready at once, unless the run ended it).
            slot.warm = template;
            slot.released = (!zygote).then(std::time::Instant::now);
        }
        if matches!(
            result,
            Err(SandboxError::Launcher(_)) | Err(SandboxError::Io(_))
        ) {
            // A launcher that misbehaved is replaced on the slot's next use.
            slot.launcher = None;
        }
        self.put_slot(slot);
        result
    }

    /// Stops every launcher (killing any run) and removes the slot cgroups.
    pub async fn shutdown(&self) {
        self.inner.available.close();
        let slots: Vec<Slot> = self
            .inner
            .free
            .lock()
            .map(|mut s| s.drain(..).collect())
            .unwrap_or_default();
        let mut processes = Vec::new();
        for slot in slots {
            if let Some(mut launcher) = slot.launcher {
                let _ = launcher.process.start_kill();
                processes.push(launcher.process);
            }
        }
        for mut process in processes {
            let _ = tokio::time::timeout(Duration::from_secs(2), process.wait()).await;
        }
        let prefix = self.inner.cgroup_prefix.clone();
        let _ = tokio::task::spawn_blocking(move || cgroup::remove_own(&prefix)).await;
    }

    /// The least recently used free slot, unless one has a program of
    /// `template` pre-started: then that one (the oldest such), so that runs
    /// with their own template (a package environment, say) stay warm too.
    /// A slot released moments ago may still be pre-starting: rather than
    /// queue behind it, the run starts in the least recently used slot,
    /// which then stays warm for the template too (so a template used
    /// back to back ends up warm in two slots, taken in turn). Runs with
    /// no template prefer slots with nothing warm.
    fn take_slot(&self, template: Option<&str>) -> Result<Slot, SandboxError> {
        self.inner
            .free
            .lock()
            .ok()
            .and_then(|mut free| {
                let warm_for =
                    |slot: &Slot| template.is_some_and(|key| slot.warm.as_deref() == Some(key));
                let settled = |slot: &Slot| slot.released.is_none_or(|t| t.elapsed() >= WARMING);
                let ready = free.iter().position(|s| warm_for(s) && settled(s));
                let warming = free.iter().position(warm_for);
                // A run of no template (a shell command) would discard a
                // warm interpreter: it takes a slot without one if any.
                let cold = template
                    .is_none()
                    .then(|| free.iter().position(|s| s.warm.is_none()))
                    .flatten();
                match (ready, warming, cold) {
                    (Some(index), _, _) => free.remove(index),
                    (None, Some(index), _) if free.len() == 1 => free.remove(index),
                    (None, _, Some(index)) => free.remove(index),
                    _ => free.pop_front(),
                }
            })
            .ok_or_else(|| SandboxError::Launcher("no free slot despite a permit".to_owned()))
    }

    fn put_slot(&self, mut slot: Slot) {
        slot.used = Instant::now();
        if let Ok(mut free) = self.inner.free.lock() {
            free.push_back(slot);
        }
    }
}

/// The launcher's `argv[0]`, all a run can learn of the program behind it.
const LAUNCHER_NAME: &str = "runbox-sandbox";

fn closed() -> SandboxError {
    SandboxError::Launcher("sandbox is shutting down".to_owned())
}

fn launcher_gone() -> SandboxError {
    SandboxError::Launcher("launcher closed its connection".to_owned())
}

impl Inner {
    async fn spawn_launcher(&self, index: u32) -> Result<Launcher, SandboxError> {
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        let mut cmd = tokio::process::Command::new(&self.config.launcher_program);
        // Inits are clones of the launcher and show its command line as
        // their own (`/proc/1/cmdline` inside a run): not the host's path.
        cmd.arg0(LAUNCHER_NAME)
            .args(&self.config.launcher_args)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let theirs_raw = theirs.as_raw_fd();
        // SAFETY: only async-signal-safe calls (dup2, fcntl) between fork and exec.
        unsafe {
            cmd.pre_exec(move || place_socket(theirs_raw));
        }
        let process = cmd
            .spawn()
            .map_err(|e| SandboxError::Setup(format!("cannot start launcher: {e}")))?;
        drop(theirs);
        set_nonblocking(ours.as_raw_fd())?;
        // SAFETY: `ours` is an open OwnedFd that the AsyncFd owns (and
        // never swaps) until it is dropped.
        let sock = unsafe { AsyncFd::register(ours) }.map_err(|e| SandboxError::Io(e.into()))?;
        let launcher = Launcher { process, sock };
        let setup = LauncherSetup {
            slot: index,
            outer_root_id: self.config.uid_base + 2 * index,
            outer_user_id: self.config.uid_base + 2 * index + 1,
            outer_builder_id: self.config.builder_uid(),
            cgroup_name: format!("{}slot{index}", self.cgroup_prefix),
            fs: FsPlan {
                read_only: self.config.read_only.clone(),
                hidden: self.config.hidden.clone(),
            },
            memory_mb: self.config.default_limits.memory_mb,
            pids: self.config.default_limits.pids,
        };
        launcher.send(&ToLauncher::Setup(setup), &[]).await?;
        let reply = tokio::time::timeout(Duration::from_secs(20), launcher.recv())
            .await
            .map_err(|_| SandboxError::Setup("launcher did not answer within 20 s".to_owned()))??
            .map(|(message, _)| message);
        match reply {
            Some(FromLauncher::Ready { layers, warnings }) => {
                if let Ok(mut report) = self.report.lock() {
                    if report.is_none() {
                        for warning in &warnings {
                            tracing::warn!(slot = index, "sandbox: {warning}");
                        }
                        tracing::info!(layers = ?layers, "sandbox launcher ready");
                    }
                    *report = Some(LayerReport { layers, warnings });
                }
                Ok(launcher)
            }
            Some(FromLauncher::SetupFailed { error }) => Err(SandboxError::Setup(error)),
            Some(other) => Err(SandboxError::Launcher(format!(
                "unexpected reply {other:?}"
            ))),
            None => Err(SandboxError::Setup(
                "launcher exited during set-up (is runbox running as root?)".to_owned(),
            )),
        }
    }

    async fn run_in_slot(
        &self,
        slot: &mut Slot,
        spec: RunSpec,
        control: RunControl,
    ) -> Result<RunOutcome, SandboxError> {
        let launcher = match slot.launcher.take() {
            Some(l) => l,
            None => self.spawn_launcher(slot.index).await?,
        };
        let outcome = self.run_with(&launcher, spec, control).await;
        slot.launcher = Some(launcher);
        outcome
    }

    async fn run_with(
        &self,
        launcher: &Launcher,
        spec: RunSpec,
        mut control: RunControl,
    ) -> Result<RunOutcome, SandboxError> {
        let started = Instant::now();
        let proxy = control.proxy.take().filter(|_| spec.proxy);
        let pipes = RunPipes::new(&spec)?;
        let spec_fd = spec_memfd(&spec)?;
        let mut fds: Vec<RawFd> = vec![
            spec_fd.as_raw_fd(),
            pipes.stdout_w.as_raw_fd(),
            pipes.stderr_w.as_raw_fd(),
        ];
        if let Some(result_w) = &pipes.result_w {
            fds.push(result_w.as_raw_fd());
        }
        launcher.send(&ToLauncher::Run, &fds).await?;
        drop(spec_fd);
        let readers = pipes.into_readers()?;
        let limit = self.config.output_limit;
        let sink = control.on_output.clone();
        let stdout = spawn_capture(readers.stdout, limit, sink.clone(), false);
        let stderr = readers.stderr.map(|r| spawn_capture(r, limit, sink, true));
        let result = readers.result.map(|r| spawn_capture(r, limit, None, false));
        let mut proxy = ProxyRun::new(proxy);
        let ended = self
            .supervise(launcher, &control, &mut proxy, started)
            .await;
        proxy.stop().await;
        // Every process of the run is gone now, so the pipes reach EOF
        // promptly; the bound only guards against the unforeseen.
        let collect = |h: tokio::task::JoinHandle<Captured>| async move {
            tokio::time::timeout(Duration::from_secs(5), h)
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or_default()
        };
        let stdout = collect(stdout).await;
        let stderr = match stderr {
            Some(h) => collect(h).await,
            None => Captured::default(),
        };
        let result = match result {
            Some(h) => Some(collect(h).await),
            None => None,
        };
        let ended = ended?;
        match ended.finished {
            FromLauncher::Finished {
                setup_error: Some(error),
                ..
            } => Err(SandboxError::Setup(error)),
            FromLauncher::Finished {
                status: Some(status),
                oom_killed,
                usage,
                ..
            } => Ok(RunOutcome {
                status,
                stdout,
                stderr,
                result,
                timed_out: ended.reason == Some(KillReason::Timeout),
                canceled: ended.reason == Some(KillReason::Cancel),
                oom_killed,
                wall_time: started.elapsed(),
                usage,
            }),
            other => Err(SandboxError::Launcher(format!(
                "unexpected reply {other:?}"
            ))),
        }
    }

    /// Waits for the run to end, killing it on timeout or cancel.
    async fn supervise(
        &self,
        launcher: &Launcher,
        control: &RunControl,
        proxy: &mut ProxyRun,
        asked: Instant,
    ) -> Result<Ended, SandboxError> {
        let deadline = tokio::time::Instant::now() + control.timeout;
        let mut reason: Option<KillReason> = None;
        let mut hard_kill_at: Option<tokio::time::Instant> = None;
        loop {
            let kill_due = hard_kill_at
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400));
            tokio::select! {
                msg = launcher.recv() => match msg? {
                    Some((finished @ FromLauncher::Finished { .. }, _)) => return Ok(Ended { finished, reason }),
                    Some((FromLauncher::Started { .. }, fds)) => {
                        metrics::histogram!(SANDBOX_START_SECONDS).record(asked.elapsed().as_secs_f64());
                        proxy.start(fds);
                    }
                    Some(_) => continue,
                    None => return Err(launcher_gone()),
                },
                _ = tokio::time::sleep_until(deadline), if reason.is_none() => {
                    reason = Some(KillReason::Timeout);
                    launcher.send(&ToLauncher::Kill { signal: libc::SIGTERM }, &[]).await?;
                    hard_kill_at = Some(tokio::time::Instant::now() + self.config.kill_grace);
                }
                _ = control.cancel.cancelled(), if reason.is_none() => {
                    reason = Some(KillReason::Cancel);
                    launcher.send(&ToLauncher::Kill { signal: libc::SIGTERM }, &[]).await?;
                    hard_kill_at = Some(tokio::time::Instant::now() + self.config.kill_grace);
                }
                _ = tokio::time::sleep_until(kill_due), if hard_kill_at.is_some() => {
                    hard_kill_at = None;
                    launcher.send(&ToLauncher::Kill { signal: libc::SIGKILL }, &[]).await?;
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KillReason {
    Timeout,
    Cancel,
}

struct Ended {
    finished: FromLauncher,
    reason: Option<KillReason>,
}

impl Launcher {
    /// Closes the control socket, which ends the launcher (and with it its
    /// sandbox), and reaps it; killed if it has not gone within a second.
    async fn stop(self) {
        let Launcher { mut process, sock } = self;
        drop(sock);
        if tokio::time::timeout(Duration::from_secs(1), process.wait())
            .await
            .is_err()
        {
            let _ = process.kill().await;
        }
    }

    async fn send(&self, msg: &ToLauncher, fds: &[RawFd]) -> Result<(), SandboxError> {
        loop {
            let mut guard = self.sock.writable().await?;
            match guard.try_io(|sock| send(sock.as_raw_fd(), msg, fds)) {
                Ok(result) => {
                    return result.map_err(|e| SandboxError::Launcher(format!("send: {e}")))
                }
                Err(_would_block) => continue,
            }
        }
    }

    async fn recv(&self) -> Result<Option<(FromLauncher, Vec<OwnedFd>)>, SandboxError> {
        loop {
            let mut guard = self.sock.readable().await?;
            match guard
                .try_io(|sock| recv::<FromLauncher>(sock.as_raw_fd(), MsgFlags::MSG_DONTWAIT))
            {
                Ok(Ok(msg)) => return Ok(msg),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
                Ok(Err(e)) => return Err(SandboxError::Launcher(format!("receive: {e}"))),
                Err(_would_block) => continue,
            }
        }
    }
}

fn place_socket(fd: RawFd) -> std::io::Result<()> {
    let target = crate::launcher::SOCKET_FD;
    // SAFETY: dup2/fcntl are async-signal-safe and only touch descriptors.
    unsafe {
        if fd == target {
            if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
        } else if libc::dup2(fd, target) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn set_nonblocking(fd: RawFd) -> Result<(), SandboxError> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}
