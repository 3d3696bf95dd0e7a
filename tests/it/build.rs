//! Building good sites: the pages, what they show, and the build's guarantees.

use crate::support::*;

#[test]
fn builds_example_site_with_every_page() {
    let site = example_site();
    let out = build_ok(site.path());
    let exercises: Vec<String> = std::fs::read_dir(site.path().join("content/exercises"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        exercises.len() >= 18,
        "the example library has at least 18 exercises"
    );
    for slug in &exercises {
        assert!(
            out.join("exercises")
                .join(slug)
                .join("index.html")
                .is_file(),
            "page for {slug}"
        );
    }
    for program in EXAMPLE_PROGRAMS {
        assert!(
            out.join("programs")
                .join(program)
                .join("index.html")
                .is_file(),
            "page for {program}"
        );
    }
    for page in [
        "index.html",
        "exercises/index.html",
        "programs/index.html",
        "regions/index.html",
        "regions/upper-back/index.html",
        "focus/rotation/index.html",
        "position/quadruped/index.html",
        "equipment/chair/index.html",
        "difficulty/beginner/index.html",
        "about/index.html",
        "contact/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "static/css/clinic.css",
        "static/images/cat-cow.svg",
    ] {
        assert!(out.join(page).is_file(), "{page} is built");
    }
    // The site's own templates/index.html wins over the theme's.
    let home = read(&out.join("index.html"));
    assert!(
        home.contains("Start the daily routine"),
        "the site's home page override is used"
    );
}

#[test]
fn exercise_page_shows_steps_dosage_cautions_and_picture() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let html = read(&out.join("exercises/cat-cow/index.html"));
    let main = main_of(&html);
    let text = visible_text(main);
    assert!(text.contains("Cat-Cow"));
    assert!(
        main.contains("<ol>\n<li>Kneel on all fours.</li>"),
        "steps are an ordered list:\n{main}"
    );
    assert!(
        text.contains("10 reps · 2 sets · hold 5 s"),
        "dosage line: {text}"
    );
    assert!(
        text.contains("Stop if you feel sharp pain."),
        "caution shown"
    );
    assert!(
        main.contains(r#"<img src="../../static/images/cat-cow.svg" alt="A person on hands and knees with a rounded back." width="400" height="260">"#),
        "picture with alt text and size:\n{main}"
    );
    assert!(
        text.contains("Round up, then let the belly sink."),
        "caption"
    );
    assert!(
        main.contains(r#"href="../../exercises/bird-dog/""#),
        "related exercise linked"
    );
    assert!(
        main.contains(r#"href="../../focus/mobility/""#),
        "taxonomy term linked"
    );
    assert!(
        main.contains(r#"href="../../programs/daily/""#),
        "programs that include it are linked"
    );
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(
        r#"<link rel="canonical" href="https://exercises.test-clinic.example/exercises/cat-cow/">"#
    ));
}

#[test]
fn program_page_lists_exercises_in_order_with_effective_dosage_notes_and_cautions() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let text = visible_text(main_of(&read(&out.join("programs/daily/index.html"))));
    let cat = text.find("Cat-Cow").expect("cat-cow listed");
    let bird = text.find("Bird Dog").expect("bird dog listed");
    assert!(cat < bird, "program order is kept");
    // The program overrides reps (6) and keeps the exercise's sets and hold.
    assert!(text.contains("6 reps · 2 sets · hold 5 s"), "{text}");
    assert!(text.contains("8 reps · alternating sides"), "{text}");
    assert!(text.contains("Breathe with the movement."), "note shown");
    assert!(
        text.contains("Stop if you feel sharp pain."),
        "cat-cow's caution beside it"
    );
    assert!(
        text.contains("Keep your back level; stop if your lower back aches."),
        "bird dog's caution beside it"
    );
}

#[test]
fn every_page_shows_the_site_disclaimer() {
    let site = example_site();
    let out = build_ok(site.path());
    let config = read(&site.path().join("site.yaml"));
    assert!(config.contains("They do not replace a check-up"));
    let mut pages = 0;
    for (path, bytes) in snapshot_tree(&out) {
        if path.ends_with(".html") {
            pages += 1;
            let text = visible_text(&String::from_utf8(bytes).unwrap());
            assert!(
                text.contains("They do not replace a check-up, diagnosis or treatment plan from a licensed clinician"),
                "{path} lacks the disclaimer"
            );
        }
    }
    assert!(pages > 50, "{pages} pages checked");
}

#[test]
fn taxonomy_and_term_pages_list_the_right_exercises() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let term = visible_text(main_of(&read(&out.join("position/quadruped/index.html"))));
    assert!(
        term.contains("Cat-Cow") && term.contains("Bird Dog"),
        "{term}"
    );
    let none = visible_text(main_of(&read(&out.join("equipment/none/index.html"))));
    assert!(
        none.contains("No equipment") && none.contains("Bird Dog") && !none.contains("Cat-Cow"),
        "{none}"
    );
    let taxonomy = visible_text(main_of(&read(&out.join("difficulty/index.html"))));
    assert!(
        taxonomy.contains("Beginner (1)") && taxonomy.contains("Intermediate (1)"),
        "{taxonomy}"
    );
}

#[test]
fn a_list_key_left_blank_is_an_empty_list() {
    // README: "an empty list (or none)". serde-saphyr (since 2.1) refuses a
    // blank where a list belongs: each list key must read through
    // `yaml::blank_is_empty`.
    const LISTS: [&str; 6] = [
        "regions",
        "focus",
        "equipment",
        "cautions",
        "images",
        "related",
    ];
    let site = example_site();
    let file = site.path().join("content/exercises/cat-cow.md");
    // Each list, on one line (`[mat]`) or on the lines below (`- ...`),
    // becomes its key alone.
    let mut blanked = String::new();
    let mut in_list = false;
    for line in read(&file).lines() {
        if in_list && line.starts_with("  ") {
            continue;
        }
        in_list = false;
        match line.split_once(':') {
            Some((key, _)) if LISTS.contains(&key) => {
                blanked.push_str(&format!("{key}:\n"));
                in_list = true;
            }
            _ => blanked.push_str(&format!("{line}\n")),
        }
    }
    for key in LISTS {
        assert!(blanked.contains(&format!("\n{key}:\n")), "{key} blanked");
    }
    assert!(!blanked.contains("images/cat-cow.svg"));
    std::fs::write(&file, blanked).expect("write");
    let out = build_ok(site.path());
    let none = visible_text(main_of(&read(&out.join("equipment/none/index.html"))));
    assert!(none.contains("Cat-Cow"), "{none}");
    let page = visible_text(main_of(&read(&out.join("exercises/cat-cow/index.html"))));
    assert!(page.contains("No equipment"), "{page}");
    assert!(!page.contains("Stop and take care"), "no cautions: {page}");
}

#[test]
fn sitemap_and_robots_use_the_base_url_and_content_dates() {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let sitemap = read(&out.join("sitemap.xml"));
    assert!(sitemap.starts_with("<?xml"));
    assert!(sitemap.contains("<url><loc>https://exercises.test-clinic.example/exercises/cat-cow/</loc><lastmod>2026-10-01</lastmod></url>"), "{sitemap}");
    assert!(sitemap.contains("<loc>https://exercises.test-clinic.example/about/</loc>"));
    assert!(
        read(&out.join("robots.txt"))
            .contains("Sitemap: https://exercises.test-clinic.example/sitemap.xml")
    );
}

#[test]
fn base_url_flag_replaces_the_configured_one() {
    let site = fixture("minimal");
    let result = movepress(
        site.path(),
        &["build", "--base-url", "https://preview.example/clinic"],
    );
    assert!(result.status.success(), "{}", stderr(&result));
    let html = read(&site.path().join("output/exercises/cat-cow/index.html"));
    assert!(html.contains(r#"href="https://preview.example/clinic/exercises/cat-cow/""#));
    // 404.html links from the site's absolute path: it is served at any depth.
    let not_found = read(&site.path().join("output/404.html"));
    assert!(
        not_found.contains(r#"href="/clinic/static/css/clinic.css?v="#),
        "{not_found}"
    );
}

#[test]
fn raw_html_is_escaped_unless_the_site_allows_it() {
    let site = fixture("minimal");
    let page = site.path().join("content/pages/about.md");
    std::fs::write(&page, "---\ntitle: About us\n---\nHello <script>alert(1)</script> <b>bold</b>\n\n[x](javascript:alert(1))\n").unwrap();
    let out = build_ok(site.path());
    let main = main_of(&read(&out.join("about/index.html"))).to_string();
    assert!(
        !main.contains("<script>") && !main.contains("<b>"),
        "{main}"
    );
    assert!(
        main.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{main}"
    );
    assert!(!main.contains("javascript:"), "{main}");

    let config = site.path().join("site.yaml");
    let allowed = read(&config) + "markdown:\n  allow_html: true\n";
    std::fs::write(&config, allowed).unwrap();
    let out = build_ok(site.path());
    assert!(main_of(&read(&out.join("about/index.html"))).contains("<b>bold</b>"));
}

#[test]
fn yaml_1_1_lookalikes_stay_text() {
    let site = fixture("minimal");
    let file = site.path().join("content/exercises/cat-cow.md");
    let source = read(&file).replace("title: Cat-Cow", "title: no").replace(
        "summary: Round and arch your back on hands and knees.",
        "summary: 0123",
    );
    std::fs::write(&file, source).unwrap();
    let out = build_ok(site.path());
    let text = visible_text(main_of(&read(&out.join("exercises/cat-cow/index.html"))));
    assert!(text.starts_with("Exercises › no no 0123"), "{text}");
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = fixture("minimal");
    let file = site.path().join("content/pages/../exercises/plank.md");
    std::fs::write(
        &file,
        "---\ntitle: Plank\nsummary: Hold a straight line.\ndraft: true\n---\nHold.\n",
    )
    .unwrap();
    let out = build_ok(site.path());
    assert!(!out.join("exercises/plank/index.html").exists());
    assert!(!read(&out.join("sitemap.xml")).contains("plank"));
    let result = movepress(site.path(), &["build", "--drafts"]);
    assert!(result.status.success());
    assert!(out.join("exercises/plank/index.html").exists());
}

#[test]
fn two_builds_are_byte_identical() {
    let site = example_site();
    let first = snapshot_tree(&build_ok(site.path()));
    let other = tempfile::tempdir().unwrap();
    let result = movepress(
        site.path(),
        &["build", "-o", other.path().join("out").to_str().unwrap()],
    );
    assert!(result.status.success());
    let second = snapshot_tree(&other.path().join("out"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(bytes == &second[path], "{path} differs between builds");
    }
}

/// A build on disk writes some files piece by piece (the search index) and
/// links handouts from the cache; in memory (what `serve` and the tests
/// compare against) every file is made whole. The files are the same.
#[test]
fn a_build_on_disk_holds_the_files_a_build_in_memory_makes() {
    let site = example_site();
    let on_disk = snapshot_tree(&build_ok(site.path()));
    let (in_memory, _) =
        movepress::render_site(site.path(), &movepress::BuildOptions::default()).unwrap();
    assert_eq!(
        on_disk.keys().collect::<Vec<_>>(),
        in_memory.iter().map(|a| &a.path).collect::<Vec<_>>()
    );
    for file in &in_memory {
        assert!(
            file.bytes == on_disk[&file.path],
            "{} differs between disk and memory",
            file.path
        );
    }
    let index = &on_disk["search-index.json"];
    assert!(index.len() > 10_000 && index.ends_with(b"]}"));
}

/// The rule the README states: names starting with `.`, ending with `~`,
/// `.swp`, `.swo` or `.tmp`, wrapped in `#...#`, `Thumbs.db` and
/// `desktop.ini` are never read, in content/, static/ or templates/.
#[test]
fn editor_leftovers_are_ignored() {
    let site = fixture("minimal");
    let expected = snapshot_tree(&build_ok(site.path()));
    // Each would break the build, or show, if it were read.
    let junk: &[u8] = b"---\nbroken: [\x00\xff LEFTOVER {{ nope( {% if %}";
    for folder in [
        "content/exercises",
        "content/programs",
        "content/pages",
        "static",
        "static/images",
        "templates",
    ] {
        let dir = site.path().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            ".DS_Store",
            ".cat-cow.md.swp",
            "cat-cow.md~",
            "cat-cow.md.swp",
            "cat-cow.md.swo",
            "cat-cow.md.tmp",
            "#cat-cow.md#",
            "Thumbs.db",
            "desktop.ini",
            "exercise.html~",
        ] {
            std::fs::write(dir.join(name), junk).unwrap();
        }
    }
    std::fs::create_dir_all(site.path().join("content/exercises/.git")).unwrap();
    std::fs::write(site.path().join("content/exercises/.git/x.md"), junk).unwrap();
    let result = movepress(site.path(), &["build"]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(!stderr(&result).contains("warning"), "{}", stderr(&result));
    assert!(
        snapshot_tree(&site.path().join("output")) == expected,
        "the output is byte-identical to the site's without the leftovers"
    );
}

#[test]
fn a_stray_file_is_a_warning_not_an_error() {
    let site = fixture("minimal");
    std::fs::write(site.path().join("content/exercises/notes.txt"), "to do").unwrap();
    let result = movepress(site.path(), &["build"]);
    assert!(result.status.success());
    let err = stderr(&result);
    assert!(
        err.contains("warning: this file is not used: only .md files are read here"),
        "{err}"
    );
    assert!(err.contains("content/exercises/notes.txt"), "{err}");
}

#[test]
fn internal_links_to_source_files_become_page_addresses() {
    let site = fixture("minimal");
    let page = site.path().join("content/pages/about.md");
    std::fs::write(
        &page,
        "---\ntitle: About us\n---\nStart with [Cat-Cow](@/exercises/cat-cow.md#steps) or the [routine](@/programs/daily.yaml).\n",
    )
    .unwrap();
    let out = build_ok(site.path());
    let main = main_of(&read(&out.join("about/index.html"))).to_string();
    assert!(
        main.contains(r#"<a href="../exercises/cat-cow/#steps">Cat-Cow</a>"#),
        "{main}"
    );
    assert!(
        main.contains(r#"<a href="../programs/daily/">routine</a>"#),
        "{main}"
    );
}

/// Pages and handouts are made side by side; the progress bar counts every
/// file written, both kinds together, up to the number the build reports.
#[test]
fn progress_counts_every_file_written() {
    let site = example_site();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = events.clone();
    let options = movepress::BuildOptions {
        progress: movepress::Progress::new(move |step, done, total| {
            heard.lock().unwrap().push((step.to_string(), done, total));
        }),
        ..Default::default()
    };
    let out = tempfile::tempdir().unwrap();
    let report = movepress::build(site.path(), &out.path().join("out"), &options)
        .expect("the example site builds");
    let events = events.lock().unwrap();
    let files = snapshot_tree(&out.path().join("out")).len();
    assert_eq!(report.files, files, "the report counts the files written");
    assert_eq!(
        events.len(),
        files,
        "one step per file: {:?}",
        events.first()
    );
    assert!(events.iter().all(|(step, done, total)| step == "writing"
        && *total == files as u64
        && *done >= 1
        && *done <= *total));
    let mut done: Vec<u64> = events.iter().map(|e| e.1).collect();
    done.sort_unstable();
    assert_eq!(
        done,
        (1..=files as u64).collect::<Vec<_>>(),
        "each count once"
    );
}
