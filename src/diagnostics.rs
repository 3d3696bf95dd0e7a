//! Problems found in a site's sources, collected rather than thrown, and
//! printed for people (rustc-style snippets), for tools (JSON) and for
//! GitHub Actions (workflow commands).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

/// How bad a problem is: errors stop the build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one place of one source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file, relative to the site folder (`content/exercises/cat-cow.md`).
    #[serde(serialize_with = "serialize_path")]
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, counted in characters; 0 when unknown.
    pub column: usize,
    /// What is wrong, lowercase, no final period.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The offending source line, for the snippet.
    #[serde(skip)]
    pub source_line: Option<String>,
    /// How many characters to underline from `column`.
    #[serde(skip)]
    pub width: usize,
}

impl Diagnostic {
    /// An error about a whole file (no line to point at).
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: 0,
            column: 0,
            message: message.into(),
            hint: None,
            source_line: None,
            width: 1,
        }
    }

    /// Points the diagnostic at `line:column` of `source` (both 1-based).
    pub fn at(mut self, source: &str, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column.max(1);
        self.source_line = source
            .lines()
            .nth(line.saturating_sub(1))
            .map(|l| l.trim_end_matches('\r').to_string());
        self
    }

    /// Points the diagnostic at the value of `path` (`["clinic", "logo"]`)
    /// in YAML `source`; at its first line if the key is not written there.
    pub fn at_key(self, source: &str, path: &[&str]) -> Self {
        let (line, column) = crate::content::yaml::key_position(source, path).unwrap_or((1, 1));
        self.at(source, line, column)
    }

    /// Points the diagnostic at `column` of `line`, whose text is given.
    pub fn at_line(mut self, text: &str, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column.max(1);
        self.source_line = Some(text.trim_end_matches(['\n', '\r']).to_string());
        self
    }

    /// Underlines `width` characters from the column.
    pub fn width(mut self, width: usize) -> Self {
        self.width = width.max(1);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Whether the problem is in a command-line option's value rather than
    /// in a file: such diagnostics name the option (`--base-url`) where a
    /// file would be.
    pub fn in_option(&self) -> bool {
        let name = self.file.to_string_lossy();
        name.starts_with("--") && !name.contains(['/', '\\'])
    }

    /// `file:line:column`, or just `file` when there is no position.
    pub fn location(&self) -> String {
        let file = display_path(&self.file);
        match (self.line, self.column) {
            (0, _) => file,
            (l, 0) => format!("{file}:{l}"),
            (l, c) => format!("{file}:{l}:{c}"),
        }
    }
}

fn serialize_path<S: serde::Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&display_path(path))
}

/// Paths are shown with forward slashes whatever the platform, as users type them.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The output formats of `movepress check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
}

/// Sorts diagnostics by file and position so that output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    });
}

/// The last line of a run that failed: how many errors, where, and how many
/// warnings besides ("2 errors in 1 file and `--patient`, 1 warning").
/// Only the places of errors count: a file with a warning alone is not one
/// of them, and an option is named as an option, never counted as a file.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let warnings = diagnostics.len() - errors.len();
    let mut files: Vec<&Path> = errors
        .iter()
        .filter(|d| !d.in_option())
        .map(|d| d.file.as_path())
        .collect();
    files.sort();
    files.dedup();
    let mut options: Vec<String> = errors
        .iter()
        .filter(|d| d.in_option())
        .map(|d| format!("`{}`", display_path(&d.file)))
        .collect();
    options.sort();
    options.dedup();

    let mut places = Vec::new();
    if !files.is_empty() {
        places.push(count(files.len(), "file"));
    }
    places.extend(options);
    let mut line = count(errors.len(), "error");
    if let Some((last, first)) = places.split_last() {
        line.push_str(" in ");
        if !first.is_empty() {
            line.push_str(&first.join(", "));
            line.push_str(" and ");
        }
        line.push_str(last);
    }
    if warnings > 0 {
        line.push_str(", ");
        line.push_str(&count(warnings, "warning"));
    }
    line
}

