//! The only module that writes the site to disk. Under a lock, each file
//! goes to a temporary folder beside the output folder as soon as it is
//! made; when every file is there, the folder is swapped into place in one
//! step. A build that fails, is interrupted or is killed leaves the previous
//! output untouched.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diagnostics::Diagnostic;
use crate::render::Artifact;

/// Where the files of a build go as they are made: a folder being written
/// ([`Staging`]), memory ([`Memory`]) or nowhere ([`Discard`], for `check`).
/// Every sink refuses a path that leaves the output folder or that another
/// file already took.
pub trait Sink: Sync {
    /// Takes one finished file.
    fn put(&self, artifact: Artifact) -> Result<(), Diagnostic>;

    /// Takes one finished file that the caller keeps: a folder writes it
    /// without a copy.
    fn put_bytes(&self, path: String, bytes: &[u8]) -> Result<(), Diagnostic> {
        self.put(Artifact::new(path, bytes.to_vec()))
    }

    /// Takes a large file that `write` makes piece by piece: a folder writes
    /// each piece as it comes, so that the whole file is never in memory.
    /// `write` may fail only in writing: `check` ([`Discard`]) does not call
    /// it, so a problem in the content must be found before.
    fn put_written(&self, path: String, write: Writer<'_>) -> Result<(), Diagnostic> {
        let mut bytes = Vec::new();
        // Writing into memory cannot fail.
        let _ = write(&mut bytes);
        self.put(Artifact::new(path, bytes))
    }

    /// Takes a file `path` whose bytes are in `entry`, a sound handout-cache
    /// entry, and in `bytes` if they were read: a folder links the entry
    /// instead of writing the bytes again. Returns false, having taken
    /// nothing, when the bytes are needed and the entry cannot be read (its
    /// permissions changed, another build removed it): make the file again.
    fn put_cached(
        &self,
        path: String,
        entry: &Path,
        bytes: Option<Vec<u8>>,
    ) -> Result<bool, Diagnostic> {
        match read_entry(entry, bytes) {
            Some(bytes) => self.put(Artifact::new(path, bytes)).map(|()| true),
            None => Ok(false),
        }
    }

    /// Makes, ahead of their files, the folders (relative paths, in the
    /// order their files will come) that many files will be put in; see
    /// [`Staging`]'s. Only a folder on disk does anything; a folder that
    /// cannot be made here is left to the file put in it, which says why.
    fn make_folders(&self, _folders: &[String]) {}
}

/// Makes a file piece by piece into the writer it is given.
pub type Writer<'a> = &'a mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>;

/// The bytes of a cache entry: `bytes` if there are some, else the entry's.
fn read_entry(entry: &Path, bytes: Option<Vec<u8>>) -> Option<Vec<u8>> {
    bytes.or_else(|| fs::read(entry).ok())
}

/// Whether `path`, relative to the output folder, stays inside it: only
/// names, no `..`, no root, no backslash (a separator on Windows).
fn stays_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// The paths taken so far in one build.
#[derive(Default)]
struct Claims(Mutex<HashSet<String>>);

impl Claims {
    /// Refuses paths that would escape the output folder or collide.
    fn claim(&self, path: &str) -> Result<(), Diagnostic> {
        if !stays_inside(path) {
            return Err(Diagnostic::error(
                path,
                "refusing to write outside the output folder",
            ));
        }
        // Case-insensitive file systems (macOS, Windows) would merge these.
        let fresh = self
            .0
            .lock()
            .map(|mut seen| seen.insert(path.to_lowercase()))
            .unwrap_or(false);
        if !fresh {
            return Err(
                Diagnostic::error(path, "two outputs would be written to this same file")
                    .hint("two sources produce the same page: give one of them another slug"),
            );
        }
        Ok(())
    }

    /// Gives back a path claimed for a file that was not written.
    fn release(&self, path: &str) {
        if let Ok(mut seen) = self.0.lock() {
            seen.remove(&path.to_lowercase());
        }
    }
}

/// Keeps the files in memory, for tests and tools that compare builds.
#[derive(Default)]
pub struct Memory {
    claims: Claims,
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Memory {
    /// The files, sorted by path.
    pub fn into_artifacts(self) -> Vec<Artifact> {
        self.files
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .map(|(path, bytes)| Artifact::new(path, bytes))
            .collect()
    }
}

impl Sink for Memory {
    fn put(&self, artifact: Artifact) -> Result<(), Diagnostic> {
        self.claims.claim(&artifact.path)?;
        if let Ok(mut files) = self.files.lock() {
            files.insert(artifact.path, artifact.bytes);
        }
        Ok(())
    }
}

/// Checks the paths and keeps nothing: what `check` needs.
#[derive(Default)]
pub struct Discard {
    claims: Claims,
}

impl Sink for Discard {
    fn put(&self, artifact: Artifact) -> Result<(), Diagnostic> {
        self.claims.claim(&artifact.path)
    }

