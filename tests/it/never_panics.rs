//! Property tests: no input makes the parsers panic. Each returns a model or
//! diagnostics, whatever the bytes.

use std::path::Path;

use movepress::content::{exercise, program};
use movepress::markdown::{self, MarkdownOptions};
use proptest::prelude::*;

/// Front-matter-shaped text: fragments of real keys, YAML syntax and noise.
fn front_matter_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---\n".to_string()),
        Just("title: Cat-Cow\n".to_string()),
        Just("summary: x\n".to_string()),
        Just("dosage:\n  reps: ".to_string()),
        Just("related: [".to_string()),
        Just("images:\n  - src: ".to_string()),
        Just("&a [*a, *a]\n".to_string()),
        Just("exercises:\n  - exercise: ".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r\n".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn exercise_parser_never_panics(source in front_matter_like()) {
        let _ = exercise::parse(Path::new("content/exercises/x.md"), &source, MarkdownOptions::default());
    }

    #[test]
    fn program_parser_never_panics(source in front_matter_like()) {
        let _ = program::parse(Path::new("content/programs/x.yaml"), &source, MarkdownOptions::default());
    }

    #[test]
    fn markdown_never_panics(source in "\\PC{0,400}", allow_html in any::<bool>()) {
        let document = markdown::parse(&source, MarkdownOptions { allow_html });
        let _ = markdown::to_html(&document, &|h| h.to_string());
        let _ = document.plain_text();
    }

    #[test]
    fn errors_always_point_inside_the_file(source in front_matter_like()) {
        if let Err(diagnostics) = exercise::parse(Path::new("x.md"), &source, MarkdownOptions::default()) {
            prop_assert!(!diagnostics.is_empty());
            let lines = source.lines().count().max(1);
            for d in diagnostics {
                prop_assert!(d.line <= lines + 1, "line {} of {} in {:?}", d.line, lines, source);
                prop_assert!(!d.message.is_empty());
            }
        }
    }
}
