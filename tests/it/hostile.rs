//! Hostile and odd input: each case ends in a clear error or a correct
//! build, never a panic, never a hang, never a file from outside the site.

use std::path::Path;

use crate::support::*;

fn write(site: &Path, file: &str, text: &str) {
    let path = site.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Builds the minimal site, applies `change`, and builds again: the second
/// build must fail with exit code 1, say so, and leave the first build's
/// output byte-for-byte as it was. Returns what it printed.
fn build_fails(change: impl FnOnce(&Path)) -> String {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);
    change(site.path());
    let build = movepress(site.path(), &["build"]);
    let err = stderr(&build);
    assert_eq!(build.status.code(), Some(1), "exit code 1:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        snapshot_tree(&out) == before,
        "the previous output is untouched:\n{err}"
    );
    err
}

/// `err` holds `message` at `location` (file:line:column).
fn assert_reported(err: &str, location: &str, message: &str) {
    assert!(
        err.contains(&format!("--> {location}")),
        "names `{location}`:\n{err}"
    );
    assert!(err.contains(message), "says `{message}`:\n{err}");
    assert!(err.contains("help: "), "gives a hint:\n{err}");
}

/// Replaces `from` with `to` in the site's file `file`.
fn edit(site: &Path, file: &str, from: &str, to: &str) {
    let path = site.join(file);
    let text = read(&path);
    assert!(text.contains(from), "{file} holds `{from}`");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The front-matter anchor bomb is tests/fixtures/invalid/anchor-bomb; a
/// program file is read by the same YAML reader, with the same limits.
#[test]
fn an_anchor_bomb_in_a_program_is_refused() {
    let err = build_fails(|site| {
        let mut bomb = String::from(
            "title: Bomb\nsummary: x\nexercises:\n  - &s0 {exercise: cat-cow, note: x}\n",
        );
        for i in 1..13 {
            let copies = vec![format!("*s{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("  - &s{i} {{<<: [{copies}]}}\n"));
        }
        write(site, "content/programs/bomb.yaml", &bomb);
    });
    assert!(
        err.contains("--> content/programs/bomb.yaml:"),
        "names the file:\n{err}"
    );
    assert!(
        err.contains("this value is copied too many times by `*` references"),
        "{err}"
    );
}

#[test]
fn yaml_mistakes_are_explained_in_clinic_words() {
    let program = "content/programs/daily.yaml";
    for (from, to, location, message) in [
        (
            "updated: 2026-10-03",
            "updated: 2026-10-03\n---\ntitle: Second",
            "content/programs/daily.yaml:6:1",
            "a second YAML document starts here",
        ),
        (
            "  - exercise: bird-dog",
            "\t- exercise: bird-dog",
            "content/programs/daily.yaml:11:1",
            "a tab is used where YAML needs spaces",
        ),
        (
            "title: Daily routine",
            "title: *routine",
            "content/programs/daily.yaml:1:8",
            "`*routine` refers to no `&` anchor above it",
        ),
        (
            "frequency: once a day",
            "frequency: [once, a, day]",
            "content/programs/daily.yaml:3:12",
            "expected a single value, not a list",
        ),
        (
            "summary: Two exercises for every day.",
            "summary: \"Two exercises for every day.",
            "content/programs/daily.yaml:2:10",
            "this quoted text is not closed",
        ),
    ] {
        let err = build_fails(|site| edit(site, program, from, to));
        assert_reported(&err, location, message);
        for jargon in ["from_str", "scalar", "serde", "{ "] {
            assert!(!err.contains(jargon), "no library words:\n{err}");
        }
    }
}

#[test]
fn front_matter_with_too_many_values_is_refused() {
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "cautions:\n",
            &format!("cautions:\n{}", "  - Go slowly.\n".repeat(300_000)),
        )
    });
    assert!(
        err.contains("--> content/exercises/cat-cow.md:"),
        "names the file:\n{err}"
    );
    assert!(
        err.contains("error: this YAML is too large or too deeply nested to read"),
        "{err}"
    );
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark_keep_line_numbers_right() {
    let err = build_fails(|site| {
        let source = read(&site.join("content/exercises/cat-cow.md"))
            .replace("  reps: 10", "  rep: 10")
            .replace('\n', "\r\n");
        write(
            site,
            "content/exercises/cat-cow.md",
            &format!("\u{feff}{source}"),
        );
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:10:3",
        "unknown key `rep`",
    );
    // And correct CRLF files with a BOM build.
    let site = fixture("minimal");
    let good = read(&site.path().join("content/exercises/bird-dog.md")).replace('\n', "\r\n");
    write(
        site.path(),
        "content/exercises/bird-dog.md",
        &format!("\u{feff}{good}"),
    );
    let source = read(&site.path().join("content/exercises/cat-cow.md")).replace('\n', "\r\n");
    write(site.path(), "content/exercises/cat-cow.md", &source);
    let out = build_ok(site.path());
    assert!(visible_text(&read(&out.join("exercises/bird-dog/index.html"))).contains("Bird Dog"));
}

#[test]
fn a_large_file_and_pathological_markdown_build() {
    let site = fixture("minimal");
    let mut big = String::from("---\ntitle: Big\nsummary: A very long page.\n---\n");
    let paragraph =
        "Move slowly and breathe. Keep your back long and your shoulders soft. ".repeat(20);
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&paragraph);
        big.push_str("\n\n");
    }
    // A page: the parser and the HTML path. (An exercise prints its body into
    // a PDF handout too, which for 10 MB of text is thousands of pages.)
    write(site.path(), "content/pages/big.md", &big);
    let brackets = format!(
        "---\ntitle: Brackets\nsummary: x\n---\n{}\n",
        "[".repeat(50_000)
    );
    write(site.path(), "content/exercises/brackets.md", &brackets);
    let quotes = format!(
        "---\ntitle: Quotes\nsummary: x\n---\n{} deep\n",
        "> ".repeat(10_000)
    );
    write(site.path(), "content/exercises/quotes.md", &quotes);
    let out = build_ok(site.path());
    assert!(out.join("big/index.html").is_file());
    assert!(out.join("exercises/brackets/index.html").is_file());
    assert!(out.join("exercises/quotes/index.html").is_file());
}

