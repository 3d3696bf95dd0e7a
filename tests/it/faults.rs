//! Build faults: a read-only output folder, a full disk, a build interrupted
//! or killed, two builds at once. In every case the previous site survives.
//!
//! Each test builds a site once, snapshots `output/`, injects the fault, runs
//! `movepress build` and checks that it fails cleanly (exit code 1, a message
//! naming the path, no panic) or was killed, that `output/` is byte-identical
//! to the snapshot, and that a later normal build succeeds and leaves nothing
//! behind. A fault that cannot be injected fails the test with the reason: a
//! test that passes without having injected its fault would prove nothing.
//!
//! The full-disk test mounts a tmpfs and needs root (CI runs as root). As
//! root, the read-only tests run movepress as uid/gid 65534 (nobody), since
//! permission bits do not stop root.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{build_ok, fixture, snapshot_tree, stderr};

/// No wait in these tests lasts longer than this: nothing can hang CI.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Static files added to make the write phase long (a few hundred ms), so a
/// build can be caught while it fills its temporary folder. They cost almost
/// nothing to render, unlike exercises (whose handouts take ~15 ms each).
const BULK_FILES: usize = 3000;

/// uid and gid of `nobody`, for the read-only tests when running as root.
const NOBODY: u32 = 65534;

type Tree = BTreeMap<String, Vec<u8>>;

// ---------------------------------------------------------------------------
// 1. Read-only output parent
// ---------------------------------------------------------------------------

#[test]
fn read_only_output_parent_fails_cleanly_and_keeps_previous_output() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);
    let user = RestrictedUser::new(site.path());
    // The lock file from the first build stays usable, so the build gets as
    // far as creating its temporary folder beside output/, and fails there.
    let lock = site.path().join(".output.lock");
    assert!(lock.is_file(), "the first build should leave its lock file");
    chmod(&lock, 0o666);
    let read_only = ReadOnly::new(site.path());

    let output = user.movepress(site.path(), &["build"]);

    assert_clean_failure(
        &output,
        &[
            "cannot create the temporary output folder",
            "permission denied",
            ".output.tmp-",
        ],
    );
    assert_kept(&out, &before, "output/ after the failed build", site.path());

    drop(read_only);
    let later = build_ok(site.path());
    assert_kept(&later, &before, "output/ after a later build", site.path());
}

#[test]
fn read_only_output_parent_without_lock_file_fails_cleanly_and_keeps_previous_output() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);
    let user = RestrictedUser::new(site.path());
    // Without a lock file, the build cannot even create one.
    std::fs::remove_file(site.path().join(".output.lock")).expect("remove the lock file");
    let read_only = ReadOnly::new(site.path());

    let output = user.movepress(site.path(), &["build"]);

    assert_clean_failure(
        &output,
        &[
            "cannot create the build lock",
            "permission denied",
            ".output.lock",
        ],
    );
    assert_kept(&out, &before, "output/ after the failed build", site.path());

    drop(read_only);
    let later = build_ok(site.path());
    assert_kept(&later, &before, "output/ after a later build", site.path());
}

/// A read-only output folder (`chmod -R a-w output`), in a site folder the
/// build may write: the build either replaces it or refuses cleanly, and
/// either way leaves no copy of a site beside it.
#[test]
fn read_only_output_folder_is_replaced_or_refused_leaving_nothing_beside_it() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);
    std::fs::write(site.path().join("static/changed.txt"), "changed\n").expect("change the site");
    let expected = reference_build(site.path());
    let user = RestrictedUser::new(site.path());
    if user.as_nobody {
        // The restricted user owns the site, as a clinic's staff own theirs.
        for entry in walkdir::WalkDir::new(site.path()) {
            let entry = entry.expect("walk");
            std::os::unix::fs::lchown(entry.path(), Some(NOBODY), Some(NOBODY)).expect("chown");
        }
    }
    let _read_only = ReadOnlyTree::new(&out);

    let output = user.movepress(site.path(), &["build"]);

    let err = stderr(&output);
    assert_no_crash(&err);
    match output.status.code() {
        Some(0) => assert_same_tree(&snapshot_tree(&out), &expected, "the replaced output/"),
        Some(1) => {
            assert_clean_failure(&output, &["output"]);
            assert_same_tree(&snapshot_tree(&out), &before, "the refused output/");
        }
        _ => panic!("exit code 0 or 1, got {}:\n{err}", output.status),
    }
    assert_no_leftovers(site.path());
}

/// Every folder and file under a folder read-only until dropped.
struct ReadOnlyTree(PathBuf);

