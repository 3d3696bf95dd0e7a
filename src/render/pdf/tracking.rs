//! The tracking log: a grid of tick boxes, one row per exercise, sized from
//! how often the program is done ("twice a day" gives two boxes a day,
//! "three times a week" three boxes a week) and wrapped into several grids
//! when the days do not fit across the page.

use std::ops::Range;

use super::block::{Block, Keep};
use super::fonts::Face;
use super::style::Style;
use super::text::{Span, wrap};

/// How often the exercises are done, as far as the grid is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schedule {
    /// Sessions a day: one column per day with this many boxes.
    Daily(u32),
    /// Sessions a week: one column per week with this many boxes.
    Weekly(u32),
}

/// Reads a frequency written for people ("twice a day", "3 times a week",
/// "every other day", "morning and evening"). Anything unclear is one box a day,
/// which suits every routine: the patient ticks the days they exercised.
pub(crate) fn schedule(frequency: Option<&str>) -> Schedule {
    let Some(text) = frequency else {
        return Schedule::Daily(1);
    };
    let text = text.to_lowercase().replace(['-', '/', ','], " ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let has = |phrase: &str| {
        let phrase: Vec<&str> = phrase.split(' ').collect();
        words.windows(phrase.len()).any(|w| w == phrase.as_slice())
    };
    let count = if has("once") {
        Some(1)
    } else if has("twice") || has("morning and evening") || has("morning and night") {
        Some(2)
    } else if has("thrice") {
        Some(3)
    } else {
        words.windows(2).find_map(|w| {
            let times = matches!(w[1], "times" | "time" | "x" | "sessions");
            times.then(|| number(w[0])).flatten()
        })
    }
    .or_else(|| {
        words
            .iter()
            .find_map(|w| w.strip_suffix('x').and_then(number))
    });
    let weekly = has("a week")
        || has("per week")
        || has("each week")
        || has("every week")
        || words.contains(&"weekly");
    match (count, weekly) {
        (Some(n @ 1..=6), true) => Schedule::Weekly(n),
        (Some(n @ 1..=6), false) => Schedule::Daily(n),
        _ => Schedule::Daily(1),
    }
}

fn number(word: &str) -> Option<u32> {
    const WORDS: [&str; 10] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    word.parse()
        .ok()
        .or_else(|| WORDS.iter().position(|w| *w == word).map(|i| i as u32 + 1))
}

/// The columns of the log and how they wrap into grids.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Columns {
    pub headings: Vec<String>,
    pub boxes: u32,
    /// Columns of each grid, in order.
    pub chunks: Vec<Range<usize>>,
    pub cell_width: f32,
}

/// Plans the columns of a log covering `days`, given the width left for
/// columns and the size of one tick box.
pub(crate) fn columns(schedule: Schedule, days: u32, width: f32, tick: f32) -> Columns {
    let days = days.max(1) as usize;
    let (headings, boxes): (Vec<String>, u32) = match schedule {
        Schedule::Daily(n) => ((1..=days).map(|d| d.to_string()).collect(), n),
        Schedule::Weekly(n) => (
            (1..=days.div_ceil(7))
                .map(|w| format!("Week {w}"))
                .collect(),
            n,
        ),
    };
    let padding = tick * 0.45;
    let gap = tick * 0.55;
    let mut least = boxes as f32 * tick + (boxes as f32 - 1.0) * gap + 2.0 * padding;
    if matches!(schedule, Schedule::Weekly(_)) {
        // Room for the "Week 10" heading.
        least = least.max(tick * 4.6);
    }
    let fit = ((width / least).floor() as usize).max(1);
    let grids = headings.len().div_ceil(fit);
    let per_grid = headings.len().div_ceil(grids);
    let cell_width = (width / per_grid as f32).min(least * 2.5);
    let chunks = (0..grids)
        .map(|g| g * per_grid..((g + 1) * per_grid).min(headings.len()))
        .collect();
    Columns {
        headings,
        boxes,
        chunks,
        cell_width,
    }
}