    fn put_bytes(&self, path: String, _: &[u8]) -> Result<(), Diagnostic> {
        self.claims.claim(&path)
    }

    fn put_cached(&self, path: String, _: &Path, _: Option<Vec<u8>>) -> Result<bool, Diagnostic> {
        self.claims.claim(&path).map(|()| true)
    }

    /// (A file made piece by piece cannot fail but in writing: not made.)
    fn put_written(&self, path: String, _: Writer<'_>) -> Result<(), Diagnostic> {
        self.claims.claim(&path)
    }
}

/// A new output folder being written beside the current one. [`finish`]
/// swaps it into place; dropped unfinished, or on Ctrl-C, it is deleted.
///
/// [`finish`]: Staging::finish
pub struct Staging {
    folder: PathBuf,
    out: PathBuf,
    parent: PathBuf,
    name: String,
    /// Held until the end: one build at a time per output folder.
    _lock: fs::File,
    claims: Claims,
    /// Folders already made inside `folder`.
    dirs: Mutex<HashSet<PathBuf>>,
    /// The first write that failed; later files are not written.
    failure: Mutex<Option<Diagnostic>>,
    failed: AtomicBool,
    /// Permissions and owner a file this build writes gets (Unix): a cache
    /// entry is linked only if it has the same, since a link shares them.
    fresh: Option<(u32, u32)>,
    /// The outermost folder this build made to hold the output (`deploy/`
    /// for `-o deploy/site` on the first build): removed with the lock file
    /// if the build fails, so that a failed first build leaves nothing.
    made: Option<PathBuf>,
    finished: bool,
}

impl Staging {
    /// Takes the build lock of `out` (waiting for another build to end) and
    /// makes the temporary folder.
    pub fn begin(out: &Path) -> Result<Staging, Diagnostic> {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                Diagnostic::error(out, "the output folder needs a name")
                    .hint("use e.g. `-o output`")
            })?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let made = parent
            .ancestors()
            .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
            .last()
            .map(Path::to_path_buf);
        fs::create_dir_all(&parent)
            .map_err(|e| io_error(&parent, "cannot create the folder", &e))?;

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
        let folder = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        interrupt::watch(&folder);
        if let Err(e) = fs::create_dir(&folder) {
            interrupt::forget(&folder);
            return Err(io_error(
                &folder,
                "cannot create the temporary output folder",
                &e,
            ));
        }
        let fresh = fresh_file_mode(&folder);
        Ok(Staging {
            folder,
            out: out.to_path_buf(),
            parent,
            name,
            _lock: lock,
            claims: Claims::default(),
            dirs: Mutex::default(),
            failure: Mutex::default(),
            failed: AtomicBool::new(false),
            fresh,
            made,
            finished: false,
        })
    }

    /// Puts the new site in place of the old one.
    pub fn finish(mut self) -> Result<(), Diagnostic> {
        if let Some(failure) = self.failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(failure);
        }
        let swapped = interrupt::swap_unless_stopping(&self.folder, || {
            swap(&self.folder, &self.out, &self.parent, &self.name)
        })
        .ok_or_else(|| Diagnostic::error(&self.out, "the build was interrupted"))?;
        let old = swapped?;
        self.finished = true;
        // The previous site, now beside the output: deleted last (and by
        // Ctrl-C, if it comes now).
        if let Some(old) = old {
            remove_tree(&old);
            interrupt::forget(&old);
        }
        Ok(())
    }

    /// The path of `relative` in the folder, its parent folders made.
    fn prepare(&self, relative: &str) -> Result<PathBuf, ()> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(());
        }
        if interrupt::stopping() {
            self.fail(Diagnostic::error(&self.out, "the build was interrupted"));
            return Err(());
        }
        let path = self.folder.join(relative);
        if let Some(dir) = path.parent()
            && dir != self.folder
        {
            // A folder is listed once it exists; two threads may both make
            // it, which is harmless.
            let made = self.dirs.lock().is_ok_and(|dirs| dirs.contains(dir));
            if !made {
                // Only below the folder: never re-create it once deleted.
                if let Err(e) = make_dirs(&self.folder, dir) {
                    self.fail(io_error(dir, "cannot create the folder", &e));
                    return Err(());
                }
                if let Ok(mut dirs) = self.dirs.lock() {
                    dirs.insert(dir.to_path_buf());
                }
            }
        }
        Ok(path)
    }

    /// Whether a cache entry may be linked into the output: a plain file
    /// (not a symbolic link) with the permissions and owner a file written
    /// now gets. A link shares them, and a `chmod` of the output must not
    /// reach the cache, nor the reverse.
    fn linkable(&self, entry: &Path) -> bool {
        let Ok(meta) = fs::symlink_metadata(entry) else {
            return false;
        };
        if !meta.file_type().is_file() {
            return false;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            self.fresh == Some((meta.mode() & 0o7777, meta.uid()))
        }
        #[cfg(not(unix))]
        {
            true
        }
    }

    fn fail(&self, diagnostic: Diagnostic) {
        self.failed.store(true, Ordering::Relaxed);
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(diagnostic);
        }
    }
}