impl ReadOnlyTree {
    fn new(dir: &Path) -> Self {
        for entry in walkdir::WalkDir::new(dir).contents_first(true) {
            let entry = entry.expect("walk");
            chmod(
                entry.path(),
                if entry.file_type().is_dir() {
                    0o555
                } else {
                    0o444
                },
            );
        }
        ReadOnlyTree(dir.to_path_buf())
    }
}

impl Drop for ReadOnlyTree {
    /// Makes the folders writable again, the copies a build left beside
    /// this one included, so that the test's temporary folder can be removed.
    fn drop(&mut self) {
        let parent = self.0.parent().unwrap_or(&self.0);
        for entry in walkdir::WalkDir::new(parent).into_iter().flatten() {
            if entry.file_type().is_dir() {
                let _ =
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o755));
            }
        }
    }
}

/// Runs movepress as a user the permission bits apply to: uid 65534 when
/// running as root, else the current user.
struct RestrictedUser {
    /// The binary, copied where uid 65534 can run it if need be.
    binary: PathBuf,
    as_nobody: bool,
    _binary_dir: Option<tempfile::TempDir>,
}

impl RestrictedUser {
    /// Prepares `site` to be read by the restricted user and checks that it can.
    fn new(site: &Path) -> Self {
        if !is_root() {
            return RestrictedUser {
                binary: PathBuf::from(env!("CARGO_BIN_EXE_movepress")),
                as_nobody: false,
                _binary_dir: None,
            };
        }
        make_readable_by_everyone(site);
        let mut user = RestrictedUser {
            binary: PathBuf::from(env!("CARGO_BIN_EXE_movepress")),
            as_nobody: true,
            _binary_dir: None,
        };
        if !user.can_run_binary() {
            // target/ is not reachable by uid 65534: use a copy it can run.
            let dir = tempfile::tempdir().expect("temp dir for the binary");
            chmod(dir.path(), 0o755);
            let copy = dir.path().join("movepress");
            std::fs::copy(&user.binary, &copy).expect("copy the movepress binary");
            chmod(&copy, 0o755);
            user.binary = copy;
            user._binary_dir = Some(dir);
            assert!(
                user.can_run_binary(),
                "cannot inject the fault: uid {NOBODY} cannot run movepress, not even a copy at {} \
                 (is the temp folder's parent traversable by everyone?)",
                user.binary.display()
            );
        }
        let check = user.movepress(site, &["check"]);
        assert!(
            check.status.success(),
            "cannot inject the fault: uid {NOBODY} cannot read the test site at {} \
             (is every parent folder traversable by everyone?):\n{}",
            site.display(),
            stderr(&check)
        );
        user
    }

    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command.args(args).current_dir(dir).env("NO_COLOR", "1");
        if self.as_nobody {
            // std drops the supplementary groups too when root sets a uid.
            command.uid(NOBODY).gid(NOBODY);
        }
        command
    }

    fn can_run_binary(&self) -> bool {
        self.command(Path::new("/"), &["--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn movepress(&self, dir: &Path, args: &[&str]) -> Output {
        let child = self
            .command(dir, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot inject the fault: cannot start movepress{}: {e}",
                    if self.as_nobody {
                        format!(" as uid {NOBODY} (no permission to change user?)")
                    } else {
                        String::new()
                    }
                )
            });
        finish(child, "movepress as a restricted user")
    }
}

/// Makes a folder read-only (0555) until dropped, checking that this really
/// stops the user that movepress runs as.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> Self {
        chmod(dir, 0o555);
        let guard = ReadOnly(dir.to_path_buf());
        if !is_root() {
            // As root, movepress runs as uid 65534, which does not own `dir`.
            let probe = dir.join(".write-probe");
            if std::fs::create_dir(&probe).is_ok() {
                let _ = std::fs::remove_dir(&probe);
                panic!(
                    "cannot inject the fault: {} is still writable after chmod 0555 \
                     (this user bypasses permission bits)",
                    dir.display()
                );
            }
        }
        guard
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

// ---------------------------------------------------------------------------
// 2. Full disk
// ---------------------------------------------------------------------------

