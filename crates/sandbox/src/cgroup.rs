//! Per-slot cgroups for memory and process limits, on a cgroup v1 hierarchy
//! (one mount per controller) or a unified v2 tree.
//!
//! A slot's launcher moves itself into its slot cgroups once, at start; every
//! process it starts inherits them. This avoids a cgroup migration per run,
//! which on v1 sometimes stalls for tens of milliseconds. The slot cgroups
//! are created below the cgroup the server itself runs in, never at the root
//! of a hierarchy, so a delegated or nested service keeps working.

use std::fs;
use std::path::{Path, PathBuf};

/// Which cgroup layout enforces a controller.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Flavor {
    V1,
    V2,
}

#[derive(Clone, Debug)]
struct ControllerDir {
    flavor: Flavor,
    dir: PathBuf,
}

/// The memory and pids cgroups of one slot; either may be missing when the
/// host does not offer it.
#[derive(Debug, Default)]
pub(crate) struct SlotCgroups {
    memory: Option<ControllerDir>,
    pids: Option<ControllerDir>,
    pub warnings: Vec<String>,
}

impl SlotCgroups {
    /// Creates the slot's cgroups, sets their limits and moves the calling
    /// process into them. Unavailable controllers are noted in `warnings`;
    /// a controller that exists but cannot be configured is an error.
    pub fn create_and_join(name: &str, memory_mb: u32, pids: u32) -> Result<Self, String> {
        let mounts = read_mounts();
        let membership = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let mut slot = SlotCgroups::default();
        for controller in ["memory", "pids"] {
            match locate(controller, &mounts, &membership) {
                Some((flavor, parent)) => {
                    let dir = parent.join(name);
                    if let Err(why) = delegate(&flavor, controller, &parent) {
                        slot.warnings.push(format!(
                            "{controller} cgroup controller cannot be delegated ({why}): {controller} is limited by rlimits only"
                        ));
                        continue;
                    }
                    create_dir(&dir)?;
                    let entry = ControllerDir { flavor, dir };
                    if controller == "memory" {
                        slot.memory = Some(entry);
                    } else {
                        slot.pids = Some(entry);
                    }
                }
                None => slot.warnings.push(format!(
                    "no usable {controller} cgroup controller: {controller} is limited by rlimits only"
                )),
            }
        }
        slot.set_limits(memory_mb, pids)?;
        let me = std::process::id().to_string();
        for entry in slot.memory.iter().chain(slot.pids.iter()) {
            write(&entry.dir.join("cgroup.procs"), &me)?;
        }
        Ok(slot)
    }

    pub fn has_memory(&self) -> bool {
        self.memory.is_some()
    }

    pub fn describe(&self) -> Vec<String> {
        let mut layers = Vec::new();
        for (what, entry) in [("memory", &self.memory), ("pids", &self.pids)] {
            if let Some(entry) = entry {
                let flavor = if entry.flavor == Flavor::V1 {
                    "v1"
                } else {
                    "v2"
                };
                layers.push(format!("cgroup {flavor} {what} ({})", entry.dir.display()));
            }
        }
        layers
    }

    /// Sets the limits for the next run. Both count the launcher and the
    /// sandbox's init process too, hence the small allowance.
    pub fn set_limits(&self, memory_mb: u32, pids: u32) -> Result<(), String> {
        if let Some(mem) = &self.memory {
            let bytes = (u64::from(memory_mb) * 1024 * 1024).to_string();
            match mem.flavor {
                Flavor::V1 => {
                    // memsw must stay >= limit: lower memsw first when
                    // shrinking would fail, so set limit, then memsw, retrying.
                    let limit = mem.dir.join("memory.limit_in_bytes");
                    let memsw = mem.dir.join("memory.memsw.limit_in_bytes");
                    if write(&limit, &bytes).is_err() {
                        if memsw.exists() {
                            write(&memsw, &bytes)?;
                        }
                        write(&limit, &bytes)?;
                    }
                    if memsw.exists() {
                        write(&memsw, &bytes)?;
                    }
                }
                Flavor::V2 => {
                    write(&mem.dir.join("memory.max"), &bytes)?;
                    let swap = mem.dir.join("memory.swap.max");
                    if swap.exists() {
                        write(&swap, "0")?;
                    }
                }
            }
        }
        if let Some(p) = &self.pids {
            write(&p.dir.join("pids.max"), &(pids + 2).to_string())?;
        }
        Ok(())
    }

