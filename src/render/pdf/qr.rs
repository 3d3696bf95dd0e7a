//! QR codes drawn as vector squares, so they scan cleanly from paper and
//! from photocopies at any size.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::{Color, EcLevel, Version, bits, ec};

use super::block::Block;
use super::style::Colour;

/// A horizontal run of dark modules: `(column, row, length)`.
type Run = (usize, usize, usize);

/// The dark modules of `data`'s QR code as rows of runs, and the code's
/// width in modules. `None` when the data is too long.
pub(crate) fn modules(data: &str) -> Option<(Vec<Run>, usize)> {
    let (rows, width) = encode(data)?;
    Some((runs(&rows, width), width))
}

/// The runs of dark modules of `rows`, row by row, from left to right.
fn runs(rows: &[Row], width: usize) -> Vec<Run> {
    let mut runs = Vec::with_capacity(width * 8);
    for (y, row) in rows.iter().enumerate() {
        let mut x = next(row, 0, true, width);
        while x < width {
            let end = next(row, x, false, width);
            runs.push((x, y, end - x));
            x = next(row, end, true, width);
        }
    }
    runs
}

/// A row of a code as bits, module `x` in bit `x % 64` of word `x / 64`,
/// set when dark (codes are at most 177 modules wide).
type Row = [u64; 3];

/// The first module from `from` on that is dark (or light), or `width`.
fn next(row: &Row, from: usize, dark: bool, width: usize) -> usize {
    let mut x = from;
    while x < width {
        let word = if dark { row[x / 64] } else { !row[x / 64] } >> (x % 64);
        if word != 0 {
            return (x + word.trailing_zeros() as usize).min(width);
        }
        x = (x / 64 + 1) * 64;
    }
    width
}

/// Rows of bits from modules given row by row.
fn rows_of(modules: &[bool], width: usize) -> Vec<Row> {
    modules
        .chunks_exact(width)
        .map(|line| {
            let mut row = [0; 3];
            for (x, &dark) in line.iter().enumerate() {
                row[x / 64] |= u64::from(dark) << (x % 64);
            }
            row
        })
        .collect()
}

/// The eight masks, in the order of their numbers.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The modules of `data`'s QR code (error correction level M) as rows of
/// bits, and the width. The same as `QrCode::new` gives, but the
/// mask is chosen with a quicker scoring of the standard's four penalty rules
/// (the crate's own scoring took most of a handout's time).
fn encode(data: &str) -> Option<(Vec<Row>, usize)> {
    let bits = bits::encode_auto(data.as_bytes(), EcLevel::M).ok()?;
    let version = bits.version();
    let (data, ec) = ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).ok()?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let n = version.width() as usize;
    if n > 128 {
        return Some((rows_of(&masked_one_by_one(&canvas, n), n), n));
    }
    // A masked code is its template (the patterns, the format information
    // and the mask, see [`templates`]) with the dark data modules flipped.
    let mut rows = vec![0u128; n];
    let mut columns = vec![0u128; n];
    for (y, row) in rows.iter_mut().enumerate() {
        for (x, column) in columns.iter_mut().enumerate() {
            let dark = canvas.get(x as i16, y as i16) == Module::Unmasked(Color::Dark);
            *row |= u128::from(dark) << x;
            *column |= u128::from(dark) << y;
        }
    }
    let templates = templates(version);
    let mut best: Option<(u32, usize)> = None;
    let (mut r, mut c) = (vec![0u128; n], vec![0u128; n]);
    for (mask, template) in templates.iter().enumerate() {
        for i in 0..n {
            r[i] = template.rows[i] ^ rows[i];
            c[i] = template.columns[i] ^ columns[i];
        }
        let score = packed_penalty(&r, &c, n);
        if best.is_none_or(|(b, _)| score < b) {
            best = Some((score, mask));
        }
    }
    let template = &templates[best?.1];
    let code = template
        .rows
        .iter()
        .zip(&rows)
        .map(|(t, d)| {
            let row = t ^ d;
            [row as u64, (row >> 64) as u64, 0]
        })
        .collect();
    Some((code, n))
}

/// The code masked with each mask in turn, keeping the best: for codes
/// wider than [`packed_penalty`] takes.
fn masked_one_by_one(canvas: &Canvas, n: usize) -> Vec<bool> {
    let mut best: Option<(u32, Vec<bool>)> = None;
    for mask in MASKS {
        let mut trial = canvas.clone();
        trial.apply_mask(mask);
        let modules: Vec<bool> = trial
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let score = module_penalty(&modules, n);
        if best.as_ref().is_none_or(|(b, _)| score < *b) {
            best = Some((score, modules));
        }
    }
    best.map(|(_, modules)| modules).unwrap_or_default()
}

