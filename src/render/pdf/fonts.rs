//! The handout typeface, Noto Sans, compiled into the binary: measuring text,
//! checking that every character can be drawn, and cutting each document's
//! subset of the fonts. printpdf (without its heavy `text_layout` feature)
//! embeds whatever bytes it is given, so it is handed a subset made here with
//! glyph ids, widths and the character map already renumbered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use printpdf::{FontId, FontMetrics, FontType, ParsedFont, PdfFont, PdfFontMetricsStub};
use sha2::{Digest, Sha256};

/// One face of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Face {
    Regular,
    Bold,
    Italic,
}

impl Face {
    pub(crate) const ALL: [Face; 3] = [Face::Regular, Face::Bold, Face::Italic];

    /// The font's resource name in the PDF; fixed, so that output is byte-stable.
    pub(crate) fn resource(self) -> FontId {
        FontId(
            match self {
                Face::Regular => "NSR",
                Face::Bold => "NSB",
                Face::Italic => "NSI",
            }
            .to_string(),
        )
    }

    fn index(self) -> usize {
        self as usize
    }

    fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "NotoSans-Regular",
            Face::Bold => "NotoSans-Bold",
            Face::Italic => "NotoSans-Italic",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Face::Regular => include_bytes!("../../../fonts/NotoSans-Regular.ttf"),
            Face::Bold => include_bytes!("../../../fonts/NotoSans-Bold.ttf"),
            Face::Italic => include_bytes!("../../../fonts/NotoSans-Italic.ttf"),
        }
    }

    fn parsed(self) -> &'static ttf_parser::Face<'static> {
        &loaded()[self.index()].face
    }

    fn units_per_em(self) -> f32 {
        f32::from(self.parsed().units_per_em())
    }

    /// Whether the face has a glyph for `c`.
    pub(crate) fn covers(self, c: char) -> bool {
        self.parsed().glyph_index(c).is_some_and(|g| g.0 != 0)
    }

    /// Advance of `c` in em (0 for a character the face lacks; callers check coverage first).
    pub(crate) fn advance(self, c: char) -> f32 {
        let loaded = &loaded()[self.index()];
        if let Some(&advance) = loaded.common.get(c as usize) {
            return advance;
        }
        let face = &loaded.face;
        face.glyph_index(c)
            .and_then(|g| face.glyph_hor_advance(g))
            .map_or(0.0, |a| f32::from(a) / self.units_per_em())
    }

    /// Width of `text` at `size` points.
    pub(crate) fn width(self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// Height of capital letters above the baseline, in em.
    pub(crate) fn cap_height(self) -> f32 {
        let face = self.parsed();
        f32::from(face.capital_height().unwrap_or(714)) / self.units_per_em()
    }

    /// The subset of this face holding `chars`, ready to insert into a document
    /// under [`Face::resource`]. `None` when nothing is drawn in this face.
    pub(crate) fn subset(self, chars: &BTreeSet<char>) -> Result<Option<PdfFont>, String> {
        let face = self.parsed();
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut codepoint_to_glyph = BTreeMap::new();
        let mut glyph_widths = BTreeMap::new();
        for &c in chars {
            let Some(glyph) = face.glyph_index(c) else {
                continue;
            };
            let new = remapper.remap(glyph.0);
            codepoint_to_glyph.insert(u32::from(c), new);
            glyph_widths.insert(new, face.glyph_hor_advance(glyph).unwrap_or(0));
        }
        if codepoint_to_glyph.is_empty() {
            return Ok(None);
        }
        // Composite glyphs pull in their parts, appended after ours, so the ids
        // given out above stay valid in the subset.
        let bytes = subsetter::subset(self.bytes(), 0, &remapper)
            .map_err(|e| format!("cannot subset {}: {e}", self.postscript_name()))?;

        // The six-letter tag (ISO 32000 9.6.4) names this particular subset.
        let mut hash = Sha256::new();
        hash.update(self.postscript_name());
        for glyph in remapper.remapped_gids() {
            hash.update(glyph.to_be_bytes());
        }
        let tag: String = hash.finalize()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();

        let bbox = face.global_bounding_box();
        let units_per_em = face.units_per_em();
        // The descriptor's italic angle is read back from the caret slope.
        let slope = (-face.italic_angle()).to_radians().tan();
        let parsed = ParsedFont {
            original_bytes: bytes,
            font_index: 0,
            font_name: Some(format!("{tag}+{}", self.postscript_name())),
            codepoint_to_glyph,
            glyph_widths,
            units_per_em,
            font_metrics: FontMetrics {
                ascent: face.ascender(),
                descent: face.descender(),
            },
            font_type: FontType::TrueType,
            pdf_font_metrics: PdfFontMetricsStub {
                units_per_em,
                x_min: bbox.x_min,
                y_min: bbox.y_min,
                x_max: bbox.x_max,
                y_max: bbox.y_max,
                caret_slope_rise: 1000,
                caret_slope_run: (slope * 1000.0).round() as i16,
                us_weight_class: face.weight().to_number(),
            },
        };
        Ok(Some(PdfFont::new(parsed)))
    }
}

