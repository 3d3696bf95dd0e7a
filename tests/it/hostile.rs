//! Hostile and odd input: each case ends in a clear error or a correct
//! build, never a panic, never a hang, never a file from outside the site.

use crate::support::*;

fn write(site: &std::path::Path, file: &str, text: &str) {
    let path = site.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn check_fails(site: &std::path::Path) -> String {
    let result = movepress(site, &["check"]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let site = fixture("minimal");
    let mut bomb =
        String::from("---\ntitle: Bomb\nsummary: x\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        bomb.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    bomb.push_str("---\nBody.\n");
    write(site.path(), "content/exercises/bomb.md", &bomb);
    let err = check_fails(site.path());
    assert!(err.contains("content/exercises/bomb.md"), "{err}");
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark_keep_line_numbers_right() {
    let site = fixture("minimal");
    let source = read(&site.path().join("content/exercises/cat-cow.md"))
        .replace("  reps: 10", "  rep: 10")
        .replace('\n', "\r\n");
    write(
        site.path(),
        "content/exercises/cat-cow.md",
        &format!("\u{feff}{source}"),
    );
    let err = check_fails(site.path());
    assert!(err.contains("content/exercises/cat-cow.md:10:3"), "{err}");
    assert!(err.contains("unknown key `rep`"), "{err}");
    // And a correct CRLF file with a BOM builds.
    let good = read(&site.path().join("content/exercises/bird-dog.md")).replace('\n', "\r\n");
    write(
        site.path(),
        "content/exercises/bird-dog.md",
        &format!("\u{feff}{good}"),
    );
    let source =
        read(&site.path().join("content/exercises/cat-cow.md")).replace("  rep: 10", "  reps: 10");
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
    for (slug, shown) in [
        ("../../etc", "../../etc"),
        ("/etc/passwd", "/etc/passwd"),
        ("cat\u{2010}cow", "cat\u{2010}cow"),
    ] {
        let site = fixture("minimal");
        let file = site.path().join("content/exercises/cat-cow.md");
        write(
            site.path(),
            "content/exercises/cat-cow.md",
            &read(&file).replace(
                "title: Cat-Cow",
                &format!("title: Cat-Cow\nslug: \"{slug}\""),
            ),
        );
        let err = check_fails(site.path());
        assert!(
            err.contains(&format!("`{shown}` is not a valid slug")),
            "{slug}: {err}"
        );
    }
}

#[test]
fn symlinks_out_of_the_site_and_loops_are_errors() {
    let site = fixture("minimal");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "CANARY-7f3a").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        site.path().join("static/secret.txt"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        site.path().join("content/exercises/loop-a.md"),
        site.path().join("content/exercises/loop-b.md"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        site.path().join("content/exercises/loop-b.md"),
        site.path().join("content/exercises/loop-a.md"),
    )
    .unwrap();
    let err = check_fails(site.path());
    assert!(
        err.contains("static/secret.txt")
            && err.contains("this link points outside the site folder"),
        "{err}"
    );
    assert!(
        err.contains("loop-a.md") && err.contains("leads nowhere"),
        "{err}"
    );
    let result = movepress(site.path(), &["build"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(!site.path().join("output").exists(), "nothing was written");
}

#[test]
fn templates_cannot_read_the_environment_or_the_clock() {
    for call in [
        "get_env(name=\"HOME\")",
        "now()",
        "read_file(path=\"/etc/passwd\")",
        "load_data(path=\"site.yaml\")",
    ] {
        let site = fixture("minimal");
        write(
            site.path(),
            "templates/page.html",
            &format!(
                "{{% extends \"base.html\" %}}{{% block main %}}{{{{ {call} }}}}{{% endblock main %}}"
            ),
        );
        let err = check_fails(site.path());
        assert!(err.contains("templates/page.html:1:"), "{call}: {err}");
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