#[test]
fn slugs_that_escape_or_look_alike_are_refused() {
    for slug in [
        "../../etc",
        "/etc/passwd",
        "exercises/../../x",
        "cat\u{2010}cow",  // a hyphen that is not `-`
        "\u{0441}at-cow",  // Cyrillic `с`
        "c\u{0430}t-cow",  // Cyrillic `а`
        "\u{ff43}at-cow",  // fullwidth `ｃ`
        "cat\u{200b}-cow", // a zero-width space
        "cat-co\u{0301}w", // a combining accent
    ] {
        let err = build_fails(|site| {
            edit(
                site,
                "content/exercises/cat-cow.md",
                "title: Cat-Cow",
                &format!("title: Cat-Cow\nslug: \"{slug}\""),
            )
        });
        assert_reported(
            &err,
            "content/exercises/cat-cow.md:3:7",
            &format!("`{slug}` is not a valid slug"),
        );
    }
    // A file name that looks like a slug but is not one.
    let err = build_fails(|site| {
        let source = read(&site.join("content/exercises/bird-dog.md"));
        write(site, "content/exercises/\u{0441}at-cow.md", &source);
    });
    assert_reported(
        &err,
        "content/exercises/\u{0441}at-cow.md",
        "the file name `\u{0441}at-cow` cannot be used as a web address",
    );
}

#[test]
fn reserved_names_are_refused_wherever_they_make_an_address() {
    let page = |slug: &str| format!("---\ntitle: A page\nslug: {slug}\n---\nText.\n");
    // The site's own sections and files.
    for name in [
        "index",
        "404",
        "static",
        "handouts",
        "exercises",
        "programs",
        "regions",
        "sitemap",
    ] {
        let err = build_fails(|site| write(site, "content/pages/page.md", &page(name)));
        assert_reported(
            &err,
            "content/pages/page.md:3:7",
            &format!("the page name `{name}` is taken by a section of the site"),
        );
    }
    // Names Windows keeps for devices, wherever a name becomes a folder or file.
    let device = "Windows keeps this name for a device";
    for name in ["con", "prn", "aux", "nul", "com1", "lpt9"] {
        let err = build_fails(|site| write(site, "content/pages/page.md", &page(name)));
        assert_reported(
            &err,
            "content/pages/page.md:3:7",
            &format!("`{name}` cannot be used as a slug: {device}"),
        );
    }
    let err = build_fails(|site| {
        let source = read(&site.join("content/exercises/bird-dog.md"));
        write(site, "content/exercises/con.md", &source);
    });
    assert_reported(
        &err,
        "content/exercises/con.md",
        &format!("the file name `con` cannot be used as a web address: {device}"),
    );
    let err = build_fails(|site| {
        let source = read(&site.join("content/programs/daily.yaml"));
        write(site, "content/programs/aux.yaml", &source);
    });
    assert_reported(
        &err,
        "content/programs/aux.yaml",
        &format!("the file name `aux` cannot be used as a web address: {device}"),
    );
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "regions: [upper-back]",
            "regions: [upper-back, com1]",
        )
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:4:23",
        &format!("`com1` cannot be used as a region: {device}"),
    );
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "position: quadruped",
            "position: nul",
        )
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:6:11",
        &format!("`nul` cannot be used as a position: {device}"),
    );
}

