//! Page content streams written straight to bytes. printpdf would turn every
//! operation into lopdf objects and print each number through `format!`,
//! which took a large share of a handout's time; this writes the same
//! operators with the same numbers (the shortest decimal that reads back as
//! the same `f32`, as lopdf prints them) directly. Operations it does not
//! know make it give up, and printpdf writes the page as before.

use printpdf::{
    Color, CurTransMat, LinePoint, Op, PaintMode, PdfFontHandle, TextItem, WindingOrder,
};

use super::fonts::Face;

/// Glyph ids of the characters of one face's subset.
pub(crate) struct Glyphs {
    /// Characters below [`DENSE`], by code point; `u32::MAX` where unmapped.
    dense: Vec<u32>,
    rest: std::collections::BTreeMap<u32, u16>,
    /// For each glyph id, the character last drawn with it.
    pub last: Vec<Option<char>>,
}

const DENSE: u32 = 0x250;

impl Glyphs {
    pub(crate) fn new(map: &std::collections::BTreeMap<u32, u16>) -> Self {
        let mut dense = vec![u32::MAX; DENSE as usize];
        let mut rest = std::collections::BTreeMap::new();
        let mut most = 0;
        for (&c, &g) in map {
            most = most.max(g);
            match dense.get_mut(c as usize) {
                Some(slot) => *slot = u32::from(g),
                None => {
                    rest.insert(c, g);
                }
            }
        }
        Glyphs {
            dense,
            rest,
            last: vec![None; usize::from(most) + 1],
        }
    }

    fn get(&self, c: char) -> Option<u16> {
        match self.dense.get(c as usize) {
            Some(&g) => u16::try_from(g).ok(),
            None => self.rest.get(&u32::from(c)).copied(),
        }
    }
}

/// The content stream of `ops`, with text in the glyph ids of `fonts` (the
/// subsets by [`Face`], `None` for a face with no subset). `None` when the
/// operations include one that is not written here.
pub(crate) fn encode(ops: &[Op], fonts: &mut [Option<Glyphs>; 3]) -> Option<Vec<u8>> {
    let mut w = Writer {
        out: Vec::with_capacity(ops.len() * 24),
        first: true,
    };
    let mut font: Option<Face> = None;
    for op in ops {
        match op {
            Op::SaveGraphicsState => w.op("q"),
            Op::RestoreGraphicsState => w.op("Q"),
            Op::StartTextSection => w.op("BT"),
            Op::EndTextSection => w.op("ET"),
            Op::SetTransformationMatrix { matrix } => {
                w.start();
                w.reals(&matrix.as_array());
                w.end("cm");
            }
            Op::SetTextMatrix { matrix } => {
                w.start();
                w.reals(&matrix.as_array());
                w.end("Tm");
            }
            Op::SetFont {
                font: PdfFontHandle::External(id),
                size,
            } => {
                font = Face::of_resource(id);
                font?;
                w.start();
                w.name(id.0.as_bytes());
                w.real(size.0);
                w.end("Tf");
            }
            Op::ShowText { items } => {
                if items.is_empty() {
                    continue;
                }
                // Only text in our own faces; glyph ids and offsets are not used here.
                let [TextItem::Text(text)] = items.as_slice() else {
                    return None;
                };
                let glyphs = fonts[font? as usize].as_mut()?;
                w.start();
                w.out.push(b'<');
                for c in text.chars() {
                    let g = match glyphs.get(c) {
                        Some(g) => {
                            glyphs.last[usize::from(g)] = Some(c);
                            g
                        }
                        None => 0,
                    };
                    w.hex(g);
                }
                w.out.extend_from_slice(b"> ");
                w.end("Tj");
            }
            Op::SetFillColor { col } => {
                w.start();
                w.colour(col);
                w.end(match col {
                    Color::Rgb(_) => "rg",
                    Color::Cmyk(_) | Color::SpotColor(_) => "k",
                    Color::Greyscale(_) => "g",
                });
            }
            Op::SetOutlineColor { col } => {
                w.start();
                w.colour(col);
                w.end(match col {
                    Color::Rgb(_) => "RG",
                    Color::Cmyk(_) | Color::SpotColor(_) => "K",
                    Color::Greyscale(_) => "G",
                });
            }
            Op::SetOutlineThickness { pt } => {
                w.start();
                w.real(pt.0);
                w.end("w");
            }
            Op::SetLineDashPattern { dash } => {
                w.start();
                w.out.push(b'[');
                for (i, &v) in dash.pattern.iter().enumerate() {
                    if i > 0 {
                        w.out.push(b' ');
                    }
                    write_real(&mut w.out, v);
                }
                w.out.extend_from_slice(b"] ");
                w.real(dash.offset);
                w.end("d");
            }
            Op::SetLineJoinStyle { join } => {
                w.start();
                w.integer(join.id());
                w.end("j");
            }
            Op::SetLineCapStyle { cap } => {
                w.start();
                w.integer(cap.id());
                w.end("J");
            }
            Op::SetMiterLimit { limit } => {
                w.start();
                w.real(limit.0);
                w.end("M");
            }
            Op::LoadGraphicsState { gs } => {
                w.start();
                w.name(gs.0.as_bytes());
                w.end("gs");
            }
            Op::DrawRectangle { rectangle } => {
                w.start();
                w.reals(&[
                    rectangle.x.0,
                    rectangle.y.0,
                    rectangle.width.0,
                    rectangle.height.0,
                ]);
                w.end("re");
                let winding = rectangle.winding_order.unwrap_or(WindingOrder::NonZero);
                match rectangle.mode {
                    Some(PaintMode::Clip) => {
                        w.op(winding.get_clip_op());
                        w.op("n");
                    }
                    Some(PaintMode::Fill) => w.op(winding.get_fill_op()),
                    Some(PaintMode::Stroke) => w.op("S"),
                    Some(PaintMode::FillStroke) => w.op(winding.get_fill_stroke_op()),
                    None => {
                        match rectangle.winding_order {
                            Some(WindingOrder::NonZero) => w.op("W"),
                            Some(WindingOrder::EvenOdd) => w.op("W*"),
                            None => {}
                        }
                        w.op("n");
                    }
                }
            }
            Op::DrawLine { line } => {
                if line.points.is_empty() {
                    continue;
                }
                w.path(&line.points);
                if line.is_closed {
                    w.op("h");
                }
                w.op("S");
            }
            Op::DrawPolygon { polygon } => {
                if polygon.rings.is_empty() {
                    continue;
                }
                for ring in &polygon.rings {
                    if !ring.points.is_empty() {
                        w.path(&ring.points);
                    }
                }
                w.op("h");
                let winding = polygon.winding_order;
                match polygon.mode {
                    PaintMode::Clip => {
                        w.op(winding.get_clip_op());
                        w.op("n");
                    }
                    PaintMode::Fill => w.op(winding.get_fill_op()),
                    PaintMode::Stroke => w.op("S"),
                    PaintMode::FillStroke => w.op(winding.get_fill_stroke_close_op()),
                }
            }
            Op::UseXobject { id, transform } if transform.no_auto_scale => {
                let mut t = CurTransMat::Identity;
                for q in transform.get_ctms(None) {
                    t = CurTransMat::Raw(CurTransMat::combine_matrix(t.as_array(), q.as_array()));
                }
                w.op("q");
                w.start();
                w.reals(&t.as_array());
                w.end("cm");
                w.start();
                w.name(id.0.as_bytes());
                w.end("Do");
                w.op("Q");
            }
            // Links become annotations of the page, not content.
            Op::LinkAnnotation { .. } => {}
            _ => return None,
        }
    }
    Some(w.out)
}

