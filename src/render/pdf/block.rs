//! Blocks: a piece of the handout laid out in its own coordinates (points,
//! x to the right and y downwards from its top-left corner) with a known
//! height, so that pages can be planned before anything is placed. Drawing
//! goes to printpdf operations; a block is placed by one translation.

use printpdf::{
    Actions, BorderArray, ColorArray, CurTransMat, HighlightingMode, Line as PdfLine, LineCapStyle,
    LineJoinStyle, LinePoint, LinkAnnotation, Op, PaintMode, PdfFontHandle, Point, Polygon,
    PolygonRing, Pt, Rect, TextItem, TextMatrix, WindingOrder, XObjectId, XObjectTransform,
};

use super::fonts::Face;
use super::style::Colour;
use super::text::Line;

/// How strongly a block stays on the same page as the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// A page may break after this block.
    Free,
    /// Break here only when the group of blocks cannot fit on one page.
    Prefer,
    /// Never break here (a heading and its first lines, a paragraph's first or last line).
    Always,
}

/// An area that opens `uri` when clicked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkArea {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub uri: String,
}

/// A bookmark target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Anchor {
    pub title: String,
    pub y: f32,
}

/// Laid-out content of known height.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub height: f32,
    pub ops: Vec<Op>,
    pub links: Vec<LinkArea>,
    pub anchors: Vec<Anchor>,
    pub keep: Keep,
    /// Space above the block, dropped at the top of a page.
    pub gap_before: f32,
    /// The exercise this block continues, for a label when it starts a page.
    pub continues: Option<String>,
    /// The font and fill colour last set in this block, so they are not set again.
    font: Option<(Face, f32)>,
    fill: Option<Colour>,
}

impl Block {
    pub(crate) fn new() -> Self {
        Block {
            height: 0.0,
            ops: Vec::new(),
            links: Vec::new(),
            anchors: Vec::new(),
            keep: Keep::Free,
            gap_before: 0.0,
            continues: None,
            font: None,
            fill: None,
        }
    }

    fn set_fill(&mut self, colour: Colour) {
        if self.fill != Some(colour) {
            self.ops.push(Op::SetFillColor { col: colour.pdf() });
            self.fill = Some(colour);
        }
    }

    pub(crate) fn keep(mut self, keep: Keep) -> Self {
        self.keep = keep;
        self
    }

    pub(crate) fn gap(mut self, gap: f32) -> Self {
        self.gap_before = gap;
        self
    }

    /// Grows the block to at least `height`.
    pub(crate) fn extend_to(&mut self, height: f32) {
        self.height = self.height.max(height);
    }

