//! Rich text on paper: Markdown inlines become styled spans, and spans are
//! broken into left-aligned lines at Unicode line-break opportunities,
//! measured with the font's own advance widths.

use unicode_linebreak::{BreakOpportunity, linebreaks};

use super::fonts::{Face, clean};
use crate::markdown::Inline;

/// A piece of text in one face, perhaps a link.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    pub text: String,
    pub face: Face,
    pub link: Option<String>,
}

impl Span {
    pub(crate) fn new(text: impl AsRef<str>, face: Face) -> Self {
        Span {
            text: clean(text.as_ref()),
            face,
            link: None,
        }
    }

    pub(crate) fn link(mut self, href: impl Into<String>) -> Self {
        self.link = Some(href.into());
        self
    }
}

/// A run of one line: text in one face at `x` points from the line start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub text: String,
    pub face: Face,
    pub x: f32,
    pub width: f32,
    pub link: Option<String>,
}

/// One line of set text.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Line {
    pub runs: Vec<Run>,
    pub width: f32,
}

impl Line {
    /// The line's text, as a reader would copy it.
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

/// Spans from Markdown inlines. `resolve` turns a link target into an
/// absolute address, or `None` to keep only the link's text.
pub(crate) fn spans(
    inlines: &[Inline],
    face: Face,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Vec<Span> {
    let mut out = Vec::new();
    push_spans(inlines, face, None, resolve, &mut out);
    out
}

fn push_spans(
    inlines: &[Inline],
    face: Face,
    link: Option<&str>,
    resolve: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<Span>,
) {
    let push = |out: &mut Vec<Span>, text: &str, face: Face| {
        let mut span = Span::new(text, face);
        span.link = link.map(str::to_string);
        out.push(span);
    };
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => push(out, t, face),
            Inline::SoftBreak => push(out, " ", face),
            Inline::LineBreak => push(out, "\n", face),
            Inline::Image(image) => push(out, &image.alt, face),
            Inline::FootnoteRef(note) => push(out, &format!("[{}]", note.number), face),
            Inline::Html(_) => {}
            Inline::Strong(content) => push_spans(content, Face::Bold, link, resolve, out),
            Inline::Emphasis(content) => {
                // No bold italic face: emphasis inside bold stays bold.
                let face = if face == Face::Bold {
                    Face::Bold
                } else {
                    Face::Italic
                };
                push_spans(content, face, link, resolve, out);
            }
            Inline::Strikethrough(content) => push_spans(content, face, link, resolve, out),
            Inline::Link(to) => {
                let target = resolve(&to.href);
                push_spans(&to.content, face, target.as_deref().or(link), resolve, out);
            }
        }
    }
}

/// One character with the span it came from.
struct Glyph {
    c: char,
    span: usize,
    advance: f32,
}