impl Sink for Staging {
    fn put(&self, artifact: Artifact) -> Result<(), Diagnostic> {
        self.put_bytes(artifact.path, &artifact.bytes)
    }

    fn make_folders(&self, folders: &[String]) {
        self.make_folders_ahead(folders);
    }

    fn put_bytes(&self, path: String, bytes: &[u8]) -> Result<(), Diagnostic> {
        self.claims.claim(&path)?;
        if let Ok(file) = self.prepare(&path) {
            self.write(&file, bytes);
        }
        Ok(())
    }

    fn put_written(&self, path: String, write: Writer<'_>) -> Result<(), Diagnostic> {
        self.claims.claim(&path)?;
        if let Ok(file) = self.prepare(&path) {
            let written = fs::File::create(&file).and_then(|f| {
                let mut out = std::io::BufWriter::with_capacity(WRITE_PIECE, f);
                write(&mut out)?;
                out.flush()
            });
            if let Err(e) = written {
                self.fail(io_error(&file, "cannot write", &e));
            }
        }
        Ok(())
    }

    fn put_cached(
        &self,
        path: String,
        entry: &Path,
        bytes: Option<Vec<u8>>,
    ) -> Result<bool, Diagnostic> {
        self.claims.claim(&path)?;
        let Ok(file) = self.prepare(&path) else {
            return Ok(true);
        };
        // A hard link costs no new file and no bytes written; across file
        // systems (or where links are refused, or the entry's permissions
        // were changed) the bytes are written.
        if self.linkable(entry) && fs::hard_link(entry, &file).is_ok() {
            return Ok(true);
        }
        match read_entry(entry, bytes) {
            Some(bytes) => {
                self.write(&file, &bytes);
                Ok(true)
            }
            None => {
                self.claims.release(&path);
                Ok(false)
            }
        }
    }
}

impl Staging {
    /// Makes `folders` (relative paths), one after another, while other
    /// threads render the files that go in them. Two threads making folders
    /// in one folder wait for each other in the kernel (each holds the
    /// parent's lock while the file system finds room for the new folder),
    /// and the one that waits spins: with one thread making the 10,000
    /// folders of the exercise pages in the order the pages come, the
    /// threads that write the pages find their folders made.
    pub fn make_folders_ahead(&self, folders: &[String]) {
        for folder in folders {
            if self.failed.load(Ordering::Relaxed) || interrupt::stopping() {
                return;
            }
            if !stays_inside(folder) {
                continue;
            }
            let dir = self.folder.join(folder);
            let made = self.dirs.lock().is_ok_and(|dirs| dirs.contains(&dir));
            if !made
                && make_dirs(&self.folder, &dir).is_ok()
                && let Ok(mut dirs) = self.dirs.lock()
            {
                dirs.insert(dir);
            }
        }
    }
}

/// How much of a file made piece by piece is gathered before it is written.
const WRITE_PIECE: usize = 256 * 1024;

impl Staging {
    fn write(&self, file: &Path, bytes: &[u8]) {
        if let Err(e) = fs::write(file, bytes) {
            self.fail(io_error(file, "cannot write", &e));
        }
    }
}