    /// How many times the memory cgroup's OOM killer has fired so far.
    pub fn oom_kills(&self) -> u64 {
        let Some(mem) = &self.memory else { return 0 };
        let file = match mem.flavor {
            Flavor::V1 => "memory.oom_control",
            Flavor::V2 => "memory.events",
        };
        let text = fs::read_to_string(mem.dir.join(file)).unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Removes slot cgroups left behind by runbox processes that no longer run
/// (names `runbox-<pid>-slot<n>`). Only empty cgroups can be removed, so a
/// live one is never disturbed.
pub(crate) fn sweep_stale(prefix: &str) {
    let mounts = read_mounts();
    let membership = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for controller in ["memory", "pids"] {
        let Some((_, parent)) = locate(controller, &mounts, &membership) else {
            continue;
        };
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(prefix) else {
                continue;
            };
            let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = fs::remove_dir(entry.path());
                }
            }
        }
    }
}

/// Removes this server's slot cgroups (after its launchers exited).
pub(crate) fn remove_own(prefix: &str) {
    let mounts = read_mounts();
    let membership = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for controller in ["memory", "pids"] {
        let Some((_, parent)) = locate(controller, &mounts, &membership) else {
            continue;
        };
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                let _ = fs::remove_dir(entry.path());
            }
        }
    }
}

struct Mount {
    point: PathBuf,
    fstype: String,
    super_options: String,
}

fn read_mounts() -> Vec<Mount> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let point = left.split(' ').nth(4)?;
            let mut right = right.split(' ');
            let fstype = right.next()?.to_owned();
            let _source = right.next();
            let super_options = right.next().unwrap_or("").to_owned();
            Some(Mount {
                point: PathBuf::from(point),
                fstype,
                super_options,
            })
        })
        .collect()
}

/// Finds where `controller` is mounted and the cgroup this process is in
/// there. v1 wins when the controller is bound to a v1 hierarchy.
fn locate(controller: &str, mounts: &[Mount], membership: &str) -> Option<(Flavor, PathBuf)> {
    let v1 = mounts
        .iter()
        .find(|m| m.fstype == "cgroup" && m.super_options.split(',').any(|o| o == controller));
    if let Some(mount) = v1 {
        let path = membership.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let _id = parts.next()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            controllers
                .split(',')
                .any(|c| c == controller)
                .then(|| path.to_owned())
        })?;
        return Some((Flavor::V1, join_cgroup(&mount.point, &path)));
    }
    let v2 = mounts.iter().find(|m| m.fstype == "cgroup2")?;
    let path = membership
        .lines()
        .find_map(|line| line.strip_prefix("0::"))?;
    let parent = join_cgroup(&v2.point, path);
    let available = fs::read_to_string(parent.join("cgroup.controllers")).ok()?;
    available
        .split_whitespace()
        .any(|c| c == controller)
        .then_some((Flavor::V2, parent))
}

fn join_cgroup(mount: &Path, path: &str) -> PathBuf {
    mount.join(path.trim_start_matches('/'))
}

/// On v2, children only get a controller their parent delegates. Enabling
/// it fails on a non-root cgroup that holds processes (the "no internal
/// processes" rule); the controller is then unavailable to runbox.
fn delegate(flavor: &Flavor, controller: &str, parent: &Path) -> Result<(), String> {
    if *flavor == Flavor::V2 {
        let control = parent.join("cgroup.subtree_control");
        let enabled = fs::read_to_string(&control).unwrap_or_default();
        if !enabled.split_whitespace().any(|c| c == controller) {
            write(&control, &format!("+{controller}"))?;
        }
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), String> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("cannot create cgroup {}: {e}", dir.display())),
    }
}

fn write(path: &Path, value: &str) -> Result<(), String> {
    fs::write(path, value).map_err(|e| format!("cannot write {value:?} to {}: {e}", path.display()))
}