/// Operators one per line, each after its operands, as lopdf writes them.
struct Writer {
    out: Vec<u8>,
    first: bool,
}

impl Writer {
    /// Begins an operation.
    fn start(&mut self) {
        if !self.first {
            self.out.push(b'\n');
        }
        self.first = false;
    }

    /// Ends an operation begun with [`Writer::start`] (operands each end with a space).
    fn end(&mut self, operator: &str) {
        self.out.extend_from_slice(operator.as_bytes());
    }

    /// An operation without operands.
    fn op(&mut self, operator: &str) {
        self.start();
        self.end(operator);
    }

    fn real(&mut self, v: f32) {
        write_real(&mut self.out, v);
        self.out.push(b' ');
    }

    fn reals(&mut self, vs: &[f32]) {
        for &v in vs {
            self.real(v);
        }
    }

    fn integer(&mut self, v: i64) {
        self.out.extend_from_slice(v.to_string().as_bytes());
        self.out.push(b' ');
    }

    fn colour(&mut self, col: &Color) {
        match col {
            Color::Rgb(c) => self.reals(&[c.r, c.g, c.b]),
            Color::Cmyk(c) => self.reals(&[c.c, c.m, c.y, c.k]),
            Color::Greyscale(g) => self.real(g.percent),
            Color::SpotColor(c) => self.reals(&[c.c, c.m, c.y, c.k]),
        }
    }

    fn name(&mut self, name: &[u8]) {
        self.out.push(b'/');
        for &byte in name {
            if b" \t\n\r\x0C()<>[]{}/%#".contains(&byte) || !(33..=126).contains(&byte) {
                self.out.push(b'#');
                self.out.push(HEX[usize::from(byte >> 4)]);
                self.out.push(HEX[usize::from(byte & 15)]);
            } else {
                self.out.push(byte);
            }
        }
        self.out.push(b' ');
    }