/// The permissions and owner a new file in `folder` gets, from a probe file
/// made and removed at once (Unix; elsewhere nothing is compared).
fn fresh_file_mode(folder: &Path) -> Option<(u32, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let probe = folder.join(".movepress-probe");
        fs::write(&probe, b"").ok()?;
        let meta = fs::metadata(&probe);
        let _ = fs::remove_file(&probe);
        meta.ok().map(|meta| (meta.mode() & 0o7777, meta.uid()))
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        None
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            remove_tree(&self.folder);
            interrupt::forget(&self.folder);
            if let Some(made) = &self.made {
                let _ = fs::remove_file(self.parent.join(format!(".{}.lock", self.name)));
                // Only folders left empty: another build may have begun in one.
                for folder in self.parent.ancestors() {
                    if fs::remove_dir(folder).is_err() || folder == made {
                        break;
                    }
                }
            }
        }
    }
}

/// Makes `dir` and its parents up to (not including) `root`, which must exist.
fn make_dirs(root: &Path, dir: &Path) -> std::io::Result<()> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match dir.parent() {
            Some(parent) if parent != root && parent.starts_with(root) => {
                make_dirs(root, parent)?;
                match fs::create_dir(dir) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
                    _ => Ok(()),
                }
            }
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// Ctrl-C (and SIGTERM, SIGHUP) during a build: the temporary folder is
/// deleted before the process ends, so nothing is left beside the output.
/// The swap and the interruption exclude each other: the output is either
/// the old site or the new one, and the message says which.
mod interrupt {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, Once};

    /// Folders to delete if the process is interrupted.
    #[derive(Default)]
    struct Folders {
        /// New sites being written: the previous output is still in place.
        staging: Vec<PathBuf>,
        /// Previous sites being deleted: the new output is in place.
        old: Vec<PathBuf>,
    }

    static FOLDERS: Mutex<Folders> = Mutex::new(Folders {
        staging: Vec::new(),
        old: Vec::new(),
    });
    static STOPPING: AtomicBool = AtomicBool::new(false);
    static INSTALL: Once = Once::new();

    /// Deletes `folder`, a new site being written, if the process is
    /// interrupted before it is swapped in or forgotten.
    pub fn watch(folder: &Path) {
        INSTALL.call_once(|| {
            // Without a handler (e.g. one is already set by the embedding
            // program) a killed build still leaves the output intact; the
            // next build removes the leftover folder.
            let _ = ctrlc::set_handler(stop);
        });
        if let Ok(mut folders) = FOLDERS.lock() {
            folders.staging.push(folder.to_path_buf());
        }
    }

    pub fn forget(folder: &Path) {
        if let Ok(mut folders) = FOLDERS.lock() {
            folders.staging.retain(|f| f != folder);
            folders.old.retain(|f| f != folder);
        }
    }

    /// Runs `swap` unless the process is being interrupted; an interruption
    /// waits until it is done. `swap` returns where the previous site went,
    /// which an interruption from then on deletes.
    pub fn swap_unless_stopping<E>(
        folder: &Path,
        swap: impl FnOnce() -> Result<Option<PathBuf>, E>,
    ) -> Option<Result<Option<PathBuf>, E>> {
        let mut folders = FOLDERS.lock().ok()?;
        if stopping() {
            return None;
        }
        let done = swap();
        if done.is_ok() {
            folders.staging.retain(|f| f != folder);
        }
        if let Ok(Some(old)) = &done {
            folders.old.push(old.clone());
        }
        Some(done)
    }

    /// Whether the process is ending: no more files are written.
    pub fn stopping() -> bool {
        STOPPING.load(Ordering::Relaxed)
    }

    fn stop() {
        // Held until the process ends: no swap can start.
        let folders = FOLDERS.lock();
        STOPPING.store(true, Ordering::Relaxed);
        if let Ok(folders) = &folders {
            // A closed terminal must not stop the clean-up.
            let say = |text: &str| {
                let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
            };
            if !folders.staging.is_empty() {
                say("interrupted: the previous output was left as it was\n");
            } else if !folders.old.is_empty() {
                say("interrupted: the new output is in place\n");
            }
            for folder in folders.staging.iter().chain(&folders.old) {
                // A writer may still be finishing its file: try again briefly.
                for _ in 0..50 {
                    super::remove_tree(folder);
                    if !folder.exists() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
        }
        std::process::exit(130);
    }
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

/// Puts the staged folder in place of `out`; returns where the previous
/// site now is, for the caller to delete.
fn swap(
    staging: &Path,
    out: &Path,
    parent: &Path,
    name: &str,
) -> Result<Option<PathBuf>, Diagnostic> {
    if !out.exists() {
        return fs::rename(staging, out)
            .map(|()| None)
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
    Ok(Some(if fs::rename(staging, &old).is_ok() {
        old
    } else {
        staging.to_path_buf()
    }))
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

/// `a` is the staging folder `.<name>.tmp-<pid>`, so `aside` is
/// `.<name>.swap`, which [`remove_leftovers`] knows.
fn exchange_by_rename(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("swap");
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&aside, b);
        return Err(e);
    }
    fs::rename(&aside, a)
}

/// Deletes a folder of ours (a previous site, a temporary folder), even
/// one its user made read-only, e.g. with `chmod -R a-w output`.
fn remove_tree(folder: &Path) {
    if fs::remove_dir_all(folder).is_ok() || !folder.exists() {
        return;
    }
    #[cfg(unix)]
    for entry in walkdir::WalkDir::new(folder).into_iter().flatten() {
        use std::os::unix::fs::PermissionsExt;
        if entry.file_type().is_dir()
            && let Ok(meta) = entry.metadata()
        {
            let mode = meta.permissions().mode() | 0o700;
            let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode));
        }
    }
    let _ = fs::remove_dir_all(folder);
}

