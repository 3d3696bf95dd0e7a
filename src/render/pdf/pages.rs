//! Pages: blocks placed top to bottom, breaking pages only where the blocks
//! allow it, then every page dressed with its header and footer.

use printpdf::{CurTransMat, Op};

use super::block::{Block, Keep, annotation, round};

/// Where the body of a page may go, in points from the page's top edge.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Top of the body on the first page (below the full header).
    pub first_top: f32,
    /// Top of the body on the following pages (below the running header).
    pub top: f32,
    /// Bottom of the body on every page (above the footer).
    pub bottom: f32,
}

impl Frame {
    fn top_of(&self, page: usize) -> f32 {
        if page == 0 { self.first_top } else { self.top }
    }
}

/// A block and the y of its top edge on its page.
pub(crate) type Placed = (Block, f32);

/// What the pages are filled with.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// A block, joined to the next one as its [`Keep`] says.
    Fixed(Block),
    /// An exercise, in two layouts: `whole`, compact but unbreakable, and
    /// `split`, which may break between lines of its steps. Blocks of `split`
    /// with [`Block::continues`] set get a "continued" label when they start
    /// a page.
    Choice {
        whole: Vec<Block>,
        split: Vec<Block>,
    },
}

/// Fills pages. A run of blocks joined by [`Keep::Always`] moves to the next
/// page as a whole when it does not fit where it is; a run with
/// [`Keep::Prefer`] joins (parts of a tracking log) first fills the page by
/// breaking at those joins. An exercise is placed whole when it fits, moves
/// to the next page when little room is left, and otherwise breaks after its
/// title, pictures and first lines. Anything taller than a page breaks where
/// it must.
pub(crate) fn paginate(
    parts: Vec<Part>,
    frame: Frame,
    continued: &dyn Fn(&str) -> Block,
) -> Vec<Vec<Placed>> {
    let mut pager = Pager {
        frame,
        pages: vec![Vec::new()],
        y: frame.top_of(0),
    };
    let mut fixed = Vec::new();
    for part in parts {
        match part {
            Part::Fixed(block) => fixed.push(block),
            Part::Choice { whole, split } => {
                pager.place_blocks(std::mem::take(&mut fixed), continued);
                pager.place_choice(whole, split, continued);
            }
        }
    }
    pager.place_blocks(fixed, continued);
    pager.pages
}

struct Pager {
    frame: Frame,
    pages: Vec<Vec<Placed>>,
    y: f32,
}

impl Pager {
    fn place_blocks(&mut self, blocks: Vec<Block>, continued: &dyn Fn(&str) -> Block) {
        for group in split_after(blocks, |b| b.keep == Keep::Free) {
            if self.fits(&group) {
                self.place_all(group);
                continue;
            }
            let breakable = group.iter().any(|b| b.keep == Keep::Prefer);
            if !breakable && self.fits_on_new_page(&group) {
                self.new_page();
                self.place_all(group);
                continue;
            }
            self.place_broken(group, continued);
        }
    }

    fn place_choice(
        &mut self,
        whole: Vec<Block>,
        split: Vec<Block>,
        continued: &dyn Fn(&str) -> Block,
    ) {
        if self.fits(&whole) {
            return self.place_all(whole);
        }
        let room = self.frame.bottom - self.y;
        let page = self.frame.bottom - self.frame.top;
        if room < page * 0.3 && self.fits_on_new_page(&whole) {
            self.new_page();
            return self.place_all(whole);
        }
        // The title, pictures and first lines must fit here; else start afresh.
        let first = split
            .iter()
            .position(|b| b.keep != Keep::Always)
            .map_or(split.len(), |i| i + 1);
        if !self.fits(&split[..first]) {
            self.new_page();
            if self.fits(&whole) {
                return self.place_all(whole);
            }
        }
        self.place_broken(split, continued);
    }

    /// Places blocks breaking pages at joins other than [`Keep::Always`],
    /// and inside those only when a run is taller than a page.
    fn place_broken(&mut self, blocks: Vec<Block>, continued: &dyn Fn(&str) -> Block) {
        for part in split_after(blocks, |b| b.keep != Keep::Always) {
            if !self.fits(&part) && self.fits_on_new_page(&part) {
                self.continue_on_new_page(part.first(), continued);
            }
            for block in part {
                if !self.fits(std::slice::from_ref(&block)) && !self.page_is_empty() {
                    self.continue_on_new_page(Some(&block), continued);
                }
                self.place(block);
            }
        }
    }

    /// A new page, labelled when it continues an exercise.
    fn continue_on_new_page(&mut self, next: Option<&Block>, continued: &dyn Fn(&str) -> Block) {
        self.new_page();
        if let Some(title) = next.and_then(|b| b.continues.as_deref()) {
            self.place(continued(title));
        }
    }

    fn page_is_empty(&self) -> bool {
        self.pages.last().is_none_or(Vec::is_empty)
    }

    fn height(blocks: &[Block], at_top: bool) -> f32 {
        blocks
            .iter()
            .enumerate()
            .map(|(i, b)| b.height + if i == 0 && at_top { 0.0 } else { b.gap_before })
            .sum()
    }

    fn fits(&self, blocks: &[Block]) -> bool {
        self.y + Self::height(blocks, self.page_is_empty()) <= self.frame.bottom + 0.01
    }

