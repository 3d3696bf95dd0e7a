//! The parts of a handout, each laid out as blocks: the clinic header, the
//! title, the patient box, Markdown text, one exercise (picture, numbered
//! steps, dosage, cautions, clinician's note, QR code) and the footer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::block::{Anchor, Block, Keep};
use super::fonts::{Face, missing};
use super::pages::Part;
use super::pictures::{Art, Pictures};
use super::qr;
use super::style::{Colour, Style};
use super::text::{Line, Span, spans, wrap, wrap_url};
use super::{HandoutOptions, Patient};
use crate::diagnostics::Diagnostic;
use crate::markdown::{self, Block as Markdown};
use crate::model::{Dosage, Exercise, Site};

/// Points in a millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;

/// A paragraph set in lines, ready to stack.
#[derive(Debug, Clone)]
pub(crate) struct Para {
    pub indent: f32,
    /// Drawn before the first line, right-aligned to the indent (a step number, a bullet).
    pub marker: Option<(String, Face)>,
    pub lines: Vec<Line>,
    pub size: f32,
    pub gap_before: f32,
}

impl Para {
    fn lead(&self) -> f32 {
        self.size * 1.25
    }

    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.lead()
    }
}

/// What one handout is being made from, and what went wrong so far.
pub(crate) struct Ctx<'a> {
    pub site: &'a Site,
    pub style: &'a Style,
    pub options: &'a HandoutOptions,
    /// Body text size.
    pub size: f32,
    /// Width between the margins.
    pub width: f32,
    pub pictures: Pictures,
    /// QR codes by address, each encoded once.
    codes: BTreeMap<String, Option<qr::Code>>,
    pub errors: Vec<Diagnostic>,
    missing: BTreeSet<(PathBuf, char)>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(site: &'a Site, options: &'a HandoutOptions, width: f32) -> Self {
        Ctx {
            site,
            style: &options.style,
            options,
            size: options.font_size.max(12.0),
            width,
            pictures: Pictures::default(),
            codes: BTreeMap::new(),
            errors: Vec::new(),
            missing: BTreeSet::new(),
        }
    }

    /// Records every character of `spans` the font cannot draw, against `origin`.
    pub(crate) fn check(&mut self, spans: &[Span], origin: &Path) {
        for span in spans {
            for c in missing(&span.text, span.face) {
                self.missing.insert((origin.to_path_buf(), c));
            }
        }
    }

    /// Checked spans set in lines.
    pub(crate) fn lines(
        &mut self,
        spans: &[Span],
        origin: &Path,
        size: f32,
        width: f32,
    ) -> Vec<Line> {
        self.check(spans, origin);
        wrap(spans, size, width)
    }

    /// Diagnostics for characters the font lacks, pointing at their first
    /// occurrence in the source file when it can be found.
    pub(crate) fn missing_glyph_errors(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut flags_reported = BTreeSet::new();
        for (origin, c) in &self.missing {
            // A patient's details come from command-line options: never echo
            // them, not even one character, and read no file for them.
            if origin.to_string_lossy().starts_with("--") {
                if flags_reported.insert(origin.clone()) {
                    out.push(
                        Diagnostic::error(origin, "this has characters the handout font cannot print")
                            .hint("handouts are set in Noto Sans, which covers Latin, Greek and Cyrillic letters; write the text in those letters"),
                    );
                }
                continue;
            }
            let message = format!(
                "the handout font cannot print “{c}” (U+{:04X})",
                u32::from(*c)
            );
            let mut d = Diagnostic::error(origin, message).hint(
                "handouts are set in Noto Sans, which covers Latin, Greek and Cyrillic letters; write the character another way or leave it out",
            );
            if let Ok(source) = std::fs::read_to_string(self.site.root.join(origin)) {
                for (number, line) in source.lines().enumerate() {
                    if let Some(byte) = line.find(*c) {
                        d = d.at(&source, number + 1, line[..byte].chars().count() + 1);
                        break;
                    }
                }
            }
            out.push(d);
        }
        out
    }

    /// An absolute address for a link in Markdown, or `None` to drop the link.
    fn resolve(&self, base: &str, href: &str) -> Option<String> {
        if crate::content::links::split(href).is_some() {
            // `@/exercises/cat-cow.md` -> the page's absolute address.
            let root = &self.site.config.base_url;
            return Some(crate::content::links::rewrite(href, &self.site.links, root));
        }
        if !markdown::is_safe_url(href) || href.starts_with('#') {
            return None;
        }
        let lower = href.to_ascii_lowercase();
        if ["http://", "https://", "mailto:", "tel:"]
            .iter()
            .any(|s| lower.starts_with(s))
        {
            return Some(href.to_string());
        }
        Some(join_url(base, href))
    }

    // ----- Markdown ------------------------------------------------------

    /// Paragraphs of Markdown blocks, set `width` points wide from `indent`.
    pub(crate) fn paras(
        &mut self,
        blocks: &[Markdown],
        origin: &Path,
        base: &str,
        width: f32,
        indent: f32,
        out: &mut Vec<Para>,
    ) {
        let size = self.size;
        for block in blocks {
            match block {
                Markdown::Paragraph(inlines) => {
                    let s = spans(inlines, Face::Regular, &|h| self.resolve(base, h));
                    let lines = self.lines(&s, origin, size, width - indent);
                    out.push(Para {
                        indent,
                        marker: None,
                        lines,
                        size,
                        gap_before: size * 0.45,
                    });
                }
                Markdown::Heading { content, .. } => {
                    let s = spans(content, Face::Bold, &|h| self.resolve(base, h));
                    let lines = self.lines(&s, origin, size * 1.1, width - indent);
                    out.push(Para {
                        indent,
                        marker: None,
                        lines,
                        size: size * 1.1,
                        gap_before: size * 0.8,
                    });
                }
                Markdown::List { start, items } => {
                    let markers: Vec<String> = (0..items.len())
                        .map(|i| match start {
                            Some(n) => format!("{}.", n + i as u64),
                            None => "•".to_string(),
                        })
                        .collect();
                    let gutter = markers
                        .iter()
                        .map(|m| Face::Bold.width(m, size))
                        .fold(0.0, f32::max)
                        + size * 0.45;
                    for (item, marker) in items.iter().zip(markers) {
                        let first = out.len();
                        self.paras(item, origin, base, width, indent + gutter, out);
                        if let Some(p) = out.get_mut(first) {
                            p.marker = Some((
                                marker,
                                if start.is_some() {
                                    Face::Bold
                                } else {
                                    Face::Regular
                                },
                            ));
                            p.gap_before = size * 0.3;
                        }
                    }
                }
                Markdown::Quote(inner) => {
                    self.paras(inner, origin, base, width, indent + size, out)
                }
                Markdown::Code { text, .. } => {
                    let lines = self.lines(
                        &[Span::new(text.trim_end(), Face::Regular)],
                        origin,
                        size,
                        width - indent,
                    );
                    out.push(Para {
                        indent,
                        marker: None,
                        lines,
                        size,
                        gap_before: size * 0.45,
                    });
                }
                Markdown::Table { head, rows, .. } => {
                    for row in std::iter::once(head).chain(rows) {
                        let mut s = Vec::new();
                        for (i, cell) in row.iter().enumerate() {
                            if i > 0 {
                                s.push(Span::new(" · ", Face::Regular));
                            }
                            let face = if std::ptr::eq(row, head) {
                                Face::Bold
                            } else {
                                Face::Regular
                            };
                            s.extend(spans(cell, face, &|h| self.resolve(base, h)));
                        }
                        let lines = self.lines(&s, origin, size, width - indent);
                        out.push(Para {
                            indent,
                            marker: None,
                            lines,
                            size,
                            gap_before: size * 0.2,
                        });
                    }
                }
                Markdown::Footnote {
                    number, content, ..
                } => {
                    let first = out.len();
                    self.paras(content, origin, base, width, indent + size * 1.6, out);
                    if let Some(p) = out.get_mut(first) {
                        p.marker = Some((format!("[{number}]"), Face::Regular));
                    }
                }
                Markdown::Rule | Markdown::Html(_) => {}
            }
        }
    }

    /// Draws paragraphs from `y`; returns the y below the last line.
    fn draw_paras(
        &self,
        block: &mut Block,
        paras: &[Para],
        x: f32,
        mut y: f32,
        colour: Colour,
    ) -> f32 {
        for (i, p) in paras.iter().enumerate() {
            if i > 0 {
                y += p.gap_before;
            }
            y = self.draw_para(block, p, x, y, colour);
        }
        y
    }

    fn draw_para(&self, block: &mut Block, p: &Para, x: f32, y: f32, colour: Colour) -> f32 {
        let lead = p.lead();
        let ascent = p.size * 1.0;
        if let Some((marker, face)) = &p.marker {
            let w = face.width(marker, p.size);
            block.text(
                marker,
                *face,
                p.size,
                x + p.indent - p.size * 0.45 - w,
                y + ascent,
                colour,
            );
        }
        for (i, line) in p.lines.iter().enumerate() {
            block.text_line(
                line,
                x + p.indent,
                y + ascent + i as f32 * lead,
                p.size,
                colour,
                self.style.accent,
            );
        }
        y + p.height()
    }

    /// Paragraphs as page blocks that may break between lines, but never
    /// leave a paragraph's first or last line, or the last line of all,
    /// alone on a page.
    pub(crate) fn para_blocks(&self, paras: &[Para], gap_first: f32) -> Vec<Block> {
        let mut out = Vec::new();
        for (pi, p) in paras.iter().enumerate() {
            let n = p.lines.len();
            for i in 0..n {
                let mut b = Block::new();
                let single = Para {
                    marker: if i == 0 { p.marker.clone() } else { None },
                    lines: vec![p.lines[i].clone()],
                    ..p.clone()
                };
                self.draw_para(&mut b, &single, 0.0, 0.0, self.style.text);
                b.extend_to(p.lead());
                if i == 0 {
                    b.gap_before = if pi == 0 { gap_first } else { p.gap_before };
                }
                // Orphans and widows: the first two and the last two lines stay together.
                b.keep = if i + 1 < n && (i == 0 || i + 2 >= n) {
                    Keep::Always
                } else {
                    Keep::Free
                };
                out.push(b);
            }
        }
        // Nor the last line of them all: a last paragraph of one line (a
        // list's last item) stays with the line before it.
        if let [.., before_last, _] = out.as_mut_slice() {
            before_last.keep = Keep::Always;
        }
        out
    }

    // ----- Page furniture ------------------------------------------------

    /// The first page's header: logo, clinic name and address on the left,
    /// phone, email and website on the right.
    pub(crate) fn header(&mut self) -> Block {
        let s = self.size;
        let clinic = self.site.config.clinic.clone();
        let origin = Path::new(crate::config::FILE);
        let mut b = Block::new();
        let logo_size = s * 3.9;
        let mut x = 0.0;
        if let Some(logo) = &clinic.logo {
            match self.pictures.get(&self.site.root, logo, logo_size) {
                Ok(art) => {
                    let art = art.clone();
                    let w = (logo_size / art.aspect()).min(logo_size * 2.5);
                    draw_art(&mut b, &art, 0.0, 0.0, w, w * art.aspect());
                    x = w + s * 0.9;
                }
                Err(e) => self
                    .errors
                    .push(Diagnostic::error(origin, e).hint("check `clinic.logo` in site.yaml")),
            }
        }

        // Contact details, one per line, right-aligned.
        let small = s * 0.85;
        let mut contact = Vec::new();
        if let Some(phone) = &clinic.phone {
            let digits: String = phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            contact.push(Span::new(phone, Face::Bold).link(format!("tel:{digits}")));
        }
        if let Some(email) = &clinic.email {
            contact.push(Span::new(email, Face::Regular).link(format!("mailto:{email}")));
        }
        if let Some(site) = &clinic.website {
            contact.push(Span::new(display_url(site), Face::Regular).link(site.clone()));
        }
        self.check(&contact, origin);
        let column = contact
            .iter()
            .map(|c| c.face.width(&c.text, small))
            .fold(0.0, f32::max)
            .min(self.width * 0.4);
        let mut cy = 0.0;
        for span in &contact {
            for line in wrap(std::slice::from_ref(span), small, column) {
                cy += small * 1.38;
                // Contact details are plain text here: a tinted underline would only clutter the header.
                let mut plain = line.clone();
                for run in &mut plain.runs {
                    run.link = None;
                }
                b.text_line(
                    &plain,
                    self.width - line.width,
                    cy,
                    small,
                    self.style.text,
                    self.style.text,
                );
                if let Some(uri) = &span.link {
                    b.link(
                        self.width - line.width,
                        cy - small,
                        line.width,
                        small * 1.3,
                        uri,
                    );
                }
            }
        }

        let text_width = self.width - x - column - s * 1.5;
        let name_size = s * 1.5;
        let name = self.lines(
            &[Span::new(&clinic.name, Face::Bold)],
            origin,
            name_size,
            text_width,
        );
        let mut y = 0.0;
        for line in &name {
            y += name_size * 1.12;
            b.text_line(line, x, y, name_size, self.style.accent, self.style.accent);
        }
        if let Some(address) = &clinic.address {
            y += s * 0.15;
            for line in self.lines(
                &[Span::new(address, Face::Regular)],
                origin,
                small,
                text_width,
            ) {
                y += small * 1.38;
                b.text_line(&line, x, y, small, self.style.muted, self.style.muted);
            }
        }
        let bottom = y.max(cy).max(b.height) + s * 0.65;
        b.rule(0.0, bottom, self.width, bottom, 1.6, self.style.accent);
        b.extend_to(bottom + 0.8);
        b
    }

    /// The header of the following pages: clinic name and the handout's title.
    pub(crate) fn running_header(&mut self, title: &str) -> Block {
        let s = self.size * 0.8;
        let mut b = Block::new();
        let origin = Path::new(crate::config::FILE);
        let name = Span::new(&self.site.config.clinic.name, Face::Bold);
        self.check(std::slice::from_ref(&name), origin);
        let title_width = Face::Regular.width(title, s);
        b.text(&name.text, Face::Bold, s, 0.0, s, self.style.accent);
        b.text(
            title,
            Face::Regular,
            s,
            self.width - title_width,
            s,
            self.style.muted,
        );
        let y = s * 1.55;
        b.rule(0.0, y, self.width, y, 0.6, self.style.rule);
        b.extend_to(y + 0.3);
        b
    }

    /// The disclaimer, set once; every page's footer repeats it.
    pub(crate) fn disclaimer(&mut self) -> Vec<Line> {
        let text = self.site.config.disclaimers.handout.clone();
        self.lines(
            &[Span::new(text, Face::Regular)],
            Path::new(crate::config::FILE),
            self.size * 0.78,
            self.width,
        )
    }

    /// The footer of page `page` of `pages`.
    pub(crate) fn footer(&self, disclaimer: &[Line], page: usize, pages: usize) -> Block {
        let s = self.size * 0.78;
        let lead = s * 1.3;
        let mut b = Block::new();
        b.rule(0.0, 0.0, self.width, 0.0, 0.6, self.style.rule);
        let mut y = s * 0.45;
        for line in disclaimer {
            y += lead;
            b.text_line(line, 0.0, y, s, self.style.text, self.style.text);
        }
        y += lead * 1.15;
        let clinic = &self.site.config.clinic;
        let who = match &clinic.phone {
            Some(phone) => format!("{}  ·  {}", clinic.name, phone),
            None => clinic.name.clone(),
        };
        b.text(&who, Face::Regular, s, 0.0, y, self.style.muted);
        let number = format!("Page {page} of {pages}");
        b.text(
            &number,
            Face::Bold,
            s,
            self.width - Face::Bold.width(&number, s),
            y,
            self.style.text,
        );
        b.extend_to(y + s * 0.3);
        b
    }

    /// Height of a footer with this disclaimer.
    pub(crate) fn footer_height(&self, disclaimer: &[Line]) -> f32 {
        self.footer(disclaimer, 1, 1).height
    }

    /// The label at the top of a page that continues an exercise.
    pub(crate) fn continued(&self, title: &str) -> Block {
        let s = self.size * 0.85;
        let mut b = Block::new().keep(Keep::Always);
        b.text(
            &format!("{title} (continued)"),
            Face::Bold,
            s,
            0.0,
            s,
            self.style.muted,
        );
        b.extend_to(s * 1.5);
        b
    }

    /// Lines to write notes and questions on, filling `height` points, if that
    /// is room enough for a few.
    pub(crate) fn notes(&self, height: f32) -> Option<Block> {
        let s = self.size;
        let heading = s * 1.1;
        let spacing = 9.0 * MM;
        let lines = ((height - heading * 1.6) / spacing).floor();
        if lines < 3.0 {
            return None;
        }
        let mut b = Block::new();
        b.text(
            "Notes and questions for your next visit",
            Face::Bold,
            heading,
            0.0,
            heading,
            self.style.accent,
        );
        let mut y = heading * 1.6;
        for _ in 0..lines as usize {
            y += spacing;
            b.rule(0.0, y, self.width, y, 0.5, self.style.muted);
        }
        b.extend_to(y);
        Some(b)
    }

    // ----- Title and patient -----------------------------------------------

    /// The handout's title, summary and how often to do it.
    pub(crate) fn title(
        &mut self,
        kind: &str,
        title: &str,
        summary: &str,
        frequency: Option<&str>,
        origin: &Path,
    ) -> Block {
        let s = self.size;
        let mut b = Block::new().gap(s * 1.1).keep(Keep::Always);
        let kind_size = s * 0.78;
        b.text(
            &kind.to_uppercase(),
            Face::Bold,
            kind_size,
            0.0,
            kind_size,
            self.style.muted,
        );
        let title_size = s * 1.95;
        let mut y = kind_size * 1.15;
        for line in self.lines(
            &[Span::new(title, Face::Bold)],
            origin,
            title_size,
            self.width,
        ) {
            y += title_size * 1.12;
            b.text_line(
                &line,
                0.0,
                y,
                title_size,
                self.style.accent,
                self.style.accent,
            );
        }
        let summary_size = s * 1.1;
        y += s * 0.2;
        for line in self.lines(
            &[Span::new(summary, Face::Regular)],
            origin,
            summary_size,
            self.width,
        ) {
            y += summary_size * 1.3;
            b.text_line(
                &line,
                0.0,
                y,
                summary_size,
                self.style.text,
                self.style.accent,
            );
        }
        if let Some(frequency) = frequency {
            let spans = [
                Span::new("How often: ", Face::Bold),
                Span::new(capitalise(frequency), Face::Regular),
            ];
            y += s * 0.3;
            for line in self.lines(&spans, origin, s, self.width) {
                y += s * 1.32;
                b.text_line(&line, 0.0, y, s, self.style.text, self.style.accent);
            }
        }
        b.extend_to(y + s * 0.35);
        b
    }

    /// The patient's details, or lines to write them on.
    pub(crate) fn patient(&mut self) -> Block {
        let s = self.size;
        let pad = s * 0.7;
        let inner = self.width - 2.0 * pad;
        let mut b = Block::new().gap(s * 0.9);
        let lead = s * 1.45;
        let mut y = pad;
        match self.options.patient.clone() {
            Some(patient) => {
                let Patient {
                    name,
                    date,
                    clinician,
                    notes,
                } = patient;
                // The name and date always share the first row: one not given
                // is a line to write it on, as on a handout with no patient.
                let half = inner / 2.0;
                let date_x = half * 1.3;
                let mut rows = vec![vec![
                    (0.0, half * 1.25, "Patient:", name, "--patient"),
                    (date_x, inner - date_x, "Date:", date, "--date"),
                ]];
                if clinician.is_some() {
                    rows.push(vec![(0.0, inner, "Clinician:", clinician, "--clinician")]);
                }
                if notes.is_some() {
                    rows.push(vec![(0.0, inner, "Notes:", notes, "--notes")]);
                }
                let mut content = Block::new();
                for row in rows {
                    let mut bottom = y;
                    for (x, width, label, value, origin) in row {
                        let Some(value) = value else {
                            let baseline = y + s;
                            content.text(label, Face::Bold, s, pad + x, baseline, self.style.text);
                            let start = pad + x + Face::Bold.width(label, s) + s * 0.5;
                            content.rule(
                                start,
                                baseline + 2.0,
                                pad + x + width,
                                baseline + 2.0,
                                0.7,
                                self.style.text,
                            );
                            bottom = bottom.max(y + lead);
                            continue;
                        };
                        let spans = labelled(&format!("{label} "), &value);
                        let lines = self.lines(&spans, Path::new(origin), s, width);
                        for (i, line) in lines.iter().enumerate() {
                            content.text_line(
                                line,
                                pad + x,
                                y + s + i as f32 * lead,
                                s,
                                self.style.text,
                                self.style.text,
                            );
                        }
                        bottom = bottom.max(y + lines.len() as f32 * lead);
                    }
                    y = bottom + s * 0.2;
                }
                y += pad - s * 0.2;
                b.rect(
                    0.0,
                    0.0,
                    self.width,
                    y,
                    Some(self.style.accent_tint),
                    Some((self.style.accent, 0.8)),
                );
                b.place(content, 0.0, 0.0);
            }
            None => {
                let baseline = y + s * 1.2;
                let name_label = "Name";
                let date_label = "Date";
                let date_x = inner * 0.68;
                b.text(name_label, Face::Bold, s, pad, baseline, self.style.text);
                let nx = pad + Face::Bold.width(name_label, s) + s * 0.5;
                b.rule(
                    nx,
                    baseline + 2.0,
                    pad + date_x - s * 1.2,
                    baseline + 2.0,
                    0.7,
                    self.style.text,
                );
                b.text(
                    date_label,
                    Face::Bold,
                    s,
                    pad + date_x,
                    baseline,
                    self.style.text,
                );
                let dx = pad + date_x + Face::Bold.width(date_label, s) + s * 0.5;
                b.rule(
                    dx,
                    baseline + 2.0,
                    pad + inner,
                    baseline + 2.0,
                    0.7,
                    self.style.text,
                );
                y = baseline + s * 0.9;
                b.rect(
                    0.0,
                    0.0,
                    self.width,
                    y,
                    None,
                    Some((self.style.accent, 0.8)),
                );
            }
        }
        b.extend_to(y);
        b
    }

    // ----- Exercises -------------------------------------------------------

    /// One exercise, in two layouts for the pager to choose from. Whole: a
    /// title bar with the dosage, then the pictures and QR code beside the
    /// numbered steps, with the cautions under whichever column keeps the
    /// exercise shortest and the clinician's note across the page below.
    /// Split, when the whole does not fit: the pictures and QR code beside
    /// the first steps, then the rest across the page so that it can break
    /// between lines (without pictures: the QR code under the title, then
    /// every step across the page).
    pub(crate) fn exercise(
        &mut self,
        number: Option<usize>,
        exercise: &Exercise,
        dosage: &Dosage,
        note: Option<(&str, &Path)>,
    ) -> Part {
        let s = self.size;
        let origin = exercise.source.clone();
        let url = format!("{}exercises/{}/", self.site.config.base_url, exercise.slug);
        let head = self.exercise_head(number, exercise, dosage);

        // Wider for large print, so captions and the QR label keep a few words a line.
        let left_width = ((self.width * 0.27).clamp(42.0 * MM, 50.0 * MM) * (s / 12.0).sqrt())
            .min(self.width * 0.4);
        let gutter = s * 1.3;
        let right_width = self.width - left_width - gutter;
        let pictures = self.pictures(exercise, left_width);
        let code = self.qr_code(&url, left_width);
        let mut left = Block::new();
        let pictured = pictures.height > 0.0;
        let below_pictures = if pictured {
            pictures.height + s * 0.9
        } else {
            0.0
        };
        left.place(pictures, 0.0, 0.0);
        left.place(code, 0.0, below_pictures);
        // The split layout starts with the same column, if it has pictures.
        let left_split = pictured.then(|| left.clone());
        let mut paras = Vec::new();
        match exercise.body.steps() {
            Some(steps) => {
                let list = [Markdown::List {
                    start: Some(1),
                    items: steps.to_vec(),
                }];
                self.paras(&list, &origin, &url, right_width, 0.0, &mut paras);
            }
            None => self.paras(
                &exercise.body.blocks,
                &origin,
                &url,
                right_width,
                0.0,
                &mut paras,
            ),
        }
        let mut steps = Block::new();
        let y = self.draw_paras(&mut steps, &paras, 0.0, 0.0, self.style.text);
        steps.extend_to(y);

        // The cautions are set for the left column, the right column and the
        // full width, and go where the exercise stays shortest. The note is a
        // sentence to read: always across the page, last, as in the split
        // layout (in the narrow left column it ran three or four words a line).
        let mut extras = Vec::new();
        if !exercise.cautions.is_empty() {
            extras.push([
                self.cautions(&exercise.cautions, &origin, left_width),
                self.cautions(&exercise.cautions, &origin, right_width),
                self.cautions(&exercise.cautions, &origin, self.width),
            ]);
        }
        let gap = s * 0.7;
        // Try every placement of the extras, comparing heights only (right
        // column first, so that the cautions sit beside the steps when that costs nothing).
        let heights = [vec![left.height], vec![steps.height], Vec::new()];
        let stack = |column: &[f32]| -> f32 {
            column.iter().map(|h| h + gap).sum::<f32>() - if column.is_empty() { 0.0 } else { gap }
        };
        let total = |c: &[Vec<f32>; 3]| {
            let below = stack(&c[2]);
            stack(&c[0]).max(stack(&c[1])) + if below > 0.0 { gap + below } else { 0.0 }
        };
        let mut best = (f32::MAX, 0);
        for code in 0..3usize.pow(extras.len() as u32) {
            let mut trial = heights.clone();
            let mut rest = code;
            for extra in &extras {
                let choice = [1, 0, 2][rest % 3];
                rest /= 3;
                trial[choice].push(extra[choice].height);
            }
            let height = total(&trial);
            if height < best.0 - 0.5 {
                best = (height, code);
            }
        }
        let mut columns = [vec![left], vec![steps], Vec::new()];
        let mut rest = best.1;
        for extra in extras {
            let choice = [1, 0, 2][rest % 3];
            rest /= 3;
            columns[choice].extend(extra.into_iter().nth(choice));
        }
        if let Some((text, note_origin)) = note {
            columns[2].push(self.note(text, note_origin, self.width));
        }

        // The compact layout, placed whole when it fits on the page.
        let mut whole = vec![head.clone()];
        let mut body = Block::new().gap(gap);
        let [left_column, right_column, below] = columns;
        let mut bottom: f32 = 0.0;
        for (column, x) in [(left_column, 0.0), (right_column, left_width + gutter)] {
            let mut y = 0.0;
            for block in column {
                let h = block.height;
                body.place(block, x, y);
                y += h + gap;
            }
            bottom = bottom.max(y);
        }
        let mut y = bottom;
        for block in below {
            let h = block.height;
            body.place(block, 0.0, y);
            y += h + gap;
        }
        whole.push(body);

        // The breakable layout: the pictures and QR code beside the first
        // steps, the other steps across the page below them, line by line,
        // then the cautions (never without the last lines of the steps) and
        // the note. Without pictures every step is across the page (a step
        // beside a QR code alone would leave a mostly empty column), under
        // the QR code. Either way the code comes first: last, it could start
        // a page alone.
        let right_x = left_width + gutter;
        let mut first = Block::new().gap(gap);
        let mut y = 0.0;
        let mut beside = 0;
        match left_split {
            Some(column) => {
                let left_height = column.height;
                first.place(column, 0.0, 0.0);
                while beside < paras.len() && (beside == 0 || y < left_height) {
                    if beside > 0 {
                        y += paras[beside].gap_before;
                    }
                    y = self.draw_para(&mut first, &paras[beside], right_x, y, self.style.text);
                    beside += 1;
                }
            }
            None => {
                let code = self.qr_code(&url, self.width);
                y = code.height;
                first.place(code, 0.0, 0.0);
                // Never alone at the foot of a page: kept with the first lines.
                first.keep = Keep::Always;
            }
        }
        first.extend_to(y);
        let mut wide = Vec::new();
        match exercise.body.steps() {
            Some(steps) => {
                let list = [Markdown::List {
                    start: Some(1),
                    items: steps.to_vec(),
                }];
                self.paras(&list, &origin, &url, self.width, 0.0, &mut wide);
            }
            None => self.paras(
                &exercise.body.blocks,
                &origin,
                &url,
                self.width,
                0.0,
                &mut wide,
            ),
        }
        let rest = wide.get(beside..).unwrap_or_default();
        let gap_first = match rest.first() {
            Some(p) if pictured => p.gap_before,
            Some(_) => gap,
            None => 0.0,
        };
        let mut units = self.para_blocks(rest, gap_first);
        match units.last_mut() {
            Some(last) => last.keep = Keep::Always,
            None => first.keep = Keep::Always,
        }
        if !exercise.cautions.is_empty() {
            units.push(
                self.cautions(&exercise.cautions, &origin, self.width)
                    .gap(gap),
            );
        }
        if let Some((text, note_origin)) = note {
            // Never alone on a page: kept with the cautions or last lines.
            match units.last_mut() {
                Some(last) => last.keep = Keep::Always,
                None => first.keep = Keep::Always,
            }
            units.push(self.note(text, note_origin, self.width).gap(gap));
        }
        // The exercise ends here: a page may break before the next part.
        match units.last_mut() {
            Some(last) => last.keep = Keep::Free,
            None => first.keep = Keep::Free,
        }
        let label = head
            .anchors
            .first()
            .map_or_else(|| exercise.title.clone(), |a| a.title.clone());
        let mut split = vec![head];
        if first.height > 0.0 {
            split.push(first);
        }
        for mut unit in units {
            unit.continues = Some(label.clone());
            split.push(unit);
        }
        Part::Choice { whole, split }
    }

    /// The exercise's title bar: number, title and dosage.
    fn exercise_head(
        &mut self,
        number: Option<usize>,
        exercise: &Exercise,
        dosage: &Dosage,
    ) -> Block {
        let s = self.size;
        let origin = &exercise.source;
        let mut head = Block::new().gap(s * 1.15).keep(Keep::Always);
        let pad = s * 0.4;
        let badge = s * 1.75;
        let title_size = s * 1.3;
        let title_x = if number.is_some() {
            pad + badge + s * 0.55
        } else {
            pad
        };
        let available = self.width - title_x - pad;
        let summary = dosage.summary();
        let dosage_spans = if summary.is_empty() {
            Vec::new()
        } else {
            vec![
                Span::new("Dosage: ", Face::Regular),
                Span::new(&summary, Face::Bold),
            ]
        };
        self.check(&dosage_spans, origin);
        let dosage_width: f32 = dosage_spans
            .iter()
            .map(|sp| sp.face.width(&sp.text, s))
            .sum();
        // A one-exercise sheet has the title above already: its bar shows the dosage only.
        let title_lines = match number {
            Some(_) => self.lines(
                &[Span::new(&exercise.title, Face::Bold)],
                origin,
                title_size,
                available,
            ),
            None if dosage_spans.is_empty() => return head.keep(Keep::Always),
            None => vec![Line::default()],
        };
        let title_width = title_lines.first().map_or(0.0, |l| l.width);
        let one_row = title_lines.len() == 1 && title_width + s * 1.5 + dosage_width <= available;
        let row = badge.max(title_size * 1.25);
        let centre = pad + row / 2.0;
        let title_lead = title_size * 1.18;
        let mut content = Block::new();
        let baseline = centre + Face::Bold.cap_height() * title_size / 2.0;
        for (i, line) in title_lines.iter().enumerate() {
            content.text_line(
                line,
                title_x,
                baseline + i as f32 * title_lead,
                title_size,
                self.style.accent,
                self.style.accent,
            );
        }
        let mut bottom = if number.is_none() && !one_row {
            pad
        } else {
            pad + row + (title_lines.len() as f32 - 1.0) * title_lead
        };
        if !dosage_spans.is_empty() {
            if one_row {
                let line = &wrap(&dosage_spans, s, available)[0];
                let y = centre + Face::Bold.cap_height() * s / 2.0;
                let x = if number.is_some() {
                    self.width - pad - line.width
                } else {
                    title_x
                };
                content.text_line(line, x, y, s, self.style.text, self.style.text);
            } else {
                let lines = wrap(&dosage_spans, s, available);
                for line in &lines {
                    bottom += s * 1.3;
                    content.text_line(
                        line,
                        title_x,
                        bottom - s * 0.3,
                        s,
                        self.style.text,
                        self.style.text,
                    );
                }
                bottom += s * 0.25;
            }
        }
        let height = bottom + pad;
        head.rect(
            0.0,
            0.0,
            self.width,
            height,
            Some(self.style.accent_tint),
            None,
        );
        head.rule(0.0, height, self.width, height, 1.0, self.style.accent);
        if let Some(n) = number {
            head.circle(pad + badge / 2.0, centre, badge / 2.0, self.style.accent);
            let label = n.to_string();
            let size = s * 1.05;
            let w = Face::Bold.width(&label, size);
            let y = centre + Face::Bold.cap_height() * size / 2.0;
            head.text(
                &label,
                Face::Bold,
                size,
                pad + badge / 2.0 - w / 2.0,
                y,
                Colour::WHITE,
            );
        }
        head.place(content, 0.0, 0.0);
        head.anchors.push(Anchor {
            title: match number {
                Some(n) => format!("{n}. {}", exercise.title),
                None => exercise.title.clone(),
            },
            y: 0.0,
        });
        head.extend_to(height + 0.5);
        head
    }

    /// The exercise's pictures with their captions, `width` points wide.
    fn pictures(&mut self, exercise: &Exercise, width: f32) -> Block {
        let s = self.size;
        let mut b = Block::new();
        let mut y = 0.0;
        for image in &exercise.images {
            let art = match self.pictures.get(&self.site.root, &image.src, width) {
                Ok(art) => art.clone(),
                Err(e) => {
                    self.errors.push(
                        Diagnostic::error(&exercise.source, e)
                            .hint("check the `images` list of this exercise"),
                    );
                    continue;
                }
            };
            let pad = 4.0;
            let inner = width - 2.0 * pad;
            let h = (inner * art.aspect()).min(width * 1.2);
            let w = h / art.aspect();
            b.rect(
                0.0,
                y,
                width,
                h + 2.0 * pad,
                None,
                Some((self.style.rule, 0.6)),
            );
            draw_art(&mut b, &art, (width - w) / 2.0, y + pad, w, h);
            y += h + 2.0 * pad;
            if let Some(caption) = &image.caption {
                let size = s * 0.82;
                let lines = self.lines(
                    &[Span::new(caption, Face::Italic)],
                    &exercise.source,
                    size,
                    width,
                );
                y += size * 0.3;
                for line in lines {
                    y += size * 1.25;
                    b.text_line(&line, 0.0, y, size, self.style.muted, self.style.muted);
                }
            }
            y += s * 0.9;
        }
        b.extend_to((y - s * 0.9).max(0.0));
        b
    }

    /// The QR code to the exercise's page, with the address beside or below it.
    fn qr_code(&mut self, url: &str, width: f32) -> Block {
        let s = self.size;
        let mut b = Block::new();
        let mut y = 0.0;
        let code = (width * 0.36).clamp(17.0 * MM, 20.0 * MM);
        let qr = self
            .codes
            .entry(url.to_string())
            .or_insert_with(|| qr::Code::new(url))
            .clone();
        if let Some(qr) = qr {
            qr.draw(&mut b, 0.0, y, code, self.style.text);
            let label_size = s * 0.78;
            let url_size = s * 0.68;
            // Beside the code when there is room, leaving it a quiet margin; else below it.
            let beside = width - code - 3.0 * MM >= label_size * 8.5;
            let (x, mut ty) = if beside {
                (code + 3.0 * MM, y + label_size)
            } else {
                (0.0, y + code + 2.5 * MM + label_size)
            };
            let text_width = width - x;
            for line in wrap(
                &[Span::new("Scan to see this exercise online", Face::Bold)],
                label_size,
                text_width,
            ) {
                b.text_line(&line, x, ty, label_size, self.style.text, self.style.text);
                ty += label_size * 1.2;
            }
            ty += url_size * 0.25;
            for line in wrap_url(&display_url(url), Face::Regular, url_size, text_width) {
                b.text_line(&line, x, ty, url_size, self.style.muted, self.style.muted);
                ty += url_size * 1.2;
            }
            let bottom = ty - url_size * 0.9;
            b.link(0.0, y, width, (bottom - y).max(code), url);
            y = bottom.max(y + code);
        }
        b.extend_to(y);
        b
    }

    /// The cautions, in a bordered box with a warning sign.
    fn cautions(&mut self, cautions: &[String], origin: &Path, width: f32) -> Block {
        let s = self.size;
        let pad = s * 0.6;
        let bar = 4.0;
        let inner = width - 2.0 * pad - bar;
        let mut paras = Vec::new();
        let gutter = Face::Regular.width("•", s) + s * 0.45;
        for caution in cautions {
            let lines = self.lines(
                &[Span::new(caution, Face::Regular)],
                origin,
                s,
                inner - gutter,
            );
            paras.push(Para {
                indent: gutter,
                marker: Some(("•".into(), Face::Regular)),
                lines,
                size: s,
                gap_before: s * 0.25,
            });
        }
        let mut content = Block::new();
        let icon = s * 1.15;
        warning_sign(&mut content, 0.0, 0.0, icon, self.style.caution);
        content.text(
            "Take care",
            Face::Bold,
            s,
            icon + s * 0.45,
            icon * 0.88,
            self.style.caution,
        );
        let y = self.draw_paras(&mut content, &paras, 0.0, icon + s * 0.35, self.style.text);
        content.extend_to(y);

        let mut b = Block::new();
        let h = content.height + 2.0 * pad;
        b.rect(
            0.0,
            0.0,
            width,
            h,
            Some(self.style.caution_tint),
            Some((self.style.caution, 0.9)),
        );
        b.rect(0.0, 0.0, bar, h, Some(self.style.caution), None);
        b.place(content, bar + pad, pad);
        b.extend_to(h);
        b
    }

    /// The clinician's note for this patient or program.
    fn note(&mut self, text: &str, origin: &Path, width: f32) -> Block {
        let s = self.size;
        let pad = s * 0.55;
        let bar = 3.0;
        let spans = [
            Span::new("Note from your clinician: ", Face::Bold),
            Span::new(text, Face::Italic),
        ];
        let lines = self.lines(&spans, origin, s, width - bar - 2.0 * pad);
        let lead = s * 1.32;
        let mut b = Block::new();
        let h = lines.len() as f32 * lead + pad * 1.4;
        b.rect(0.0, 0.0, width, h, Some(self.style.accent_tint), None);
        b.rect(0.0, 0.0, bar, h, Some(self.style.accent), None);
        for (i, line) in lines.iter().enumerate() {
            b.text_line(
                line,
                bar + pad,
                pad * 0.7 + s + i as f32 * lead,
                s,
                self.style.text,
                self.style.accent,
            );
        }
        b.extend_to(h);
        b
    }
}

