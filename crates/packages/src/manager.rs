//! [`Environments`]: the node's package environments. A run asks for its
//! [`RequirementSet`] with [`Environments::prepare`] and gets a lease on a
//! complete environment, built if needed: one build per set at a time (in
//! this process by a shared task, across processes by a lock file), so
//! concurrent runs of the same set wait for one installation. Builds run
//! in tasks of their own, so a run that is canceled while waiting does not
//! kill an installation others wait for.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use runbox_config::PackageSettings;
use runbox_domain::Timestamp;
use runbox_sandbox::{Limits, RunControl, RunSpec, Sandbox};
use tokio_util::sync::CancellationToken;

use crate::install::{self, InstallRequest, Installer};
use crate::layout::{self, EnvironmentInfo, Layout, Record};
use crate::RequirementSet;

/// Why a run could not get its environment. `Display` is the contract's
/// wording, shown as the run's error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error("Dependencies are disabled on this server")]
    Disabled,
    #[error("Dependencies could not be installed: {0}")]
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    #[error("no environment {0}")]
    NotFound(String),
    #[error("environment {0} is in use by a running execution")]
    InUse(String),
    #[error("cannot remove environment {0}: {1}")]
    Io(String, String),
}

/// A complete environment held for one run; it is not removed while held.
pub struct EnvLease {
    pub id: String,
    /// The installed packages (mount this read-only).
    pub site: PathBuf,
    /// `name==version` of what is installed.
    pub resolved: Vec<String>,
    inner: Arc<Inner>,
}

impl Drop for EnvLease {
    fn drop(&mut self) {
        if let Ok(mut in_use) = self.inner.in_use.lock() {
            if let Some(count) = in_use.get_mut(&self.id) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    in_use.remove(&self.id);
                }
            }
        }
    }
}

/// What the sandbox's Python is.
#[derive(Clone, Debug)]
struct Probe {
    version: String,
    has_pip: bool,
}

type Build = Shared<BoxFuture<'static, Result<Arc<Record>, PrepareError>>>;

#[derive(Clone)]
pub struct Environments {
    inner: Arc<Inner>,
}

struct Inner {
    settings: PackageSettings,
    layout: Layout,
    sandbox: Sandbox,
    /// The interpreter's path inside the sandbox.
    python: String,
    limits: Limits,
    search_path: Option<OsString>,
    builder_uid: u32,
    probe: tokio::sync::OnceCell<Result<Probe, String>>,
    builds: Mutex<HashMap<String, Build>>,
    in_use: Mutex<HashMap<String, usize>>,
    /// Complete environments already read from disk: a run of a cached
    /// set costs a lookup here and one `stat`, not a file read and parse.
    known: Mutex<HashMap<String, Arc<Record>>>,
    /// When each environment's `last-used` file was last written.
    touched: Mutex<HashMap<String, std::time::Instant>>,
    /// The installer, once one was found (settings do not change).
    installer: std::sync::OnceLock<Installer>,
}

/// `last-used` is rewritten at most this often per environment: the
/// least-recently-used order needs no finer grain, and runs skip a write.
const TOUCH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

const MIB: u64 = 1024 * 1024;

impl Environments {
    /// `root` is `<data dir>/environments`; `search_path` is where to look
    /// for uv (the server's `PATH`).
    pub fn new(
        settings: PackageSettings,
        root: PathBuf,
        sandbox: Sandbox,
        python: String,
        limits: Limits,
        search_path: Option<OsString>,
        builder_uid: u32,
    ) -> Self {
        let layout = Layout { root };
        if let Err(error) = layout.create() {
            tracing::warn!(%error, root = %layout.root.display(), "cannot create the environments directory");
        }
        let environments = Self {
            inner: Arc::new(Inner {
                settings,
                layout,
                sandbox,
                python,
                limits,
                search_path,
                builder_uid,
                probe: tokio::sync::OnceCell::new(),
                builds: Mutex::new(HashMap::new()),
                in_use: Mutex::new(HashMap::new()),
                known: Mutex::new(HashMap::new()),
                touched: Mutex::new(HashMap::new()),
                installer: std::sync::OnceLock::new(),
            }),
        };
        environments.remove_leftovers();
        environments
    }

    pub fn enabled(&self) -> bool {
        self.inner.settings.enabled
    }

    /// The sandbox's Python version (`3.11.2`), asked once; `None` when the
    /// sandbox cannot run it.
    pub async fn python_version(&self) -> Option<String> {
        self.inner.probe().await.ok().map(|p| p.version)
    }