#[test]
fn full_disk_fails_cleanly_and_keeps_previous_output() {
    assert!(
        is_root(),
        "cannot inject the fault: a full disk needs root to mount a small tmpfs \
         (CI runs as root); run this test as root"
    );
    let site = fixture("minimal");
    let scratch = tempfile::tempdir().expect("temp dir");
    let disk_dir = scratch.path().join("disk");
    std::fs::create_dir(&disk_dir).expect("mkdir");
    // Dropped before `scratch` (declared after it): unmounted even on failure.
    let disk = Tmpfs::mount(&disk_dir, "2m");
    let out = disk.0.join("output");
    let out_arg = out.to_str().expect("UTF-8 temp path");

    // The small site (~0.3 MB) fits.
    let first = run(site.path(), &["build", "-o", out_arg]);
    assert!(
        first.status.success(),
        "first build failed:\n{}",
        stderr(&first)
    );
    let before = snapshot_tree(&out);

    // A 4 MiB file cannot fit on the 2 MiB disk beside the previous output.
    let big = site.path().join("static/files/big.bin");
    std::fs::create_dir_all(big.parent().expect("parent")).expect("mkdir");
    std::fs::write(&big, pseudo_random_bytes(4 << 20)).expect("write the big file");

    let output = run(site.path(), &["build", "-o", out_arg]);

    assert_clean_failure(
        &output,
        &[
            "the disk is full",
            &disk.0.display().to_string(),
            ".output.tmp-",
        ],
    );
    assert_kept(&out, &before, "output/ after the failed build", &disk.0);

    // Once the site fits again, a build succeeds (the failed one gave back its space).
    std::fs::remove_file(&big).expect("remove the big file");
    let later = run(site.path(), &["build", "-o", out_arg]);
    assert!(
        later.status.success(),
        "later build failed:\n{}",
        stderr(&later)
    );
    assert_kept(&out, &before, "output/ after a later build", &disk.0);
    drop(disk);
}

