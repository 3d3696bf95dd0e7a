//! QR codes drawn as vector squares, so they scan cleanly from paper and
//! from photocopies at any size.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, bits, ec};

use super::block::Block;
use super::style::Colour;

/// A horizontal run of dark modules: `(column, row, length)`.
type Run = (usize, usize, usize);

/// The dark modules of `data`'s QR code as rows of runs, and the code's
/// width in modules. `None` when the data is too long.
pub(crate) fn modules(data: &str) -> Option<(Vec<Run>, usize)> {
    let (colors, width) = encode(data)?;
    let colors: Vec<Color> = colors
        .into_iter()
        .map(|dark| if dark { Color::Dark } else { Color::Light })
        .collect();
    let mut runs = Vec::new();
    for row in 0..width {
        let mut column = 0;
        while column < width {
            if colors[row * width + column] == Color::Dark {
                let start = column;
                while column < width && colors[row * width + column] == Color::Dark {
                    column += 1;
                }
                runs.push((start, row, column - start));
            } else {
                column += 1;
            }
        }
    }
    Some((runs, width))
}

/// The modules of `data`'s QR code (error correction level M), `true` for
/// dark, row by row, and the width. The same as `QrCode::new` gives, but the
/// mask is chosen with a quicker scoring of the standard's four penalty rules
/// (the crate's own scoring took most of a handout's time).
fn encode(data: &str) -> Option<(Vec<bool>, usize)> {
    let bits = bits::encode_auto(data.as_bytes(), EcLevel::M).ok()?;
    let version = bits.version();
    let (data, ec) = ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).ok()?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let masks = [
        MaskPattern::Checkerboard,
        MaskPattern::HorizontalLines,
        MaskPattern::VerticalLines,
        MaskPattern::DiagonalLines,
        MaskPattern::LargeCheckerboard,
        MaskPattern::Fields,
        MaskPattern::Diamonds,
        MaskPattern::Meadow,
    ];
    let mut best: Option<(u32, Vec<bool>)> = None;
    for mask in masks {
        let mut trial = canvas.clone();
        trial.apply_mask(mask);
        let modules: Vec<bool> = trial
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let score = penalty(&modules, version.width() as usize);
        if best.as_ref().is_none_or(|(b, _)| score < *b) {
            best = Some((score, modules));
        }
    }
    best.map(|(_, modules)| (modules, version.width() as usize))
}

/// The mask penalty of ISO/IEC 18004 (section 7.8.3): long runs, 2×2 blocks,
/// finder-like patterns, and an unbalanced share of dark modules.
fn penalty(m: &[bool], n: usize) -> u32 {
    let at = |x: usize, y: usize| m[y * n + x];
    let mut score: usize = 0;
    for transpose in [false, true] {
        let get = |i: usize, j: usize| if transpose { at(j, i) } else { at(i, j) };
        for j in 0..n {
            // Runs of five or more modules of one colour.
            let mut run = 1;
            for i in 1..n {
                if get(i, j) == get(i - 1, j) {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
            // 1:1:3:1:1 dark-light-dark-light-dark with four light modules on one side.
            for i in 0..n.saturating_sub(6) {
                let finder = [true, false, true, true, true, false, true]
                    .iter()
                    .enumerate()
                    .all(|(k, &dark)| get(i + k, j) == dark);
                if finder {
                    let light = |a: isize, b: isize| {
                        (a..b).all(|k| k < 0 || k >= n as isize || !get(k as usize, j))
                    };
                    if light(i as isize - 4, i as isize) || light(i as isize + 7, i as isize + 11) {
                        score += 40;
                    }
                }
            }
        }
    }
    for y in 0..n - 1 {
        for x in 0..n - 1 {
            let c = at(x, y);
            if at(x + 1, y) == c && at(x, y + 1) == c && at(x + 1, y + 1) == c {
                score += 3;
            }
        }
    }
    let dark = m.iter().filter(|&&d| d).count();
    let percent = dark * 100 / (n * n);
    score += percent.abs_diff(50) / 5 * 10;
    score as u32
}

/// A QR code ready to draw: its dark modules as rectangles.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Code {
    /// `(column, row, columns, rows)` in modules.
    rects: Vec<(usize, usize, usize, usize)>,
    /// Width of the code in modules.
    width: usize,
}

impl Code {
    /// The code of `data`; `None` when the data is too long for a QR code.
    pub(crate) fn new(data: &str) -> Option<Self> {
        let (runs, width) = modules(data)?;
        Some(Code {
            rects: merge(&runs),
            width,
        })
    }

    /// Draws the code as a `size`-point square at `x, y` of `block`.
    pub(crate) fn draw(&self, block: &mut Block, x: f32, y: f32, size: f32, colour: Colour) {
        let module = size / self.width as f32;
        // Rectangles overlap their neighbours by a hair so no white seams show between them.
        let seam = module * 0.02;
        let rects: Vec<(f32, f32, f32, f32)> = self
            .rects
            .iter()
            .map(|&(column, row, length, rows)| {
                (
                    x + column as f32 * module,
                    y + row as f32 * module,
                    length as f32 * module + seam,
                    rows as f32 * module + seam,
                )
            })
            .collect();
        block.fill_rects(&rects, colour);
    }
}

/// Stacks identical runs of consecutive rows into rectangles:
/// `(column, row, length, rows)`.
fn merge(runs: &[Run]) -> Vec<(usize, usize, usize, usize)> {
    let mut done = Vec::new();
    // Rectangles still growing downwards, by (column, length).
    let mut open: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut row = usize::MAX;
    let mut next_open = Vec::new();
    for &(column, r, length) in runs {
        if r != row {
            // A new row: rectangles not continued by the previous row are finished.
            done.append(&mut open);
            open = std::mem::take(&mut next_open);
            row = r;
        }
        match open
            .iter()
            .position(|&(c, top, l, rows)| c == column && l == length && top + rows == r)
        {
            Some(i) => {
                let mut rect = open.swap_remove(i);
                rect.3 += 1;
                next_open.push(rect);
            }
            None => next_open.push((column, r, length, 1)),
        }
    }
    done.extend(open);
    done.extend(next_open);
    done.sort();
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_an_exercise_address() {
        let (runs, width) =
            modules("https://exercises.harbourline-clinic.example/exercises/cat-cow/").unwrap();
        assert!((25..=45).contains(&width), "{width}");
        // The top-left finder pattern starts with a run of 7 dark modules.
        assert_eq!(runs[0], (0, 0, 7));
        // Merged rectangles cover exactly the dark modules.
        let rects = merge(&runs);
        assert!(rects.len() < runs.len());
        let area = |v: &[(usize, usize, usize, usize)]| v.iter().map(|r| r.2 * r.3).sum::<usize>();
        assert_eq!(area(&rects), runs.iter().map(|r| r.2).sum::<usize>());
        assert!(rects.contains(&(0, 0, 7, 1)));
    }

    #[test]
    fn matches_the_crates_encoding_up_to_the_mask() {
        let url = "https://exercises.harbourline-clinic.example/exercises/cat-cow/";
        let ours = encode(url).unwrap();
        let theirs = qrcode::QrCode::with_error_correction_level(url, EcLevel::M).unwrap();
        assert_eq!(ours.1, theirs.width());
        // Finder patterns and timing are identical whatever the mask.
        let theirs: Vec<bool> = theirs
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let n = ours.1;
        for i in 0..7 {
            assert_eq!(ours.0[i], theirs[i]);
            assert_eq!(ours.0[6 * n + 8 + i], theirs[6 * n + 8 + i]);
        }
    }
}
