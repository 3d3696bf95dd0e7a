//! Field checks shared by exercises, programs and pages: each records a
//! diagnostic at the value's position and carries on, so that one run
//! reports every problem in a file.

use std::path::Path;

use crate::content::yaml::{self, Spanned};
use crate::diagnostics::Diagnostic;
use crate::model::{Dosage, Sides};

/// The file being checked and the problems found in it so far.
pub struct FileCheck<'a> {
    pub file: &'a Path,
    pub source: &'a str,
    /// File line of the YAML's first line.
    pub first_line: usize,
    pub errors: Vec<Diagnostic>,
    /// Keys left out of the YAML because they were wrong: already reported,
    /// so not "missing" too.
    left_out: Vec<String>,
    /// Byte offset of each line's start, made on the first error, so that
    /// many errors in one file cost one pass over it, not one each.
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> FileCheck<'a> {
    /// A diagnostic pointing at `line:column` of this file.
    fn point(&self, message: impl Into<String>, line: usize, column: usize) -> Diagnostic {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.source.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let start = starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.source.len());
        let end = starts.get(line).copied().unwrap_or(self.source.len());
        Diagnostic::error(self.file, message).at_line(&self.source[start..end], line, column)
    }

    pub fn new(file: &'a Path, source: &'a str, first_line: usize) -> Self {
        FileCheck {
            file,
            source,
            first_line,
            errors: Vec::new(),
            left_out: Vec::new(),
            line_starts: std::cell::OnceCell::new(),
        }
    }

    /// Reads a file's YAML (`yaml`, starting on file line `first_line`)
    /// into `T` with [`yaml::read`], and starts its check with the problems
    /// found there. An error when not even a part of it could be read.
    pub fn read<T: serde::de::DeserializeOwned>(
        file: &'a Path,
        source: &'a str,
        yaml: &str,
        first_line: usize,
    ) -> Result<(Self, T), Vec<Diagnostic>> {
        let read = yaml::read::<T>(file, source, yaml, first_line);
        let Some(value) = read.value else {
            return Err(read.errors);
        };
        let mut check = FileCheck::new(file, source, first_line);
        check.errors = read.errors;
        check.left_out = read.left_out;
        Ok((check, value))
    }

    /// Records an error pointing at a value.
    pub fn error_at<T>(
        &mut self,
        value: &Spanned<T>,
        width: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let (line, col) = yaml::position(value, self.first_line);
        let diagnostic = self.point(message, line, col).width(width).hint(hint);
        self.errors.push(diagnostic);
    }

    /// Records an error about a missing key, pointing at the front matter's
    /// start; or, if the key is written with nothing after it, at the key.
    pub fn missing(&mut self, key: &str, hint: &str) {
        if self.left_out.iter().any(|k| k == key) {
            return;
        }
        if let Some(line) = self.written_empty(key) {
            let diagnostic = self
                .point(format!("`{key}` has no value"), line, 1)
                .width(key.chars().count())
                .hint(hint.to_string());
            self.errors.push(diagnostic);
            return;
        }
        let line = self.first_line.saturating_sub(1).max(1);
        self.errors.push(
            Diagnostic::error(self.file, format!("the required key `{key}` is missing"))
                .at(self.source, line, 1)
                .width(3)
                .hint(hint.to_string()),
        );
    }

    /// The file line of a top-level `key:` with no value after it, if the
    /// YAML has one.
    fn written_empty(&self, key: &str) -> Option<usize> {
        self.source
            .lines()
            .enumerate()
            .skip(self.first_line.saturating_sub(1))
            .take_while(|(_, l)| !matches!(l.trim_end(), "---" | "..."))
            .find(|(_, l)| {
                l.strip_prefix(key)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|rest| {
                        let rest = rest.trim();
                        rest.is_empty() || rest.starts_with('#')
                    })
            })
            .map(|(i, _)| i + 1)
    }

    /// A required, non-empty text.
    pub fn required(&mut self, value: Option<Spanned<String>>, key: &str, hint: &str) -> String {
        match value {
            Some(v) if !v.value.trim().is_empty() => v.value.trim().to_string(),
            Some(v) => {
                self.error_at(&v, 1, format!("`{key}` is empty"), hint.to_string());
                String::new()
            }
            None => {
                self.missing(key, hint);
                String::new()
            }
        }
    }

    /// A slug: lowercase letters, digits and single dashes.
    pub fn slug(&mut self, value: &Spanned<String>, what: &str) -> bool {
        if is_slug(&value.value) {
            return true;
        }
        let suggestion = crate::markdown::slugify(&value.value);
        let hint = if suggestion.is_empty() {
            "use only lowercase letters a-z, digits and dashes, e.g. `upper-back`".to_string()
        } else {
            format!("use only lowercase letters a-z, digits and dashes, e.g. `{suggestion}`")
        };
        self.error_at(
            value,
            value.value.chars().count(),
            format!("`{}` is not a valid {what}", value.value),
            hint,
        );
        false
    }

    /// A slug that becomes a folder or file name in the output: a valid slug
    /// that is not a name Windows keeps for a device.
    pub fn address(&mut self, value: &Spanned<String>, what: &str) -> bool {
        if !self.slug(value, what) {
            return false;
        }
        if !is_device_name(&value.value) {
            return true;
        }
        self.error_at(
            value,
            value.value.chars().count(),
            format!(
                "`{}` cannot be used as a {what}: Windows keeps this name for a device",
                value.value
            ),
            format!(
                "add a word, e.g. `{}-1`, so the site can be built and copied on any computer",
                value.value
            ),
        );
        false
    }

    /// A list of taxonomy terms, each a slug, without repeats.
    pub fn terms(&mut self, values: Vec<Spanned<String>>, what: &str) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for value in values {
            if self.address(&value, what) && !terms.contains(&value.value) {
                terms.push(value.value);
            }
        }
        terms
    }

    /// A whole number within `min..=max`.
    pub fn ranged(
        &mut self,
        value: Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<u32> {
        let v = value?;
        if (min..=max).contains(&v.value) {
            return Some(v.value as u32);
        }
        let width = v.value.to_string().len();
        self.error_at(
            &v,
            width,
            format!("`{key}` is {}, which is out of range", v.value),
            format!("use a whole number from {min} to {max}"),
        );
        None
    }

    /// A date written `YYYY-MM-DD`.
    pub fn date(&mut self, value: Option<Spanned<String>>) -> Option<String> {
        let v = value?;
        if is_date(&v.value) {
            return Some(v.value);
        }
        self.error_at(
            &v,
            v.value.chars().count(),
            format!("`{}` is not a date", v.value),
            "write the date as YYYY-MM-DD, e.g. `2026-11-21`",
        );
        None
    }

    /// A dosage block, checked key by key.
    pub fn dosage(&mut self, raw: Option<RawDosage>) -> Dosage {
        let Some(raw) = raw else {
            return Dosage::default();
        };
        let sides = raw.sides.and_then(|s| match Sides::parse(&s.value) {
            Some(sides) => Some(sides),
            None => {
                let hint = match yaml::closest(&s.value, &Sides::ALL) {
                    Some(best) => {
                        format!("did you mean `{best}`? Allowed: both, left, right, alternating")
                    }
                    None => "write one of: both, left, right, alternating".to_string(),
                };
                self.error_at(
                    &s,
                    s.value.chars().count(),
                    format!("unknown side `{}`", s.value),
                    hint,
                );
                None
            }
        });
        Dosage {
            reps: self.ranged(raw.reps, "reps", 1, 1000),
            sets: self.ranged(raw.sets, "sets", 1, 100),
            hold_seconds: self.ranged(raw.hold_seconds, "hold_seconds", 1, 3600),
            rest_seconds: self.ranged(raw.rest_seconds, "rest_seconds", 0, 3600),
            sides,
            frequency: raw
                .frequency
                .map(|f| f.value.trim().to_string())
                .filter(|f| !f.is_empty()),
        }
    }
}