/// A mounted tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Self {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot inject the fault: cannot run mount: {e}"));
        assert!(
            output.status.success(),
            "cannot inject the fault: cannot mount a {size} tmpfs on {} (needs root with \
             CAP_SYS_ADMIN): {}",
            dir.display(),
            stderr(&output).trim()
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Still busy: detach it, so it goes away once no longer used.
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Bytes that no file system could compress or deduplicate.
fn pseudo_random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 3. SIGINT and SIGKILL in the middle of a build
// ---------------------------------------------------------------------------

#[test]
fn build_interrupted_while_writing_keeps_previous_output() {
    stopped_while_writing(Stop::Interrupt);
}

#[test]
fn build_killed_while_writing_keeps_previous_output() {
    stopped_while_writing(Stop::Kill);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stop {
    /// SIGINT, as from Ctrl-C.
    Interrupt,
    /// SIGKILL: no chance to clean up.
    Kill,
}

/// Interrupts or kills a build frozen while it fills its temporary folder.
fn stopped_while_writing(stop: Stop) {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);

    // The next version of the site: different, and slow to write.
    add_bulk_static_files(site.path(), BULK_FILES);
    let expected = reference_build(site.path());
    assert!(
        expected != before,
        "the grown site should differ from the first"
    );

    let (mut build, staging) = start_frozen_mid_write(site.path(), &before);
    let partial = snapshot_tree(&staging).len();
    match stop {
        Stop::Interrupt => {
            send_signal(build.pid(), "INT");
            send_signal(build.pid(), "CONT");
        }
        Stop::Kill => build.child().kill().expect("SIGKILL the build"),
    }
    let output = build.finish("the stopped build");
    let err = stderr(&output);
    match stop {
        // Ctrl-C: the build cleans up after itself and says so.
        Stop::Interrupt => {
            assert_eq!(
                output.status.code(),
                Some(130),
                "the interrupted build should exit with 130:\n{err}"
            );
            assert!(
                err.contains("interrupted: the previous output was left as it was"),
                "{err}"
            );
        }
        Stop::Kill => assert_eq!(
            output.status.signal(),
            Some(9),
            "the build should die of SIGKILL:\n{err}"
        ),
    }
    assert_no_crash(&err);
    assert_same_tree(
        &snapshot_tree(&out),
        &before,
        &format!(
            "output/ after {stop:?} with {partial} of {} files written to the temporary folder",
            expected.len()
        ),
    );
    if stop == Stop::Kill {
        // Nothing could clean up after SIGKILL: the next build must.
        assert!(
            staging.is_dir(),
            "the killed build's temporary folder should still be there"
        );
    } else {
        assert!(
            !staging.exists(),
            "the interrupted build should have deleted its temporary folder"
        );
        assert_no_leftovers(site.path());
    }

    let later = run(site.path(), &["build"]);
    assert!(
        later.status.success(),
        "the build after {stop:?} failed:\n{}",
        stderr(&later)
    );
    assert_same_tree(
        &snapshot_tree(&out),
        &expected,
        &format!("output/ of the build after {stop:?}"),
    );
    assert_no_leftovers(site.path());
}

/// Starts `movepress build` in `site` and freezes it with SIGSTOP as soon as
/// its temporary folder appears, then checks that output/ is still `before`:
/// the moment is certain, the build is writing and has not swapped yet.
fn start_frozen_mid_write(site: &Path, before: &Tree) -> (Running, PathBuf) {
    let mut build = Running::spawn(command(site, &["build"]));
    let pid = build.pid();
    let staging = site.join(format!(".output.tmp-{pid}"));
    let deadline = Instant::now() + TIMEOUT;
    while !staging.is_dir() {
        if build.child().try_wait().expect("poll the build").is_some() {
            let output = build.finish("the build");
            panic!(
                "the build ended ({}) before its temporary folder {} was seen (does it \
                 write into one beside output/ first?); the test cannot catch it mid-write:\n{}",
                output.status,
                staging.display(),
                stderr(&output)
            );
        }
        assert!(
            Instant::now() < deadline,
            "no temporary folder {} within {TIMEOUT:?}",
            staging.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    send_signal(pid, "STOP");
    wait_for_state(pid, "stopped by SIGSTOP", |state| {
        matches!(state, "T" | "t")
    });
    assert!(
        snapshot_tree(&site.join("output")) == *before,
        "the build had already swapped in its output when it was stopped: the test site is \
         too small to catch it mid-write (raise BULK_FILES)"
    );
    (build, staging)
}

/// Adds `count` small files under static/bulk/, in 50 folders.
fn add_bulk_static_files(site: &Path, count: usize) {
    for i in 0..count {
        let dir = site.join(format!("static/bulk/{:02}", i % 50));
        if i < 50 {
            std::fs::create_dir_all(&dir).expect("mkdir");
        }
        std::fs::write(
            dir.join(format!("f{i:05}.txt")),
            format!("bulk file {i}\n").repeat(20),
        )
        .expect("write a bulk file");
    }
}

fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill -{signal}: {e}"));
    assert!(status.success(), "kill -{signal} {pid} failed: {status}");
}

/// Waits until /proc/PID/stat shows a state `wanted` accepts.
fn wait_for_state(pid: u32, what: &str, wanted: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // "pid (comm) STATE ...": the state follows the last ')'.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or("gone");
        if wanted(state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} not {what} within {TIMEOUT:?} (state {state})"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---------------------------------------------------------------------------
// 4. Two builds at once
// ---------------------------------------------------------------------------

#[test]
fn two_builds_at_once_take_turns_and_leave_one_clean_site() {
    let site = fixture("minimal");
    add_bulk_static_files(site.path(), BULK_FILES);
    let out = site.path().join("output");

    // Started together, with no previous output.
    let expected = reference_build(site.path());
    let builds = [0, 1].map(|_| Running::spawn(command(site.path(), &["build"])));
    for (i, build) in builds.into_iter().enumerate() {
        assert_built(build, &format!("concurrent build {i} (no previous output)"));
    }
    assert_same_tree(
        &snapshot_tree(&out),
        &expected,
        "output/ after two builds started together",
    );
    assert_no_leftovers(site.path());

    // The second started while the first is frozen mid-write, over a
    // previous output: it must wait for the lock, not write beside it.
    std::fs::write(site.path().join("static/bulk/changed.txt"), "changed\n")
        .expect("change the site");
    let expected = reference_build(site.path());
    let before = snapshot_tree(&out);
    let (first, _) = start_frozen_mid_write(site.path(), &before);
    let mut second = Running::spawn(command(site.path(), &["build"]));
    let lock = site.path().join(".output.lock");
    let deadline = Instant::now() + TIMEOUT;
    while !waits_for_lock(second.pid(), &lock) {
        if second.child().try_wait().expect("poll the build").is_some() {
            let output = second.finish("the second build");
            panic!(
                "the second build ended ({}) while the first was stopped mid-write, holding \
                 the lock: the builds did not take turns:\n{}",
                output.status,
                stderr(&output)
            );
        }
        assert!(
            Instant::now() < deadline,
            "the second build did not wait for the lock {} within {TIMEOUT:?}",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_same_tree(
        &snapshot_tree(&out),
        &before,
        "output/ while one build is frozen mid-write and another waits",
    );
    send_signal(first.pid(), "CONT");
    assert_built(first, "the first of two overlapping builds");
    assert_built(second, "the second of two overlapping builds");
    assert_same_tree(
        &snapshot_tree(&out),
        &expected,
        "output/ after two overlapping builds",
    );
    assert_no_leftovers(site.path());
}

/// Whether /proc/locks shows process `pid` blocked on the flock of `lock`.
fn waits_for_lock(pid: u32, lock: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(inode) = std::fs::metadata(lock).map(|m| m.ino()) else {
        return false;
    };
    let locks = std::fs::read_to_string("/proc/locks").expect("read /proc/locks");
    // "1: -> FLOCK  ADVISORY  WRITE 18159 fe:00:10010756 0 EOF" for a waiter.
    locks.lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.get(1) == Some(&"->")
            && fields.get(5) == Some(&pid.to_string().as_str())
            && fields
                .get(6)
                .and_then(|id| id.rsplit(':').next())
                .is_some_and(|ino| ino == inode.to_string())
    })
}

fn assert_built(build: Running, what: &str) {
    let output = build.finish(what);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}",
        output.status,
        stderr(&output)
    );
    assert_no_crash(&stderr(&output));
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_movepress"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    command
}

/// Runs movepress to the end (at most `TIMEOUT`).
fn run(dir: &Path, args: &[&str]) -> Output {
    Running::spawn(command(dir, args)).finish(&format!("movepress {}", args.join(" ")))
}

/// A running process, killed if the test ends (panics) before it does.
struct Running(Option<Child>);

impl Running {
    fn spawn(mut command: Command) -> Self {
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start movepress");
        Running(Some(child))
    }

    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("still running")
    }

    fn pid(&self) -> u32 {
        self.0.as_ref().expect("still running").id()
    }

    /// Its output, once it has ended (at most `TIMEOUT`).
    fn finish(mut self, what: &str) -> Output {
        finish(self.0.take().expect("still running"), what)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Collects a child's output, killing it if it runs longer than `TIMEOUT`.
fn finish(mut child: Child, what: &str) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, what);
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn wait_with_timeout(child: &mut Child, what: &str) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for movepress") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {TIMEOUT:?}: killed it");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The output of a clean build of `site` into a folder of its own.
fn reference_build(site: &Path) -> Tree {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("output");
    let output = run(
        site,
        &["build", "-o", out.to_str().expect("UTF-8 temp path")],
    );
    assert!(
        output.status.success(),
        "reference build failed:\n{}",
        stderr(&output)
    );
    snapshot_tree(&out)
}

