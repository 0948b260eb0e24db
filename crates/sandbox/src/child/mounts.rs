//! Builds the sandbox's private root: a small tmpfs holding read-only binds
//! of the system directories, size-limited writable `/work` and `/tmp`, a
//! read-only `/runbox` with the run's files, a minimal `/dev`, a fresh
//! `/proc`, and generated `/etc/passwd`, `/etc/group`, `/etc/hostname` and
//! `/etc/hosts`. Then `pivot_root` into it, detach the old root, and make
//! the new root read-only. Anything not placed here does not exist inside.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use nix::unistd::{chdir, pivot_root};

use crate::protocol::FsPlan;
use crate::{RunSpec, FILES_DIR, SANDBOX_UID, WORK_DIR};

/// Where the new root is assembled, inside the private mount namespace.
const NEW_ROOT: &str = "/tmp";
/// Generated /etc files wait here until bound over their host versions.
const GENERATED: &str = ".runbox-etc";
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

type Result<T> = std::result::Result<T, String>;

fn ctx<E: std::fmt::Display>(what: impl FnOnce() -> String) -> impl FnOnce(E) -> String {
    move |e| format!("{}: {e}", what())
}

fn do_mount(
    src: Option<&Path>,
    dst: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Result<()> {
    mount(src, dst, fstype, flags, data).map_err(|e| {
        format!(
            "mount {} on {} ({fstype:?}, {flags:?}): {e}",
            src.map(|s| s.display().to_string()).unwrap_or_default(),
            dst.display()
        )
    })
}

fn inside(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

pub(crate) fn build_root(
    fs_plan: &FsPlan,
    spec: &RunSpec,
    binds: &[crate::binds::DetachedBind],
) -> Result<()> {
    let root = Path::new(NEW_ROOT);
    // Nothing we mount may propagate back to the host.
    do_mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )?;
    let nosuid_nodev = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    do_mount(
        Some(Path::new("tmpfs")),
        root,
        Some("tmpfs"),
        nosuid_nodev,
        Some("size=2m,nr_inodes=4096,mode=0755"),
    )?;
    for dir in ["dev", "proc", "tmp", "work", "runbox", GENERATED] {
        fs::create_dir(root.join(dir)).map_err(ctx(|| format!("mkdir {dir}")))?;
    }
    for path in &fs_plan.read_only {
        bind_read_only(root, path)?;
    }
    let scratch = format!("size={}m,nr_inodes=65536", spec.limits.scratch_mb);
    do_mount(
        Some(Path::new("tmpfs")),
        &root.join("work"),
        Some("tmpfs"),
        nosuid_nodev,
        Some(&format!(
            "{scratch},mode=0700,uid={SANDBOX_UID},gid={SANDBOX_UID}"
        )),
    )?;
    do_mount(
        Some(Path::new("tmpfs")),
        &root.join("tmp"),
        Some("tmpfs"),
        nosuid_nodev,
        Some(&format!("{scratch},mode=1777")),
    )?;
    populate_files(root, spec)?;
    for bind in binds {
        crate::binds::attach(bind, &inside(root, Path::new(&bind.target)))?;
    }
    build_dev(root, &scratch)?;
    mount_proc(root)?;
    hide_paths(root, &fs_plan.hidden)?;
    overlay_etc(root)?;
    enter_root(root)?;
    nix::unistd::sethostname("runbox").map_err(ctx(|| "sethostname".to_owned()))?;
    chdir(WORK_DIR).map_err(ctx(|| format!("chdir {WORK_DIR}")))?;
    Ok(())
}

/// Binds a host directory read-only at the same path, or recreates a
/// symlink (`/bin -> usr/bin` on merged-/usr systems).
fn bind_read_only(root: &Path, path: &Path) -> Result<()> {
    let target = inside(root, path);
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Ok(()), // not on this host: nothing to show
    };
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(ctx(|| format!("mkdir {}", parent.display())))?;
    }
    if meta.file_type().is_symlink() {
        let dest = fs::read_link(path).map_err(ctx(|| format!("readlink {}", path.display())))?;
        return symlink(&dest, &target).map_err(ctx(|| format!("symlink {}", target.display())));
    }
    if meta.is_dir() {
        fs::create_dir_all(&target).map_err(ctx(|| format!("mkdir {}", target.display())))?;
    } else {
        fs::write(&target, b"").map_err(ctx(|| format!("create {}", target.display())))?;
    }
    do_mount(
        Some(path),
        &target,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )?;
    remount_read_only(&target)?;
    // Submounts came along with MS_REC; each needs its own read-only remount.
    for sub in submounts_of(&target) {
        remount_read_only(&sub)?;
    }
    Ok(())
}

/// Remounts a bind read-only, keeping the flags the kernel locks on mounts
/// copied into a user namespace (nosuid, nodev, noexec, atime), or it
/// refuses with EPERM.
fn remount_read_only(target: &Path) -> Result<()> {
    let current = statvfs(target)
        .map_err(ctx(|| format!("statvfs {}", target.display())))?
        .flags();
    let mut flags = MsFlags::MS_BIND
        | MsFlags::MS_REMOUNT
        | MsFlags::MS_RDONLY
        | MsFlags::MS_NOSUID
        | MsFlags::MS_NODEV;
    for (have, want) in [
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if current.contains(have) {
            flags |= want;
        }
    }
    do_mount(None, target, None, flags, None)
}

fn submounts_of(target: &Path) -> Vec<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let prefix = format!("{}/", target.display());
    text.lines()
        .filter_map(|line| line.split(' ').nth(4))
        .filter(|point| point.starts_with(&prefix))
        .map(PathBuf::from)
        .collect()
}

