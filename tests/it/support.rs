//! Fixture sites, the movepress binary, and reading what it produced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of a fixture site (tests/fixtures/<name>) in a temporary folder.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo().join("tests/fixtures").join(name), dir.path());
    dir
}

/// A copy of the repository's example site, without the repository's themes/,
/// so the built-in theme is used as a fresh site would.
pub fn example_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for part in ["site.yaml", "content", "static", "templates"] {
        let from = repo().join(part);
        if from.is_dir() {
            copy_tree(&from, &dir.path().join(part));
        } else {
            std::fs::copy(&from, dir.path().join(part)).expect("copy site.yaml");
        }
    }
    dir
}

/// The example site's programs, by slug.
pub const EXAMPLE_PROGRAMS: [&str; 4] = [
    "daily-upper-back-mobility",
    "desk-worker-reset",
    "full-upper-back-routine",
    "gentle-stretching",
];

/// An exercise the example site does not have, for tests that add one.
pub const WALL_ANGEL: &str = "---\ntitle: Wall angel\nsummary: Slide your arms up a wall.\n\
    regions: [upper-back]\nposition: standing\ndifficulty: beginner\ndosage:\n  reps: 8\n---\n\
    Stand with your back to a wall.\n";

/// Copies `overlay`'s files over the site in `dir` (for tests/fixtures/invalid/<case>).
pub fn overlay(dir: &Path, overlay: &str) {
    copy_tree(&repo().join("tests/fixtures").join(overlay), dir);
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs movepress with `args` in `dir`.
pub fn movepress(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_movepress"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run movepress")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Builds the site in `dir` into `dir/output`, asserting success.
pub fn build_ok(dir: &Path) -> PathBuf {
    let output = movepress(dir, &["build"]);
    assert!(
        output.status.success(),
        "build failed:\n{}",
        stderr(&output)
    );
    dir.join("output")
}

/// Every file under `dir`, relative path -> bytes.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    files
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The text a reader sees on a page: tags removed, entities decoded, spaces collapsed.
pub fn visible_text(html: &str) -> String {
    let text = movepress::render::html::visible_text(html);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The content of `<main>`.
pub fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("page has <main>");
    let end = html.find("</main>").expect("page has </main>");
    &html[start..end + "</main>".len()]
}
