//! What to run and what came of it. A [`RunSpec`] is plain data: the
//! runners in the engine build one, the launcher turns it into a process.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Captured;

/// Resource limits of one run. Memory and processes are enforced by
/// cgroups where available and by rlimits always.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub memory_mb: u32,
    pub pids: u32,
    /// Size of the writable scratch directory and of `/tmp`, each.
    pub scratch_mb: u32,
    /// Largest file a program may write (RLIMIT_FSIZE).
    pub file_size_mb: u32,
    pub open_files: u32,
    /// CPU seconds (RLIMIT_CPU); the wall-clock timeout is separate.
    pub cpu_secs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_mb: 256,
            pids: 64,
            scratch_mb: 64,
            file_size_mb: 64,
            open_files: 256,
            cpu_secs: 300,
        }
    }
}

/// A file placed, read-only, under [`crate::FILES_DIR`] before the program starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxFile {
    /// File name inside [`crate::FILES_DIR`]; no `/` allowed.
    pub name: String,
    /// Any bytes (a webhook's body may be binary); base64 on the way to
    /// the launcher, whose spec is JSON.
    #[serde(with = "runbox_domain::base64_bytes")]
    pub contents: Vec<u8>,
}

/// A host path shown inside the sandbox at `target`: read-only unless
/// `writable`, never with set-uid bits or device files. The host path may
/// sit where the sandbox's own user could never reach (under runbox's data
/// directory): the launcher opens it with its own rights and hands the
/// mount over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bind {
    pub source: std::path::PathBuf,
    /// Absolute path inside; its first component must be new to the
    /// sandbox's root (not `/usr`, `/tmp`, `/work`, …).
    pub target: String,
    #[serde(default)]
    pub writable: bool,
}

/// Whom the program runs as, outside the sandbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunUser {
    /// The slot's own unprivileged uid: no two concurrent runs share one.
    #[default]
    Slot,
    /// One unprivileged uid shared by every slot, which owns what builders
    /// write through writable [`Bind`]s (package environments and their
    /// cache), whatever slot they ran in.
    Builder,
}

/// One program to run in the sandbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Absolute path of the program, then its arguments.
    pub argv: Vec<String>,
    /// The complete environment; nothing of runbox's own is added.
    pub env: Vec<(String, String)>,
    pub files: Vec<SandboxFile>,
    /// A file of `files` to connect to standard input (else `/dev/null`).
    pub stdin_file: Option<String>,
    pub limits: Limits,
    /// Send stderr into the stdout pipe, so both interleave in arrival order.
    pub combined_output: bool,
    /// Give the program a third pipe (fd 3) for a result the runner reports
    /// apart from the user's own output.
    pub result_channel: bool,
    /// Two-step start. When set, the program starts with `/dev/null` as
    /// output and a control socket on fd [`CONTROL_FD`]; it must receive one
    /// message carrying descriptors `[payload, stdout, stderr, result]`
    /// (payload: a memfd holding this text), put them in place, and then do
    /// its work. Everything else in the spec is a template: a launcher
    /// pre-starts the next program of the same template as soon as a run
    /// ends, so the program's own start-up (an interpreter's, say) is done
    /// before the next request arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Host paths shown inside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<Bind>,
    #[serde(default)]
    pub user: RunUser,
    /// Give the run a proxy listener on [`PROXY_ADDR`] inside its network
    /// namespace, served by [`RunControl::proxy`](crate::RunControl). Not
    /// part of the template: the listener is made per run.
    #[serde(default)]
    pub proxy: bool,
    /// A two-step program that serves run after run: for each payload it
    /// forks, the child runs it, and once the child and everything it left
    /// are gone and the scratch space is empty, it writes `exit N` or
    /// `signal N` on its control socket and waits for the next. Its
    /// sandbox is then kept for the slot's next run of the same template.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub zygote: bool,
}

/// Where a run with [`RunSpec::proxy`] finds its proxy (inside its own
/// network namespace, so every slot uses the same address).
pub const PROXY_ADDR: &str = "127.0.0.1:3128";

/// The variables that send HTTP clients (curl, urllib, requests, pip, uv)
/// through a run's proxy.
pub fn proxy_env() -> Vec<(String, String)> {
    let url = format!("http://{PROXY_ADDR}");
    ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]
        .into_iter()
        .map(|name| (name.to_owned(), url.clone()))
        .collect()
}

/// Where a two-step program finds its control socket.
pub const CONTROL_FD: i32 = 4;

impl RunSpec {
    /// What identifies interchangeable pre-started programs: the spec
    /// without its payload.
    pub fn template_key(&self) -> String {
        let mut template = self.clone();
        template.payload = None;
        template.proxy = false;
        serde_json::to_string(&template).unwrap_or_default()
    }
}

impl Bind {
    /// The rule on targets: absolute, plain components, and a first
    /// component the sandbox's root does not already use.
    pub(crate) fn check_target(&self) -> Result<(), String> {
        const TAKEN: &[&str] = &[
            "usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "dev", "proc", "tmp",
            "work", "runbox", "sys", "root", "home", "var", "run",
        ];
        let path = std::path::Path::new(&self.target);
        let mut components = path.components();
        let plain = path.is_absolute()
            && matches!(components.next(), Some(std::path::Component::RootDir))
            && components
                .clone()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        let first = components
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("");
        if !plain || first.is_empty() || TAKEN.contains(&first) {
            return Err(format!("bind target {:?} is not allowed", self.target));
        }
        Ok(())
    }
}

/// What a run's processes consumed, from the rusage of the process that
/// waited for them (figures a host could not give are `None`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// User and system CPU time of the program and every process it
    /// started that was reaped.
    pub cpu_ms: Option<u64>,
    /// The largest resident set of any one of those processes.
    pub memory_peak_bytes: Option<u64>,
}

impl Usage {
    /// From `RUSAGE_CHILDREN` figures: CPU milliseconds and `ru_maxrss`
    /// (KiB on Linux).
    pub(crate) fn from_rusage(cpu_ms: u64, maxrss_kib: u64) -> Self {
        Usage {
            cpu_ms: Some(cpu_ms),
            memory_peak_bytes: Some(maxrss_kib.saturating_mul(1024)),
        }
    }

    /// `" CPU_MS MAXRSS_KIB"` after a status word, as init and the
    /// zygote write them; absent or unreadable figures are `None`.
    pub(crate) fn parse_figures<'a>(mut words: impl Iterator<Item = &'a str>) -> Self {
        let cpu = words.next().and_then(|w| w.parse().ok());
        let rss = words.next().and_then(|w| w.parse().ok());
        match (cpu, rss) {
            (Some(cpu), Some(rss)) => Usage::from_rusage(cpu, rss),
            _ => Usage::default(),
        }
    }
}

/// How the program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

impl ExitStatus {
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }

    /// The shell's convention: the code, or 128 + signal number.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled(sig) => 128 + sig,
        }
    }
}

/// Everything a finished run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub status: ExitStatus,
    pub stdout: Captured,
    pub stderr: Captured,
    /// What the program wrote on the result channel, when asked for.
    pub result: Option<Captured>,
    pub timed_out: bool,
    pub canceled: bool,
    /// The memory cgroup killed the program for exceeding its limit.
    pub oom_killed: bool,
    pub wall_time: Duration,
    pub usage: Usage,
}
