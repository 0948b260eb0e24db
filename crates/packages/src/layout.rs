//! Environments on disk, under `<data dir>/environments`:
//!
//! ```text
//! <id>/environment.json      what it holds (requirements, resolved versions, size)
//! <id>/site-<stamp>/         the installed packages, mounted read-only as /packages
//! <id>/last-used             when a run last used it (for least-recently-used removal)
//! .building-<id>-<stamp>/    an installation in progress (or killed half-way)
//! .locks/<id>.lock           held while <id> is being built, across processes
//! .cache/                    the installer's download cache
//! ```
//!
//! An environment is built in its `.building-…` directory and renamed to
//! `<id>` only once complete, so a run never sees a half-built one; a
//! leftover `.building-…` directory whose lock nobody holds is removed.
//! The `site-<stamp>` name differs per build, so a sandbox pre-started with
//! an environment that was since removed and rebuilt is never reused.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use runbox_domain::Timestamp;
use serde::{Deserialize, Serialize};

/// What `GET /admin/environments` lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentInfo {
    pub id: String,
    pub python: String,
    pub requirements: Vec<String>,
    /// `name==version` of every installed distribution.
    pub resolved: Vec<String>,
    pub size_bytes: u64,
    pub created_at: String,
    pub last_used_at: String,
}

/// `environment.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    pub id: String,
    pub python: String,
    pub requirements: Vec<String>,
    pub resolved: Vec<String>,
    pub size_bytes: u64,
    pub created_at: String,
    /// The `site-<stamp>` directory name.
    pub site: String,
}

const RECORD: &str = "environment.json";
const LAST_USED: &str = "last-used";
const BUILDING_PREFIX: &str = ".building-";

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn env_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.join(".cache")
    }

    pub fn lock_path(&self, id: &str) -> PathBuf {
        self.root.join(".locks").join(format!("{id}.lock"))
    }

    pub fn building_dir(&self, id: &str, stamp: &str) -> PathBuf {
        self.root.join(format!("{BUILDING_PREFIX}{id}-{stamp}"))
    }

    pub fn create(&self) -> io::Result<()> {
        fs::create_dir_all(self.root.join(".locks"))?;
        fs::create_dir_all(self.cache_dir())
    }

    /// The complete environment `id`, if there is one.
    pub fn read(&self, id: &str) -> Option<Record> {
        let text = fs::read_to_string(self.env_dir(id).join(RECORD)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn site_dir(&self, record: &Record) -> PathBuf {
        self.env_dir(&record.id).join(&record.site)
    }

    /// Every complete environment.
    pub fn list(&self) -> Vec<(Record, String)> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut found: Vec<(Record, String)> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .filter_map(|id| {
                let record = self.read(&id)?;
                let used = self
                    .last_used(&id)
                    .unwrap_or_else(|| record.created_at.clone());
                Some((record, used))
            })
            .collect();
        found.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        found
    }

    pub fn last_used(&self, id: &str) -> Option<String> {
        fs::read_to_string(self.env_dir(id).join(LAST_USED))
            .ok()
            .map(|t| t.trim().to_owned())
    }

    pub fn touch(&self, id: &str, now: Timestamp) {
        let _ = fs::write(self.env_dir(id).join(LAST_USED), now.to_iso());
    }

    /// Moves a finished build into place. `Ok(false)`: another process
    /// finished the same environment first (ours is removed).
    pub fn publish(&self, building: &Path, id: &str) -> io::Result<bool> {
        let target = self.env_dir(id);
        if self.read(id).is_some() {
            let _ = fs::remove_dir_all(building);
            return Ok(false);
        }
        if target.exists() {
            // A directory without a record is a broken leftover.
            fs::remove_dir_all(&target)?;
        }
        fs::rename(building, &target)?;
        Ok(true)
    }

    /// Removes an environment: renamed first, so no run can pick up a
    /// half-removed one.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        let doomed = self
            .root
            .join(format!(".removing-{id}-{}", rand::random::<u32>()));
        fs::rename(self.env_dir(id), &doomed)?;
        fs::remove_dir_all(&doomed)
    }

    /// Leftover builds and removals, for the caller to delete unless a
    /// build of theirs is still running (its lock is held).
    pub fn leftovers(&self) -> Vec<(PathBuf, Option<String>)> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                if let Some(rest) = name.strip_prefix(BUILDING_PREFIX) {
                    let id = rest.split('-').next().unwrap_or_default().to_owned();
                    Some((entry.path(), Some(id)))
                } else if name.starts_with(".removing-") {
                    Some((entry.path(), None))
                } else {
                    None
                }
            })
            .collect()
    }
}

/// Sum of file sizes below `path` (symlinks not followed).
pub(crate) fn tree_size(path: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

/// Gives everything below `path` to `uid`/`gid` (symlinks themselves, not
/// their targets).
pub(crate) fn chown_tree(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    let meta = fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// `name==version` of every distribution installed in `site`, read from
/// the `*.dist-info/METADATA` files the installer wrote.
pub(crate) fn resolved_versions(site: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(site) else {
        return Vec::new();
    };
    let mut resolved: Vec<String> = entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".dist-info"))
        .filter_map(|entry| {
            let text = fs::read_to_string(entry.path().join("METADATA")).ok()?;
            let header = |key: &str| {
                text.lines()
                    .take_while(|line| !line.is_empty())
                    .find_map(|line| line.strip_prefix(key))
                    .map(|value| value.trim().to_owned())
            };
            Some(format!("{}=={}", header("Name:")?, header("Version:")?))
        })
        .collect();
    resolved.sort_by_key(|line| line.to_ascii_lowercase());
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_versions_come_from_metadata() {
        let dir = tempfile::tempdir().unwrap();
        for (name, version) in [("Tiny_Pkg", "1.0"), ("alpha", "2.1")] {
            let info = dir.path().join(format!("{name}-{version}.dist-info"));
            fs::create_dir(&info).unwrap();
            fs::write(
                info.join("METADATA"),
                format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n"),
            )
            .unwrap();
        }
        fs::create_dir(dir.path().join("alpha")).unwrap();
        assert_eq!(
            resolved_versions(dir.path()),
            ["alpha==2.1", "Tiny_Pkg==1.0"]
        );
    }

    #[test]
    fn publish_is_a_rename_and_first_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout {
            root: dir.path().to_owned(),
        };
        layout.create().unwrap();
        let record = |site: &str| Record {
            id: "abc".into(),
            python: "3.11.2".into(),
            requirements: vec![],
            resolved: vec![],
            size_bytes: 0,
            created_at: "t".into(),
            site: site.into(),
        };
        for stamp in ["1", "2"] {
            let building = layout.building_dir("abc", stamp);
            fs::create_dir_all(&building).unwrap();
            fs::write(
                building.join(RECORD),
                serde_json::to_string(&record(stamp)).unwrap(),
            )
            .unwrap();
            let won = layout.publish(&building, "abc").unwrap();
            assert_eq!(won, stamp == "1");
            assert!(!building.exists());
        }
        assert_eq!(layout.read("abc").unwrap().site, "1");
        assert_eq!(layout.list().len(), 1);
        layout.remove("abc").unwrap();
        assert!(layout.read("abc").is_none());
        assert!(layout.leftovers().is_empty());
    }
}
