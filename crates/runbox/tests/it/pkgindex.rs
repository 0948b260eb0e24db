//! Fixtures for package tests, all local: tiny wheels built here (with the
//! system Python's `zipfile`) and a PEP 503 "simple" index served on
//! 127.0.0.1 that counts the files it hands out.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One distribution to build.
pub struct Dist<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub requires: &'a [&'a str],
    /// The module's source (the module is named like the distribution).
    pub source: &'a str,
    /// More files at the wheel's root: `(name, contents)`.
    pub files: &'a [(&'a str, &'a str)],
}

/// The wheel builder, shared with the benchmarks.
const BUILD_WHEEL: &str = include_str!("../../../bench/src/make_wheel.py");

/// Builds a pure-Python wheel of `dist` into `dir`; returns its path.
pub fn build_wheel(dir: &Path, dist: &Dist<'_>) -> PathBuf {
    let spec = serde_json::json!({
        "name": dist.name, "version": dist.version, "requires": dist.requires,
        "source": dist.source, "dir": dir,
        "files": dist.files.iter().copied().collect::<std::collections::HashMap<_, _>>(),
    });
    // The spec on stdin: a large source would pass the argument size limit.
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", BUILD_WHEEL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(spec.to_string().as_bytes())
        .expect("spec written");
    let out = child.wait_with_output().expect("python3 builds a wheel");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A directory of wheels, each a tiny module `NAME` with `VERSION = "…"`.
pub fn wheel_dir(dists: &[(&str, &str, &[&str])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, version, requires) in dists {
        let source = format!("VERSION = {version:?}\n");
        build_wheel(
            dir.path(),
            &Dist {
                name,
                version,
                requires,
                source: &source,
                files: &[],
            },
        );
    }
    dir
}

/// A PEP 503 index over a directory of wheels, counting requests.
pub struct PackageIndex {
    pub url: String,
    downloads: Arc<Mutex<HashMap<String, usize>>>,
    _server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct IndexState {
    dir: PathBuf,
    downloads: Arc<Mutex<HashMap<String, usize>>>,
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_ascii_lowercase().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl PackageIndex {
    pub async fn start(dir: &Path) -> PackageIndex {
        let downloads = Arc::new(Mutex::new(HashMap::new()));
        let state = IndexState {
            dir: dir.to_owned(),
            downloads: downloads.clone(),
        };
        let app = Router::new()
            .route("/simple/{project}/", get(project))
            .route("/files/{file}", get(file))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind index");
        let address = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        PackageIndex {
            url: format!("http://{address}/simple"),
            downloads,
            _server: server,
        }
    }

    /// How many requests the index has answered.
    pub fn requests(&self) -> usize {
        self.downloads.lock().map(|d| d.values().sum()).unwrap_or(0)
    }
}

async fn project(State(state): State<IndexState>, UrlPath(project): UrlPath<String>) -> Response {
    if let Ok(mut downloads) = state.downloads.lock() {
        *downloads.entry(format!("/simple/{project}/")).or_default() += 1;
    }
    let wanted = normalize(&project);
    let mut links = String::new();
    for entry in std::fs::read_dir(&state.dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        let dist = file.split('-').next().unwrap_or_default();
        if normalize(dist) == wanted {
            links.push_str(&format!("<a href=\"/files/{file}\">{file}</a>\n"));
        }
    }
    if links.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(format!(
        "<!DOCTYPE html><html><body>\n{links}</body></html>"
    ))
    .into_response()
}

async fn file(State(state): State<IndexState>, UrlPath(file): UrlPath<String>) -> Response {
    if file.contains('/') || file.contains("..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(state.dir.join(&file)) {
        Ok(bytes) => {
            if let Ok(mut downloads) = state.downloads.lock() {
                *downloads.entry(file).or_default() += 1;
            }
            bytes.into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The uv binary the tests use: `RUNBOX_TEST_UV`, else `uv` on `PATH` when
/// it is a real binary. `None` (with a warning) outside CI; CI must have it.
pub fn uv_binary() -> Option<PathBuf> {
    let from_env = std::env::var_os("RUNBOX_TEST_UV").map(PathBuf::from);
    let found = from_env.or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("uv"))
            .find(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x7fELF")))
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must provide uv (RUNBOX_TEST_UV); scripts/test.sh installs it"
        );
        eprintln!("WARNING: no uv binary (set RUNBOX_TEST_UV); skipping a uv test");
    }
    found
}