/// Writes the run's files into `/runbox`, then makes it read-only.
fn populate_files(root: &Path, spec: &RunSpec) -> Result<()> {
    let dir = root.join("runbox");
    let total: usize = spec.files.iter().map(|f| f.contents.len()).sum();
    let size_kb = total / 1024 + 64;
    do_mount(
        Some(Path::new("tmpfs")),
        &dir,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(&format!("size={size_kb}k,mode=0755")),
    )?;
    for file in &spec.files {
        if file.name.is_empty() || file.name.contains('/') || file.name.starts_with('.') {
            return Err(format!("invalid sandbox file name {:?}", file.name));
        }
        let path = dir.join(&file.name);
        fs::write(&path, &file.contents)
            .map_err(ctx(|| format!("write {FILES_DIR}/{}", file.name)))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
            .map_err(ctx(|| "chmod".to_owned()))?;
    }
    do_mount(
        None,
        &dir,
        None,
        MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        None,
    )
}

/// A minimal /dev: the harmless character devices bound from the host, the
/// usual symlinks, and a private /dev/shm (multiprocessing needs it).
fn build_dev(root: &Path, scratch: &str) -> Result<()> {
    let dev = root.join("dev");
    do_mount(
        Some(Path::new("tmpfs")),
        &dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("size=64k,mode=0755"),
    )?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        if !host.exists() {
            continue;
        }
        let node = dev.join(name);
        fs::write(&node, b"").map_err(ctx(|| format!("create /dev/{name}")))?;
        do_mount(Some(&host), &node, None, MsFlags::MS_BIND, None)?;
    }
    for (link, dest) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        symlink(dest, dev.join(link)).map_err(ctx(|| format!("symlink /dev/{link}")))?;
    }
    let shm = dev.join("shm");
    fs::create_dir(&shm).map_err(ctx(|| "mkdir /dev/shm".to_owned()))?;
    do_mount(
        Some(Path::new("tmpfs")),
        &shm,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(&format!("{scratch},mode=1777")),
    )?;
    do_mount(
        None,
        &dev,
        None,
        MsFlags::MS_BIND
            | MsFlags::MS_REMOUNT
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NOEXEC,
        None,
    )
}

/// A /proc that shows only the sandbox's own PID namespace.
fn mount_proc(root: &Path) -> Result<()> {
    do_mount(
        Some(Path::new("proc")),
        &root.join("proc"),
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None,
    )
}

/// Covers runbox's own files (data directory, database, configuration)
/// wherever they fall inside a visible directory.
fn hide_paths(root: &Path, hidden: &[PathBuf]) -> Result<()> {
    for path in hidden {
        let target = inside(root, path);
        let Ok(meta) = fs::metadata(&target) else {
            continue;
        };
        if meta.is_dir() {
            do_mount(
                Some(Path::new("tmpfs")),
                &target,
                Some("tmpfs"),
                MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                Some("size=4k,mode=0000"),
            )?;
        } else {
            do_mount(
                Some(Path::new("/dev/null")),
                &target,
                None,
                MsFlags::MS_BIND,
                None,
            )?;
            do_mount(
                None,
                &target,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                None,
            )?;
        }
    }
    Ok(())
}

/// Replaces identity files of /etc with ones naming only the sandbox's
/// users and host: the host's accounts and host names stay private.
fn overlay_etc(root: &Path) -> Result<()> {
    let generated = root.join(GENERATED);
    let uid = SANDBOX_UID;
    let files = [
        ("passwd", format!("root:x:0:0:root:/root:/bin/sh\nrunbox:x:{uid}:{uid}:runbox:{WORK_DIR}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")),
        ("group", format!("root:x:0:\nrunbox:x:{uid}:\nnogroup:x:65534:\n")),
        ("hostname", "runbox\n".to_owned()),
        ("hosts", "127.0.0.1\tlocalhost runbox\n::1\tlocalhost ip6-localhost ip6-loopback\n".to_owned()),
    ];
    for (name, contents) in &files {
        let over = root.join("etc").join(name);
        if !over.exists() {
            continue; // a read-only /etc offers no mount point to bind on
        }
        let src = generated.join(name);
        fs::write(&src, contents).map_err(ctx(|| format!("write generated /etc/{name}")))?;
        do_mount(Some(&src), &over, None, MsFlags::MS_BIND, None)?;
        do_mount(
            None,
            &over,
            None,
            MsFlags::MS_BIND
                | MsFlags::MS_REMOUNT
                | MsFlags::MS_RDONLY
                | MsFlags::MS_NOSUID
                | MsFlags::MS_NODEV,
            None,
        )?;
        // The bind keeps the inode; the name can go.
        let _ = fs::remove_file(&src);
    }
    let _ = fs::remove_dir(&generated);
    Ok(())
}

/// Switches to the new root and detaches the old one entirely.
fn enter_root(root: &Path) -> Result<()> {
    chdir(root).map_err(ctx(|| "chdir new root".to_owned()))?;
    // pivot_root(".", ".") stacks the old root under the new one; detaching
    // "." afterwards removes the old root without needing a directory for it.
    pivot_root(".", ".").map_err(ctx(|| "pivot_root".to_owned()))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(ctx(|| "detach old root".to_owned()))?;
    chdir("/").map_err(ctx(|| "chdir /".to_owned()))?;
    // A per-mount (MS_BIND) read-only flag: the superblock-wide one would be
    // refused while the unlinked generated /etc files are still bound.
    do_mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_BIND
            | MsFlags::MS_REMOUNT
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV,
        None,
    )
}
