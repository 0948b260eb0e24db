//! The installer as a sandboxed run. It sees the system's programs, the
//! directory being filled (`/target`, writable), the download cache
//! (`/cache`, writable), a local `find_links` directory (`/find-links`,
//! read-only) and, for uv, its binary (`/tools/uv`); nothing else of
//! runbox's data. It runs as the sandbox's builder user, and reaches the
//! package index only through runbox's proxy, which lets through the
//! index's hosts and nothing else (no network at all with `no_index`).
//! Source distributions are refused unless `allow_sdist`, so no package's
//! build code runs by default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use runbox_config::{InstallerChoice, PackageSettings};
use runbox_sandbox::{Bind, Limits, RunSpec, RunUser, SandboxFile};

/// Which program installs, and where it is on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Installer {
    Uv(PathBuf),
    /// `python3 -m pip` of the sandbox's interpreter.
    Pip,
}

impl Installer {
    pub fn name(&self) -> &'static str {
        match self {
            Installer::Uv(_) => "uv",
            Installer::Pip => "pip",
        }
    }
}

/// The installer to use, or why there is none. `pip_available` tells
/// whether the sandbox's Python has pip (found by the caller).
pub(crate) fn choose(
    settings: &PackageSettings,
    search_path: Option<&std::ffi::OsStr>,
    pip_available: bool,
) -> Result<Installer, String> {
    let uv = settings
        .uv
        .clone()
        .filter(|path| is_binary(path))
        .or_else(|| find_uv(search_path));
    match (settings.installer, uv) {
        (InstallerChoice::Uv | InstallerChoice::Auto, Some(uv)) => Ok(Installer::Uv(uv)),
        (InstallerChoice::Uv, None) => Err(
            "packages.installer is \"uv\" but no uv binary was found (set packages.uv or put uv on PATH)"
                .to_owned(),
        ),
        (InstallerChoice::Pip | InstallerChoice::Auto, _) if pip_available => Ok(Installer::Pip),
        (InstallerChoice::Pip, _) => {
            Err("packages.installer is \"pip\" but the sandbox's Python has no pip module".to_owned())
        }
        (InstallerChoice::Auto, None) => Err(
            "no installer: uv was not found (on PATH or in packages.uv) and the sandbox's Python has no pip module; install one of them (pip install uv)"
                .to_owned(),
        ),
    }
}

/// An executable ELF file: a shim script (pyenv's, say) would need the
/// host's environment to work and does not run inside the sandbox.
fn is_binary(path: &Path) -> bool {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let executable =
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    let mut magic = [0u8; 4];
    executable
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
        && magic == *b"\x7fELF"
}

fn find_uv(search_path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(search_path?)
        .map(|dir| dir.join("uv"))
        .find(|candidate| is_binary(candidate))
        .and_then(|found| std::fs::canonicalize(found).ok())
}

const TARGET: &str = "/target";
const CACHE: &str = "/cache";
const FIND_LINKS: &str = "/find-links";
const UV: &str = "/tools/uv";

/// What one installation needs besides the spec: the hosts its proxy
/// lets through (`host`, port).
pub(crate) struct InstallRun {
    pub spec: RunSpec,
    pub index_hosts: Arc<Vec<(String, u16)>>,
}

pub(crate) struct InstallRequest<'a> {
    pub installer: &'a Installer,
    pub settings: &'a PackageSettings,
    pub python: &'a str,
    pub requirements: &'a [String],
    pub site: &'a Path,
    pub cache: &'a Path,
    pub limits: &'a Limits,
}

