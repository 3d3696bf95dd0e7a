//! The handout cache: unchanged handouts are not made again, the output is
//! the same with or without the cache, and a damaged cache is ignored.
//! (That no patient's name reaches it is tested in privacy.rs.)

use std::fs;
use std::path::Path;

use crate::support::{WALL_ANGEL, build_ok, example_site, movepress, read, snapshot_tree, stderr};

const CACHE: &str = ".movepress-cache/handouts";

/// The cache's entries (not the file that marks the end of a build).
fn entries(site: &Path) -> Vec<std::path::PathBuf> {
    fs::read_dir(site.join(CACHE))
        .expect("cache")
        .flatten()
        .filter(|entry| entry.file_name() != ".built")
        .map(|entry| entry.path())
        .collect()
}

fn summary(dir: &Path) -> String {
    let output = movepress(dir, &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    stderr(&output)
}

#[test]
fn unchanged_handouts_come_from_the_cache_and_the_output_is_the_same() {
    let dir = example_site();
    let site = dir.path();
    let first = summary(site);
    assert!(
        first.contains("22 handouts in"),
        "first build makes them all: {first}"
    );
    assert!(!first.contains("cache"), "{first}");
    let clean = snapshot_tree(&site.join("output"));

    let second = summary(site);
    assert!(
        second.contains("22 handouts (all from the cache)"),
        "{second}"
    );
    assert!(
        snapshot_tree(&site.join("output")) == clean,
        "cached handouts are the same bytes"
    );

    // One exercise changed: its sheet and the programs with it are made again.
    let path = site.join("content/exercises/cat-cow.md");
    let text = fs::read_to_string(&path).expect("read");
    fs::write(&path, text.replace("  reps: 10", "  reps: 12")).expect("write");
    let third = summary(site);
    assert!(third.contains("22 handouts (18 from the cache)"), "{third}");
    let pdf = fs::read(site.join("output/handouts/exercises/cat-cow.pdf")).expect("pdf");
    fs::remove_dir_all(site.join(".movepress-cache")).expect("remove the cache");
    build_ok(site);
    assert!(
        fs::read(site.join("output/handouts/exercises/cat-cow.pdf")).expect("pdf") == pdf,
        "the re-made handout equals one made without a cache"
    );
    assert_eq!(entries(site).len(), 22, "entries no build uses are removed");
}

#[test]
fn a_damaged_cache_is_ignored() {
    let dir = example_site();
    let site = dir.path();
    let clean = snapshot_tree(&build_ok(site));
    for entry in entries(site) {
        let mut bytes = fs::read(&entry).expect("read");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        fs::write(&entry, &bytes[..bytes.len() - 3]).expect("damage");
    }
    fs::write(site.join(CACHE).join("not-an-entry"), "junk").expect("junk");
    let again = summary(site);
    assert!(
        !again.contains("from the cache"),
        "no damaged entry is used: {again}"
    );
    assert!(snapshot_tree(&site.join("output")) == clean);
}

#[test]
fn editing_a_built_handout_in_place_does_not_reach_the_next_build() {
    // The build links cached handouts into the output instead of copying
    // them: a file changed in place in output/ is the cache entry too.
    let dir = example_site();
    let site = dir.path();
    build_ok(site);
    let clean = snapshot_tree(&build_ok(site));
    let sheet = site.join("output/handouts/exercises/cat-cow.pdf");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(&sheet)
        .expect("open the built handout");
    std::io::Write::write_all(&mut file, b"%PDF-1.7 scribbled over").expect("scribble");
    drop(file);

    let again = summary(site);
    assert!(
        again.contains("22 handouts (21 from the cache)"),
        "the scribbled handout is made again: {again}"
    );
    assert!(snapshot_tree(&site.join("output")) == clean);
}

#[test]
fn permissions_changed_in_the_output_do_not_reach_the_next_build() {
    use std::os::unix::fs::PermissionsExt;
    let dir = example_site();
    let site = dir.path();
    build_ok(site);
    let out = build_ok(site);
    let mode = |path: &Path| fs::metadata(path).expect("stat").permissions().mode() & 0o777;
    let page = mode(&out.join("index.html"));
    let sheet = out.join("handouts/exercises/cat-cow.pdf");
    assert_eq!(mode(&sheet), page, "a handout is published like a page");
    fs::set_permissions(&sheet, fs::Permissions::from_mode(0o600)).expect("chmod");

    let out = build_ok(site);
    assert_eq!(
        mode(&out.join("handouts/exercises/cat-cow.pdf")),
        page,
        "the next build's handout is readable like its pages"
    );
}

/// The text under the front matter is on the sheet too: a change there
/// makes the exercise's sheet and the programs that show it again, and a
/// change back finds them in the cache.
#[test]
fn editing_an_exercises_text_remakes_its_handouts() {
    let dir = example_site();
    let site = dir.path();
    build_ok(site);
    let path = site.join("content/exercises/cat-cow.md");
    let text = fs::read_to_string(&path).expect("read");
    let step = "5. Move slowly between the two shapes, one breath for each.";
    assert!(
        text.contains(step),
        "the example's step is as this test expects"
    );
    fs::write(
        &path,
        text.replace(
            step,
            "5. Move slowly between the two shapes, two breaths for each.",
        ),
    )
    .expect("write");
    let edited = summary(site);
    assert!(
        edited.contains("22 handouts (18 from the cache)"),
        "{edited}"
    );
    let pdf = lopdf::Document::load(site.join("output/handouts/exercises/cat-cow.pdf"))
        .expect("the sheet parses");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let shown = pdf.extract_text(&pages).expect("the sheet's text");
    assert!(
        shown
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("two breaths for each"),
        "the sheet shows the new text: {shown}"
    );

    fs::write(&path, &text).expect("write");
    let back = summary(site);
    assert!(back.contains("22 handouts (18 from the cache)"), "{back}");
}

#[test]
fn a_new_address_remakes_only_the_handouts_that_link_to_it() {
    let dir = example_site();
    let site = dir.path();
    build_ok(site);

    // A new exercise: every handout stays as it was.
    fs::write(site.join("content/exercises/wall-angel.md"), WALL_ANGEL).expect("write");
    let added = summary(site);
    assert!(
        added.contains("23 handouts (22 from the cache)"),
        "only the new exercise's sheet is made: {added}"
    );

    // A program moves to a new address: its handout, and the routine whose
    // introduction links to it, are made again; no other.
    let program = site.join("content/programs/daily-upper-back-mobility.yaml");
    let text = fs::read_to_string(&program).expect("read");
    fs::write(&program, format!("slug: daily-upper-back\n{text}")).expect("write");
    let moved = summary(site);
    assert!(
        moved.contains("23 handouts (21 from the cache)"),
        "the moved program and the one linking to it: {moved}"
    );
    let cached = snapshot_tree(&site.join("output"));
    fs::remove_dir_all(site.join(".movepress-cache")).expect("remove the cache");
    assert!(
        snapshot_tree(&build_ok(site)) == cached,
        "the same output as a build without a cache"
    );
}

/// The feed's length is not on any handout: changing it makes no handout again.
#[test]
fn changing_the_feed_limit_keeps_every_handout() {
    let site = example_site();
    build_ok(site.path());
    let config = site.path().join("site.yaml");
    let yaml = read(&config);
    std::fs::write(&config, format!("{yaml}\nfeed:\n  limit: 5\n")).unwrap();
    let build = movepress(site.path(), &["build"]);
    let err = stderr(&build);
    assert!(build.status.success(), "{err}");
    assert!(err.contains("22 handouts (all from the cache)"), "{err}");
}
