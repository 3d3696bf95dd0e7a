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

/// Each run of text on page `page` (from 1) with its left edge, in points
/// from the page's left edge.
fn runs(pdf: &Path, page: u32) -> Vec<(f32, String)> {
    let document = lopdf::Document::load(pdf).expect("the PDF parses");
    let id = document.get_pages()[&page];
    let encodings: std::collections::BTreeMap<Vec<u8>, lopdf::Encoding> = document
        .get_page_fonts(id)
        .expect("fonts")
        .into_iter()
        .map(|(name, font)| (name, font.get_font_encoding(&document).expect("encoding")))
        .collect();
    let content = lopdf::content::Content::decode(&document.get_page_content(id)).expect("content");
    let number = |o: &lopdf::Object| o.as_float().expect("a number");
    // Only the translation of the current matrix matters here: nothing is
    // drawn scaled but pictures.
    let (mut saved, mut origin, mut text_x) = (Vec::new(), (0.0, 0.0), 0.0);
    let mut encoding = None;
    let mut out = Vec::new();
    for op in &content.operations {
        match op.operator.as_str() {
            "q" => saved.push(origin),
            "Q" => origin = saved.pop().expect("q before Q"),
            "cm" => {
                let m: Vec<f32> = op.operands.iter().map(number).collect();
                origin = (origin.0 + m[4], origin.1 + m[5]);
            }
            "Tm" => text_x = origin.0 + number(&op.operands[4]),
            "Tf" => encoding = encodings.get(op.operands[0].as_name().expect("font name")),
            "Tj" => {
                let bytes = op.operands[0].as_str().expect("a string");
                let text = lopdf::Document::decode_text(encoding.expect("a font"), bytes)
                    .expect("decodes");
                out.push((text_x, text));
            }
            _ => {}
        }
    }
    out
}