pub(crate) fn install_run(request: &InstallRequest<'_>) -> InstallRun {
    let settings = request.settings;
    let mut binds = vec![
        Bind {
            source: request.site.to_owned(),
            target: TARGET.into(),
            writable: true,
        },
        Bind {
            source: request.cache.to_owned(),
            target: CACHE.into(),
            writable: true,
        },
    ];
    // A missing local directory (a stale PIP_FIND_LINKS, say) is skipped:
    // there is nothing in it to find.
    let find_links = settings
        .find_links
        .as_ref()
        .filter(|links| !links.starts_with('/') || Path::new(links).is_dir())
        .map(|links| {
            if links.starts_with('/') {
                binds.push(Bind {
                    source: links.into(),
                    target: FIND_LINKS.into(),
                    writable: false,
                });
                FIND_LINKS.to_owned()
            } else {
                links.clone()
            }
        });
    let mut hosts = Vec::new();
    if !settings.no_index {
        hosts.extend(url_host(&settings.index_url));
        // PyPI serves its files from another host.
        if hosts.iter().any(|(host, _)| host == "pypi.org") {
            hosts.push(("files.pythonhosted.org".to_owned(), 443));
        }
    }
    if let Some(links) = &find_links {
        hosts.extend(url_host(links));
    }
    let mut argv: Vec<String> = match request.installer {
        Installer::Uv(path) => {
            binds.push(Bind {
                source: path.clone(),
                target: UV.into(),
                writable: false,
            });
            let mut argv: Vec<String> = [
                UV,
                "pip",
                "install",
                "--target",
                TARGET,
                "--python",
                request.python,
                "--cache-dir",
                "/cache/uv",
                "--no-config",
                "--system-certs",
                "--no-progress",
                "--color",
                "never",
                "--link-mode",
                "copy",
                "--compile-bytecode",
            ]
            .map(str::to_owned)
            .to_vec();
            if !settings.allow_sdist {
                argv.push("--no-build".into());
            }
            if settings.no_index {
                argv.push("--no-index".into());
            } else {
                argv.extend(["--default-index".into(), settings.index_url.clone()]);
            }
            argv
        }
        Installer::Pip => {
            let mut argv: Vec<String> = [
                request.python,
                "-I",
                "-m",
                "pip",
                "install",
                "--isolated",
                "--target",
                TARGET,
                "--cache-dir",
                "/cache/pip",
                "--no-input",
                "--disable-pip-version-check",
                "--no-color",
                "--progress-bar",
                "off",
                "--no-warn-script-location",
            ]
            .map(str::to_owned)
            .to_vec();
            if !settings.allow_sdist {
                argv.extend(["--only-binary".into(), ":all:".into()]);
            }
            if settings.no_index {
                argv.push("--no-index".into());
            } else {
                argv.extend(["--index-url".into(), settings.index_url.clone()]);
            }
            argv
        }
    };
    if let Some(links) = find_links {
        argv.extend(["--find-links".into(), links]);
    }
    argv.extend([
        "-r".into(),
        format!("{}/requirements.txt", runbox_sandbox::FILES_DIR),
    ]);
    let proxy = !hosts.is_empty();
    let mut env = vec![
        ("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ("HOME".to_owned(), runbox_sandbox::WORK_DIR.to_owned()),
        ("LANG".to_owned(), "C.UTF-8".to_owned()),
        ("UV_PYTHON_DOWNLOADS".to_owned(), "never".to_owned()),
        // The system's certificate store, as pip uses it (named both ways:
        // uv renamed the variable, and ignores one it does not know).
        ("UV_SYSTEM_CERTS".to_owned(), "1".to_owned()),
        ("UV_NATIVE_TLS".to_owned(), "1".to_owned()),
    ];
    if proxy {
        env.extend(runbox_sandbox::proxy_env());
    }
    let limits = Limits {
        memory_mb: request.limits.memory_mb.max(1024),
        pids: request.limits.pids.max(256),
        scratch_mb: 1024,
        file_size_mb: 1024,
        open_files: request.limits.open_files.max(1024),
        cpu_secs: u32::try_from(settings.install_timeout.as_secs()).unwrap_or(u32::MAX),
    };
    InstallRun {
        spec: RunSpec {
            argv,
            env,
            files: vec![SandboxFile {
                name: "requirements.txt".into(),
                contents: (request.requirements.join("\n") + "\n").into_bytes(),
            }],
            limits,
            binds,
            user: RunUser::Builder,
            proxy,
            ..RunSpec::default()
        },
        index_hosts: Arc::new(hosts),
    }
}

/// `(host, port)` of an http(s) URL.
fn url_host(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => default_port,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

/// The installer's reason, from its stderr: the `error:` / `ERROR:` lines
/// and what follows them, without progress noise, on at most a few lines.
pub(crate) fn failure_reason(stderr: &str, stdout: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    let mut in_error = false;
    for line in stderr.lines().chain(stdout.lines()) {
        let trimmed = line.trim();
        if let Some(rest) = trimmed
            .strip_prefix("error:")
            .or_else(|| trimmed.strip_prefix("ERROR:"))
        {
            in_error = true;
            lines.push(rest.trim());
        } else if in_error && !trimmed.is_empty() && line.starts_with(' ') {
            lines.push(trimmed);
        } else {
            in_error = false;
        }
    }
    if lines.is_empty() {
        lines = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("Using "))
            .collect();
        let skip = lines.len().saturating_sub(5);
        lines.drain(..skip);
    }
    let text = lines.join(" ");
    let text: String = text.chars().take(2000).collect();
    if text.is_empty() {
        "the installer failed without saying why".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://pypi.org/simple"),
            Some(("pypi.org".into(), 443))
        );
        assert_eq!(
            url_host("http://127.0.0.1:8123/simple/"),
            Some(("127.0.0.1".into(), 8123))
        );
        assert_eq!(
            url_host("http://user:pw@Mirror.example:81"),
            Some(("mirror.example".into(), 81))
        );
        assert_eq!(url_host("http://[::1]:9/x"), Some(("::1".into(), 9)));
        assert_eq!(url_host("/opt/wheels"), None);
    }

    #[test]
    fn reasons_keep_the_error_lines() {
        let uv = "Using CPython 3.11.2 interpreter at: /usr/bin/python3\nerror: No solution found when resolving dependencies:\n  cause: Because only six==1.16.0 is available and you require six>2, we can conclude that your requirements are unsatisfiable.\n";
        assert_eq!(
            failure_reason(uv, ""),
            "No solution found when resolving dependencies: cause: Because only six==1.16.0 is available and you require six>2, we can conclude that your requirements are unsatisfiable."
        );
        let pip = "ERROR: Could not find a version that satisfies the requirement nope (from versions: none)\nERROR: No matching distribution found for nope\n";
        assert!(failure_reason(pip, "").starts_with("Could not find a version"));
        assert_eq!(
            failure_reason("", ""),
            "the installer failed without saying why"
        );
    }

    #[test]
    fn sdists_are_refused_by_default_and_no_index_has_no_network() {
        let wheels = tempfile::tempdir().unwrap();
        let settings = PackageSettings {
            no_index: true,
            find_links: Some(wheels.path().to_string_lossy().into_owned()),
            ..PackageSettings::default()
        };
        let request = InstallRequest {
            installer: &Installer::Uv("/opt/uv".into()),
            settings: &settings,
            python: "/usr/bin/python3",
            requirements: &["six".to_owned()],
            site: Path::new("/d/site"),
            cache: Path::new("/d/cache"),
            limits: &Limits::default(),
        };
        let run = install_run(&request);
        assert!(run.spec.argv.contains(&"--no-build".to_owned()));
        assert!(run.spec.argv.contains(&"--no-index".to_owned()));
        assert!(!run.spec.proxy && run.index_hosts.is_empty());
        assert!(run
            .spec
            .binds
            .iter()
            .any(|b| b.target == FIND_LINKS && !b.writable));
        let pip = install_run(&InstallRequest {
            installer: &Installer::Pip,
            settings: &PackageSettings::default(),
            ..request
        });
        assert!(pip
            .spec
            .argv
            .windows(2)
            .any(|w| w == ["--only-binary", ":all:"]));
        assert!(pip.spec.proxy);
        assert_eq!(
            pip.index_hosts.as_slice(),
            [
                ("pypi.org".to_owned(), 443),
                ("files.pythonhosted.org".to_owned(), 443)
            ]
        );
    }
}