/// "Label: value" with the label in bold.
fn labelled(label: &str, value: &str) -> Vec<Span> {
    vec![
        Span::new(label, Face::Bold),
        Span::new(value, Face::Regular),
    ]
}

/// Draws a picture into the box `x, y, width, height`.
pub(crate) fn draw_art(block: &mut Block, art: &Art, x: f32, y: f32, width: f32, height: f32) {
    match art {
        Art::Vector { width: w, ops, .. } => {
            let scale = width / w;
            block.transformed([scale, 0.0, 0.0, -scale, x, -y], ops);
        }
        Art::Raster { id, .. } => block.image(id, x, y, width, height),
    }
}

/// A warning triangle with an exclamation mark, `size` points wide, at `x, y`.
fn warning_sign(block: &mut Block, x: f32, y: f32, size: f32, colour: Colour) {
    let h = size * 0.9;
    block.shape(
        &[
            (x + size / 2.0, y, false),
            (x + size, y + h, false),
            (x, y + h, false),
        ],
        colour,
    );
    let bar = size * 0.11;
    block.rect(
        x + size / 2.0 - bar / 2.0,
        y + h * 0.34,
        bar,
        h * 0.36,
        Some(Colour::WHITE),
        None,
    );
    block.rect(
        x + size / 2.0 - bar / 2.0,
        y + h * 0.77,
        bar,
        bar,
        Some(Colour::WHITE),
        None,
    );
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An address as people type it: without `https://` and `www.`.
pub(crate) fn display_url(url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    rest.strip_prefix("www.").unwrap_or(rest).to_string()
}

/// Resolves `href` against the page address `base` (which ends with `/`).
pub(crate) fn join_url(base: &str, href: &str) -> String {
    if let Some(rest) = href.strip_prefix("//") {
        return format!("https://{rest}");
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let origin = &base[..host_end];
    let mut segments: Vec<&str> = if href.starts_with('/') {
        Vec::new()
    } else {
        base[host_end..]
            .split('/')
            .filter(|s| !s.is_empty())
            .collect()
    };
    let trailing = href.ends_with('/')
        || href.ends_with("/.")
        || href.ends_with("/..")
        || href == "."
        || href == "..";
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            part => segments.push(part),
        }
    }
    let mut url = format!("{origin}/{}", segments.join("/"));
    if trailing && !url.ends_with('/') {
        url.push('/');
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_relative_links_to_the_page_address() {
        let base = "https://x.example/exercises/cat-cow/";
        assert_eq!(
            join_url(base, "../bear-rolls/"),
            "https://x.example/exercises/bear-rolls/"
        );
        assert_eq!(join_url(base, "/about/"), "https://x.example/about/");
        assert_eq!(
            join_url(base, "notes.pdf"),
            "https://x.example/exercises/cat-cow/notes.pdf"
        );
        assert_eq!(
            display_url("https://www.harbourline.example/"),
            "harbourline.example/"
        );
    }
}