/// Breaks `spans` into lines no wider than `width` points at `size` points.
/// Lines break at Unicode line-break opportunities (after spaces, hyphens,
/// slashes ...), and at `\n`; a word wider than the line is cut where it must.
pub(crate) fn wrap(spans: &[Span], size: f32, width: f32) -> Vec<Line> {
    let text: String = spans.iter().map(|s| s.text.as_str()).collect();
    let mut glyphs = Vec::with_capacity(text.len());
    for (index, span) in spans.iter().enumerate() {
        for c in span.text.chars() {
            glyphs.push(Glyph {
                c,
                span: index,
                advance: if c == '\n' {
                    0.0
                } else {
                    span.face.advance(c) * size
                },
            });
        }
    }
    // Byte offsets of the text to glyph indexes.
    let mut byte_to_glyph = vec![0; text.len() + 1];
    let mut g = 0;
    for (byte, _) in text.char_indices() {
        byte_to_glyph[byte] = g;
        g += 1;
    }
    byte_to_glyph[text.len()] = g;

    let mut lines = Vec::new();
    // The glyphs of the line being filled: always a run of consecutive ones.
    let mut line = 0..0;
    let mut line_width = 0.0;
    let mut start = 0;
    for (byte, opportunity) in linebreaks(&text) {
        let end = byte_to_glyph[byte];
        let segment = start..end;
        start = end;
        let trimmed = trailing_trimmed(&glyphs[segment.clone()]);
        let full: f32 = glyphs[segment.clone()].iter().map(|g| g.advance).sum();
        if !line.is_empty() && line_width + trimmed > width + 0.01 {
            lines.push(finish(&glyphs[line.clone()], spans));
            line = segment.start..segment.start;
            line_width = 0.0;
        }
        if line.is_empty() && trimmed > width + 0.01 {
            // A word longer than the line: cut it character by character.
            line = segment.start..segment.start;
            for i in segment.clone() {
                let advance = glyphs[i].advance;
                if !line.is_empty()
                    && line_width + advance > width + 0.01
                    && !glyphs[i].c.is_whitespace()
                {
                    lines.push(finish(&glyphs[line.clone()], spans));
                    line = i..i;
                    line_width = 0.0;
                }
                line.end = i + 1;
                line_width += advance;
            }
        } else {
            if line.is_empty() {
                line = segment.clone();
            } else {
                line.end = segment.end;
            }
            line_width += full;
        }
        let hard = opportunity == BreakOpportunity::Mandatory
            && !segment.is_empty()
            && is_newline(glyphs[segment.end - 1].c);
        if hard {
            lines.push(finish(&glyphs[line.clone()], spans));
            line = segment.end..segment.end;
            line_width = 0.0;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(finish(&glyphs[line.clone()], spans));
    }
    lines
}

/// Breaks a web address into lines after `/`, and only where a part is too
/// long after `.` or `-`: a hyphen at a line end is easily taken for a
/// word break and left out when the address is typed.
pub(crate) fn wrap_url(url: &str, face: Face, size: f32, width: f32) -> Vec<Line> {
    fn pieces(text: &str, after: char) -> Vec<String> {
        let mut out = Vec::new();
        let mut piece = String::new();
        for c in text.chars() {
            piece.push(c);
            if c == after {
                out.push(std::mem::take(&mut piece));
            }
        }
        if !piece.is_empty() {
            out.push(piece);
        }
        out
    }
    let mut tokens = Vec::new();
    for token in pieces(url, '/') {
        if face.width(&token, size) <= width {
            tokens.push(token);
            continue;
        }
        for part in pieces(&token, '.') {
            if face.width(&part, size) <= width {
                tokens.push(part);
                continue;
            }
            // A long slug: after its hyphens rather than inside a word.
            for bit in pieces(&part, '-') {
                if face.width(&bit, size) <= width {
                    tokens.push(bit);
                } else {
                    tokens.extend(bit.chars().map(String::from));
                }
            }
        }
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for token in tokens {
        if !current.is_empty()
            && face.width(&current, size) + face.width(&token, size) > width + 0.01
        {
            lines.push(std::mem::take(&mut current));
        }
        current.push_str(&token);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
        .into_iter()
        .map(|text| {
            let width = face.width(&text, size);
            Line {
                runs: vec![Run {
                    text,
                    face,
                    x: 0.0,
                    width,
                    link: None,
                }],
                width,
            }
        })
        .collect()
}

fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{0B}' | '\u{0C}'
    )
}

/// Width of a segment without its trailing spaces (they may hang past the margin).
fn trailing_trimmed(segment: &[Glyph]) -> f32 {
    let keep = segment
        .iter()
        .rposition(|g| !g.c.is_whitespace())
        .map_or(0, |p| p + 1);
    segment[..keep].iter().map(|g| g.advance).sum()
}

/// Turns a line's glyphs into runs, dropping the spaces and newlines at its end.
fn finish(line: &[Glyph], spans: &[Span]) -> Line {
    let keep = line
        .iter()
        .rposition(|g| !g.c.is_whitespace())
        .map_or(0, |p| p + 1);
    let mut runs: Vec<Run> = Vec::new();
    let mut x = 0.0;
    for glyph in &line[..keep] {
        if is_newline(glyph.c) {
            continue;
        }
        let span = &spans[glyph.span];
        match runs.last_mut() {
            Some(run) if run.face == span.face && run.link == span.link => {
                run.text.push(glyph.c);
                run.width += glyph.advance;
            }
            _ => runs.push(Run {
                text: glyph.c.to_string(),
                face: span.face,
                x,
                width: glyph.advance,
                link: span.link.clone(),
            }),
        }
        x += glyph.advance;
    }
    Line { runs, width: x }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(Line::text).collect()
    }

    #[test]
    fn breaks_between_words_and_keeps_lines_within_the_width() {
        let spans = [Span::new(
            "Get on your hands and knees. Put your hands under your shoulders.",
            Face::Regular,
        )];
        let width = Face::Regular.width("Get on your hands and knees.", 12.0) + 1.0;
        let lines = wrap(&spans, 12.0, width);
        assert_eq!(
            texts(&lines),
            [
                "Get on your hands and knees.",
                "Put your hands under your",
                "shoulders."
            ]
        );
        assert!(lines.iter().all(|l| l.width <= width));
    }

    #[test]
    fn styles_become_runs_placed_side_by_side() {
        let spans = [
            Span::new("Breathe ", Face::Regular),
            Span::new("in", Face::Bold),
            Span::new(". Slowly.", Face::Regular),
        ];
        let lines = wrap(&spans, 12.0, 1000.0);
        assert_eq!(lines.len(), 1);
        let runs = &lines[0].runs;
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[1].text, "in");
        assert_eq!(runs[1].face, Face::Bold);
        assert!((runs[1].x - Face::Regular.width("Breathe ", 12.0)).abs() < 0.001);
    }

    #[test]
    fn breaks_after_hyphens_and_slashes_and_at_newlines() {
        let spans = [Span::new(
            "exercises.example/exercises/cat-cow/",
            Face::Regular,
        )];
        let width = Face::Regular.width("exercises.example/", 10.0) + 0.5;
        assert_eq!(
            texts(&wrap(&spans, 10.0, width)),
            ["exercises.example/", "exercises/cat-cow/"]
        );
        let spans = [Span::new("Side-Lying", Face::Regular)];
        let width = Face::Regular.width("Side-Ly", 12.0);
        assert_eq!(texts(&wrap(&spans, 12.0, width)), ["Side-", "Lying"]);
        let spans = [Span::new("one\ntwo", Face::Regular)];
        assert_eq!(texts(&wrap(&spans, 12.0, 500.0)), ["one", "two"]);
    }

    #[test]
    fn addresses_break_after_slashes_not_hyphens() {
        let url = "exercises.harbourline-clinic.example/exercises/cat-cow/";
        let host = Face::Regular.width("exercises.harbourline-clinic.example/", 8.0);
        let lines = wrap_url(url, Face::Regular, 8.0, host + 1.0);
        assert_eq!(
            texts(&lines),
            [
                "exercises.harbourline-clinic.example/",
                "exercises/cat-cow/"
            ]
        );
        // Narrower than the host name: it breaks after dots instead.
        let width = Face::Regular.width("harbourline-clinic.", 8.0) + 1.0;
        let lines = wrap_url(url, Face::Regular, 8.0, width);
        assert_eq!(texts(&lines).concat(), url);
        assert!(
            lines.iter().all(|l| l.text().ends_with(['/', '.'])),
            "{:?}",
            texts(&lines)
        );
        assert!(lines.iter().all(|l| l.width <= width));
    }

    #[test]
    fn cuts_a_word_longer_than_the_line() {
        let spans = [Span::new("Supercalifragilistic", Face::Regular)];
        let lines = wrap(&spans, 12.0, 40.0);
        assert!(lines.len() > 2);
        assert_eq!(texts(&lines).concat(), "Supercalifragilistic");
        assert!(lines.iter().all(|l| l.width <= 40.0 + 0.01));
    }

    #[test]
    fn markdown_styles_and_links_map_to_faces() {
        let inlines = vec![
            Inline::Text("Go ".into()),
            Inline::Strong(vec![Inline::Text("slowly".into())]),
            Inline::SoftBreak,
            Inline::Link(Box::new(crate::markdown::Link {
                href: "https://example.org/".into(),
                title: String::new(),
                content: vec![Inline::Emphasis(vec![Inline::Text("more".into())])],
                offset: 0,
            })),
        ];
        let spans = spans(&inlines, Face::Regular, &|h| Some(h.to_string()));
        assert_eq!(spans[1].face, Face::Bold);
        assert_eq!(spans[3].face, Face::Italic);
        assert_eq!(spans[3].link.as_deref(), Some("https://example.org/"));
        let text: String = spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(text, "Go slowly more");
    }
}