/// Where the run of text that starts with `start` begins, on any page.
fn left_of(pdf: &Path, start: &str) -> f32 {
    let pages = lopdf::Document::load(pdf)
        .expect("parses")
        .get_pages()
        .len() as u32;
    (1..=pages)
        .flat_map(|page| runs(pdf, page))
        .find(|(_, text)| text.starts_with(start))
        .unwrap_or_else(|| panic!("no `{start}` in {}", pdf.display()))
        .0
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
    for program in EXAMPLE_PROGRAMS {
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
fn patient_box_keeps_the_name_and_date_given_or_blank() {
    let site = example_site();
    let name = ["--patient", "Zoë Müller-O’Brien"];
    let date = ["--date", "2026-11-21"];
    let clinician = ["--clinician", "Dr Ana Lima"];
    let cases: [(&[&str], &[&str]); 6] = [
        (&[], &["Name", "Date"]),
        (&name, &["Patient: Zoë Müller-O’Brien", "Date:"]),
        (&date, &["Patient:", "Date: 2026-11-21"]),
        (
            &[name, date].concat(),
            &["Patient: Zoë Müller-O’Brien", "Date: 2026-11-21"],
        ),
        (&clinician, &["Patient:", "Date:", "Clinician: Dr Ana Lima"]),
        // Given blank, as a script with an empty variable would.
        (
            &["--patient", "", "--date", " ", "--notes", "Gently."],
            &["Patient:", "Date:", "Notes: Gently."],
        ),
    ];
    for (fields, shown) in cases {
        let mut args = vec!["handout", "desk-worker-reset", "-o", "box.pdf"];
        args.extend_from_slice(fields);
        let result = movepress(site.path(), &args);
        assert!(result.status.success(), "{}", stderr(&result));
        let first = &pages_text(&site.path().join("box.pdf"))[0];
        // The box comes between the title and the program's intro.
        let start = first.find("How often").expect("title");
        let mut at = start;
        for text in shown {
            at += first[at..]
                .find(text)
                .unwrap_or_else(|| panic!("{fields:?}: no `{text}` in the box: {first}"));
        }
    }
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

/// Replaces the steps of example exercise `slug` with `steps` (Markdown),
/// and takes its pictures away unless `pictures`.
fn lengthen(site: &Path, slug: &str, pictures: bool, steps: &str) {
    let file = site.join(format!("content/exercises/{slug}.md"));
    let source = read(&file);
    let (front, body) = source[4..].split_once("\n---\n").expect("front matter");
    let front = if pictures {
        front.to_string()
    } else {
        let start = front.find("images:").expect("images");
        let end = front[start..].find("\nrelated:").expect("related") + start;
        format!("{}{}", &front[..start], &front[end + 1..])
    };
    let body = body.split("## Steps").next().expect("body");
    std::fs::write(
        &file,
        format!("---\n{front}\n---\n{body}## Steps\n\n{steps}"),
    )
    .unwrap();
}

/// An exercise taller than a page is split: its first steps beside its
/// pictures, the others across the page. Without pictures every step is
/// across the page, none beside an empty column.
#[test]
fn a_long_exercise_without_pictures_sets_every_step_across_the_page() {
    let site = example_site();
    let steps: String = (1..=30)
        .map(|i| {
            format!(
                "{i}. Step {i}: move slowly and carefully, breathing out as you go, keeping \
                 your shoulders relaxed and your neck long, and stop if anything hurts.\n"
            )
        })
        .collect();
    lengthen(site.path(), "cat-cow", false, &steps);
    lengthen(site.path(), "bear-rolls", true, &steps);
    std::fs::write(
        site.path().join("content/programs/one-long.yaml"),
        "title: One long exercise\nsummary: Only cat-cow.\nexercises:\n  - exercise: cat-cow\n",
    )
    .unwrap();
    let out = build_ok(site.path());

    for pdf in ["handouts/one-long.pdf", "handouts/exercises/cat-cow.pdf"] {
        let pdf = out.join(pdf);
        let first = left_of(&pdf, "Step 1:");
        for i in [2, 12, 30] {
            assert_eq!(
                left_of(&pdf, &format!("Step {i}:")),
                first,
                "{}: step {i} is not where step 1 is",
                pdf.display()
            );
        }
    }
    // With pictures, the first steps are beside them (as before).
    let pdf = out.join("handouts/exercises/bear-rolls.pdf");
    let (beside, across) = (left_of(&pdf, "Step 1:"), left_of(&pdf, "Step 30:"));
    assert!(beside > across + 100.0, "{beside} vs {across}");
}

/// The intro's last bullet never starts a page alone: whatever the length of
/// the notes above it, it shares its page with the bullet before it.
#[test]
fn an_intros_last_line_is_never_alone_on_a_page() {
    let site = example_site();
    let mut breaks = 0;
    for words in (60..=140).step_by(4) {
        let notes = vec!["word"; words].join(" ");
        let result = movepress(
            site.path(),
            &[
                "handout",
                "daily-upper-back-mobility",
                "--large-print",
                "--paper",
                "a4",
                "--notes",
                &notes,
                "-o",
                "x.pdf",
            ],
        );
        assert!(result.status.success(), "{}", stderr(&result));
        let pages = pages_text(&site.path().join("x.pdf"));
        let on = |text: &str| pages.iter().position(|p| p.contains(text));
        let (first, last) = (
            on("Move slowly and breathe steadily."),
            on("Mild stretching is fine."),
        );
        assert_eq!(first, last, "{words} words of notes: the bullets are apart");
        // The search covers lengths where the intro does break across pages.
        if on("These three moves") != last {
            breaks += 1;
        }
    }
    assert!(breaks > 0, "no length of notes moved the bullets to page 2");
}

/// What ends an exercise, its QR code and the clinician's note, never starts
/// a page alone under a "(continued)" label, and no page ends with a QR code
/// (and the title above it) whose steps begin on the next: the code sits
/// beside or above the first steps and the note stays with the cautions. Checked for every example
/// program on both papers, in both sizes, with notes of several lengths
/// moving the page breaks.
#[test]
fn an_exercises_code_and_note_never_start_a_page_alone() {
    let site = example_site();
    // Long enough that they break across pages where they start low.
    let steps: String = (1..=12)
        .map(|i| {
            format!("{i}. Step {i}: move slowly, breathing out as you go, and stop if it hurts.\n")
        })
        .collect();
    lengthen(site.path(), "side-lying-thoracic-rotation", true, &steps);
    lengthen(site.path(), "cat-cow", false, &steps);
    let mut broken = 0;
    for program in EXAMPLE_PROGRAMS {
        for (paper, large) in [
            ("letter", false),
            ("a4", false),
            ("letter", true),
            ("a4", true),
        ] {
            for words in [0, 40, 80, 120] {
                let notes = vec!["word"; words].join(" ");
                let mut args = vec!["handout", program, "--paper", paper, "-o", "x.pdf"];
                if large {
                    args.push("--large-print");
                }
                if words > 0 {
                    args.extend(["--notes", &notes]);
                }
                let result = movepress(site.path(), &args);
                assert!(result.status.success(), "{}", stderr(&result));
                for (n, page) in pages_text(&site.path().join("x.pdf")).iter().enumerate() {
                    // Nor does a page end with a code: after the last one come
                    // more than its address's lines before the footer.
                    if let Some(at) = page.rfind("Scan to see this exercise online") {
                        let rest = &page[at..];
                        let before_footer =
                            &rest[..rest.find("General guidance").unwrap_or(rest.len())];
                        let words = before_footer["Scan to see this exercise online".len()..]
                            .split_whitespace()
                            .filter(|w| !w.contains('/') && !w.contains('.'))
                            .count();
                        assert!(
                            words > 0,
                            "{program}, {paper}, large print {large}, {words} words of notes: \
                             page {} ends with a QR code",
                            n + 1
                        );
                    }
                    let Some(at) = page.find("(continued)") else {
                        continue;
                    };
                    broken += 1;
                    let next = page[at + "(continued)".len()..].trim_start();
                    assert!(
                        !next.starts_with("Scan to see") && !next.starts_with("Note from"),
                        "{program}, {paper}, large print {large}, {words} words of notes: \
                         page {} starts with `{}`",
                        n + 1,
                        &next[..next.len().min(60)]
                    );
                }
            }
        }
    }
    // The variants do break exercises across pages.
    assert!(broken > 0, "no variant continued an exercise on a new page");
}

/// The clinician's note is a bar across the page under every exercise, in
/// large print too: never in the narrow column beside the steps, where it
/// ran three or four words a line.
#[test]
fn every_clinicians_note_is_across_the_page() {
    let site = example_site();
    let out = build_ok(site.path());
    for program in EXAMPLE_PROGRAMS {
        let source = read(&site.path().join(format!("content/programs/{program}.yaml")));
        let notes = source
            .lines()
            .filter(|l| l.trim().starts_with("note:"))
            .count();
        let large = site.path().join(format!("{program}.pdf"));
        let result = movepress(
            site.path(),
            &[
                "handout",
                program,
                "--large-print",
                "--paper",
                "a4",
                "-o",
                large.to_str().unwrap(),
            ],
        );
        assert!(result.status.success(), "{}", stderr(&result));
        for pdf in [out.join(format!("handouts/{program}.pdf")), large] {
            let document = lopdf::Document::load(&pdf).unwrap();
            let labels: Vec<(f32, String)> = (1..=document.get_pages().len() as u32)
                .flat_map(|page| runs(&pdf, page))
                .filter(|(_, text)| text.starts_with("Note from"))
                .collect();
            assert_eq!(labels.len(), notes, "{}: {labels:?}", pdf.display());
            for (x, text) in labels {
                // Across the page: at the left margin, with room for the label on one line.
                assert!(
                    x < 72.0 && text.starts_with("Note from your clinician:"),
                    "{}: `{text}` at x = {x}",
                    pdf.display()
                );
            }
        }
    }
}