/// The log as blocks: a heading with instructions, then one grid per chunk.
pub(crate) fn blocks(
    rows: &[String],
    schedule: Schedule,
    days: u32,
    width: f32,
    size: f32,
    style: &Style,
) -> Vec<Block> {
    if rows.is_empty() {
        return Vec::new();
    }
    let tick = (size * 0.85).max(10.0);
    let small = size * 0.85;
    let label_width = (width * 0.3).min(size * 15.0);
    let cols = columns(schedule, days, width - label_width, tick);
    // Room the columns leave (a few weekly columns) goes to the exercise names.
    let widest = cols.chunks.iter().map(|c| c.len()).max().unwrap_or(1) as f32;
    let label_width = (width - cols.cell_width * widest).clamp(label_width, width * 0.45);
    let mut out = Vec::new();

    let mut heading = Block::new().gap(size * 1.3).keep(Keep::Always);
    let title = size * 1.25;
    heading.text("Tracking log", Face::Bold, title, 0.0, title, style.accent);
    let what = if rows.len() > 1 {
        "exercises"
    } else {
        "exercise"
    };
    let how = match schedule {
        Schedule::Daily(1) => format!("Tick the box for each day you do the {what}."),
        Schedule::Daily(n) => format!(
            "Tick one box each time you do the {what}: {} a day.",
            times(n)
        ),
        Schedule::Weekly(n) => format!(
            "Aim for {} a week. Tick one box for each session.",
            times(n)
        ),
    };
    let lines = wrap(&[Span::new(how, Face::Regular)], size, width);
    let lead = size * 1.3;
    for (i, line) in lines.iter().enumerate() {
        heading.text_line(
            line,
            0.0,
            title * 1.45 + size + i as f32 * lead,
            size,
            style.text,
            style.text,
        );
    }
    heading.extend_to(title * 1.45 + (lines.len() as f32 - 1.0) * lead + size * 1.25);
    out.push(heading);

    let label_size = small;
    let label_lead = label_size * 1.2;
    let labels: Vec<_> = rows
        .iter()
        .map(|r| {
            wrap(
                &[Span::new(r, Face::Regular)],
                label_size,
                label_width - size * 0.8,
            )
        })
        .collect();
    let pad = size * 0.35;
    let header_height = small * 1.9;
    let date_row = matches!(schedule, Schedule::Daily(_));
    for (index, chunk) in cols.chunks.iter().enumerate() {
        let mut grid = Block::new().gap(if index == 0 { size * 0.4 } else { size * 0.9 });
        if index + 1 < cols.chunks.len() {
            grid.keep = Keep::Prefer;
        }
        let grid_width = label_width + cols.cell_width * chunk.len() as f32;
        // Header row.
        grid.rect(
            0.0,
            0.0,
            grid_width,
            header_height,
            Some(style.accent_tint),
            None,
        );
        let first = match schedule {
            Schedule::Daily(_) => "Day",
            Schedule::Weekly(_) => "Exercise",
        };
        grid.text(
            first,
            Face::Bold,
            small,
            pad * 1.5,
            header_height * 0.5 + small * 0.35,
            style.text,
        );
        for (i, column) in chunk.clone().enumerate() {
            let heading = &cols.headings[column];
            let w = Face::Bold.width(heading, small);
            let cx = label_width + (i as f32 + 0.5) * cols.cell_width;
            grid.text(
                heading,
                Face::Bold,
                small,
                cx - w / 2.0,
                header_height * 0.5 + small * 0.35,
                style.text,
            );
        }
        let mut y = header_height;
        let mut row_lines = vec![0.0, header_height];
        if date_row {
            let h = small * 1.9;
            grid.text(
                "Date",
                Face::Italic,
                small,
                pad * 1.5,
                y + h * 0.5 + small * 0.35,
                style.muted,
            );
            y += h;
            row_lines.push(y);
        }
        let mut ticks = Vec::new();
        for label in &labels {
            let text_height = label.len() as f32 * label_lead;
            let h = (text_height + 2.0 * pad).max(tick + 2.0 * pad);
            let top = y + (h - text_height) / 2.0;
            for (i, line) in label.iter().enumerate() {
                grid.text_line(
                    line,
                    pad * 1.5,
                    top + label_size * 0.93 + i as f32 * label_lead,
                    label_size,
                    style.text,
                    style.text,
                );
            }
            for i in 0..chunk.len() {
                let cell_x = label_width + i as f32 * cols.cell_width;
                let gap = tick * 0.55;
                let boxes_width = cols.boxes as f32 * tick + (cols.boxes as f32 - 1.0) * gap;
                let mut bx = cell_x + (cols.cell_width - boxes_width) / 2.0;
                for _ in 0..cols.boxes {
                    ticks.push((bx, y + (h - tick) / 2.0));
                    bx += tick + gap;
                }
            }
            y += h;
            row_lines.push(y);
        }
        // Tick boxes: white squares with a dark outline.
        for (x, ty) in ticks {
            grid.rect(x, ty, tick, tick, None, Some((style.text, 0.75)));
        }
        // Grid lines.
        for &ry in &row_lines[1..row_lines.len() - 1] {
            grid.rule(0.0, ry, grid_width, ry, 0.5, style.rule);
        }
        for i in 0..chunk.len() {
            let x = label_width + i as f32 * cols.cell_width;
            grid.rule(x, 0.0, x, y, 0.5, style.rule);
        }
        grid.rect(0.0, 0.0, grid_width, y, None, Some((style.text, 0.9)));
        grid.extend_to(y);
        out.push(grid);
    }
    out
}

fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        3..=6 => format!("{} times", ["three", "four", "five", "six"][n as usize - 3]),
        n => format!("{n} times"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_frequencies_as_written() {
        assert_eq!(schedule(Some("once a day")), Schedule::Daily(1));
        assert_eq!(schedule(Some("Twice a day")), Schedule::Daily(2));
        assert_eq!(schedule(Some("three times a day")), Schedule::Daily(3));
        assert_eq!(schedule(Some("3x daily")), Schedule::Daily(3));
        assert_eq!(schedule(Some("morning and evening")), Schedule::Daily(2));
        assert_eq!(schedule(Some("three times a week")), Schedule::Weekly(3));
        assert_eq!(schedule(Some("2 times per week")), Schedule::Weekly(2));
        assert_eq!(schedule(Some("every other day")), Schedule::Daily(1));
        assert_eq!(schedule(Some("as often as you like")), Schedule::Daily(1));
        assert_eq!(schedule(Some("20 times a day")), Schedule::Daily(1));
        assert_eq!(schedule(None), Schedule::Daily(1));
    }

    #[test]
    fn one_box_a_day_fits_two_weeks_across_the_page() {
        let cols = columns(Schedule::Daily(1), 14, 380.0, 10.2);
        assert_eq!(cols.chunks.len(), 1);
        assert_eq!(cols.chunks[0], 0..14);
        assert_eq!(cols.headings.len(), 14);
        assert!(cols.cell_width * 14.0 <= 380.0 + 0.01);
    }

    #[test]
    fn several_boxes_a_day_wrap_into_weeks() {
        let two = columns(Schedule::Daily(2), 14, 380.0, 10.2);
        assert_eq!(two.chunks, [0..7, 7..14]);
        let three = columns(Schedule::Daily(3), 14, 380.0, 10.2);
        assert_eq!(three.chunks, [0..7, 7..14]);
        assert_eq!(three.boxes, 3);
        let month = columns(Schedule::Daily(1), 30, 380.0, 10.2);
        assert_eq!(month.chunks.len(), 2);
        assert!(month.chunks.iter().all(|c| c.len() == 15));
    }

    #[test]
    fn weekly_sessions_get_a_column_per_week() {
        let cols = columns(Schedule::Weekly(3), 14, 380.0, 10.2);
        assert_eq!(cols.headings, ["Week 1", "Week 2"]);
        assert_eq!(cols.chunks.len(), 1);
        assert_eq!(cols.chunks[0], 0..2);
        // Wide enough for three boxes, but not stretched across the page.
        assert!(cols.cell_width < 190.0);
    }
}
