//! The commands as a user or CI runs them: new, check formats, exit codes.

use crate::support::*;

#[test]
fn new_site_builds_with_no_errors_and_needs_no_themes_folder() {
    let dir = tempfile::tempdir().unwrap();
    let result = movepress(dir.path(), &["new", "my-clinic"]);
    assert!(result.status.success(), "{}", stderr(&result));
    let site = dir.path().join("my-clinic");
    assert!(!site.join("themes").exists());
    let build = movepress(&site, &["build"]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert!(!stderr(&build).contains("warning"), "{}", stderr(&build));
    assert!(site.join("output/exercises/cat-cow/index.html").is_file());
    assert!(
        site.join("output/programs/daily-upper-back-mobility/index.html")
            .is_file()
    );
    assert!(
        site.join(".github/workflows/site.yml").is_file(),
        "the starter has a CI workflow"
    );
}

#[test]
fn new_refuses_a_folder_with_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let result = movepress(dir.path(), &["new", "."]);
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("already exists and is not empty"));
    assert_eq!(read(&dir.path().join("keep.txt")), "mine");
}

#[test]
fn check_writes_nothing() {
    let site = fixture("minimal");
    let result = movepress(site.path(), &["check"]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(stderr(&result).contains("no problems found"));
    assert!(!site.path().join("output").exists());
}

#[test]
fn check_formats_json_and_github() {
    let site = fixture("minimal");
    overlay(site.path(), "invalid/unknown-key");
    let json = movepress(site.path(), &["check", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let line = stdout(&json);
    let value: serde_json::Value =
        serde_json::from_str(line.lines().next().unwrap()).expect("one JSON object per line");
    assert_eq!(value["file"], "content/exercises/cat-cow.md");
    assert_eq!(value["line"], 10);
    assert_eq!(value["column"], 3);
    assert_eq!(value["severity"], "error");
    assert_eq!(value["message"], "unknown key `rep`");
    assert_eq!(value["hint"], "did you mean `reps`?");

    let github = movepress(site.path(), &["check", "--format", "github"]);
    assert_eq!(github.status.code(), Some(1));
    assert_eq!(
        stdout(&github).trim(),
        "::error file=content/exercises/cat-cow.md,line=10,col=3::unknown key `rep` (hint: did you mean `reps`?)"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let site = fixture("minimal");
    assert_eq!(
        movepress(site.path(), &["build", "--no-such-flag"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        movepress(site.path(), &["check", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        movepress(site.path(), &["frobnicate"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_folder_without_site_yaml_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let result = movepress(dir.path(), &["build"]);
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("site.yaml"), "{err}");
    assert!(err.contains("movepress new"), "{err}");
}

#[test]
fn builds_a_site_in_another_folder_into_its_output() {
    let site = fixture("minimal");
    let parent = site.path().parent().unwrap();
    let name = site.path().file_name().unwrap().to_str().unwrap();
    let result = movepress(parent, &["build", name]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(site.path().join("output/index.html").is_file());
}

#[test]
fn build_refuses_an_output_folder_that_would_replace_the_site() {
    let site = fixture("minimal");
    let parent = site.path().parent().unwrap().to_path_buf();
    let before = snapshot_tree(site.path());
    for out in [".", "static", "content/out", "..", "templates/x"] {
        let result = movepress(site.path(), &["build", "-o", out]);
        assert_eq!(result.status.code(), Some(1), "-o {out}");
        assert!(
            stderr(&result).contains("refusing to build into this folder"),
            "-o {out}: {}",
            stderr(&result)
        );
    }
    // A folder with other files in it is not replaced either.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("notes.txt"), "mine").unwrap();
    let result = movepress(
        site.path(),
        &["build", "-o", other.path().to_str().unwrap()],
    );
    assert_eq!(result.status.code(), Some(1));
    assert_eq!(read(&other.path().join("notes.txt")), "mine");
    assert!(
        snapshot_tree(site.path()) == before,
        "the site is untouched"
    );
    assert!(parent.is_dir());
    // A previous build is replaced as usual.
    build_ok(site.path());
    build_ok(site.path());
}

#[test]
fn a_theme_name_cannot_leave_the_site() {
    let site = fixture("minimal");
    let config = site.path().join("site.yaml");
    std::fs::write(&config, read(&config) + "theme: ../../etc\n").unwrap();
    let result = movepress(site.path(), &["check"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("`../../etc` is not a theme name"),
        "{}",
        stderr(&result)
    );
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let site = fixture("minimal");
    // A stray file is a warning, printed without --quiet.
    std::fs::write(site.path().join("content/exercises/notes.txt"), "to do").unwrap();
    let loud = movepress(site.path(), &["check"]);
    assert!(stderr(&loud).contains("notes.txt"), "{}", stderr(&loud));
    for command in ["build", "check"] {
        let result = movepress(site.path(), &[command, "--quiet"]);
        assert!(result.status.success(), "{command}: {}", stderr(&result));
        assert_eq!(stderr(&result), "", "{command}");
        assert_eq!(stdout(&result), "", "{command}");
    }
    // Errors are still printed, with the summary line.
    let exercise = site.path().join("content/exercises/bird-dog.md");
    std::fs::write(
        &exercise,
        read(&exercise).replace("difficulty: intermediate", "difficulty: hard"),
    )
    .unwrap();
    for command in ["build", "check"] {
        let result = movepress(site.path(), &[command, "-q"]);
        let err = stderr(&result);
        assert_eq!(result.status.code(), Some(1), "{command}: {err}");
        assert!(
            err.contains("bird-dog.md") && err.contains("1 error in 1 file"),
            "{command}: {err}"
        );
    }
}

#[test]
fn base_url_flag_must_be_a_web_address() {
    let site = fixture("minimal");
    let result = movepress(site.path(), &["build", "--base-url", "javascript:alert(1)"]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "a usage error:\n{err}");
    assert!(err.contains("is not a full web address"), "{err}");
    assert!(
        err.ends_with("\n1 error in `--base-url`; nothing was written\n"),
        "the option is named as one, not counted as a file:\n{err}"
    );
    assert!(!site.path().join("output").exists());
}

#[test]
fn a_failed_build_says_the_output_is_as_it_was_only_when_there_was_one() {
    let site = fixture("minimal");
    let exercise = site.path().join("content/exercises/bird-dog.md");
    std::fs::write(
        &exercise,
        read(&exercise).replace("difficulty: intermediate", "difficulty: hard"),
    )
    .unwrap();
    let result = movepress(site.path(), &["build", "-o", "deploy/site"]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1));
    assert!(
        err.ends_with("\n1 error in 1 file; nothing was written\n"),
        "{err}"
    );
    assert!(!site.path().join("deploy/site").exists());

    std::fs::create_dir(site.path().join("output")).unwrap();
    let err = stderr(&movepress(site.path(), &["build"]));
    assert!(
        err.ends_with("\n1 error in 1 file; nothing was written, output is as it was\n"),
        "{err}"
    );
}

#[test]
fn a_warning_is_counted_apart_from_the_files_with_errors() {
    let site = fixture("minimal");
    std::fs::write(site.path().join("content/exercises/notes.txt"), "to do").unwrap();
    let exercise = site.path().join("content/exercises/bird-dog.md");
    std::fs::write(
        &exercise,
        read(&exercise).replace("difficulty: intermediate", "difficulty: hard"),
    )
    .unwrap();
    let build = movepress(site.path(), &["build"]);
    let err = stderr(&build);
    assert_eq!(build.status.code(), Some(1));
    assert!(err.contains("warning: this file is not used"), "{err}");
    assert!(
        err.ends_with("\n1 error in 1 file, 1 warning; nothing was written\n"),
        "{err}"
    );
    let err = stderr(&movepress(site.path(), &["check"]));
    assert!(err.ends_with("\n1 error in 1 file, 1 warning\n"), "{err}");
}

#[test]
fn one_error_about_one_thing_is_not_counted_in_files() {
    let site = example_site();
    let handout = movepress(site.path(), &["handout", "no-such-routine", "-o", "x.pdf"]);
    let err = stderr(&handout);
    assert_eq!(handout.status.code(), Some(1), "{err}");
    assert!(
        err.contains("there is no program or exercise `no-such-routine`"),
        "{err}"
    );
    assert!(!err.contains("in 1 file"), "a folder is no file:\n{err}");

    let taken = tempfile::tempdir().unwrap();
    std::fs::write(taken.path().join("notes.txt"), "mine").unwrap();
    let new = movepress(site.path(), &["new", taken.path().to_str().unwrap()]);
    let err = stderr(&new);
    assert_eq!(new.status.code(), Some(1), "{err}");
    assert!(err.contains("already exists and is not empty"), "{err}");
    assert!(!err.contains("in 1 file"), "{err}");
}