#[test]
fn image_paths_outside_static_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.svg");
    std::fs::write(&secret, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    for src in [
        "/etc/passwd",
        "../site.yaml",
        "images/../../site.yaml",
        "C:\\Windows\\win.ini",
        "images\\..\\..\\site.yaml",
        "file:///etc/passwd",
        "https://tracker.example/cat-cow.svg",
        "//tracker.example/cat-cow.svg",
        secret.to_str().unwrap(),
    ] {
        let err = build_fails(|site| {
            edit(
                site,
                "content/exercises/cat-cow.md",
                "src: images/cat-cow.svg",
                &format!("src: '{src}'"),
            )
        });
        assert_reported(
            &err,
            "content/exercises/cat-cow.md:16:10",
            &format!("the image path `{src}` points outside the static/ folder"),
        );
    }
    // Inside static/, but not written as a path inside it.
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "src: images/cat-cow.svg",
            "src: ./images/cat-cow.svg",
        )
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:16:10",
        "the image path `./images/cat-cow.svg` starts with `./`",
    );
    // A link inside static/ to a picture outside the site.
    let err = build_fails(|site| {
        std::os::unix::fs::symlink(&secret, site.join("static/images/linked.svg")).unwrap();
        edit(
            site,
            "content/exercises/cat-cow.md",
            "src: images/cat-cow.svg",
            "src: images/linked.svg",
        )
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:16:10",
        "the image path `images/linked.svg` points outside the static/ folder",
    );
    assert!(
        err.contains("static/images/linked.svg")
            && err.contains("this link points outside the site folder"),
        "{err}"
    );
}

/// YAML's `!include` tag and `${NAME}` references are plain text here: no
/// file from outside the site and no environment variable reaches a page.
#[test]
fn yaml_tags_and_references_read_no_file_and_no_environment() {
    let site = fixture("minimal");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "CANARY-41c9").unwrap();
    edit(
        site.path(),
        "content/programs/daily.yaml",
        "title: Daily routine",
        &format!("title: !include {}", secret.display()),
    );
    edit(
        site.path(),
        "content/programs/daily.yaml",
        "frequency: once a day",
        "frequency: ${MOVEPRESS_SECRET}",
    );
    let result = std::process::Command::new(env!("CARGO_BIN_EXE_movepress"))
        .arg("build")
        .current_dir(site.path())
        .env("MOVEPRESS_SECRET", "CANARY-9e2d")
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    let page = visible_text(&read(&site.path().join("output/programs/daily/index.html")));
    assert!(page.contains(&secret.display().to_string()), "{page}");
    assert!(page.contains("${MOVEPRESS_SECRET}"), "{page}");
    for (path, bytes) in snapshot_tree(&site.path().join("output")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("CANARY-41c9") && !text.contains("CANARY-9e2d"),
            "a secret reached {path}"
        );
    }
}

#[test]
fn symlinks_out_of_the_site_and_loops_are_errors() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "CANARY-7f3a").unwrap();
    let err = build_fails(|site| {
        let link = |target: &Path, link: &str| {
            std::os::unix::fs::symlink(target, site.join(link)).unwrap()
        };
        link(&outside.path().join("secret.txt"), "static/secret.txt");
        link(outside.path(), "static/outside");
        link(
            &site.join("content/exercises/loop-a.md"),
            "content/exercises/loop-b.md",
        );
        link(
            &site.join("content/exercises/loop-b.md"),
            "content/exercises/loop-a.md",
        );
    });
    assert_reported(
        &err,
        "static/secret.txt",
        "this link points outside the site folder",
    );
    assert_reported(
        &err,
        "static/outside",
        "this link points outside the site folder",
    );
    assert_reported(
        &err,
        "content/exercises/loop-a.md",
        "this link leads nowhere (a missing file or a loop of links)",
    );
}