/// A parsed face, with the advances of the most common characters at hand.
struct Loaded {
    face: ttf_parser::Face<'static>,
    /// Advances in em of U+0000 to U+024F (Latin with its accents).
    common: Vec<f32>,
}

/// The three faces, parsed once per process.
fn loaded() -> &'static [Loaded; 3] {
    static FACES: OnceLock<[Loaded; 3]> = OnceLock::new();
    FACES.get_or_init(|| {
        Face::ALL.map(|f| {
            // The fonts are part of the binary and checked by the tests below.
            let face = ttf_parser::Face::parse(f.bytes(), 0)
                .expect("the embedded Noto Sans is a valid font");
            let em = f32::from(face.units_per_em());
            let common = (0..0x250u32)
                .map(|cp| {
                    char::from_u32(cp)
                        .and_then(|c| face.glyph_index(c))
                        .and_then(|g| face.glyph_hor_advance(g))
                        .map_or(0.0, |a| f32::from(a) / em)
                })
                .collect();
            Loaded { face, common }
        })
    })
}

/// Characters that are dropped rather than drawn: invisible formatting marks
/// that a font need not have.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{FE0E}' | '\u{FE0F}'
    ) || (c.is_control() && c != '\n')
}

/// `text` made ready to draw: tabs become spaces, invisible marks go.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\r' => Some(' '),
            c if is_invisible(c) => None,
            c => Some(c),
        })
        .collect()
}

/// The characters of `text` that `face` cannot draw, in order, once each.
pub(crate) fn missing(text: &str, face: Face) -> Vec<char> {
    let mut seen = BTreeSet::new();
    text.chars()
        .filter(|&c| c != '\n' && !is_invisible(c) && c != '\t' && !face.covers(c))
        .filter(|c| seen.insert(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_cover_accented_names_and_typography() {
        for face in Face::ALL {
            assert!(missing("Zoë Müller-O’Brien · “quoted” – 10 s • Ωμέγα Жж", face).is_empty());
        }
    }

    #[test]
    fn reports_characters_the_font_cannot_draw() {
        assert_eq!(
            missing("ok 🙂 and 中文 🙂", Face::Regular),
            vec!['🙂', '中', '文']
        );
        assert!(missing("soft\u{00AD}hyphen\u{200B}", Face::Regular).is_empty());
    }

    #[test]
    fn measures_with_the_fonts_advances() {
        let w = Face::Regular.width("Hello", 12.0);
        assert!(w > 25.0 && w < 35.0, "{w}");
        assert!(Face::Bold.width("Hello", 12.0) > w);
    }

    #[test]
    fn subsets_to_the_glyphs_used() {
        let chars: BTreeSet<char> = "Zoë Müller".chars().collect();
        let font = Face::Regular.subset(&chars).unwrap().unwrap();
        let parsed = &font.parsed_font;
        assert!(
            parsed.original_bytes.len() < 20_000,
            "{}",
            parsed.original_bytes.len()
        );
        // Ids are dense and .notdef stays 0.
        let mut ids: Vec<u16> = parsed.codepoint_to_glyph.values().copied().collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.first(), Some(&1));
        assert!(
            parsed
                .font_name
                .as_deref()
                .unwrap()
                .ends_with("+NotoSans-Regular")
        );
        assert!(Face::Bold.subset(&BTreeSet::new()).unwrap().is_none());
    }
}
