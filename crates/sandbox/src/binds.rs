//! Host paths shown inside a sandbox ([`crate::Bind`]). The launcher, which
//! runs with the host's full rights, clones each path into a detached mount
//! (`open_tree`) and sets its flags (read-only unless writable, no set-uid,
//! no devices) before `clone`; init, inside the new namespaces, attaches it
//! in the new root (`move_mount`). So a path may live where the sandbox's
//! own user could never walk (runbox's data directory is owner-only), and
//! init never resolves a host path itself.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use crate::Bind;

// From <linux/mount.h>; not every libc release carries them.
const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const MOUNT_ATTR_NODEV: u64 = 0x4;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// A bind, opened and flagged, waiting to be attached inside.
pub(crate) struct DetachedBind {
    tree: OwnedFd,
    pub target: String,
    pub is_dir: bool,
    pub writable: bool,
}

/// Opens every bind of a run (launcher side). Any failure fails the run.
pub(crate) fn detach_binds(binds: &[Bind]) -> Result<Vec<DetachedBind>, String> {
    binds.iter().map(detach).collect()
}

fn detach(bind: &Bind) -> Result<DetachedBind, String> {
    bind.check_target()?;
    let meta = std::fs::metadata(&bind.source)
        .map_err(|e| format!("bind source {}: {e}", bind.source.display()))?;
    let source = c_path(&bind.source)?;
    // SAFETY: a valid C string and flags; returns a new descriptor or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            source.as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | AT_RECURSIVE,
        )
    };
    if fd < 0 {
        return Err(format!(
            "open_tree {}: {}",
            bind.source.display(),
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: a fresh descriptor nobody else owns.
    let tree = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let mut flags = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if !bind.writable {
        flags |= MOUNT_ATTR_RDONLY;
    }
    let attr = MountAttr {
        attr_set: flags,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: the attribute struct outlives the call and its size is passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH as libc::c_uint | AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc != 0 {
        return Err(format!(
            "mount_setattr {}: {}",
            bind.source.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(DetachedBind {
        tree,
        target: bind.target.clone(),
        is_dir: meta.is_dir(),
        writable: bind.writable,
    })
}

/// Attaches a detached bind at `target` (a path in the root being built,
/// inside the sandbox's mount namespace), creating the mount point.
pub(crate) fn attach(bind: &DetachedBind, target: &Path) -> Result<(), String> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("mkdir {}: {e}", parent.display()))?;
    }
    if bind.is_dir {
        std::fs::create_dir_all(target)
    } else {
        std::fs::write(target, b"")
    }
    .map_err(|e| format!("mount point {}: {e}", target.display()))?;
    let target_c = c_path(target)?;
    // SAFETY: valid descriptor and C strings; no memory is written.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            bind.tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            target_c.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc != 0 {
        return Err(format!(
            "move_mount onto {}: {}",
            target.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn c_path(path: &Path) -> Result<CString, String> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("path {} contains a NUL byte", path.display()))
}