#[test]
fn templates_cannot_read_the_environment_or_the_clock() {
    for call in [
        "get_env(name=\"HOME\")",
        "now()",
        "read_file(path=\"/etc/passwd\")",
        "load_data(path=\"site.yaml\")",
    ] {
        let err = build_fails(|site| {
            write(
                site,
                "templates/page.html",
                &format!(
                    "{{% extends \"base.html\" %}}{{% block main %}}{{{{ {call} }}}}{{% endblock main %}}"
                ),
            )
        });
        assert!(err.contains("--> templates/page.html:1:"), "{call}: {err}");
        assert!(err.contains("Unknown function"), "{call}: {err}");
    }
}

#[test]
fn script_in_content_never_reaches_a_page() {
    let hostile = "Hello <script>alert(1)</script> <img src=x onerror=alert(1)> [x](JaVaScRiPt:alert(1)) [y](<java\tscript:alert(1)>) <a href=\"&#106;avascript:alert(1)\">z</a>\n\n<script>alert(2)</script>\n";
    for allow in [false, true] {
        let site = fixture("minimal");
        write(
            site.path(),
            "content/pages/about.md",
            &format!("---\ntitle: About us\n---\n{hostile}"),
        );
        if allow {
            let config = site.path().join("site.yaml");
            std::fs::write(&config, read(&config) + "markdown:\n  allow_html: true\n").unwrap();
        }
        let out = build_ok(site.path());
        let main = main_of(&read(&out.join("about/index.html"))).to_ascii_lowercase();
        assert!(!main.contains("<script"), "allow_html={allow}: {main}");
        // Inside every tag: no event handler, no script URL.
        for tag in main
            .split('<')
            .skip(1)
            .map(|t| &t[..t.find('>').unwrap_or(t.len())])
        {
            for attribute in tag.split_whitespace().skip(1) {
                assert!(!attribute.starts_with("on"), "allow_html={allow}: <{tag}>");
                let value = attribute
                    .split_once('=')
                    .map_or("", |(_, v)| v.trim_matches('"'));
                assert!(
                    !value.starts_with("javascript") && !value.starts_with("&#"),
                    "allow_html={allow}: <{tag}>"
                );
            }
        }
    }
}

/// The number of errors the build's summary line gives.
fn error_count(err: &str) -> usize {
    err.lines().filter(|l| l.starts_with("error: ")).count()
}

#[test]
fn every_mistake_in_one_file_is_reported_in_one_run() {
    let exercise = "content/exercises/cat-cow.md";
    let err = build_fails(|site| {
        edit(site, exercise, "  reps: 10", "  rep: 10");
        edit(site, exercise, "  sets: 2", "  sets: two");
        edit(site, exercise, "difficulty: beginner", "difficulty: easy");
        edit(
            site,
            exercise,
            "src: images/cat-cow.svg",
            "src: images/nope.svg",
        );
        edit(site, exercise, "updated: 2026-10-01", "updated: 2026-13-01");
        edit(
            site,
            exercise,
            "Move **slowly**.",
            "Move [slowly](@/exercises/nope.md).",
        );
    });
    for (location, message) in [
        ("cat-cow.md:10:3", "unknown key `rep`"),
        ("cat-cow.md:11:9", "expected a whole number"),
        ("cat-cow.md:8:13", "unknown difficulty `easy`"),
        (
            "cat-cow.md:16:10",
            "the image `static/images/nope.svg` does not exist",
        ),
        ("cat-cow.md:20:10", "`2026-13-01` is not a date"),
        (
            "cat-cow.md:",
            "the link target `@/exercises/nope.md` does not exist",
        ),
    ] {
        assert_reported(&err, &format!("content/exercises/{location}"), message);
    }
    assert_eq!(error_count(&err), 6, "nothing more, nothing twice:\n{err}");
    assert!(err.contains("6 errors in 1 file"), "{err}");
}

#[test]
fn a_misspelt_key_is_not_also_missing_and_an_empty_one_is_said_to_be_empty() {
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "title: Cat-Cow",
            "tittle: Cat-Cow",
        );
        edit(
            site,
            "content/programs/daily.yaml",
            "title: Daily routine",
            "title:",
        );
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:2:1",
        "unknown key `tittle`",
    );
    assert!(!err.contains("`title` is missing"), "{err}");
    assert_reported(
        &err,
        "content/programs/daily.yaml:1:1",
        "`title` has no value",
    );
    assert_eq!(error_count(&err), 2, "{err}");
}

