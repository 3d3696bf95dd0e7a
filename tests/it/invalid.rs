//! Bad input: one fixture per defect (tests/fixtures/invalid/<case>, laid
//! over the minimal site). Each must fail with exit code 1, name the file,
//! line and column, say what is wrong with a hint, and leave the previous
//! output byte-for-byte as it was.

use crate::support::*;

/// Builds the minimal site, lays the broken files over it, builds again, and
/// returns what `movepress check` printed.
fn fails(case: &str, location: &str, message: &str) -> String {
    let site = fixture("minimal");
    let out = build_ok(site.path());
    let before = snapshot_tree(&out);
    overlay(site.path(), &format!("invalid/{case}"));

    let build = movepress(site.path(), &["build"]);
    let err = stderr(&build);
    assert_eq!(
        build.status.code(),
        Some(1),
        "{case}: exit code 1 for content errors\n{err}"
    );
    assert!(err.contains(location), "{case}: names `{location}`:\n{err}");
    assert!(err.contains(message), "{case}: says `{message}`:\n{err}");
    assert!(err.contains("help: "), "{case}: gives a hint:\n{err}");
    for leak in [
        "panicked",
        "RUST_BACKTRACE",
        "Error {",
        "Some(",
        "Spanned {",
        "Option<",
    ] {
        assert!(
            !err.contains(leak),
            "{case}: no Rust internals in messages:\n{err}"
        );
    }
    assert!(
        err.contains("nothing was written"),
        "{case}: says nothing was written:\n{err}"
    );
    assert!(
        snapshot_tree(&out) == before,
        "{case}: the previous output is untouched"
    );

    let check = movepress(site.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1));
    stderr(&check)
}

macro_rules! invalid {
    ($($name:ident: $case:literal at $location:literal says $message:literal;)*) => {
        $(
            #[test]
            fn $name() {
                let report = fails($case, $location, $message);
                insta::assert_snapshot!($case, report);
            }
        )*
    };
}

