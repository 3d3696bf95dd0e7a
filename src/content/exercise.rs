//! One exercise file: YAML front matter, then the Markdown steps and tips.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::content::check::{FileCheck, RawDosage};
use crate::content::yaml::{self, Spanned};
use crate::diagnostics::Diagnostic;
use crate::markdown::{self, MarkdownOptions};
use crate::model::{Difficulty, Exercise, Image};

/// The front matter of an exercise, as written. The doc comments are the reference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    /// The exercise's name (required).
    title: Option<Spanned<String>>,
    /// The URL name; defaults to the file name without `.md`.
    slug: Option<Spanned<String>>,
    /// One sentence for listings, search results and handouts (required).
    summary: Option<Spanned<String>>,
    /// Body regions, e.g. `[upper-back, neck]`.
    #[serde(default, deserialize_with = "yaml::blank_is_empty")]
    regions: Vec<Spanned<String>>,
    /// What it works on, e.g. `[mobility, rotation]`.
    #[serde(default, deserialize_with = "yaml::blank_is_empty")]
    focus: Vec<Spanned<String>>,
    /// Starting position, e.g. `quadruped`, `seated`.
    position: Option<Spanned<String>>,
    /// What is needed, e.g. `[chair]`; an empty list means none.
    #[serde(default, deserialize_with = "yaml::blank_is_empty")]
    equipment: Vec<Spanned<String>>,
    /// `beginner`, `intermediate` or `advanced`.
    difficulty: Option<Spanned<String>>,
    /// The default prescription.
    dosage: Option<RawDosage>,
    /// Stop rules and safety notes, shown prominently.
    #[serde(default, deserialize_with = "yaml::blank_is_empty")]
    cautions: Vec<Spanned<String>>,
    /// Pictures: `src` (inside static/), `alt` (required), `caption`.
    #[serde(default, deserialize_with = "yaml::blank_is_empty")]
    images: Vec<Spanned<Option<RawImage>>>,
    /// A video link (https only).
    video: Option<Spanned<String>>,
    /// Slugs of related exercises.
    #[serde(default, deserialize_with = "yaml::blank_is_empty")]
    related: Vec<Spanned<String>>,
    /// Last reviewed, `YYYY-MM-DD`.
    updated: Option<Spanned<String>>,
    /// Left out of the build unless `--drafts`.
    #[serde(default)]
    draft: bool,
}

/// (A picture left blank, `-`, is none: reported as one without its file.)
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    /// The picture's path inside static/, e.g. `images/cat-cow.svg` (required).
    src: Option<Spanned<String>>,
    /// What the picture shows, for people who cannot see it (required).
    alt: Option<Spanned<String>>,
    /// A line shown under the picture.
    caption: Option<String>,
}

/// Where an image reference points, for the site-wide check that the file exists.
#[derive(Debug, Clone)]
pub struct ImageRef {
    pub src: String,
    pub line: usize,
    pub column: usize,
}

/// Where each related slug was written, for the cross-check.
#[derive(Debug, Clone)]
pub struct SlugRef {
    pub slug: String,
    pub line: usize,
    pub column: usize,
}

/// An exercise with the positions its cross-references were written at.
#[derive(Debug, Clone)]
pub struct ParsedExercise {
    pub exercise: Exercise,
    pub slug_position: (usize, usize),
    pub related: Vec<SlugRef>,
    pub images: Vec<ImageRef>,
    /// `@/...` links in the body.
    pub links: Vec<crate::content::links::LinkRef>,
    /// What is wrong in the file. The exercise is what could be read with
    /// the wrong parts left out, so that the checks across files (pictures,
    /// links, references) still run on the rest and one build reports all.
    pub problems: Vec<Diagnostic>,
}

/// Parses one exercise file. `file` is relative to the site folder. Any
/// problem in it is an error.
pub fn parse(
    file: &Path,
    source: &str,
    options: MarkdownOptions,
) -> Result<ParsedExercise, Vec<Diagnostic>> {
    crate::content::whole(read(file, source, options))
}

