//! One program file: an ordered routine of exercises with dosage overrides.

use std::path::Path;

use serde::Deserialize;

use crate::content::check::{FileCheck, RawDosage};
use crate::content::exercise::{SlugRef, slug_for};
use crate::content::yaml::{self, Spanned};
use crate::diagnostics::Diagnostic;
use crate::markdown::{self, MarkdownOptions};
use crate::model::{Dosage, Program};

/// A program as written. The doc comments are the reference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    /// The program's name (required).
    title: Option<Spanned<String>>,
    /// The URL name; defaults to the file name without `.yaml`.
    slug: Option<Spanned<String>>,
    /// One sentence for listings and the handout (required).
    summary: Option<Spanned<String>>,
    /// How often to do the whole routine, e.g. "once a day"; sizes the tracking log.
    frequency: Option<Spanned<String>>,
    /// Markdown shown above the exercises.
    intro: Option<Spanned<String>>,
    /// The exercises, in order (at least one). (A step left blank, `-`, is
    /// none: reported as a step without its exercise.)
    exercises: Option<Spanned<Vec<Spanned<Option<RawStep>>>>>,
    /// Last reviewed, `YYYY-MM-DD`.
    updated: Option<Spanned<String>>,
    /// Left out of the build unless `--drafts`.
    #[serde(default)]
    draft: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    /// The slug of an exercise in content/exercises (required).
    exercise: Option<Spanned<String>>,
    /// Overrides of the exercise's default dosage, key by key.
    dosage: Option<RawDosage>,
    /// A line from the clinician, shown beside the exercise.
    note: Option<String>,
}

/// A program step before the exercise it names is known to exist.
#[derive(Debug, Clone)]
pub struct ParsedStep {
    pub exercise: SlugRef,
    pub overrides: Dosage,
    pub note: Option<String>,
}

/// A program whose exercise references are still to be resolved.
#[derive(Debug, Clone)]
pub struct ParsedProgram {
    pub program: Program,
    pub slug_position: (usize, usize),
    pub steps: Vec<ParsedStep>,
    /// `@/...` links in the intro.
    pub links: Vec<crate::content::links::LinkRef>,
    /// What is wrong in the file; the program is what could be read with
    /// the wrong parts left out (see [`ParsedExercise::problems`]).
    ///
    /// [`ParsedExercise::problems`]: crate::content::exercise::ParsedExercise::problems
    pub problems: Vec<Diagnostic>,
}

/// Parses one program file. `file` is relative to the site folder. Any
/// problem in it is an error.
pub fn parse(
    file: &Path,
    source: &str,
    options: MarkdownOptions,
) -> Result<ParsedProgram, Vec<Diagnostic>> {
    crate::content::whole(read(file, source, options))
}

/// Reads one program file as far as it can: an error only when nothing of
/// it can be used; otherwise the program with its `problems`.
pub fn read(
    file: &Path,
    source: &str,
    options: MarkdownOptions,
) -> Result<ParsedProgram, Vec<Diagnostic>> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    if text.trim().is_empty() {
        return Err(vec![Diagnostic::error(file, "the file is empty").hint(
            "a program needs `title:`, `summary:` and a list of `exercises:`",
        )]);
    }
    let (mut check, raw) = FileCheck::read::<RawProgram>(file, source, text, 1)?;
    let title = check.required(
        raw.title,
        "title",
        "add a line `title: ...` with the program's name",
    );
    let summary = check.required(
        raw.summary,
        "summary",
        "add a line `summary: ...` with one sentence about the program",
    );
    let (slug, slug_position) = slug_for(&mut check, file, raw.slug);
    let mut steps = Vec::new();
    match raw.exercises {
        None => check.missing(
            "exercises",
            "add `exercises:` with one `- exercise: <slug>` line per exercise",
        ),
        Some(list) if list.value.is_empty() => check.error_at(
            &list,
            1,
            "the program has no exercises",
            "add one `- exercise: <slug>` line per exercise",
        ),
        Some(list) => {
            for mut entry in list.value {
                let mut step = entry.value.take().unwrap_or_default();
                // A step without its exercise is reported here, so that the
                // rest of the file is still read and checked.
                let overrides = check.dosage(step.dosage.take());
                let Some(exercise) = step.exercise.take() else {
                    check.error_at(
                        &entry,
                        1,
                        "this step has no `exercise:`",
                        "start the step with `- exercise: <slug>`, the file name of an exercise without `.md`",
                    );
                    continue;
                };
                if check.slug(&exercise, "exercise slug") {
                    let (line, column) = yaml::position(&exercise, 1);
                    steps.push(ParsedStep {
                        exercise: SlugRef {
                            slug: exercise.value,
                            line,
                            column,
                        },
                        overrides,
                        note: step
                            .note
                            .map(|n| n.trim().to_string())
                            .filter(|n| !n.is_empty()),
                    });
                }
            }
        }
    }
    let updated = check.date(raw.updated);
    let (intro, links) = match &raw.intro {
        Some(text) => {
            let intro = markdown::parse(&text.value, options);
            let links = crate::content::links::in_value(&intro, &text.value, &|line, column| {
                intro_position(source, text, line, column)
            });
            (intro, links)
        }
        None => (markdown::Document::default(), Vec::new()),
    };
    Ok(ParsedProgram {
        program: Program {
            slug,
            title,
            summary,
            frequency: raw
                .frequency
                .map(|f| f.value.trim().to_string())
                .filter(|f| !f.is_empty()),
            intro,
            exercises: Vec::new(),
            updated,
            draft: raw.draft,
            source: file.to_path_buf(),
        },
        slug_position,
        steps,
        links,
        problems: check.errors,
    })
}

/// Where line `line`, column `column` of the intro's text is in the file.
/// A literal block (`intro: |`) keeps its lines: its text starts on the line
/// after the indicator, shifted by the block's indentation. Folded blocks and
/// quoted text move words around, so those point at the value itself.
fn intro_position(
    source: &str,
    intro: &Spanned<String>,
    line: usize,
    column: usize,
) -> (usize, usize) {
    let (value_line, value_column) = yaml::position(intro, 1);
    let text_of = |n: usize| source.lines().nth(n.saturating_sub(1)).unwrap_or("");
    let literal = |n: usize| {
        let t = text_of(n).trim_end();
        t.ends_with('|') || t.ends_with("|-") || t.ends_with("|+")
    };
    let first_text_line = if literal(value_line) {
        value_line + 1
    } else if value_line > 1 && literal(value_line - 1) {
        value_line
    } else {
        return (value_line, value_column);
    };
    let indent = text_of(first_text_line)
        .chars()
        .take_while(|c| *c == ' ')
        .count();
    (first_text_line + line - 1, indent + column)
}