/// Removes temporary folders left by builds that were killed.
fn remove_leftovers(parent: &Path, name: &str) {
    // Where folders cannot be exchanged in one step, the previous site waits
    // as `.<name>.swap` between two renames: a build stopped there leaves it,
    // with or without the new output in place.
    let aside = parent.join(format!(".{name}.swap"));
    if aside.is_dir() {
        let out = parent.join(name);
        if out.exists() {
            remove_tree(&aside);
        } else {
            let _ = fs::rename(&aside, &out);
        }
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let tmp = format!(".{name}.tmp-");
    let old = format!(".{name}.old-");
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if (file_name.starts_with(&tmp) || file_name.starts_with(&old)) && entry.path().is_dir() {
            remove_tree(&entry.path());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_entry_that_cannot_be_read_is_not_taken_and_the_file_can_be_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("output");
        let gone = dir.path().join("removed-entry");
        let path = "handouts/exercises/cat-cow.pdf";
        for sink in [
            &Staging::begin(&out).expect("staging") as &dyn Sink,
            &Memory::default(),
        ] {
            assert_eq!(sink.put_cached(path.into(), &gone, None), Ok(false));
            // Made again: the path is still free.
            assert_eq!(
                sink.put(Artifact::new(path, b"%PDF-1.7 made".to_vec())),
                Ok(())
            );
            // Its bytes at hand, an entry is not read.
            assert_eq!(
                sink.put_cached("handouts/x.pdf".into(), &gone, Some(b"%PDF-x".to_vec())),
                Ok(true)
            );
        }
    }

    #[test]
    fn folders_made_ahead_hold_their_pages_and_never_leave_the_output() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("output");
        let staging = Staging::begin(&out).expect("staging");
        let folders = [
            "exercises/cat-cow",
            "../outside",
            "/abs",
            "programs/a\\b",
            "",
            "exercises/cat-cow",
        ]
        .map(String::from);
        staging.make_folders(&folders);
        assert!(staging.folder.join("exercises/cat-cow").is_dir());
        assert!(!dir.path().join("outside").exists());
        assert!(!staging.folder.join("programs").exists());
        staging
            .put_bytes("exercises/cat-cow/index.html".into(), b"page")
            .expect("put");
        staging.finish().expect("finish");
        assert_eq!(
            fs::read(out.join("exercises/cat-cow/index.html")).expect("read"),
            b"page"
        );
        let mut top: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        top.sort();
        assert_eq!(top, [".output.lock", "output"]);
    }

    #[test]
    fn a_site_left_aside_by_a_stopped_two_step_swap_is_recovered_or_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let staging = dir.path().join(".output.tmp-1");
        assert_eq!(
            staging.with_extension("swap"),
            dir.path().join(".output.swap")
        );
        // Stopped after the first rename: the previous site is only aside.
        fs::create_dir(dir.path().join(".output.swap")).expect("mkdir");
        fs::write(dir.path().join(".output.swap/index.html"), "old").expect("write");
        remove_leftovers(dir.path(), "output");
        assert_eq!(
            fs::read_to_string(dir.path().join("output/index.html")).expect("restored"),
            "old"
        );
        // Stopped after the second: the new site is in place.
        fs::create_dir(dir.path().join(".output.swap")).expect("mkdir");
        remove_leftovers(dir.path(), "output");
        assert!(!dir.path().join(".output.swap").exists());
        assert!(dir.path().join("output/index.html").is_file());
    }
}