/// A dosage as written in front matter or in a program.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDosage {
    /// Repetitions per set.
    pub reps: Option<Spanned<i64>>,
    /// Number of sets.
    pub sets: Option<Spanned<i64>>,
    /// Seconds to hold each repetition.
    pub hold_seconds: Option<Spanned<i64>>,
    /// Seconds of rest between sets.
    pub rest_seconds: Option<Spanned<i64>>,
    /// `both`, `left`, `right` or `alternating`.
    pub sides: Option<Spanned<String>>,
    /// How often, in words: "twice a day".
    pub frequency: Option<Spanned<String>>,
}

/// `[a-z0-9]+(-[a-z0-9]+)*`
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// `con`, `prn`, `aux`, `nul`, `com0`-`com9`, `lpt0`-`lpt9`: Windows cannot
/// make a folder or file of that name, whatever its extension.
pub fn is_device_name(s: &str) -> bool {
    matches!(s, "con" | "prn" | "aux" | "nul")
        || (s.len() == 4
            && (s.starts_with("com") || s.starts_with("lpt"))
            && s.as_bytes()[3].is_ascii_digit())
}

pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let days = match m {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            (1..=days).contains(&d) && b[..4].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_dates() {
        assert!(is_slug("cat-cow"));
        assert!(is_slug("90-90"));
        for bad in ["Cat-Cow", "cat cow", "-cat", "cat--cow", "", "../x", "cät"] {
            assert!(!is_slug(bad), "{bad}");
        }
        for device in ["con", "prn", "aux", "nul", "com1", "lpt9"] {
            assert!(is_device_name(device), "{device}");
        }
        for fine in ["cone", "com", "com10", "lpt-1", "console"] {
            assert!(!is_device_name(fine), "{fine}");
        }
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2026-13-01"));
        assert!(!is_date("26-11-01"));
        assert!(!is_date("2026-+1-+1"));
    }
}