    /// One line of set text with its baseline at `baseline`; links are underlined.
    pub(crate) fn text_line(
        &mut self,
        line: &Line,
        x: f32,
        baseline: f32,
        size: f32,
        colour: Colour,
        link_colour: Colour,
    ) {
        if line.runs.is_empty() {
            return;
        }
        self.ops.push(Op::StartTextSection);
        let size = round(size);
        for run in &line.runs {
            let run_colour = if run.link.is_some() {
                link_colour
            } else {
                colour
            };
            if self.font != Some((run.face, size)) {
                self.ops.push(Op::SetFont {
                    font: PdfFontHandle::External(run.face.resource()),
                    size: Pt(size),
                });
                self.font = Some((run.face, size));
            }
            self.set_fill(run_colour);
            self.ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(round(x + run.x)), Pt(round(-baseline))),
            });
            self.ops.push(Op::ShowText {
                items: vec![TextItem::Text(run.text.clone())],
            });
        }
        self.ops.push(Op::EndTextSection);
        for run in line.runs.iter().filter(|r| r.link.is_some()) {
            let underline = baseline + size * 0.12;
            self.rule(
                x + run.x,
                underline,
                x + run.x + run.width,
                underline,
                size * 0.05,
                link_colour,
            );
            if let Some(uri) = &run.link {
                self.link(
                    x + run.x,
                    baseline - size * 0.9,
                    run.width,
                    size * 1.15,
                    uri,
                );
            }
        }
    }

    /// A single run of plain text.
    pub(crate) fn text(
        &mut self,
        text: &str,
        face: Face,
        size: f32,
        x: f32,
        baseline: f32,
        colour: Colour,
    ) {
        let line = Line {
            runs: vec![super::text::Run {
                text: text.to_string(),
                face,
                x: 0.0,
                width: face.width(text, size),
                link: None,
            }],
            width: face.width(text, size),
        };
        self.text_line(&line, x, baseline, size, colour, colour);
    }

    /// A rectangle, filled and/or outlined.
    pub(crate) fn rect(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        fill: Option<Colour>,
        stroke: Option<(Colour, f32)>,
    ) {
        let mode = match (fill, stroke) {
            (Some(_), Some(_)) => PaintMode::FillStroke,
            (Some(_), None) => PaintMode::Fill,
            (None, Some(_)) => PaintMode::Stroke,
            (None, None) => return,
        };
        if let Some(colour) = fill {
            self.set_fill(colour);
        }
        if let Some((colour, width)) = stroke {
            self.ops.push(Op::SetOutlineColor { col: colour.pdf() });
            self.ops.push(Op::SetOutlineThickness { pt: Pt(width) });
        }
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(round(x)),
                y: Pt(round(-(y + height))),
                width: Pt(round(width)),
                height: Pt(round(height)),
                mode: Some(mode),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// Many filled rectangles of one colour (QR modules).
    pub(crate) fn fill_rects(&mut self, rects: &[(f32, f32, f32, f32)], colour: Colour) {
        if rects.is_empty() {
            return;
        }
        self.set_fill(colour);
        for &(x, y, w, h) in rects {
            self.ops.push(Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(round(x)),
                    y: Pt(round(-(y + h))),
                    width: Pt(round(w)),
                    height: Pt(round(h)),
                    mode: Some(PaintMode::Fill),
                    winding_order: Some(WindingOrder::NonZero),
                },
            });
        }
    }

    /// A straight line.
    pub(crate) fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, colour: Colour) {
        self.ops.push(Op::SetOutlineColor { col: colour.pdf() });
        self.ops.push(Op::SetOutlineThickness {
            pt: Pt(round(width)),
        });
        self.ops.push(Op::SetLineCapStyle {
            cap: LineCapStyle::Butt,
        });
        self.ops.push(Op::DrawLine {
            line: PdfLine {
                points: vec![point(x1, y1, false), point(x2, y2, false)],
                is_closed: false,
            },
        });
    }

    /// A filled shape through `points` (`true` marks a Bézier control point).
    pub(crate) fn shape(&mut self, points: &[(f32, f32, bool)], fill: Colour) {
        self.set_fill(fill);
        self.ops.push(Op::SetLineJoinStyle {
            join: LineJoinStyle::Round,
        });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing {
                    points: points.iter().map(|&(x, y, b)| point(x, y, b)).collect(),
                }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// A filled circle.
    pub(crate) fn circle(&mut self, cx: f32, cy: f32, r: f32, fill: Colour) {
        // Four cubic arcs; k places the control points of a quarter circle.
        let k = 0.552_284_8 * r;
        let points = [
            (cx + r, cy, false),
            (cx + r, cy + k, true),
            (cx + k, cy + r, true),
            (cx, cy + r, false),
            (cx - k, cy + r, true),
            (cx - r, cy + k, true),
            (cx - r, cy, false),
            (cx - r, cy - k, true),
            (cx - k, cy - r, true),
            (cx, cy - r, false),
            (cx + k, cy - r, true),
            (cx + r, cy - k, true),
            (cx + r, cy, false),
        ];
        self.shape(&points, fill);
    }

    /// A clickable area.
    pub(crate) fn link(&mut self, x: f32, y: f32, width: f32, height: f32, uri: &str) {
        self.links.push(LinkArea {
            x,
            y,
            width,
            height,
            uri: uri.to_string(),
        });
    }

    /// Draws an image XObject into the box `x, y, width, height`.
    pub(crate) fn image(&mut self, id: &XObjectId, x: f32, y: f32, width: f32, height: f32) {
        self.ops.push(Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(-(y + height))),
                scale_x: Some(width),
                scale_y: Some(height),
                no_auto_scale: true,
                ..XObjectTransform::default()
            },
        });
    }

    /// Draws operations given in their own coordinates under `matrix`
    /// (mapping them into this block's PDF space).
    pub(crate) fn transformed(&mut self, matrix: [f32; 6], ops: &[Op]) {
        self.ops.push(Op::SaveGraphicsState);
        self.ops.push(Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw(matrix.map(|v| (v * 10_000.0).round() / 10_000.0)),
        });
        self.ops.extend_from_slice(ops);
        self.ops.push(Op::RestoreGraphicsState);
    }

    /// Draws `other` with its top-left corner at `x, y` of this block.
    pub(crate) fn place(&mut self, other: Block, x: f32, y: f32) {
        if !other.ops.is_empty() {
            self.ops.push(Op::SaveGraphicsState);
            self.ops.push(Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([1.0, 0.0, 0.0, 1.0, round(x), round(-y)]),
            });
            self.ops.extend(other.ops);
            self.ops.push(Op::RestoreGraphicsState);
        }
        self.links.extend(other.links.into_iter().map(|l| LinkArea {
            x: l.x + x,
            y: l.y + y,
            ..l
        }));
        self.anchors.extend(
            other
                .anchors
                .into_iter()
                .map(|a| Anchor { y: a.y + y, ..a }),
        );
        self.extend_to(y + other.height);
    }
}

/// A point in block coordinates (y down) as a PDF point (y up).
fn point(x: f32, y: f32, bezier: bool) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(round(x)),
            y: Pt(round(-y)),
        },
        bezier,
    }
}

/// Hundredths of a point are finer than any printer: shorter content streams.
pub(crate) fn round(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// The link annotation of an area placed with its block's top-left at `left, top`
/// on a page `page_height` tall (PDF coordinates have y upwards).
pub(crate) fn annotation(area: &LinkArea, left: f32, top: f32, page_height: f32) -> Op {
    let rect = Rect::from_xywh(
        Pt(left + area.x),
        Pt(page_height - (top + area.y + area.height)),
        Pt(area.width),
        Pt(area.height),
    );
    Op::LinkAnnotation {
        link: LinkAnnotation::new(
            rect,
            Actions::Uri(area.uri.clone()),
            Some(BorderArray::Solid([0.0, 0.0, 0.0])),
            Some(ColorArray::Transparent),
            Some(HighlightingMode::Invert),
        ),
    }
}
