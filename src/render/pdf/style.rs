//! The look of the handouts in one place: colours a theme may replace, and
//! the proportions every part of the layout derives from the body size.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// Reads `#rrggbb` (or `rrggbb`).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim().trim_start_matches('#');
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Colour(byte(0)?, byte(2)?, byte(4)?))
    }

    pub(crate) fn pdf(self) -> printpdf::Color {
        // Three decimals tell apart all 256 levels of a channel.
        let channel = |v: u8| (f32::from(v) / 255.0 * 1000.0).round() / 1000.0;
        printpdf::Color::Rgb(printpdf::Rgb {
            r: channel(self.0),
            g: channel(self.1),
            b: channel(self.2),
            icc_profile: None,
        })
    }

    pub const WHITE: Colour = Colour(255, 255, 255);
}

/// Colours of the handouts. Every colour that carries meaning is dark enough
/// to survive a black-and-white photocopy, and nothing relies on colour
/// alone: boxes have borders, links are underlined.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Body text.
    pub text: Colour,
    /// Secondary text (captions, contact details, footer).
    pub muted: Colour,
    /// Clinic name, headings, exercise numbers, rules.
    pub accent: Colour,
    /// Light background of the dosage band and the patient box.
    pub accent_tint: Colour,
    /// Border and heading of the caution box.
    pub caution: Colour,
    /// Light background of the caution box.
    pub caution_tint: Colour,
    /// Hairlines: picture frames, grid lines.
    pub rule: Colour,
}

impl Default for Style {
    /// The clinic theme's navy and burnt orange.
    fn default() -> Self {
        Style {
            text: Colour(0x1a, 0x1a, 0x1a),
            muted: Colour(0x4a, 0x4f, 0x54),
            accent: Colour(0x1f, 0x3b, 0x4d),
            accent_tint: Colour(0xe8, 0xef, 0xf3),
            caution: Colour(0xa8, 0x3a, 0x0a),
            caution_tint: Colour(0xfd, 0xf1, 0xe8),
            rule: Colour(0x8c, 0x98, 0xa1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hex_colours() {
        assert_eq!(Colour::from_hex("#1f3b4d"), Some(Colour(0x1f, 0x3b, 0x4d)));
        assert_eq!(Colour::from_hex("1F3B4D"), Some(Colour(0x1f, 0x3b, 0x4d)));
        assert_eq!(Colour::from_hex("#fff"), None);
        assert_eq!(Colour::from_hex("#zzzzzz"), None);
    }
}