/// A code of one version with no data, masked: its function patterns and
/// format information, and the mask's pattern over the data area. Rows and
/// columns as the bits of a number (bit `i` for module `i`, set when dark).
struct Template {
    rows: Vec<u128>,
    columns: Vec<u128>,
}

/// The templates of `version` for the eight masks, made once per process.
fn templates(version: Version) -> Arc<Vec<Template>> {
    static MADE: OnceLock<Mutex<BTreeMap<i16, Arc<Vec<Template>>>>> = OnceLock::new();
    let made = MADE.get_or_init(Mutex::default);
    let key = version.width();
    if let Some(t) = made.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Arc::clone(t);
    }
    let n = key as usize;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    let templates: Vec<Template> = MASKS
        .iter()
        .map(|&mask| {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            let colors = masked.into_colors();
            let mut rows = vec![0u128; n];
            let mut columns = vec![0u128; n];
            for (i, color) in colors.into_iter().enumerate() {
                let dark = u128::from(color == Color::Dark);
                rows[i / n] |= dark << (i % n);
                columns[i % n] |= dark << (i / n);
            }
            Template { rows, columns }
        })
        .collect();
    let mut made = made.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(made.entry(key).or_insert_with(|| Arc::new(templates)))
}

/// The mask penalty of ISO/IEC 18004 (section 7.8.3): long runs, 2×2 blocks,
/// finder-like patterns, and an unbalanced share of dark modules. Rows and
/// columns are the bits of numbers (bit `i` for module `i`, set when dark),
/// so that each rule is a few operations on a whole line, for codes up to
/// 128 modules wide.
fn packed_penalty(rows: &[u128], columns: &[u128], n: usize) -> u32 {
    // Bit i set where modules i and i + 1 have the same colour.
    let pairs = (1u128 << (n - 1)) - 1;
    let same = |line: u128| !(line ^ (line >> 1)) & pairs;
    let mut score: u32 = 0;
    for &line in rows.iter().chain(columns) {
        // Runs of five or more modules of one colour score their length
        // minus two: one for each five in a row they hold, and two more.
        let e = same(line);
        let five = e & (e >> 1) & (e >> 2) & (e >> 3);
        score += five.count_ones() + 2 * (five & !(five << 1)).count_ones();
        // 1:1:3:1:1 dark-light-dark-light-dark, starting at bit i, with the
        // four modules before it or the four after it light (the bits
        // outside the code are 0, light).
        let finder = line
            & !(line >> 1)
            & (line >> 2)
            & (line >> 3)
            & (line >> 4)
            & !(line >> 5)
            & (line >> 6);
        let light_before = !((line << 1) | (line << 2) | (line << 3) | (line << 4));
        let light_after = !((line >> 7) | (line >> 8) | (line >> 9) | (line >> 10));
        score += 40 * (finder & (light_before | light_after)).count_ones();
    }
    // 2×2 blocks of one colour.
    for pair in rows.windows(2) {
        let level = !(pair[0] ^ pair[1]);
        score += 3 * (same(pair[0]) & level & (level >> 1)).count_ones();
    }
    let dark: usize = rows.iter().map(|r| r.count_ones() as usize).sum();
    let percent = dark * 100 / (n * n);
    score + (percent.abs_diff(50) / 5 * 10) as u32
}

/// [`packed_penalty`] module by module, for codes too wide for it.
fn module_penalty(m: &[bool], n: usize) -> u32 {
    let mut score: usize = 0;
    // Rows, then columns (rows of the transposed matrix).
    for row in m.chunks_exact(n) {
        score += line_penalty(row);
    }
    let mut column = vec![false; n];
    for x in 0..n {
        for (y, module) in column.iter_mut().enumerate() {
            *module = m[y * n + x];
        }
        score += line_penalty(&column);
    }
    for y in 0..n - 1 {
        let (a, b) = (&m[y * n..(y + 1) * n], &m[(y + 1) * n..(y + 2) * n]);
        for x in 0..n - 1 {
            let c = a[x];
            if a[x + 1] == c && b[x] == c && b[x + 1] == c {
                score += 3;
            }
        }
    }
    let dark = m.iter().filter(|&&d| d).count();
    let percent = dark * 100 / (n * n);
    score += percent.abs_diff(50) / 5 * 10;
    score as u32
}

