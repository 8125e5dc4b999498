//! Output folders replaced whole, so that a command killed at any moment (SIGKILL), a full
//! disk or an unwritable folder leaves either the complete previous output or the complete
//! new one, never a mix.
//!
//! The new folder is built beside the output as `.NAME.partial-PID` (holding, as hard
//! links, what the output holds now when the command adds to a folder, so that files it
//! does not write survive) and swapped with the output in one step (`renameat2` with
//! `RENAME_EXCHANGE` on Linux; elsewhere two renames). The previous output is then
//! removed. Staging folders left by killed runs (their process gone) are removed when the
//! next command writes beside them.
//!
//! Also the test-only fault hook: with `TAGSCOPE_TEST_DISK_BYTES=N` set, output files fail
//! with ENOSPC once the process has written N bytes of them, as on a full disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// An output folder being rebuilt; dropped without [`Staged::commit`], it is removed and
/// the output is left as it was.
pub struct Staged {
    out: PathBuf,
    staging: PathBuf,
    committed: bool,
}

fn parent_and_name(out: &Path) -> Result<(PathBuf, String)> {
    // `-o .` or `-o ..`: the folder by its full name.
    let absolute;
    let out = if out.file_name().is_none() {
        absolute = out
            .canonicalize()
            .with_context(|| format!("{}: an output folder needs a name", out.display()))?;
        absolute.as_path()
    } else {
        out
    };
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = out
        .file_name()
        .with_context(|| format!("{}: an output folder needs a name", out.display()))?
        .to_string_lossy()
        .to_string();
    Ok((parent, name))
}

/// Whether process `pid` is alive (Linux: /proc; elsewhere assumed alive).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the staging and set-aside folders of `NAME` in `parent` left by processes that
/// are gone (killed runs): `.NAME.partial-PID`, `.NAME.old-PID`.
pub fn clean_stale(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = file_name.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let pid = rest
            .strip_prefix("partial-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !alive(pid)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Hard-links (or, across devices, copies) the tree `from` into `to`.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            link_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
            #[cfg(not(unix))]
            std::fs::copy(entry.path(), &target)?;
        } else if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Swaps two paths in one step where the system can.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
        let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: two valid NUL-terminated paths; renameat2 reads them and nothing else.
        let result = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if result == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        // Not supported here (old kernel, some file systems): fall back to two renames.
        if matches!(error.raw_os_error(), Some(libc::ENOSYS | libc::EINVAL)) {
            return Ok(false);
        }
        Err(error)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

impl Staged {
    /// Starts rebuilding `out`. With `keep`, the new folder starts as a copy (hard links)
    /// of the current one, for commands that add their files to a folder.
    pub fn begin(out: &Path, keep: bool) -> Result<Staged> {
        let (parent, name) = parent_and_name(out)?;
        if out.exists() && !out.is_dir() {
            anyhow::bail!("{}: exists and is not a folder", out.display());
        }
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        clean_stale(&parent, &name);
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("removing {}", staging.display()))?;
        }
        let staged = Staged {
            out: parent.join(&name),
            staging,
            committed: false,
        };
        if keep && staged.out.is_dir() {
            link_tree(&staged.out, &staged.staging)
                .with_context(|| format!("staging a copy of {}", out.display()))?;
        } else {
            std::fs::create_dir_all(&staged.staging)
                .with_context(|| format!("creating {}", staged.staging.display()))?;
        }
        Ok(staged)
    }

    /// Where the new output is written.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Puts the new folder in place of the output and removes the previous one.
    pub fn commit(mut self) -> Result<()> {
        let out = self.out.clone();
        let (parent, name) = parent_and_name(&out)?;
        if out.exists() {
            if exchange(&self.staging, &out)
                .with_context(|| format!("replacing {}", out.display()))?
            {
                // The staging path now holds the previous output.
                self.committed = true;
                std::fs::remove_dir_all(&self.staging)
                    .with_context(|| format!("removing the previous {}", out.display()))?;
            } else {
                let old = parent.join(format!(".{name}.old-{}", std::process::id()));
                std::fs::rename(&out, &old)
                    .with_context(|| format!("moving the previous {} aside", out.display()))?;
                std::fs::rename(&self.staging, &out)
                    .with_context(|| format!("renaming into {}", out.display()))?;
                self.committed = true;
                std::fs::remove_dir_all(&old)
                    .with_context(|| format!("removing the previous {}", out.display()))?;
            }
        } else {
            std::fs::rename(&self.staging, &out)
                .with_context(|| format!("renaming into {}", out.display()))?;
            self.committed = true;
        }
        // The renames on disk before reporting success.
        if let Ok(dir) = std::fs::File::open(&parent) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Bytes of output written by this process, for the test-only disk-full hook.
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// The test-only disk-full hook: with `TAGSCOPE_TEST_DISK_BYTES=N`, an output file whose
/// bytes take this process's output past N bytes fails with ENOSPC (as a full disk would,
/// after part of the output is written). Called by [`crate::export::write_atomic`].
pub fn test_disk_full(file: &std::fs::File) -> std::io::Result<()> {
    let Some(limit) = std::env::var_os("TAGSCOPE_TEST_DISK_BYTES") else {
        return Ok(());
    };
    let limit: u64 = limit.to_string_lossy().parse().unwrap_or(u64::MAX);
    let bytes = file.metadata()?.len();
    let before = WRITTEN.fetch_add(bytes, Ordering::SeqCst);
    if before + bytes > limit {
        return Err(std::io::Error::from_raw_os_error(28));
    }
    Ok(())
}