#[test]
fn every_mistake_in_site_yaml_is_reported_in_one_run() {
    let err = build_fails(|site| {
        let path = site.join("site.yaml");
        let text = read(&path);
        std::fs::write(
            path,
            format!("{text}\nhandouts:\n  papr: a4\n  font_size: 40\n"),
        )
        .unwrap();
    });
    assert_reported(&err, "site.yaml:10:3", "unknown key `papr`");
    assert_reported(&err, "site.yaml:11:14", "`font_size` is 40");
    assert_eq!(error_count(&err), 2, "{err}");
}

#[test]
fn a_slug_taken_twice_is_reported_even_when_the_other_file_is_broken() {
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "updated: 2026-10-01",
            "updated: 2026-13-45",
        );
        edit(
            site,
            "content/exercises/bird-dog.md",
            "title: Bird Dog",
            "title: Bird Dog\nslug: cat-cow",
        );
    });
    assert_reported(&err, "content/exercises/cat-cow.md:20:10", "is not a date");
    assert_reported(
        &err,
        "content/exercises/bird-dog.md:3:7",
        "two exercises have the slug `cat-cow`: this file and `content/exercises/cat-cow.md`",
    );
}

#[test]
fn a_list_for_one_value_and_a_reference_to_a_draft_say_so() {
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "position: quadruped",
            "position: [quadruped, kneeling]",
        );
        edit(
            site,
            "content/exercises/bird-dog.md",
            "title: Bird Dog",
            "title: Bird Dog\ndraft: true",
        );
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:6:11",
        "expected a single value, not a list",
    );
    assert!(
        err.contains("write one value here, without `[ ]` or `-`"),
        "{err}"
    );
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:19:11",
        "the related exercise `bird-dog` is a draft, left out of this build",
    );
    assert!(!err.contains("does not exist"), "{err}");
}

#[test]
fn an_exercise_related_to_itself_is_refused() {
    let err = build_fails(|site| {
        edit(
            site,
            "content/exercises/cat-cow.md",
            "related: [bird-dog]",
            "related: [bird-dog, cat-cow]",
        );
    });
    assert_reported(
        &err,
        "content/exercises/cat-cow.md:19:21",
        "an exercise cannot be related to itself",
    );
}

#[test]
fn leaving_out_a_wrong_entry_adds_no_error_of_its_own() {
    let exercise = "content/exercises/cat-cow.md";
    let err = build_fails(|site| {
        // A list over several lines with its `]` alone, a comment after a
        // key, a quoted title with a comment, a mapping where a list
        // belongs, a wrong value in a list item, an only child.
        edit(
            site,
            exercise,
            "regions: [upper-back]",
            "regions: [\n  upper-back,\n  {x: y},\n]",
        );
        edit(
            site,
            exercise,
            "title: Cat-Cow",
            "title: \"Cat-Cow\" # the name",
        );
        edit(
            site,
            exercise,
            "cautions:\n  - Stop if you feel sharp pain.",
            "cautons: # shown in red\n- Stop if you feel sharp pain.",
        );
        edit(
            site,
            exercise,
            "  - src: images/cat-cow.svg",
            "  - src: [images/cat-cow.svg]",
        );
        edit(site, exercise, "difficulty: beginner", "difficulty: 3");
        edit(
            site,
            "content/programs/daily.yaml",
            "exercises:\n  - exercise: cat-cow",
            "dosage:\n  first: 1\n  second: 2\nexercises:\n  - exercise: cat-cow",
        );
    });
    for (location, message) in [
        ("content/exercises/cat-cow.md:6:3", "expected text"),
        (
            "content/exercises/cat-cow.md:11:13",
            "unknown difficulty `3`",
        ),
        ("content/exercises/cat-cow.md:16:1", "unknown key `cautons`"),
        (
            "content/exercises/cat-cow.md:19:10",
            "expected a single value, not a list",
        ),
        ("content/programs/daily.yaml:7:1", "unknown key `dosage`"),
    ] {
        assert_reported(&err, location, message);
    }
    assert_eq!(error_count(&err), 5, "no error made by leaving out:\n{err}");
}