    /// A lease on the environment of `set`, installing it first if needed.
    pub async fn prepare(&self, set: &RequirementSet) -> Result<EnvLease, PrepareError> {
        if !self.inner.settings.enabled {
            return Err(PrepareError::Disabled);
        }
        let probe = self.inner.probe().await.map_err(PrepareError::Failed)?;
        let installer = self.inner.installer(&probe).map_err(PrepareError::Failed)?;
        let fingerprint = self.inner.fingerprint(&installer);
        let id = set.environment_id(&probe.version, &fingerprint);
        let record = match self.inner.complete(&id) {
            Some(record) => record,
            None => self.build(&id, set, &probe, installer).await?,
        };
        Ok(self.lease(record))
    }

    fn lease(&self, record: Arc<Record>) -> EnvLease {
        if let Ok(mut in_use) = self.inner.in_use.lock() {
            *in_use.entry(record.id.clone()).or_default() += 1;
        }
        self.inner.touch(&record.id);
        EnvLease {
            id: record.id.clone(),
            site: self.inner.layout.site_dir(&record),
            resolved: record.resolved.clone(),
            inner: self.inner.clone(),
        }
    }

    async fn build(
        &self,
        id: &str,
        set: &RequirementSet,
        probe: &Probe,
        installer: Installer,
    ) -> Result<Arc<Record>, PrepareError> {
        let build = {
            let mut builds = self
                .inner
                .builds
                .lock()
                .map_err(|_| PrepareError::Failed("internal lock poisoned".into()))?;
            builds
                .entry(id.to_owned())
                .or_insert_with(|| {
                    let inner = self.inner.clone();
                    let id = id.to_owned();
                    let set = set.clone();
                    let version = probe.version.clone();
                    let task = tokio::spawn(async move {
                        let result = inner.build(&id, &set, &version, &installer).await;
                        if let Ok(mut builds) = inner.builds.lock() {
                            builds.remove(&id);
                        }
                        result
                    });
                    async move {
                        task.await.unwrap_or_else(|e| {
                            Err(PrepareError::Failed(format!(
                                "the installation task failed: {e}"
                            )))
                        })
                    }
                    .boxed()
                    .shared()
                })
                .clone()
        };
        build.await
    }

    /// Every complete environment of this node.
    pub fn list(&self) -> Vec<EnvironmentInfo> {
        self.inner
            .layout
            .list()
            .into_iter()
            .map(|(record, last_used_at)| EnvironmentInfo {
                id: record.id,
                python: record.python,
                requirements: record.requirements,
                resolved: record.resolved,
                size_bytes: record.size_bytes,
                created_at: record.created_at,
                last_used_at,
            })
            .collect()
    }

    /// Removes environment `id` unless a run holds it.
    pub fn remove(&self, id: &str) -> Result<(), RemoveError> {
        let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid || self.inner.layout.read(id).is_none() {
            return Err(RemoveError::NotFound(id.to_owned()));
        }
        let in_use = self
            .inner
            .in_use
            .lock()
            .map(|m| m.get(id).copied().unwrap_or(0))
            .unwrap_or(1);
        if in_use > 0 {
            return Err(RemoveError::InUse(id.to_owned()));
        }
        self.inner
            .remove(id)
            .map_err(|e| RemoveError::Io(id.to_owned(), e.to_string()))
    }