invalid! {
    errors_on_unknown_key_with_did_you_mean: "unknown-key" at "content/exercises/cat-cow.md:10:3" says "unknown key `rep`";
    errors_on_misspelt_top_level_key: "unknown-top-key" at "content/exercises/cat-cow.md:2:1" says "unknown key `tittle`";
    errors_on_malformed_yaml: "malformed-yaml" at "content/exercises/cat-cow.md:5:6" says "illegal placement of ':' indicator";
    errors_on_wrong_type: "wrong-type" at "content/exercises/cat-cow.md:10:9" says "expected a whole number";
    errors_on_out_of_range_number: "out-of-range" at "content/exercises/cat-cow.md:10:9" says "`reps` is 0, which is out of range";
    errors_on_negative_number: "negative-number" at "content/exercises/cat-cow.md:11:9" says "`sets` is -2, which is out of range";
    errors_on_overflowing_number: "overflowing-number" at "content/exercises/cat-cow.md:12:17" says "expected a whole number";
    errors_on_duplicate_slug_naming_both_files: "duplicate-slug" at "content/exercises/cat-cow-copy.md:3:7" says "two exercises have the slug `cat-cow`: this file and `content/exercises/cat-cow.md`";
    errors_on_bad_slug: "bad-slug" at "content/exercises/cat-cow.md:3:7" says "`Cat_Cow` is not a valid slug";
    errors_on_file_name_that_is_no_slug: "bad-file-name" at "content/exercises/Cat Cow.md" says "the file name `Cat Cow` cannot be used as a web address";
    errors_on_program_naming_a_missing_exercise: "missing-program-exercise" at "content/programs/daily.yaml:8:15" says "the exercise `cat-cwo` does not exist";
    errors_on_missing_related_exercise: "missing-related" at "content/exercises/cat-cow.md:19:11" says "the related exercise `bird-dgo` does not exist";
    errors_on_missing_alt_text: "missing-alt" at "content/exercises/cat-cow.md:16:10" says "this image has no alt text";
    errors_on_empty_alt_text: "empty-alt" at "content/exercises/cat-cow.md:17:10" says "the image's alt text is empty";
    errors_on_missing_image_file: "missing-image" at "content/exercises/cat-cow.md:16:10" says "the image `static/images/cat-cow.png` does not exist";
    errors_on_image_outside_the_site: "image-outside-site" at "content/exercises/cat-cow.md:16:10" says "points outside the static/ folder";
    errors_on_non_https_video: "non-https-video" at "content/exercises/cat-cow.md:21:8" says "the video link must start with `https://`";
    errors_on_empty_front_matter: "empty-front-matter" at "content/exercises/cat-cow.md:1:1" says "the front matter is empty";
    errors_on_unterminated_front_matter: "unterminated-front-matter" at "content/exercises/cat-cow.md:1:1" says "the front matter is never closed";
    errors_on_missing_front_matter: "missing-front-matter" at "content/exercises/cat-cow.md:1:1" says "missing front matter";
    errors_on_empty_file: "empty-file" at "content/exercises/cat-cow.md" says "the file is empty";
    errors_without_disclaimers: "missing-disclaimers" at "site.yaml:1:1" says "the required key `disclaimers` is missing";
    errors_on_empty_site_disclaimer: "empty-site-disclaimer" at "site.yaml:6:9" says "the site disclaimer is empty";
    errors_on_every_missing_key_of_a_file: "missing-title-and-summary" at "content/exercises/cat-cow.md:1:1" says "the required key `summary` is missing";
    errors_on_unknown_difficulty: "bad-difficulty" at "content/exercises/cat-cow.md:8:13" says "did you mean `beginner`?";
    errors_on_impossible_date: "bad-date" at "content/exercises/cat-cow.md:20:10" says "`2026-13-45` is not a date";
    errors_on_duplicate_key: "duplicate-key" at "content/exercises/cat-cow.md:3:1" says "the key `title` appears twice";
    errors_on_yaml_1_1_boolean: "yaml11-boolean" at "content/exercises/cat-cow.md:21:8" says "expected `true` or `false`";
    errors_on_unknown_side: "bad-sides" at "content/programs/daily.yaml:9:31" says "unknown side `up`";
    errors_on_program_without_exercises: "program-without-exercises" at "content/programs/daily.yaml:3:12" says "the program has no exercises";
    errors_on_unknown_theme: "unknown-theme" at "site.yaml" says "unknown theme `clinc`";
    errors_in_a_theme_yaml_with_a_byte_order_mark_point_at_the_word: "theme-yaml-bom" at "themes/mine/theme.yaml:1:1" says "unknown key `colours`";
    errors_when_a_template_drops_the_disclaimer: "template-drops-disclaimer" at "templates/" says "do not show the site disclaimer";
    errors_on_template_syntax: "template-syntax-error" at "templates/exercise.html:3:" says "template error";
    errors_on_template_unknown_field: "template-unknown-field" at "templates/exercise.html:3:" says "template error";
    errors_in_every_file_in_one_run: "errors-in-several-files" at "content/programs/daily.yaml:11:15" says "unknown difficulty `expert`";
    errors_on_invalid_utf8: "not-utf8" at "content/exercises/cat-cow.md:3:" says "this file is not valid UTF-8 text";
    errors_on_utf16: "utf16" at "content/exercises/cat-cow.md" says "this file is saved as UTF-16";
    errors_on_broken_internal_link: "broken-internal-link" at "content/exercises/cat-cow.md:32:26" says "the link target `@/exercises/bird-dgo.md` does not exist";
    errors_on_broken_internal_link_in_program_intro: "broken-internal-link-in-intro" at "content/programs/daily.yaml:7:12" says "the link target `@/programs/nightly.yaml` does not exist";
    errors_on_nul_byte: "nul-byte" at "content/exercises/cat-cow.md:26:12" says "this file contains a NUL byte";
    errors_on_nul_escape: "nul-escape" at "content/exercises/cat-cow.md:2:16" says "this text holds a NUL character";
    errors_on_number_with_leading_zero: "yaml11-octal" at "content/exercises/cat-cow.md:10:9" says "the number `0123` starts with a zero";
    errors_on_utf16_without_byte_order_mark: "utf16-without-bom" at "content/exercises/cat-cow.md" says "this file is saved as UTF-16";
    errors_on_text_where_a_list_belongs: "wrong-type-list" at "content/exercises/cat-cow.md:19:10" says "expected a list";
    errors_on_an_anchor_bomb: "anchor-bomb" at "content/exercises/cat-cow.md:16:40" says "this value is copied too many times by `*` references";
    errors_on_page_named_after_a_section: "reserved-page-name" at "content/pages/handouts.md:1:1" says "the page name `handouts` is taken by a section of the site";
    errors_on_a_base_url_too_long_for_a_qr_code: "long-base-url" at "site.yaml:2:11" says "base_url is too long (1009 characters; at most 1000)";
    errors_on_a_card_partial_that_uses_page_data: "card-partial-uses-page" at "templates/partials/exercise-card.html:3:19" says "Variable `page` is not defined. Available variables: assets, card, root, site";
    errors_on_a_picture_without_src: "missing-image-src" at "content/exercises/cat-cow.md:16:5" says "this picture has no `src:`";
    errors_on_a_program_step_without_exercise: "missing-step-exercise" at "content/programs/daily.yaml:8:5" says "this step has no `exercise:`";
    errors_on_a_picture_left_blank: "blank-image" at "content/exercises/cat-cow.md:16:4" says "this picture has no `src:`";
    errors_on_a_list_item_left_blank: "blank-list-item" at "content/exercises/cat-cow.md:15:4" says "this list item is empty";
    errors_on_a_program_step_left_blank: "blank-step" at "content/programs/daily.yaml:8:4" says "this step has no `exercise:`";
    errors_in_content_and_templates_in_one_run: "content-and-template-errors" at "templates/exercise.html:3:" says "template error";
    errors_on_windows_device_name_as_slug: "device-name-slug" at "content/exercises/cat-cow.md:3:7" says "`con` cannot be used as a slug: Windows keeps this name for a device";
}