    fn fits_on_new_page(&self, blocks: &[Block]) -> bool {
        self.frame.top + Self::height(blocks, true) <= self.frame.bottom + 0.01
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.frame.top_of(self.pages.len() - 1);
    }

    fn place(&mut self, block: Block) {
        if !self.page_is_empty() {
            self.y += block.gap_before;
        }
        let y = self.y;
        self.y += block.height;
        if let Some(page) = self.pages.last_mut() {
            page.push((block, y));
        }
    }

    fn place_all(&mut self, blocks: Vec<Block>) {
        for block in blocks {
            self.place(block);
        }
    }
}

/// Splits `blocks` into runs, each ending with a block for which `ends` holds.
fn split_after(blocks: Vec<Block>, ends: impl Fn(&Block) -> bool) -> Vec<Vec<Block>> {
    let mut out = Vec::new();
    let mut run = Vec::new();
    for block in blocks {
        let end = ends(&block);
        run.push(block);
        if end {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// A bookmark's target: page (from 0) and height from the page's bottom edge.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bookmark {
    pub title: String,
    pub page: usize,
    pub top: f32,
}

/// Draws `block` with its top-left corner at `left, top` of a page
/// `height` points tall, with its links; returns its bookmarks' heights.
pub(crate) fn draw(
    ops: &mut Vec<Op>,
    block: Block,
    left: f32,
    top: f32,
    height: f32,
) -> Vec<(String, f32)> {
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetTransformationMatrix {
        matrix: CurTransMat::Raw([1.0, 0.0, 0.0, 1.0, round(left), round(height - top)]),
    });
    ops.extend(block.ops);
    ops.push(Op::RestoreGraphicsState);
    for link in &block.links {
        ops.push(annotation(link, left, top, height));
    }
    block
        .anchors
        .iter()
        .map(|a| (a.title.clone(), height - top - a.y))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(height: f32, keep: Keep) -> Block {
        let mut b = Block::new().keep(keep);
        b.height = height;
        b
    }

    fn layout(pages: &[Vec<Placed>]) -> Vec<Vec<f32>> {
        pages
            .iter()
            .map(|p| p.iter().map(|(b, _)| b.height).collect())
            .collect()
    }

    fn paginate_blocks(blocks: Vec<Block>, frame: Frame) -> Vec<Vec<Placed>> {
        paginate(
            blocks.into_iter().map(Part::Fixed).collect(),
            frame,
            &|_| Block::new(),
        )
    }

    #[test]
    fn an_exercise_breaks_after_its_first_lines_rather_than_leave_half_a_page() {
        let whole = vec![block(10.0, Keep::Always), block(60.0, Keep::Free)];
        let continuation = || {
            let mut b = block(20.0, Keep::Free);
            b.continues = Some("Cat-Cow".into());
            b
        };
        let split = vec![
            block(10.0, Keep::Always),
            block(30.0, Keep::Free),
            continuation(),
            continuation(),
        ];
        let label = |_: &str| block(5.0, Keep::Always);
        let pages = paginate(
            vec![
                Part::Fixed(block(50.0, Keep::Free)),
                Part::Choice { whole, split },
            ],
            FRAME,
            &label,
        );
        assert_eq!(
            layout(&pages),
            [vec![50.0, 10.0, 30.0], vec![5.0, 20.0, 20.0]]
        );
    }

    #[test]
    fn an_exercise_moves_whole_when_little_room_is_left() {
        let whole = vec![block(10.0, Keep::Always), block(60.0, Keep::Free)];
        let split = vec![
            block(10.0, Keep::Always),
            block(5.0, Keep::Free),
            block(55.0, Keep::Free),
        ];
        let pages = paginate(
            vec![
                Part::Fixed(block(80.0, Keep::Free)),
                Part::Choice { whole, split },
            ],
            FRAME,
            &|_| Block::new(),
        );
        assert_eq!(layout(&pages), [vec![80.0], vec![10.0, 60.0]]);
    }

    const FRAME: Frame = Frame {
        first_top: 0.0,
        top: 0.0,
        bottom: 100.0,
    };

    #[test]
    fn a_heading_moves_with_the_block_it_belongs_to() {
        let pages = paginate_blocks(
            vec![
                block(70.0, Keep::Free),
                block(10.0, Keep::Always),
                block(30.0, Keep::Free),
            ],
            FRAME,
        );
        assert_eq!(layout(&pages), [vec![70.0], vec![10.0, 30.0]]);
    }

    #[test]
    fn groups_break_at_preferred_places_to_fill_the_page() {
        let pages = paginate_blocks(
            vec![
                block(30.0, Keep::Free),
                block(20.0, Keep::Always),
                block(30.0, Keep::Prefer),
                block(30.0, Keep::Free),
            ],
            FRAME,
        );
        assert_eq!(layout(&pages), [vec![30.0, 20.0, 30.0], vec![30.0]]);
    }

    #[test]
    fn groups_taller_than_a_page_break_where_they_must() {
        let pages = paginate_blocks(
            vec![block(60.0, Keep::Always), block(60.0, Keep::Free)],
            FRAME,
        );
        assert_eq!(layout(&pages), [vec![60.0], vec![60.0]]);
    }

    #[test]
    fn gaps_are_dropped_at_the_top_of_a_page() {
        let pages = paginate_blocks(
            vec![block(90.0, Keep::Free), block(50.0, Keep::Free).gap(8.0)],
            FRAME,
        );
        assert_eq!(pages[1][0].1, 0.0);
    }
}
