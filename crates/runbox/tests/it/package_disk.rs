//! Environments on disk (contract section 10): removal of the least
//! recently used past `cache_mb`, a disk that fills up during an
//! installation, and `.pth` files in an environment.

use serde_json::json;

use crate::harness::{get_as, python, Options, Server, ADMIN_KEY};
use crate::packages::{block, environments, installations, with_index};
use crate::pkgindex::{build_wheel, uv_binary, Dist, PackageIndex};

/// A package's `.pth` file is processed as in site-packages: its
/// directories join `sys.path`, its `import` lines run.
#[tokio::test]
async fn pth_files_of_an_environment_are_processed() {
    let Some(uv) = uv_binary() else { return };
    let wheels = tempfile::tempdir().expect("tempdir");
    build_wheel(
        wheels.path(),
        &Dist {
            name: "pthpkg",
            version: "1.0",
            requires: &[],
            source: "VERSION = 1\n",
            files: &[
                (
                    "pthpkg.pth",
                    "extra\nimport sys; sys.runbox_pth_seen = True\n",
                ),
                ("extra/hidden_mod.py", "FOUND = 'via pth'\n"),
            ],
        },
    );
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(with_index(Options::default(), &index, &uv));
    let code = format!(
        "{}import sys, hidden_mod\nreturn [getattr(sys, 'runbox_pth_seen', False), hidden_mod.FOUND]",
        block(&["pthpkg"])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["response"]["result"],
        json!([true, "via pth"]),
        "{body}"
    );
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A full disk fails the installation with the system's reason; nothing
/// half-built stays, and once there is room again the next set installs.
#[tokio::test]
async fn a_full_disk_fails_the_installation_cleanly() {
    let Some(uv) = uv_binary() else { return };
    let wheels = tempfile::tempdir().expect("tempdir");
    for (name, size) in [("hugepkg", 6_000_000), ("smallpkg", 10)] {
        let source = format!("VERSION = 1\n# {}\n", "x".repeat(size));
        build_wheel(
            wheels.path(),
            &Dist {
                name,
                version: "1.0",
                requires: &[],
                source: &source,
                files: &[],
            },
        );
    }
    let index = PackageIndex::start(wheels.path()).await;
    let mut server = Server::start_with(with_index(Options::default(), &index, &uv));
    let environments_dir = server.data_path().join("environments");
    std::fs::create_dir_all(&environments_dir).expect("environments dir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs"])
        .arg(&environments_dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    let _disk = SmallDisk(environments_dir.clone());
    server.restart();
    let (status, body) = python(
        &server,
        &format!("{}import hugepkg\nreturn 1", block(&["hugepkg"])),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let error = body["response"]["error"]
        .as_str()
        .or(body["message"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        body.to_string().contains("could not be installed"),
        "{body}"
    );
    assert!(
        body.to_string().to_lowercase().contains("space"),
        "names the full disk: {error} {body}"
    );
    assert!(environments(&server).await.is_empty());
    let leftovers: Vec<String> = std::fs::read_dir(&environments_dir)
        .expect("list")
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.starts_with(".building"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "half-built environments left: {leftovers:?}"
    );
    let (status, body) = python(
        &server,
        &format!(
            "{}import smallpkg\nreturn smallpkg.VERSION",
            block(&["smallpkg"])
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["result"], 1);
    let (status, _) = get_as(&server, ADMIN_KEY, "/admin/health").await;
    assert_eq!(status, 200);
}

/// Past `cache_mb`, the least recently used environment no run holds goes,
/// and the installer's download cache is emptied.
#[tokio::test]
async fn least_recently_used_environments_go_past_cache_mb() {
    let Some(uv) = uv_binary() else { return };
    let wheels = tempfile::tempdir().expect("tempdir");
    // Each installs about 600 kB (a long comment), so two pass 1 MiB.
    let padding = format!("VERSION = 1\n# {}\n", "x".repeat(600_000));
    for name in ["bulkyone", "bulkytwo"] {
        build_wheel(
            wheels.path(),
            &Dist {
                name,
                version: "1.0",
                requires: &[],
                source: &padding,
                files: &[],
            },
        );
    }
    let index = PackageIndex::start(wheels.path()).await;
    let server = Server::start_with(
        with_index(Options::default(), &index, &uv).env("RUNBOX_PACKAGES_CACHE_MB", "1"),
    );
    let run = |name: &'static str| {
        let code = format!("{}import {name}\nreturn {name}.VERSION", block(&[name]));
        let server = &server;
        async move {
            let (status, body) = python(server, &code).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["response"]["result"], json!(1), "{body}");
        }
    };
    run("bulkyone").await;
    let first = environments(&server).await;
    assert_eq!(first.len(), 1, "{first:?}");
    run("bulkytwo").await;
    let left = environments(&server).await;
    assert_eq!(left.len(), 1, "only the newest fits: {left:?}");
    assert_ne!(left[0]["id"], first[0]["id"], "the older one went");
    assert!(server.log().contains("environment removed (cache_mb)"));
    let cache = server.data_path().join("environments/.cache");
    let cached: u64 = walk_size(&cache);
    assert!(
        cached < 1024 * 1024,
        "download cache emptied: {cached} bytes left"
    );
    // The evicted set installs again when asked for.
    run("bulkyone").await;
    assert_eq!(installations(&server), 3);
}

fn walk_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => walk_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}