/// Exit code 1, a message naming what failed and where, no crash.
fn assert_clean_failure(output: &Output, expected: &[&str]) {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the build should fail with exit code 1, got {}:\n{err}",
        output.status
    );
    for part in expected {
        assert!(
            err.contains(part),
            "the error message should mention {part:?}:\n{err}"
        );
    }
    assert_no_crash(&err);
}

fn assert_no_crash(err: &str) {
    for sign in ["panicked", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(!err.contains(sign), "movepress crashed ({sign:?}):\n{err}");
    }
}

/// The output folder `out` is byte-identical to `before` and nothing is
/// left beside it in `parent`.
fn assert_kept(out: &Path, before: &Tree, what: &str, parent: &Path) {
    assert_same_tree(&snapshot_tree(out), before, what);
    assert_no_leftovers(parent);
}

/// Byte-identical trees, or a panic listing the first differences.
fn assert_same_tree(actual: &Tree, expected: &Tree, what: &str) {
    if actual == expected {
        return;
    }
    let differences: Vec<String> = expected
        .keys()
        .chain(actual.keys().filter(|k| !expected.contains_key(*k)))
        .filter_map(|path| match (expected.get(path), actual.get(path)) {
            (Some(_), None) => Some(format!("missing {path}")),
            (None, Some(_)) => Some(format!("extra {path}")),
            (Some(a), Some(b)) if a != b => Some(format!("changed {path}")),
            _ => None,
        })
        .collect();
    panic!(
        "{what} is not byte-identical to what it should be ({} differences, {} vs {} files): {}",
        differences.len(),
        actual.len(),
        expected.len(),
        differences
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Nothing beside output/ but the lock file: no temporary or old folders.
fn assert_no_leftovers(parent: &Path) {
    let leftovers: Vec<String> = std::fs::read_dir(parent)
        .expect("list the output's parent")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".output.") && name != ".output.lock")
        .collect();
    assert!(
        leftovers.is_empty(),
        "left beside output/ in {}: {leftovers:?}",
        parent.display()
    );
}

/// Whether this process runs with effective uid 0 (from /proc: no libc).
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .expect("a Uid: line in /proc/self/status");
    // Real, effective, saved and file-system uid.
    uid.split_whitespace().nth(1) == Some("0")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// Folders 0755 and files 0644, the folder itself included: readable by uid 65534.
fn make_readable_by_everyone(dir: &Path) {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk");
        if entry.path_is_symlink() {
            continue;
        }
        let mode = if entry.file_type().is_dir() {
            0o755
        } else {
            0o644
        };
        chmod(entry.path(), mode);
    }
}