    fn hex(&mut self, g: u16) {
        for shift in [12, 8, 4, 0] {
            self.out.push(HEX[usize::from((g >> shift) & 15)]);
        }
    }

    /// A subpath: a move to the first point, then lines, and Bézier curves
    /// where two control points (`bezier`) come before an end point.
    fn path(&mut self, points: &[LinePoint]) {
        let xy = |p: &LinePoint| [p.p.x.0, p.p.y.0];
        self.start();
        self.reals(&xy(&points[0]));
        self.end("m");
        let mut i = 1;
        while i < points.len() {
            let current = &points[i];
            if current.bezier && i + 2 < points.len() && points[i + 1].bezier {
                self.start();
                self.reals(&xy(current));
                self.reals(&xy(&points[i + 1]));
                self.reals(&xy(&points[i + 2]));
                self.end("c");
                i += 3;
            } else {
                self.start();
                self.reals(&xy(current));
                self.end("l");
                i += 1;
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Writes `v` as Rust's `Display` does (the shortest decimal that reads back
/// as `v`): exactly, and without `format!` for the numbers a page is made
/// of, which are below 1024 with a few decimals at most.
pub(crate) fn write_real(out: &mut Vec<u8>, v: f32) {
    // Below 1024 an f32 is finer than 0.0001, so at most one number of up to
    // four decimals reads back as `v`; with its trailing zeros dropped it is
    // the shortest form (all have the same digits before the point).
    if v.abs() < 1024.0 {
        // With two or three decimals `v` times 100 or 1000 is within 0.1 of
        // the number's digits even in f32, and the quotient is rounded as a
        // decimal read back would be; with four, f64 is needed.
        for (decimals, scale) in [(2, 100.0), (3, 1000.0)] {
            // Rounded to a whole number by adding and taking away 1.5 × 2²³
            // (cheaper than `round`, a library call; any rounding will do,
            // as the result is checked).
            let n = (v * scale + 12_582_912.0) - 12_582_912.0;
            if n / scale == v {
                return write_signed(out, v, n.abs() as u64, decimals);
            }
        }
        let n = (f64::from(v) * 10_000.0).round();
        if (n / 10_000.0) as f32 == v {
            return write_signed(out, v, n.abs() as u64, 4);
        }
    }
    use std::io::Write;
    let _ = write!(out, "{v}");
}

fn write_signed(out: &mut Vec<u8>, v: f32, n: u64, decimals: u32) {
    if v.is_sign_negative() {
        out.push(b'-');
    }
    write_fixed(out, n, decimals);
}

/// `n / 10^decimals` in decimal, without trailing zeros after the point.
fn write_fixed(out: &mut Vec<u8>, n: u64, decimals: u32) {
    let mut digits = [0u8; 24];
    let mut len = 0;
    let mut rest = n;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let decimals = decimals as usize;
    // Leading zeros so that there is a digit before the point.
    while len <= decimals {
        digits[len] = b'0';
        len += 1;
    }
    let mut end = 0;
    while end < decimals && digits[end] == b'0' {
        end += 1;
    }
    for i in (decimals..len).rev() {
        out.push(digits[i]);
    }
    if end < decimals {
        out.push(b'.');
        for i in (end..decimals).rev() {
            out.push(digits[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(v: f32) -> String {
        let mut out = Vec::new();
        write_real(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_are_written_as_rust_displays_them() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            0.05,
            0.001,
            0.0001,
            0.00001,
            45.35,
            -9.6,
            521.29,
            0.552_284_8,
            1e6,
            999_999.9,
            1e-7,
            123_456.79,
            3.4e38,
            -2.5e-3,
        ]
        .into_iter()
        .chain((-40..20).flat_map(|k| [2f32.powi(k), -(2f32.powi(k))]))
        {
            assert_eq!(real(v), format!("{v}"), "{v:e}");
        }
        // Every hundredth to ±2000 points, and thousandths below ±10.
        for k in -200_000..=200_000 {
            let v = k as f32 / 100.0;
            assert_eq!(real(v), format!("{v}"));
            let v = (k as f32 / 100.0 * 100.0).round() / 100.0;
            assert_eq!(real(v), format!("{v}"));
        }
        for k in (-1_100_000..=1_100_000).step_by(7) {
            let v = k as f32 / 1000.0;
            assert_eq!(real(v), format!("{v}"));
            let v = k as f32 / 10_000.0;
            assert_eq!(real(v), format!("{v}"));
        }
        // And arbitrary numbers (a fixed xorshift sequence of bit patterns).
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let v = f32::from_bits(state);
            assert_eq!(real(v), format!("{v}"), "{:#x}", state);
            let v = (v.rem_euclid(2000.0) * 1000.0).round() / 1000.0;
            assert_eq!(real(v), format!("{v}"), "{v:e}");
        }
    }
}