#[test]
fn several_files_report_all_their_errors_at_once() {
    let site = fixture("minimal");
    overlay(site.path(), "invalid/errors-in-several-files");
    let err = stderr(&movepress(site.path(), &["check"]));
    assert!(err.contains("content/exercises/cat-cow.md:10:3"), "{err}");
    assert!(err.contains("content/exercises/bird-dog.md:8:13"), "{err}");
    assert!(err.contains("content/programs/daily.yaml:11:15"), "{err}");
    assert!(
        !err.contains("the exercise `cat-cow` does not exist"),
        "no follow-on errors for a broken file:\n{err}"
    );
    assert!(err.contains("3 errors in 3 files"), "{err}");
}

/// A required key missing inside a list entry (a picture's `src`, a step's
/// `exercise`) is reported without hiding the file's other errors (the
/// step's own dosage included), and errors in the content or site.yaml do
/// not hide those of the templates.
#[test]
fn a_missing_key_in_an_entry_or_a_content_error_hides_no_other_error() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "missing-image-src",
            &[
                "content/exercises/cat-cow.md:16:5",
                "content/exercises/cat-cow.md:8:13",
            ],
        ),
        (
            "missing-step-exercise",
            &[
                "content/programs/daily.yaml:8:5",
                "content/programs/daily.yaml:8:21",
                "content/programs/daily.yaml:4:10",
            ],
        ),
        (
            "site-and-template-errors",
            &["site.yaml:2:1", "templates/exercise.html:3:"],
        ),
        (
            "content-and-template-errors",
            &[
                "content/exercises/cat-cow.md:8:13",
                "templates/exercise.html:3:",
            ],
        ),
    ];
    for (case, errors) in cases {
        let site = fixture("minimal");
        overlay(site.path(), &format!("invalid/{case}"));
        let err = stderr(&movepress(site.path(), &["check"]));
        for location in errors {
            assert!(err.contains(location), "{case}: names {location}:\n{err}");
        }
        let count = format!("{} errors in", errors.len());
        assert!(err.contains(&count), "{case}: {count}\n{err}");
    }
}

#[test]
fn template_that_drops_the_disclaimer_names_template_and_page() {
    let site = fixture("minimal");
    overlay(site.path(), "invalid/template-drops-disclaimer");
    let err = stderr(&movepress(site.path(), &["check"]));
    // The override is the footer partial; every page extends base.html, so the
    // page template named is the one rendered, and each page is listed.
    assert!(
        err.contains("--> (built-in theme clinic)/templates/exercise.html"),
        "{err}"
    );
    assert!(err.contains("the page `exercises/bird-dog/index.html` and 1 more made with this template do not show the site disclaimer"), "{err}");
    assert!(
        err.contains("this site replaces the theme's `templates/partials/footer.html`"),
        "{err}"
    );
}

#[test]
fn links_to_a_broken_file_are_not_reported_again() {
    let site = fixture("minimal");
    overlay(site.path(), "invalid/unknown-key");
    let page = site.path().join("content/pages/about.md");
    std::fs::write(
        &page,
        "---\ntitle: About us\n---\nSee [Cat-Cow](@/exercises/cat-cow.md).\n",
    )
    .unwrap();
    let err = stderr(&movepress(site.path(), &["check"]));
    assert!(err.contains("unknown key `rep`"), "{err}");
    assert!(
        !err.contains("does not exist"),
        "the broken file's own error is enough:\n{err}"
    );
    assert!(err.contains("1 error in 1 file"), "{err}");
}

#[test]
fn a_failed_first_build_leaves_no_folder_and_no_lock_behind() {
    let site = fixture("minimal");
    overlay(site.path(), "invalid/template-drops-disclaimer");
    // The pages are rendered (and fail) after the output's folder is made.
    let build = movepress(site.path(), &["build", "-o", "deploy/public/site"]);
    assert_eq!(build.status.code(), Some(1), "{}", stderr(&build));
    assert!(
        stderr(&build).contains("do not show the site disclaimer"),
        "{}",
        stderr(&build)
    );
    assert!(
        !site.path().join("deploy").exists(),
        "no deploy/ folder is left"
    );

    // A folder that was there stays, without the lock.
    std::fs::create_dir(site.path().join("deploy")).unwrap();
    let build = movepress(site.path(), &["build", "-o", "deploy/public/site"]);
    assert_eq!(build.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(site.path().join("deploy"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "deploy/ is as it was: {left:?}");
}

#[test]
fn file_name_hints_spell_accented_letters_in_ascii() {
    let report = fails(
        "accented-file-names",
        "content/exercises/Übungen für Schultern.md",
        "the file name `Übungen für Schultern` cannot be used as a web address",
    );
    for slug in [
        "ubungen-fur-schultern",
        "etirement-du-cou",
        "angstrom-ovelse",
    ] {
        assert!(
            report.contains(&format!("rename the file to `{slug}`")),
            "suggests `{slug}`:\n{report}"
        );
    }
    insta::assert_snapshot!("accented-file-names", report);
}