/// "1 error", "3 errors".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Renders every diagnostic in the chosen format; `color` only affects `Human`.
pub fn render(diagnostics: &[Diagnostic], format: Format, color: bool) -> String {
    match format {
        Format::Human => diagnostics
            .iter()
            .map(|d| render_human(d, color))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => {
            let mut out = String::new();
            for d in diagnostics {
                // Serialising plain strings and numbers cannot fail.
                let line = serde_json::to_string(d).unwrap_or_default();
                out.push_str(&line);
                out.push('\n');
            }
            out
        }
        Format::Github => {
            let mut out = String::new();
            for d in diagnostics {
                let kind = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let mut message = d.message.clone();
                if let Some(hint) = &d.hint {
                    message.push_str(" (hint: ");
                    message.push_str(hint);
                    message.push(')');
                }
                let _ = write!(
                    out,
                    "::{kind} file={}",
                    github_escape_property(&display_path(&d.file))
                );
                if d.line > 0 {
                    let _ = write!(out, ",line={}", d.line);
                }
                if d.column > 0 {
                    let _ = write!(out, ",col={}", d.column);
                }
                let _ = writeln!(out, "::{}", github_escape_data(&message));
            }
            out
        }
    }
}

fn render_human(d: &Diagnostic, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let path = display_path(&d.file);
    let title = level.primary_title(d.message.as_str());
    let mut groups = Vec::new();
    let first = match (&d.source_line, d.line) {
        (Some(source), line) if line > 0 => {
            let start: usize = source
                .char_indices()
                .nth(d.column.saturating_sub(1))
                .map(|(i, _)| i)
                .unwrap_or(source.len());
            let end: usize = source[start..]
                .char_indices()
                .nth(d.width)
                .map(|(i, _)| start + i)
                .unwrap_or(source.len());
            title.element(
                Snippet::source(source.as_str())
                    .line_start(line)
                    .path(path.as_str())
                    .fold(false)
                    .annotation(AnnotationKind::Primary.span(start..end.max(start))),
            )
        }
        _ => title.element(annotate_snippets::Origin::path(path.as_str())),
    };
    groups.push(first);
    if let Some(hint) = &d.hint {
        groups.push(Group::with_title(
            Level::HELP.secondary_title(hint.as_str()),
        ));
    }
    let mut text = renderer.render(&groups);
    text.push('\n');
    text
}

fn github_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_escape_property(s: &str) -> String {
    github_escape_data(s)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(file: &str) -> Diagnostic {
        Diagnostic::error(file, "w").warning()
    }

    #[test]
    fn summary_counts_the_files_with_errors_only() {
        let problems = [
            Diagnostic::error("content/exercises/bird-dog.md", "a"),
            warning("content/exercises/notes.txt"),
        ];
        assert_eq!(summary(&problems), "1 error in 1 file, 1 warning");
        let problems = [
            Diagnostic::error("content/exercises/a.md", "a"),
            Diagnostic::error("content/exercises/a.md", "b"),
            Diagnostic::error("site.yaml", "c"),
            warning("content/exercises/a.md"),
            warning("content/x.txt"),
        ];
        assert_eq!(summary(&problems), "3 errors in 2 files, 2 warnings");
    }

    #[test]
    fn summary_names_options_and_never_calls_them_files() {
        assert_eq!(
            summary(&[Diagnostic::error("--base-url", "a")]),
            "1 error in `--base-url`"
        );
        let problems = [
            Diagnostic::error("--patient", "a"),
            Diagnostic::error("content/exercises/cat-cow.md", "b"),
            Diagnostic::error("--notes", "c"),
        ];
        assert_eq!(
            summary(&problems),
            "3 errors in 1 file, `--notes` and `--patient`"
        );
        assert!(!Diagnostic::error("content/--x.md", "a").in_option());
    }
}