    /// Builds killed half-way (the process died) are deleted at start;
    /// one whose lock another process holds is still being built there.
    fn remove_leftovers(&self) {
        for (path, id) in self.inner.layout.leftovers() {
            let busy = id.is_some_and(|id| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(self.inner.layout.lock_path(&id))
                    .map(|file| file.try_lock().is_err())
                    .unwrap_or(false)
            });
            if !busy {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
}

impl Inner {
    async fn probe(&self) -> Result<Probe, String> {
        self.probe
            .get_or_init(|| async { self.run_probe().await })
            .await
            .clone()
    }

    async fn run_probe(&self) -> Result<Probe, String> {
        const CODE: &str = "import sys, importlib.util\nprint('%d.%d.%d' % sys.version_info[:3], importlib.util.find_spec('pip') is not None)";
        let spec = RunSpec {
            argv: vec![self.python.clone(), "-I".into(), "-c".into(), CODE.into()],
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            limits: self.limits.clone(),
            ..RunSpec::default()
        };
        let control = RunControl {
            timeout: Duration::from_secs(30),
            cancel: CancellationToken::new(),
            on_output: None,
            proxy: None,
        };
        let run = self
            .sandbox
            .run(spec, control)
            .await
            .map_err(|e| format!("cannot run the sandbox's Python: {e}"))?;
        let text = run.stdout.text();
        let mut words = text.split_whitespace();
        match (run.status.success(), words.next(), words.next()) {
            (true, Some(version), Some(pip)) => Ok(Probe {
                version: version.to_owned(),
                has_pip: pip == "True",
            }),
            _ => Err(format!(
                "cannot run the sandbox's Python {}: {}",
                self.python,
                run.stderr.text().trim()
            )),
        }
    }

    fn installer(&self, probe: &Probe) -> Result<Installer, String> {
        if let Some(found) = self.installer.get() {
            return Ok(found.clone());
        }
        let found = install::choose(&self.settings, self.search_path.as_deref(), probe.has_pip)?;
        Ok(self.installer.get_or_init(|| found).clone())
    }

    /// The complete environment `id`, from memory or disk.
    fn complete(&self, id: &str) -> Option<Arc<Record>> {
        let remembered = self.known.lock().ok().and_then(|k| k.get(id).cloned());
        if let Some(record) = remembered {
            if self.layout.site_dir(&record).is_dir() {
                return Some(record);
            }
            self.forget(id);
        }
        let record = Arc::new(self.layout.read(id)?);
        if let Ok(mut known) = self.known.lock() {
            known.insert(id.to_owned(), record.clone());
        }
        Some(record)
    }

    fn forget(&self, id: &str) {
        if let Ok(mut known) = self.known.lock() {
            known.remove(id);
        }
        if let Ok(mut touched) = self.touched.lock() {
            touched.remove(id);
        }
    }

    fn remove(&self, id: &str) -> std::io::Result<()> {
        self.forget(id);
        self.layout.remove(id)
    }

    fn touch(&self, id: &str) {
        let due = self.touched.lock().is_ok_and(|mut touched| {
            let now = std::time::Instant::now();
            let due = touched
                .get(id)
                .is_none_or(|last| now.duration_since(*last) >= TOUCH_EVERY);
            if due {
                touched.insert(id.to_owned(), now);
            }
            due
        });
        if due {
            self.layout.touch(id, Timestamp::now());
        }
    }

    fn fingerprint(&self, installer: &Installer) -> String {
        let s = &self.settings;
        format!(
            "{}|{}|{}|{}|{}",
            installer.name(),
            if s.no_index { "" } else { s.index_url.as_str() },
            s.find_links.as_deref().unwrap_or(""),
            s.no_index,
            s.allow_sdist
        )
    }

    async fn build(
        self: &Arc<Self>,
        id: &str,
        set: &RequirementSet,
        version: &str,
        installer: &Installer,
    ) -> Result<Arc<Record>, PrepareError> {
        let failed = PrepareError::Failed;
        let lock_path = self.layout.lock_path(id);
        // Another process on the same data directory may be building it.
        let lock = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        })
        .await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(format!("cannot lock the environment: {e}")))?;
        if let Some(record) = self.layout.read(id) {
            return Ok(Arc::new(record));
        }
        let stamp = format!(
            "{}{:04x}",
            Timestamp::now().as_millis(),
            rand::random::<u16>()
        );
        let building = self.layout.building_dir(id, &stamp);
        let site_name = format!("site-{stamp}");
        let site = building.join(&site_name);
        let result = self
            .install(set, version, installer, &building, &site)
            .await
            .and_then(|resolved| {
                let record = Record {
                    id: id.to_owned(),
                    python: version.to_owned(),
                    requirements: set.lines().to_vec(),
                    resolved,
                    size_bytes: layout::tree_size(&site),
                    created_at: Timestamp::now().to_iso(),
                    site: site_name,
                };
                self.finish(&building, &record)?;
                Ok(record)
            });
        drop(lock);
        match result {
            Ok(record) => {
                tracing::info!(environment = %id, resolved = ?record.resolved, "environment installed");
                self.evict(id);
                Ok(Arc::new(self.layout.read(id).unwrap_or(record)))
            }
            Err(error) => {
                let _ = std::fs::remove_dir_all(&building);
                Err(error)
            }
        }
    }

    /// Runs the installer; returns the resolved versions.
    async fn install(
        &self,
        set: &RequirementSet,
        version: &str,
        installer: &Installer,
        building: &std::path::Path,
        site: &std::path::Path,
    ) -> Result<Vec<String>, PrepareError> {
        let failed = PrepareError::Failed;
        let io = |what: &str, e: std::io::Error| failed(format!("{what}: {e}"));
        std::fs::create_dir_all(site).map_err(|e| io("cannot create the environment", e))?;
        let cache = self.layout.cache_dir();
        std::fs::create_dir_all(&cache).map_err(|e| io("cannot create the cache", e))?;
        for path in [building, site, cache.as_path()] {
            std::os::unix::fs::chown(path, Some(self.builder_uid), Some(self.builder_uid))
                .map_err(|e| io("cannot prepare the environment", e))?;
        }
        let _ = version;
        let request = InstallRequest {
            installer,
            settings: &self.settings,
            python: &self.python,
            requirements: set.lines(),
            site,
            cache: &cache,
            limits: &self.limits,
        };
        let run = install::install_run(&request);
        let hosts = run.index_hosts.clone();
        let session = Arc::new(runbox_egress::Session {
            permits: Arc::new(move |host: &str, port: u16| {
                hosts
                    .iter()
                    .any(|(h, p)| *p == port && h.eq_ignore_ascii_case(host))
            }),
            // Operator-chosen index hosts: trusted even on private addresses.
            ssrf: None,
            max_connections: 64,
        });
        let control = RunControl {
            timeout: self.settings.install_timeout,
            cancel: CancellationToken::new(),
            on_output: None,
            proxy: Some(Box::new(move |listener, stop| {
                Box::pin(runbox_egress::serve(
                    listener,
                    session,
                    runbox_egress::Counters::default(),
                    stop,
                ))
            })),
        };
        let outcome = self
            .sandbox
            .run(run.spec, control)
            .await
            .map_err(|e| failed(format!("the installer could not run: {e}")))?;
        if outcome.timed_out {
            return Err(failed(format!(
                "the installation did not finish within {} s",
                self.settings.install_timeout.as_secs()
            )));
        }
        if outcome.oom_killed {
            return Err(failed("the installer ran out of memory".to_owned()));
        }
        if !outcome.status.success() {
            return Err(failed(install::failure_reason(
                &outcome.stderr.text(),
                &outcome.stdout.text(),
            )));
        }
        Ok(layout::resolved_versions(site))
    }

    /// Writes the record, gives the files to root (no sandbox user may
    /// change them) and moves the environment into place.
    fn finish(&self, building: &std::path::Path, record: &Record) -> Result<(), PrepareError> {
        let failed = |what: &str, e: std::io::Error| PrepareError::Failed(format!("{what}: {e}"));
        let text = serde_json::to_string_pretty(record)
            .map_err(|e| PrepareError::Failed(e.to_string()))?;
        std::fs::write(building.join("environment.json"), text)
            .map_err(|e| failed("cannot record the environment", e))?;
        layout::chown_tree(building, 0, 0).map_err(|e| failed("cannot seal the environment", e))?;
        self.layout
            .publish(building, &record.id)
            .map_err(|e| failed("cannot move the environment into place", e))?;
        Ok(())
    }

    /// Removes least recently used environments no run holds until the
    /// total fits `cache_mb` (never `keep`, just built).
    fn evict(&self, keep: &str) {
        let limit = self.settings.cache_mb.saturating_mul(MIB);
        let mut all = self.layout.list();
        let mut total: u64 = all.iter().map(|(r, _)| r.size_bytes).sum();
        self.trim_download_cache(limit.saturating_sub(total), keep);
        if total <= limit {
            return;
        }
        all.sort_by(|a, b| a.1.cmp(&b.1));
        let in_use = self.in_use.lock().map(|m| m.clone()).unwrap_or_default();
        for (record, _) in all {
            if total <= limit {
                break;
            }
            if record.id == keep || in_use.contains_key(&record.id) {
                continue;
            }
            if self.remove(&record.id).is_ok() {
                tracing::info!(environment = %record.id, "environment removed (cache_mb)");
                total = total.saturating_sub(record.size_bytes);
            }
        }
    }

    /// The installer's download cache counts against `cache_mb` too: past
    /// what the environments leave (`room`), it is emptied, since it only
    /// saves downloads. Never under another installation still using it.
    fn trim_download_cache(&self, room: u64, keep: &str) {
        let cache = self.layout.cache_dir();
        if layout::tree_size(&cache) <= room {
            return;
        }
        let alone = self
            .builds
            .lock()
            .map(|builds| builds.keys().all(|id| id == keep))
            .unwrap_or(false);
        if alone && std::fs::remove_dir_all(&cache).is_ok() {
            tracing::info!("installer download cache emptied (cache_mb)");
        }
    }
}
