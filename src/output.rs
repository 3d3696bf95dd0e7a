//! The only module that writes the site to disk. Everything is rendered
//! first; then, under a lock, the files go to a temporary folder beside the
//! output folder, which is swapped into place in one step. A build that fails
//! or is killed leaves the previous output untouched.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::render::Artifact;

/// Writes `artifacts` as the new content of `out`, replacing what was there.
pub fn write(out: &Path, artifacts: &[Artifact]) -> Result<(), Diagnostic> {
    check_paths(artifacts)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            Diagnostic::error(out, "the output folder needs a name").hint("use e.g. `-o output`")
        })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| io_error(&parent, "cannot create the folder", &e))?;

    // One build at a time per output folder; a second one waits its turn.
    let lock_path = parent.join(format!(".{name}.lock"));
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io_error(&lock_path, "cannot create the build lock", &e))?;
    lock.lock()
        .map_err(|e| io_error(&lock_path, "cannot take the build lock", &e))?;

    remove_leftovers(&parent, &name);
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = write_all(&staging, artifacts).and_then(|()| swap(&staging, out, &parent, &name));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    drop(lock);
    result
}

/// The folders of a site that hold its sources: never an output.
pub const SOURCE_FOLDERS: [&str; 4] = ["content", "static", "templates", "themes"];

/// Refuses an output folder that would replace the site or its sources, or a
/// folder of something else: the output is deleted and rewritten on every build.
pub fn check_target(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let refuse = |why: &str| {
        Err(
            Diagnostic::error(out, format!("refusing to build into this folder: {why}")).hint(
                "choose an output folder of its own, e.g. `-o output` (the default) or `-o public`",
            ),
        )
    };
    let Some(real_root) = root.canonicalize().ok() else {
        return Ok(());
    };
    let real_out = absolute(out);
    if real_out == real_root || real_root.starts_with(&real_out) {
        return refuse("it holds the site itself");
    }
    if SOURCE_FOLDERS
        .iter()
        .any(|f| real_out.starts_with(real_root.join(f)))
    {
        return refuse("it is inside the site's sources");
    }
    if real_out.is_dir() {
        let entries: Vec<String> = fs::read_dir(&real_out)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let looks_built = entries.iter().any(|e| e == "index.html" || e == "404.html");
        let foreign = entries
            .iter()
            .any(|e| ["site.yaml", ".git", "content", "Cargo.toml"].contains(&e.as_str()));
        if foreign || (!entries.is_empty() && !looks_built) {
            return refuse("it already holds files that are not a built site");
        }
    }
    Ok(())
}

/// The absolute, symlink-free form of a path that may not exist yet.
pub fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            absolute(parent).join(name)
        }
        _ => std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// Whether a folder is (inside) a built site: handouts must never be saved there.
pub fn is_built_site(folder: &Path) -> bool {
    folder
        .ancestors()
        .any(|dir| dir.join("sitemap.xml").is_file() && dir.join("404.html").is_file())
}

/// Refuses paths that would escape the output folder or collide.
fn check_paths(artifacts: &[Artifact]) -> Result<(), Diagnostic> {
    let mut seen = BTreeSet::new();
    for artifact in artifacts {
        let path = Path::new(&artifact.path);
        let safe = !artifact.path.is_empty()
            && !artifact.path.contains('\\')
            && path.components().all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(Diagnostic::error(
                &artifact.path,
                "refusing to write outside the output folder",
            ));
        }
        // Case-insensitive file systems (macOS, Windows) would merge these.
        if !seen.insert(artifact.path.to_lowercase()) {
            return Err(Diagnostic::error(
                &artifact.path,
                "two outputs would be written to this same file",
            )
            .hint("two sources produce the same page: give one of them another slug"));
        }
    }
    Ok(())
}

fn write_all(staging: &Path, artifacts: &[Artifact]) -> Result<(), Diagnostic> {
    fs::create_dir(staging)
        .map_err(|e| io_error(staging, "cannot create the temporary output folder", &e))?;
    let mut made: BTreeSet<PathBuf> = BTreeSet::new();
    for artifact in artifacts {
        let path = staging.join(&artifact.path);
        if let Some(dir) = path.parent()
            && made.insert(dir.to_path_buf())
        {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create the folder", &e))?;
        }
        fs::write(&path, &artifact.bytes).map_err(|e| io_error(&path, "cannot write", &e))?;
    }
    Ok(())
}

/// Puts the staged folder in place of `out` and deletes the old one.
fn swap(staging: &Path, out: &Path, parent: &Path, name: &str) -> Result<(), Diagnostic> {
    if !out.exists() {
        return fs::rename(staging, out)
            .map_err(|e| io_error(out, "cannot move the new site into place", &e));
    }
    if !out.is_dir() {
        return Err(
            Diagnostic::error(out, "the output path exists and is not a folder")
                .hint("choose another output with `-o`"),
        );
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    exchange(staging, out).map_err(|e| io_error(out, "cannot move the new site into place", &e))?;
    // `staging` now holds the previous site.
    let _ = fs::rename(staging, &old);
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Atomically exchanges two folders (Linux `renameat2(RENAME_EXCHANGE)`); at
/// no moment is there no output folder. Elsewhere: two renames.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        // File systems without RENAME_EXCHANGE: fall back to two renames.
        Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => exchange_by_rename(a, b),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    exchange_by_rename(a, b)
}

fn exchange_by_rename(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("swap");
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&aside, b);
        return Err(e);
    }
    fs::rename(&aside, a)
}

/// Removes temporary folders left by builds that were killed.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let tmp = format!(".{name}.tmp-");
    let old = format!(".{name}.old-");
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if (file_name.starts_with(&tmp) || file_name.starts_with(&old)) && entry.path().is_dir() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn io_error(path: &Path, what: &str, error: &std::io::Error) -> Diagnostic {
    let reason = match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::StorageFull => "the disk is full".to_string(),
        std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_string(),
        _ => error.to_string(),
    };
    Diagnostic::error(path, format!("{what}: {reason}"))
        .hint("the previous output was left as it was; free some space or fix the folder's permissions, then build again")
}
