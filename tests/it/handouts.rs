//! Printable handouts: what a patient holds in their hands, checked by
//! parsing the PDFs (lopdf), with no outside tools.

use std::path::Path;

use crate::support::*;

const HANDOUT_DISCLAIMER: &str =
    "General guidance only, not a substitute for your own clinician's advice.";

/// The text of each page, whitespace collapsed.
fn pages_text(pdf: &Path) -> Vec<String> {
    let document = lopdf::Document::load(pdf)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", pdf.display()));
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    pages
        .iter()
        .map(|n| {
            let text = document
                .extract_text(&[*n])
                .unwrap_or_else(|e| panic!("text of page {n}: {e}"));
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

fn all_text(pdf: &Path) -> String {
    pages_text(pdf).join(" ")
}

fn pdfs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
        .map(|e| e.path().to_path_buf())
        .collect();
    found.sort();
    found
}

#[test]
fn build_writes_a_handout_for_every_program_and_exercise_and_pages_link_them() {
    let site = example_site();
    let out = build_ok(site.path());
    for program in [
        "daily-upper-back-mobility",
        "desk-worker-reset",
        "full-upper-back-routine",
        "gentle-stretching",
    ] {
        assert!(
            out.join(format!("handouts/{program}.pdf")).is_file(),
            "{program}.pdf"
        );
        let page = read(&out.join(format!("programs/{program}/index.html")));
        assert!(
            page.contains(&format!(
                r#"href="../../handouts/{program}.pdf">Print handout"#
            )),
            "program page links its PDF"
        );
    }
    let exercises = std::fs::read_dir(site.path().join("content/exercises"))
        .unwrap()
        .count();
    assert_eq!(pdfs(&out.join("handouts/exercises")).len(), exercises);
    let page = read(&out.join("exercises/cat-cow/index.html"));
    assert!(page.contains(r#"href="../../handouts/exercises/cat-cow.pdf">Print handout"#));
}

#[test]
fn every_handout_page_has_the_disclaimer_and_page_n_of_m() {
    let site = example_site();
    let out = build_ok(site.path());
    let files = pdfs(&out.join("handouts"));
    assert!(files.len() >= 22, "{} handouts", files.len());
    for pdf in files {
        let pages = pages_text(&pdf);
        let total = pages.len();
        for (i, text) in pages.iter().enumerate() {
            assert!(
                text.contains(HANDOUT_DISCLAIMER),
                "{} page {}: no disclaimer in {text}",
                pdf.display(),
                i + 1
            );
            assert!(
                text.contains(&format!("Page {} of {total}", i + 1)),
                "{} page {}: no page number",
                pdf.display(),
                i + 1
            );
        }
    }
}

#[test]
fn program_handout_shows_each_exercise_with_dosage_cautions_and_note() {
    let site = example_site();
    let out = build_ok(site.path());
    let text = all_text(&out.join("handouts/full-upper-back-routine.pdf"));
    let program = read(
        &site
            .path()
            .join("content/programs/full-upper-back-routine.yaml"),
    );
    let mut last = 0;
    for line in program
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- exercise: "))
    {
        let source = read(&site.path().join(format!("content/exercises/{line}.md")));
        let title = source
            .lines()
            .find_map(|l| l.strip_prefix("title: "))
            .unwrap()
            .trim_matches('"');
        let at = text[last..]
            .find(title)
            .unwrap_or_else(|| panic!("`{title}` missing or out of order in the handout"));
        last += at;
    }
    assert!(
        text.contains("Harbourline Physiotherapy"),
        "clinic in the header"
    );
    assert!(text.contains("Stop"), "cautions printed");
    assert!(text.contains("Page 1 of"));
}

#[test]
fn patient_handout_keeps_accents_and_stays_out_of_the_site() {
    let site = example_site();
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);
    let target = site.path().join("zoe.pdf");
    let result = movepress(
        site.path(),
        &[
            "handout",
            "daily-upper-back-mobility",
            "--patient",
            "Zoë Müller-O’Brien",
            "--date",
            "2026-11-21",
            "--clinician",
            "Dr Ana Lima",
            "--notes",
            "Go gently on the left side.",
            "-o",
            "zoe.pdf",
        ],
    );
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        !stderr(&result).contains("Zoë"),
        "the name is not echoed to the terminal"
    );
    let text = all_text(&target);
    assert!(text.contains("Zoë Müller-O’Brien"), "{text}");
    assert!(text.contains("2026-11-21"));
    assert!(text.contains("Go gently on the left side."));
    assert!(text.contains("Dr Ana Lima"));
    assert!(
        snapshot_tree(&out) == before,
        "output/ is untouched by a patient's handout"
    );
    for (path, bytes) in snapshot_tree(site.path()) {
        if path != "zoe.pdf" {
            assert!(
                !String::from_utf8_lossy(&bytes).contains("Müller"),
                "the patient's name leaked into {path}"
            );
        }
    }
}

#[test]
fn handout_refuses_to_write_into_published_folders() {
    let site = example_site();
    build_ok(site.path());
    for target in [
        "output/zoe.pdf",
        "static/zoe.pdf",
        "themes/zoe.pdf",
        "content/zoe.pdf",
    ] {
        std::fs::create_dir_all(site.path().join(target).parent().unwrap()).unwrap();
        let result = movepress(
            site.path(),
            &[
                "handout",
                "daily-upper-back-mobility",
                "--patient",
                "Zoë",
                "-o",
                target,
            ],
        );
        assert_eq!(result.status.code(), Some(1), "{target}");
        assert!(
            stderr(&result).contains("refusing to write a patient's handout inside"),
            "{}",
            stderr(&result)
        );
        assert!(!site.path().join(target).exists());
    }
}

#[test]
fn handout_suggests_the_program_name() {
    let site = example_site();
    let result = movepress(site.path(), &["handout", "daily-upper-back-mobilty"]);
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("did you mean `daily-upper-back-mobility`?"),
        "{}",
        stderr(&result)
    );
}

#[test]
fn handout_prints_blank_lines_without_a_patient() {
    let site = example_site();
    let result = movepress(
        site.path(),
        &["handout", "desk-worker-reset", "-o", "blank.pdf"],
    );
    assert!(result.status.success(), "{}", stderr(&result));
    let text = all_text(&site.path().join("blank.pdf"));
    assert!(text.contains("Name") && text.contains("Date"), "{text}");
}

#[test]
fn fonts_are_embedded() {
    let site = example_site();
    let out = build_ok(site.path());
    let document =
        lopdf::Document::load(out.join("handouts/daily-upper-back-mobility.pdf")).unwrap();
    let mut fonts = 0;
    for object in document.objects.values() {
        if let Ok(dict) = object.as_dict()
            && dict.get(b"Type").ok().and_then(|t| t.as_name().ok())
                == Some(b"FontDescriptor".as_slice())
        {
            fonts += 1;
            assert!(
                dict.has(b"FontFile2") || dict.has(b"FontFile3") || dict.has(b"FontFile"),
                "a font without its file: {dict:?}"
            );
        }
    }
    assert!(fonts >= 1, "no font descriptors");
}

#[test]
fn handouts_are_byte_identical_across_builds_and_thread_counts() {
    let site = example_site();
    let mut trees = Vec::new();
    for threads in ["1", "3"] {
        let out = tempfile::tempdir().unwrap();
        let result = std::process::Command::new(env!("CARGO_BIN_EXE_movepress"))
            .args(["build", ".", "-o", out.path().join("o").to_str().unwrap()])
            .current_dir(site.path())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(result.status.success());
        trees.push(snapshot_tree(&out.path().join("o/handouts")));
    }
    assert!(!trees[0].is_empty());
    for (path, bytes) in &trees[0] {
        assert!(bytes == &trees[1][path], "{path} differs between builds");
    }
    // A patient's handout made twice is the same file too.
    for name in ["a.pdf", "b.pdf"] {
        let result = movepress(
            site.path(),
            &[
                "handout",
                "gentle-stretching",
                "--patient",
                "Zoë",
                "--date",
                "2026-11-21",
                "-o",
                name,
            ],
        );
        assert!(result.status.success());
    }
    assert!(
        std::fs::read(site.path().join("a.pdf")).unwrap()
            == std::fs::read(site.path().join("b.pdf")).unwrap()
    );
}

#[test]
fn large_print_and_paper_size_change_the_pages() {
    let site = example_site();
    let size = |args: &[&str]| -> (usize, f32, f32) {
        let mut all = vec!["handout", "full-upper-back-routine", "-o", "x.pdf"];
        all.extend_from_slice(args);
        let result = movepress(site.path(), &all);
        assert!(result.status.success(), "{}", stderr(&result));
        let document = lopdf::Document::load(site.path().join("x.pdf")).unwrap();
        let first = *document.get_pages().values().next().unwrap();
        let page = document.get_dictionary(first).unwrap();
        let media = page.get(b"MediaBox").unwrap().as_array().unwrap();
        let number = |o: &lopdf::Object| {
            o.as_float()
                .or_else(|_| o.as_i64().map(|i| i as f32))
                .unwrap()
        };
        (
            document.get_pages().len(),
            number(&media[2]),
            number(&media[3]),
        )
    };
    let (normal_pages, w, h) = size(&[]);
    assert!(
        (w - 612.0).abs() < 1.0 && (h - 792.0).abs() < 1.0,
        "letter is 612 x 792 pt: {w} x {h}"
    );
    let (_, w, h) = size(&["--paper", "a4"]);
    assert!(
        (w - 595.3).abs() < 1.0 && (h - 841.9).abs() < 1.0,
        "a4 is 595 x 842 pt: {w} x {h}"
    );
    let (large_pages, _, _) = size(&["--large-print"]);
    assert!(
        large_pages > normal_pages,
        "large print needs more pages: {large_pages} vs {normal_pages}"
    );
}

#[test]
fn a_character_the_font_cannot_draw_is_an_error() {
    let site = fixture("minimal");
    let file = site.path().join("content/exercises/cat-cow.md");
    std::fs::write(
        &file,
        read(&file).replace("1. Kneel on all fours.", "1. Kneel on all fours 🐈."),
    )
    .unwrap();
    let result = movepress(site.path(), &["build"]);
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("content/exercises/cat-cow.md"), "{err}");
    assert!(err.contains('🐈') || err.contains("U+1F408"), "{err}");
    assert!(!site.path().join("output").exists(), "nothing written");
}

#[test]
fn handout_refuses_any_built_site_and_never_echoes_the_patient() {
    let site = example_site();
    let public = tempfile::tempdir().unwrap();
    let out = public.path().join("public");
    let result = movepress(site.path(), &["build", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let target = out.join("exercises/zoe.pdf");
    let result = movepress(
        site.path(),
        &[
            "handout",
            "gentle-stretching",
            "--patient",
            "Zoë",
            "-o",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("refusing to write a patient's handout inside a built site"),
        "{}",
        stderr(&result)
    );

    let result = movepress(
        site.path(),
        &[
            "handout",
            "gentle-stretching",
            "--patient",
            "王小明",
            "-o",
            "x.pdf",
        ],
    );
    // A value the option cannot take: a usage error.
    assert_eq!(result.status.code(), Some(2));
    let err = stderr(&result);
    assert!(
        err.contains("--patient") && err.contains("characters the handout font cannot print"),
        "{err}"
    );
    for c in ['王', '小', '明'] {
        assert!(!err.contains(c), "the patient's name is echoed: {err}");
    }
}
