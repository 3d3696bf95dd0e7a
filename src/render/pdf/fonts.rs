//! The handout typeface, Noto Sans, compiled into the binary: measuring text,
//! checking that every character can be drawn, and cutting each document's
//! subset of the fonts. printpdf (without its heavy `text_layout` feature)
//! embeds whatever bytes it is given, so it is handed a subset made here with
//! glyph ids, widths and the character map already renumbered (or, usually,
//! [`finish`](super::finish) writes the font's objects itself).

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

    /// The face whose [`Face::resource`] is `id`.
    pub(crate) fn of_resource(id: &FontId) -> Option<Face> {
        match id.0.as_str() {
            "NSR" => Some(Face::Regular),
            "NSB" => Some(Face::Bold),
            "NSI" => Some(Face::Italic),
            _ => None,
        }
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

    /// The face's glyph for `c`, as its character map gives it.
    fn glyph(self, c: char) -> Option<ttf_parser::GlyphId> {
        let loaded = &loaded()[self.index()];
        match loaded.glyphs.get(c as usize) {
            Some(&glyph) => glyph,
            None => loaded.face.glyph_index(c),
        }
    }

    /// Whether the face has a glyph for `c`.
    pub(crate) fn covers(self, c: char) -> bool {
        self.glyph(c).is_some_and(|g| g.0 != 0)
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

    /// The subset of this face holding `chars`. `None` when nothing is drawn
    /// in this face.
    pub(crate) fn subset(self, chars: &BTreeSet<char>) -> Result<Option<Subset>, String> {
        let face = self.parsed();
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut codepoint_to_glyph = BTreeMap::new();
        let mut glyph_widths = BTreeMap::new();
        for &c in chars {
            let Some(glyph) = self.glyph(c) else {
                continue;
            };
            let new = remapper.remap(glyph.0);
            codepoint_to_glyph.insert(u32::from(c), new);
            glyph_widths.insert(new, face.glyph_hor_advance(glyph).unwrap_or(0));
        }
        if codepoint_to_glyph.is_empty() {
            return Ok(None);
        }
        let glyphs: Vec<u16> = remapper.remapped_gids().collect();
        // The six-letter tag (ISO 32000 9.6.4) names this particular subset.
        let mut hash = Sha256::new();
        hash.update(self.postscript_name());
        for glyph in &glyphs {
            hash.update(glyph.to_be_bytes());
        }
        let tag: String = hash.finalize()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        Ok(Some(Subset {
            face: self,
            glyphs,
            codepoint_to_glyph,
            glyph_widths,
            name: format!("{tag}+{}", self.postscript_name()),
            remapper,
            program: OnceLock::new(),
        }))
    }
}

/// The subset of a face one document uses.
pub(crate) struct Subset {
    pub face: Face,
    /// The face's glyphs in the subset, in order: the subset's glyph `i` is
    /// the face's `glyphs[i]` (0, `.notdef`, first).
    pub glyphs: Vec<u16>,
    /// Subset glyph ids by code point.
    pub codepoint_to_glyph: BTreeMap<u32, u16>,
    /// Advances in font units by subset glyph id (of the glyphs drawn).
    pub glyph_widths: BTreeMap<u16, u16>,
    /// The font's name: the subset's tag and the face's PostScript name.
    pub name: String,
    remapper: subsetter::GlyphRemapper,
    /// The font program, made when first asked for.
    program: OnceLock<Result<Vec<u8>, String>>,
}

impl Subset {
    /// The font program (a TrueType file).
    pub(crate) fn program(&self) -> Result<&[u8], String> {
        self.program
            .get_or_init(|| {
                // Composite glyphs pull in their parts, appended after ours, so
                // the ids given out in `Face::subset` stay valid in the subset.
                subsetter::subset(self.face.bytes(), 0, &self.remapper)
                    .map_err(|e| format!("cannot subset {}: {e}", self.face.postscript_name()))
            })
            .as_deref()
            .map_err(Clone::clone)
    }

    /// The subset ready to insert into a document under [`Face::resource`].
    pub(crate) fn pdf_font(&self) -> Result<PdfFont, String> {
        Ok(self.font_with(
            self.program()?.to_vec(),
            self.codepoint_to_glyph.clone(),
            self.glyph_widths.clone(),
        ))
    }

    /// A font with this subset's name and metrics but no glyphs to speak
    /// of: it holds the place of fonts written without printpdf.
    pub(crate) fn placeholder(&self) -> PdfFont {
        self.font_with(
            vec![0],
            BTreeMap::from([(u32::from('a'), 1)]),
            BTreeMap::from([(1, 0)]),
        )
    }

    fn font_with(
        &self,
        program: Vec<u8>,
        codepoint_to_glyph: BTreeMap<u32, u16>,
        glyph_widths: BTreeMap<u16, u16>,
    ) -> PdfFont {
        let face = self.face.parsed();
        let bbox = face.global_bounding_box();
        let units_per_em = face.units_per_em();
        // The descriptor's italic angle is read back from the caret slope.
        let slope = (-face.italic_angle()).to_radians().tan();
        let parsed = ParsedFont {
            original_bytes: program,
            font_index: 0,
            font_name: Some(self.name.clone()),
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
        PdfFont::new(parsed)
    }
}

/// A parsed face, with the glyphs and advances of the most common characters at hand.
struct Loaded {
    face: ttf_parser::Face<'static>,
    /// Advances in em of U+0000 to U+024F (Latin with its accents).
    common: Vec<f32>,
    /// Glyphs of U+0000 to U+024F.
    glyphs: Vec<Option<ttf_parser::GlyphId>>,
}

/// Characters below this have their glyph and advance looked up once per process.
const COMMON: u32 = 0x250;

/// The three faces, parsed once per process.
fn loaded() -> &'static [Loaded; 3] {
    static FACES: OnceLock<[Loaded; 3]> = OnceLock::new();
    FACES.get_or_init(|| {
        Face::ALL.map(|f| {
            // The fonts are part of the binary and checked by the tests below.
            let face = ttf_parser::Face::parse(f.bytes(), 0)
                .expect("the embedded Noto Sans is a valid font");
            let em = f32::from(face.units_per_em());
            let glyphs: Vec<Option<ttf_parser::GlyphId>> = (0..COMMON)
                .map(|cp| char::from_u32(cp).and_then(|c| face.glyph_index(c)))
                .collect();
            let common = glyphs
                .iter()
                .map(|glyph| {
                    glyph
                        .and_then(|g| face.glyph_hor_advance(g))
                        .map_or(0.0, |a| f32::from(a) / em)
                })
                .collect();
            Loaded {
                face,
                common,
                glyphs,
            }
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
    fn resource_names_lead_back_to_their_faces() {
        for face in Face::ALL {
            assert_eq!(Face::of_resource(&face.resource()), Some(face));
        }
        assert_eq!(Face::of_resource(&FontId("F1".into())), None);
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
        let font = Face::Regular
            .subset(&chars)
            .unwrap()
            .unwrap()
            .pdf_font()
            .unwrap();
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