/// Reads one exercise file as far as it can: an error only when nothing of
/// it can be used; otherwise the exercise with its `problems`.
pub fn read(
    file: &Path,
    source: &str,
    options: MarkdownOptions,
) -> Result<ParsedExercise, Vec<Diagnostic>> {
    let front = yaml::split_front_matter(file, source).map_err(|d| vec![d])?;
    if front.yaml.trim().is_empty() {
        return Err(vec![
            Diagnostic::error(file, "the front matter is empty")
                .at(source, 1, 1)
                .width(3)
                .hint("add at least `title:` and `summary:` between the two `---` lines"),
        ]);
    }
    let (mut check, raw) =
        FileCheck::read::<RawExercise>(file, source, front.yaml, front.yaml_line)?;

    let title = check.required(
        raw.title,
        "title",
        "add a line `title: Cat-Cow` with the exercise's name",
    );
    let summary = check.required(
        raw.summary,
        "summary",
        "add a line `summary: ...` with one sentence about the exercise",
    );
    let (slug, slug_position) = slug_for(&mut check, file, raw.slug);
    let regions = check.terms(raw.regions, "region");
    let focus = check.terms(raw.focus, "focus");
    let equipment = check.terms(raw.equipment, "equipment name");
    let position = raw
        .position
        .filter(|p| check.address(p, "position"))
        .map(|p| p.value);
    let difficulty = raw
        .difficulty
        .and_then(|d| match Difficulty::parse(&d.value) {
            Some(level) => Some(level),
            None => {
                let hint = match yaml::closest(&d.value, &Difficulty::ALL) {
                    Some(best) => {
                        format!("did you mean `{best}`? Allowed: beginner, intermediate, advanced")
                    }
                    None => "write one of: beginner, intermediate, advanced".to_string(),
                };
                check.error_at(
                    &d,
                    d.value.chars().count(),
                    format!("unknown difficulty `{}`", d.value),
                    hint,
                );
                None
            }
        });
    let dosage = check.dosage(raw.dosage);
    let mut cautions = Vec::new();
    for caution in raw.cautions {
        if caution.value.trim().is_empty() {
            check.error_at(
                &caution,
                1,
                "a caution is empty",
                "write the caution's text, or remove the empty `-` line",
            );
        } else {
            cautions.push(caution.value.trim().to_string());
        }
    }
    let mut images = Vec::new();
    let mut image_refs = Vec::new();
    for mut entry in raw.images {
        let mut raw_image = entry.value.take().unwrap_or_default();
        // A picture without its file is reported here, so that the rest of
        // the file is still read and checked.
        let Some(src) = raw_image.src.take() else {
            check.error_at(
                &entry,
                1,
                "this picture has no `src:`",
                "add `src: images/<file>` with the picture's path inside static/",
            );
            continue;
        };
        let alt = match raw_image.alt {
            Some(alt) if !alt.value.trim().is_empty() => alt.value.trim().to_string(),
            Some(alt) => {
                check.error_at(
                    &alt,
                    1,
                    "the image's alt text is empty",
                    "describe what the picture shows, for people who cannot see it",
                );
                String::new()
            }
            None => {
                check.error_at(
                    &src,
                    src.value.chars().count(),
                    "this image has no alt text",
                    "add `alt:` under `src:`, describing what the picture shows",
                );
                String::new()
            }
        };
        let (line, column) = yaml::position(&src, check.first_line);
        image_refs.push(ImageRef {
            src: src.value.clone(),
            line,
            column,
        });
        images.push(Image {
            src: src.value,
            alt,
            caption: raw_image.caption.filter(|c| !c.trim().is_empty()),
            width: None,
            height: None,
        });
    }
    let video = raw.video.and_then(|v| {
        let url = v.value.trim();
        if url.starts_with("https://") && url.len() > "https://".len() && !url.contains(char::is_whitespace) {
            Some(url.to_string())
        } else {
            check.error_at(
                &v,
                v.value.chars().count(),
                "the video link must start with `https://`",
                "use the secure (https) address of the video, e.g. `https://www.youtube.com/watch?v=...`",
            );
            None
        }
    });
    let mut related = Vec::new();
    for r in raw.related {
        if r.value == slug {
            check.error_at(
                &r,
                r.value.chars().count(),
                "an exercise cannot be related to itself",
                "remove it from `related:`; list other exercises that go well with this one",
            );
        } else if check.slug(&r, "exercise slug") {
            let (line, column) = yaml::position(&r, check.first_line);
            related.push(SlugRef {
                slug: r.value,
                line,
                column,
            });
        }
    }
    let updated = check.date(raw.updated);
    let body = markdown::parse(front.body, options);
    let links = crate::content::links::in_body(&body, source, source.len() - front.body.len());
    Ok(ParsedExercise {
        exercise: Exercise {
            slug,
            title,
            summary,
            regions,
            focus,
            position,
            equipment,
            difficulty,
            dosage,
            cautions,
            images,
            video,
            related: related.iter().map(|r| r.slug.clone()).collect(),
            updated,
            draft: raw.draft,
            body: Arc::new(body),
            source: file.to_path_buf(),
        },
        slug_position,
        related,
        images: image_refs,
        links,
        problems: check.errors,
    })
}

/// The slug from the front matter, or else from the file name.
pub fn slug_for(
    check: &mut FileCheck<'_>,
    file: &Path,
    raw: Option<Spanned<String>>,
) -> (String, (usize, usize)) {
    match raw {
        Some(s) => {
            let position = yaml::position(&s, check.first_line);
            check.address(&s, "slug");
            (s.value, position)
        }
        None => {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if crate::content::check::is_device_name(&stem) {
                check.errors.push(
                    Diagnostic::error(file, format!("the file name `{stem}` cannot be used as a web address: Windows keeps this name for a device"))
                        .hint(format!("rename the file, e.g. to `{stem}-1`, or add `slug: {stem}-1`")),
                );
            } else if !crate::content::check::is_slug(&stem) {
                let suggestion = crate::markdown::slugify(&stem);
                check.errors.push(
                    Diagnostic::error(file, format!("the file name `{stem}` cannot be used as a web address"))
                        .hint(format!(
                            "rename the file to `{suggestion}` (lowercase letters, digits and dashes) or add `slug: {suggestion}`"
                        )),
                );
            }
            (stem, (1, 1))
        }
    }
}