/// The penalties of one row or column: runs of five or more modules of one
/// colour, and 1:1:3:1:1 dark-light-dark-light-dark patterns with four light
/// modules on one side (modules outside the code count as light).
fn line_penalty(line: &[bool]) -> usize {
    let n = line.len();
    let mut score = 0;
    let mut run = 1;
    for i in 1..n {
        if line[i] == line[i - 1] {
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
    // A window of the last 15 modules, the newest (at `p`) in bit 0: a
    // pattern starting at p - 10 occupies bits 10 to 4, with the four
    // modules before it in bits 14 to 11 and the four after in bits 3 to 0.
    const PATTERN: u32 = 0b101_1101 << 4;
    const PATTERN_BITS: u32 = 0x7F << 4;
    const BEFORE: u32 = 0xF << 11;
    const AFTER: u32 = 0xF;
    let mut window: u32 = 0;
    for (p, dark) in line.iter().copied().chain([false; 4]).enumerate() {
        window = ((window << 1) | u32::from(dark)) & 0x7FFF;
        if p >= 10
            && window & PATTERN_BITS == PATTERN
            && (window & BEFORE == 0 || window & AFTER == 0)
        {
            score += 40;
        }
    }
    score
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
    let mut done = Vec::with_capacity(runs.len());
    // Rectangles reaching down to the last row seen, and those reaching the
    // current one, from left to right (as the runs of a row come).
    let mut open: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut next: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut row = usize::MAX;
    let mut i = 0;
    for &(column, r, length) in runs {
        if r != row {
            // A new row: rectangles of the last row not continued are finished.
            done.extend_from_slice(&open[i..]);
            open.clear();
            std::mem::swap(&mut open, &mut next);
            row = r;
            i = 0;
        }
        while i < open.len() && open[i].0 < column {
            done.push(open[i]);
            i += 1;
        }
        match open.get(i) {
            Some(&(c, top, l, rows)) if c == column && l == length && top + rows == r => {
                next.push((c, top, l, rows + 1));
                i += 1;
            }
            _ => next.push((column, r, length, 1)),
        }
    }
    done.extend_from_slice(&open[i..]);
    done.extend(next);
    // (No two rectangles start at the same module.)
    done.sort_unstable();
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
    fn the_longest_exercise_address_still_has_a_code() {
        // The longest base_url site.yaml allows, `exercises/` and a slug as
        // long as a file name can be.
        let base = format!("https://{}/", "a".repeat(crate::config::MAX_BASE_URL - 9));
        assert_eq!(base.chars().count(), crate::config::MAX_BASE_URL);
        let url = format!("{base}exercises/{}/", "s".repeat(255));
        assert!(Code::new(&url).is_some(), "{} bytes", url.len());
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
        let dark = |x: usize, y: usize| ours.0[y][x / 64] >> (x % 64) & 1 == 1;
        for i in 0..7 {
            assert_eq!(dark(i, 0), theirs[i]);
            assert_eq!(dark(8 + i, 6), theirs[6 * n + 8 + i]);
        }
    }
    /// The scoring as first written, module by module, to check the quicker one against.
    fn reference_penalty(m: &[bool], n: usize) -> u32 {
        let at = |x: usize, y: usize| m[y * n + x];
        let mut score: usize = 0;
        for transpose in [false, true] {
            let get = |i: usize, j: usize| if transpose { at(j, i) } else { at(i, j) };
            for j in 0..n {
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
                for i in 0..n.saturating_sub(6) {
                    let finder = [true, false, true, true, true, false, true]
                        .iter()
                        .enumerate()
                        .all(|(k, &dark)| get(i + k, j) == dark);
                    if finder {
                        let light = |a: isize, b: isize| {
                            (a..b).all(|k| k < 0 || k >= n as isize || !get(k as usize, j))
                        };
                        if light(i as isize - 4, i as isize)
                            || light(i as isize + 7, i as isize + 11)
                        {
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

    #[test]
    fn scores_masks_as_the_standard_says() {
        // Random matrices (a fixed xorshift sequence), dense and sparse, with
        // planted finder-like patterns, scored by both versions.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..400 {
            let n = [7, 8, 11, 21, 25, 33, 57, 101, 117, 127, 128][case % 11];
            let density = [2, 4, 8][case % 3];
            let mut m: Vec<bool> = (0..n * n).map(|_| next() % density == 0).collect();
            if case % 2 == 0 {
                let row = (next() as usize) % n;
                let at = (next() as usize) % (n - 6);
                for (k, dark) in [true, false, true, true, true, false, true]
                    .iter()
                    .enumerate()
                {
                    m[row * n + at + k] = *dark;
                }
            }
            let (rows, columns) = pack(&m, n);
            assert_eq!(
                packed_penalty(&rows, &columns, n),
                reference_penalty(&m, n),
                "case {case}"
            );
            assert_eq!(
                module_penalty(&m, n),
                reference_penalty(&m, n),
                "case {case}"
            );
        }
    }

    fn pack(m: &[bool], n: usize) -> (Vec<u128>, Vec<u128>) {
        let mut rows = vec![0u128; n];
        let mut columns = vec![0u128; n];
        for (i, &dark) in m.iter().enumerate() {
            rows[i / n] |= u128::from(dark) << (i % n);
            columns[i % n] |= u128::from(dark) << (i / n);
        }
        (rows, columns)
    }

    /// The canvas of `url` before masking.
    fn unmasked(url: &str) -> (Canvas, usize) {
        let bits = bits::encode_auto(url.as_bytes(), EcLevel::M).unwrap();
        let version = bits.version();
        let (data, ec) = ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).unwrap();
        let mut canvas = Canvas::new(version, EcLevel::M);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        (canvas, version.width() as usize)
    }

    #[test]
    fn rectangles_cover_the_runs_of_dark_modules() {
        /// Runs and rectangles as first written, module by module.
        fn reference(m: &[bool], n: usize) -> Vec<(usize, usize, usize, usize)> {
            let mut runs = Vec::new();
            for row in 0..n {
                let mut column = 0;
                while column < n {
                    if m[row * n + column] {
                        let start = column;
                        while column < n && m[row * n + column] {
                            column += 1;
                        }
                        runs.push((start, row, column - start));
                    } else {
                        column += 1;
                    }
                }
            }
            let mut done = Vec::new();
            let mut open: Vec<(usize, usize, usize, usize)> = Vec::new();
            let mut row = usize::MAX;
            let mut next_open = Vec::new();
            for &(column, r, length) in &runs {
                if r != row {
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
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..300 {
            let n = [1, 5, 21, 37, 63, 64, 65, 127, 128, 129, 177][case % 11];
            // Sparse, dense, and with whole empty rows and long repeated runs.
            let m: Vec<bool> = match case % 4 {
                0 => (0..n * n).map(|_| next() % 2 == 0).collect(),
                1 => (0..n * n).map(|_| next() % 5 != 0).collect(),
                2 => (0..n * n)
                    .map(|i| (i / n) % 3 != 1 && next() % 3 == 0)
                    .collect(),
                _ => (0..n * n)
                    .map(|i| (i % n) / 4 % 2 == 0 || next() % 7 == 0)
                    .collect(),
            };
            assert_eq!(
                merge(&runs(&rows_of(&m, n), n)),
                reference(&m, n),
                "case {case}"
            );
        }
    }

    #[test]
    fn templates_give_the_code_masking_one_by_one_gives() {
        let mut urls: Vec<String> = [
            "https://exercises.harbourline-clinic.example/exercises/cat-cow/",
            "https://example.org/",
            "https://a-much-longer-clinic-name.example/exercises/a-long-exercise-slug-with-words/",
        ]
        .map(String::from)
        .to_vec();
        // Every version up to 27 (the widest that fits in a u128) and a few beyond.
        for length in (10..1400).step_by(23) {
            urls.push(format!("https://x.example/{}", "ab-c".repeat(length / 4)));
        }
        let mut widths = std::collections::BTreeSet::new();
        for url in &urls {
            let (canvas, n) = unmasked(url);
            widths.insert(n);
            let (ours, width) = encode(url).unwrap();
            assert_eq!(width, n);
            assert_eq!(ours, rows_of(&masked_one_by_one(&canvas, n), n), "{url}");
            for mask in MASKS {
                let mut masked = canvas.clone();
                masked.apply_mask(mask);
                let m: Vec<bool> = masked
                    .into_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                if n <= 128 {
                    let (rows, columns) = pack(&m, n);
                    assert_eq!(
                        packed_penalty(&rows, &columns, n),
                        reference_penalty(&m, n),
                        "{url}"
                    );
                }
                assert_eq!(module_penalty(&m, n), reference_penalty(&m, n), "{url}");
            }
        }
        assert!(
            widths.len() > 25 && widths.iter().any(|&n| n > 128),
            "{widths:?}"
        );
    }
}
