//! The one place that knows about YAML: front-matter splitting, serde-saphyr
//! options, and turning its errors into diagnostics that point into the file.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::Diagnostic;

pub use serde_saphyr::Spanned;

/// A source split into its YAML front matter and its Markdown body.
#[derive(Debug, Clone, Copy)]
pub struct FrontMatter<'a> {
    pub yaml: &'a str,
    /// 1-based line of the file on which the YAML starts.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
}

/// Splits `---\nyaml\n---\nbody`. A byte-order mark and CRLF line endings are accepted.
pub fn split_front_matter<'a>(file: &Path, source: &'a str) -> Result<FrontMatter<'a>, Diagnostic> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_line_end].trim_end() != "---" {
        let diagnostic = Diagnostic::error(file, "missing front matter")
            .hint("start the file with a line `---`, then the YAML keys (title, summary, ...), then another `---` line");
        return Err(if text.trim().is_empty() {
            Diagnostic {
                message: "the file is empty".into(),
                ..diagnostic
            }
        } else {
            diagnostic.at(source, 1, 1)
        });
    }
    let mut offset = first_line_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let current = text[offset..end].trim_end();
        if current == "---" || current == "..." {
            return Ok(FrontMatter {
                yaml: &text[first_line_end..offset],
                yaml_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err(Diagnostic::error(file, "the front matter is never closed")
        .at(source, 1, 1)
        .width(3)
        .hint("add a line `---` after the last YAML key to end the front matter"))
}

/// Parses YAML into `T`. `line_offset` is the file line of the YAML's first
/// line, so that positions point into the file, not into the fragment.
pub fn parse<T: DeserializeOwned>(
    file: &Path,
    source: &str,
    yaml: &str,
    first_line: usize,
) -> Result<T, Diagnostic> {
    let options = serde_saphyr::options! {
        // `yes`/`no`/`on`/`off` are strings, not booleans: YAML 1.1 surprises are errors.
        strict_booleans: true,
        with_snippet: false,
        // An anchor bomb stops after this many copied values, in a few
        // milliseconds; a clinic's file that reuses a block with `&` and `*`
        // needs a few dozen.
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_COPIED_VALUES,
        },
    };
    use serde_saphyr::Error as E;
    serde_saphyr::from_str_with_options::<T>(yaml, options).map_err(|error| {
        let outer = error.without_snippet();
        // An error met while copying an anchor: described by the error itself,
        // placed where the copy was asked for (the `*alias`).
        let mut inner = outer;
        while let E::AliasError { error, .. } = inner {
            inner = error.without_snippet();
        }
        let (line, column) = outer
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        let line = line.max(1) + first_line - 1;
        let written = written_at(source, line, column);
        let (message, hint) = if tab_indented(source, line) && is_syntax(inner) {
            tab_message()
        } else {
            describe(inner, written)
        };
        let mut diagnostic = Diagnostic::error(file, message).at(source, line, column);
        // Underline the whole key or value that is wrong.
        if let E::SerdeUnknownField { field: key, .. }
        | E::DuplicateMappingKey { key: Some(key), .. } = inner
        {
            diagnostic = diagnostic.width(key.chars().count());
        } else if let E::InvalidScalar { ty, .. } = inner
            && is_integer(ty)
            && !written.is_empty()
        {
            diagnostic = diagnostic.width(written.chars().count());
        }
        if let Some(hint) = hint {
            diagnostic = diagnostic.hint(hint);
        }
        diagnostic
    })
}

/// A 1-based `(line, column)` in the file for a spanned value.
pub fn position<T>(spanned: &Spanned<T>, first_line: usize) -> (usize, usize) {
    let l = spanned.referenced;
    let line = (l.line() as usize).max(1) + first_line - 1;
    (line, (l.column() as usize).max(1))
}

/// How many values copies made with `&anchor` and `*alias` may add to one file.
const MAX_COPIED_VALUES: usize = 10_000;

/// The plain value written at a 1-based `line` and `column` of `source`, as
/// far as the next space, comma, bracket or comment.
fn written_at(source: &str, line: usize, column: usize) -> &str {
    let Some(text) = source.lines().nth(line.saturating_sub(1)) else {
        return "";
    };
    let start = text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Whether line `line` of `source`, or the line before it, is indented
/// with a tab: YAML refuses tabs there, whatever words the parser uses.
fn tab_indented(source: &str, line: usize) -> bool {
    let indent_has_tab = |text: &str| {
        text.chars()
            .take_while(|c| matches!(c, ' ' | '\t' | '-'))
            .any(|c| c == '\t')
    };
    source
        .lines()
        .skip(line.saturating_sub(2))
        .take(if line >= 2 { 2 } else { 1 })
        .any(indent_has_tab)
}

/// Whether an error is about how the YAML is written rather than about a
/// value (a value's error stays the value's, even on a tab-indented line).
fn is_syntax(error: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    !matches!(
        error,
        E::InvalidScalar { .. }
            | E::SerdeUnknownField { .. }
            | E::SerdeMissingField { .. }
            | E::DuplicateMappingKey { .. }
            | E::InvalidBooleanStrict { .. }
            | E::UnknownAnchor { .. }
            | E::MultipleDocuments { .. }
            | E::Budget { .. }
            | E::AliasError { .. }
    )
}

fn tab_message() -> (String, Option<String>) {
    (
        "a tab is used where YAML needs spaces".into(),
        Some("indent with spaces, not tabs, on this line and the next".into()),
    )
}

/// Whether serde-saphyr's type name is an integer's (`i64`, `u32`, ...).
fn is_integer(ty: &str) -> bool {
    matches!(
        ty,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
    )
}

/// `0123` or `-007`: a number YAML 1.1 would read as octal and YAML 1.2 as decimal.
fn has_leading_zero(written: &str) -> bool {
    let digits = written.strip_prefix(['+', '-']).unwrap_or(written);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The message in clinic staff's words and a hint, from a serde-saphyr error
/// and the value `written` where it points.
fn describe(error: &serde_saphyr::Error, written: &str) -> (String, Option<String>) {
    use serde_saphyr::Error as E;
    match error {
        E::InvalidScalar { ty, .. } if is_integer(ty) && has_leading_zero(written) => {
            let sign = if written.starts_with('-') { "-" } else { "" };
            let number = written.trim_start_matches(['+', '-']).trim_start_matches('0');
            let number = if number.is_empty() { "0" } else { number };
            (
                format!("the number `{written}` starts with a zero"),
                Some(format!(
                    "write `{sign}{number}`; a number starting with 0 is read differently by different programs"
                )),
            )
        }
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => (
            "this value is copied too many times by `*` references".into(),
            Some("write the values out instead of reusing them with `&` and `*`".into()),
        ),
        E::Budget { .. } => (
            "this YAML is too large or too deeply nested to read".into(),
            Some("split it up, write fewer values, and keep lists shallow".into()),
        ),
        E::UnknownAnchor { .. } => (
            format!("`{written}` refers to no `&` anchor above it"),
            Some("a `*name` repeats a value marked `&name` earlier in the file; write the value out instead".into()),
        ),
        E::MultipleDocuments { .. } => (
            "a second YAML document starts here".into(),
            Some("a file holds one document: remove the `---` line above this one".into()),
        ),
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let hint = match closest(field, expected) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("the keys allowed here are: {}", expected.join(", ")),
            };
            (format!("unknown key `{field}`"), Some(hint))
        }
        E::SerdeMissingField { field, .. } => (
            format!("the required key `{field}` is missing"),
            Some(format!("add a line `{field}: ...`")),
        ),
        E::DuplicateMappingKey { key, .. } => (
            match key {
                Some(key) => format!("the key `{key}` appears twice"),
                None => "a key appears twice".to_string(),
            },
            Some("each key may appear only once; remove one of them".into()),
        ),
        E::InvalidBooleanStrict { .. } => (
            "expected `true` or `false`".into(),
            Some("write `true` or `false`; `yes`, `no`, `on` and `off` are not accepted".into()),
        ),
        E::Unexpected {
            expected: "string scalar",
            ..
        } => (
            "expected text".into(),
            Some("write plain text here; put it in quotes if it contains `:` or starts with a symbol".into()),
        ),
        E::Unexpected {
            expected: "sequence start",
            ..
        } => (
            "expected a list".into(),
            Some("write a list, e.g. `[a, b]` or one `- item` per line".into()),
        ),
        E::InvalidScalar { ty, .. } if is_integer(ty) => (
            "expected a whole number".into(),
            Some("write a whole number such as `10`".into()),
        ),
        _ => {
            let message = strip_location(&error.to_string());
            if message.contains("tab") {
                return tab_message();
            }
            let hint = "check the YAML here and on the lines above: indentation, quotes, a missing `:` or an unclosed `[`";
            (message, Some(hint.to_string()))
        }
    }
}

fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The allowed word closest to a misspelt one, for "did you mean" hints.
pub fn closest<'a, S: AsRef<str>>(word: &str, allowed: &'a [S]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::jaro_winkler(word, a.as_ref()), a.as_ref()))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_in_the_indent_of_the_line_or_the_one_before_is_found() {
        let source = "title: Daily\nexercises:\n\t- exercise: cat-cow\n  - exercise: bird-dog\n";
        assert!(!tab_indented(source, 1));
        assert!(!tab_indented(source, 2));
        assert!(tab_indented(source, 3), "the tab's own line");
        assert!(tab_indented(source, 4), "the line after it");
        assert!(!tab_indented(source, 5));
        assert!(
            !tab_indented("title: a\tb\n", 1),
            "a tab inside a value is no indent"
        );
        assert!(tab_indented("-\tx\n", 1), "after a list dash");
    }

    #[test]
    fn a_tab_indented_line_is_explained_as_such() {
        let source = "title: Daily\nexercises:\n\t- exercise: cat-cow\n";
        let error = parse::<serde_json::Value>(Path::new("daily.yaml"), source, source, 1)
            .expect_err("tabs are refused");
        assert_eq!(error.message, "a tab is used where YAML needs spaces");
    }
}
