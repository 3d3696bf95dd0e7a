//! Pictures for the handouts: exercise drawings and the clinic logo. SVG line
//! art is redrawn as PDF vectors (sharp at any printer resolution and a few
//! hundred bytes each); SVG features that have no direct PDF equivalent
//! here (gradients, masks, filters, embedded images) are rasterised with
//! resvg instead, and PNG or JPEG files are decoded by printpdf.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::LazyLock;

use printpdf::{
    ExtendedGraphicsState, ExtendedGraphicsStateId, LineCapStyle, LineDashPattern, LineJoinStyle,
    LinePoint, Op, PaintMode, Point, Polygon, PolygonRing, Pt, RawImage, RawImageData,
    RawImageFormat, WindingOrder, XObjectId,
};
use resvg::usvg::{self, tiny_skia_path::PathSegment};

use super::Repeats;
use super::style::Colour;

/// Resolution of rasterised pictures.
const RASTER_DPI: f32 = 200.0;

/// A picture ready to draw.
#[derive(Debug, Clone)]
pub(crate) enum Art {
    /// Operations in the picture's own units (y downwards), `width` × `height`.
    Vector {
        width: f32,
        height: f32,
        ops: Vec<Op>,
    },
    /// An image XObject of `width` × `height` pixels.
    Raster {
        id: XObjectId,
        width: u32,
        height: u32,
    },
}

impl Art {
    /// Height over width.
    pub(crate) fn aspect(&self) -> f32 {
        match self {
            Art::Vector { width, height, .. } => height / width,
            Art::Raster { width, height, .. } => *height as f32 / *width as f32,
        }
    }
}

/// The pictures of one document, each loaded once, with the image and
/// transparency resources they need.
#[derive(Default)]
pub(crate) struct Pictures {
    loaded: BTreeMap<String, Result<Art, String>>,
    /// Image XObjects to add to the document, under fixed ids.
    pub images: Vec<(XObjectId, RawImage)>,
    /// Whether one of the images is a photograph (better kept as JPEG).
    pub photographic: bool,
    /// Opacity states used by vector pictures.
    pub states: BTreeMap<String, ExtendedGraphicsState>,
}

impl Pictures {
    /// The picture at `src` inside `<root>/static/`, to be drawn about
    /// `width` points wide. Errors are messages for a diagnostic.
    pub(crate) fn get(&mut self, root: &Path, src: &str, width: f32) -> Result<&Art, String> {
        if !self.loaded.contains_key(src) {
            let art = self.load(root, src, width);
            self.loaded.insert(src.to_string(), art);
        }
        match &self.loaded[src] {
            Ok(art) => Ok(art),
            Err(e) => Err(e.clone()),
        }
    }

    fn load(&mut self, root: &Path, src: &str, width: f32) -> Result<Art, String> {
        let path = root.join("static").join(src);
        let bytes = std::fs::read(&path).map_err(|e| {
            format!(
                "cannot read the picture `static/{src}`: {}",
                crate::content::io_reason(Some(&e))
            )
        })?;
        let is_svg = Path::new(src)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        if is_svg {
            // The same drawing comes in handout after handout: it is read
            // once per process.
            static DRAWINGS: LazyLock<Repeats<Vec<u8>, Result<Drawing, String>>> =
                LazyLock::new(|| Repeats::new(8 << 20));
            let Ok(drawing) = DRAWINGS.get(
                bytes.clone(),
                |bytes, drawing| bytes.len() + drawing.as_ref().map_or(0, Drawing::size),
                |bytes| Ok::<_, Infallible>(Drawing::read(bytes)),
            );
            let drawing = match &*drawing {
                Ok(drawing) => drawing,
                Err(e) => return Err(format!("cannot read the SVG picture `static/{src}`: {e}")),
            };
            for (name, state) in &drawing.states {
                self.states
                    .entry(name.clone())
                    .or_insert_with(|| state.clone());
            }
            match &drawing.vector {
                Some((width, height, ops)) => Ok(Art::Vector {
                    width: *width,
                    height: *height,
                    ops: ops.clone(),
                }),
                None => {
                    let tree = usvg::Tree::from_data(&bytes, &svg_options())
                        .map_err(|e| format!("cannot read the SVG picture `static/{src}`: {e}"))?;
                    self.rasterise(&tree, width)
                }
            }
        } else {
            self.decode(&bytes, src, width)
        }
    }
}

/// An SVG file read: its drawing as vectors (`None` when it needs a
/// rasteriser), and the opacity states it uses.
struct Drawing {
    vector: Option<(f32, f32, Vec<Op>)>,
    states: Vec<(String, ExtendedGraphicsState)>,
}

impl Drawing {
    fn read(bytes: &[u8]) -> Result<Drawing, String> {
        let tree = usvg::Tree::from_data(bytes, &svg_options()).map_err(|e| e.to_string())?;
        let size = tree.size();
        let mut pictures = Pictures::default();
        let mut ops = Vec::new();
        let vector = pictures
            .vector(tree.root(), 1.0, &mut ops)
            .map(|()| (size.width(), size.height(), ops));
        Ok(Drawing {
            vector,
            states: pictures.states.into_iter().collect(),
        })
    }

    /// Roughly the bytes it takes.
    fn size(&self) -> usize {
        let ops = self.vector.as_ref().map_or(0, |v| v.2.len());
        ops * std::mem::size_of::<Op>() * 2 + self.states.len() * 64
    }
}

impl Pictures {
    /// Redraws a group as vectors; `None` if it uses something only a rasteriser can draw.
    fn vector(&mut self, group: &usvg::Group, opacity: f32, ops: &mut Vec<Op>) -> Option<()> {
        for node in group.children() {
            match node {
                usvg::Node::Group(g) => {
                    if g.clip_path().is_some() || g.mask().is_some() || !g.filters().is_empty() {
                        return None;
                    }
                    self.vector(g, opacity * g.opacity().get(), ops)?;
                }
                usvg::Node::Path(p) => {
                    if p.is_visible() {
                        self.path(p, opacity, ops)?;
                    }
                }
                usvg::Node::Image(_) | usvg::Node::Text(_) => return None,
            }
        }
        Some(())
    }

    fn path(&mut self, path: &usvg::Path, opacity: f32, ops: &mut Vec<Op>) -> Option<()> {
        let t = path.abs_transform();
        let mut body = Vec::new();
        let subpaths = subpaths(path.data());
        if let Some(fill) = path.fill() {
            let colour = solid(fill.paint())?;
            self.alpha(opacity * fill.opacity().get(), None, &mut body);
            body.push(Op::SetFillColor { col: colour.pdf() });
            body.push(Op::DrawPolygon {
                polygon: Polygon {
                    rings: subpaths
                        .iter()
                        .map(|(points, _)| PolygonRing {
                            points: points.clone(),
                        })
                        .collect(),
                    mode: PaintMode::Fill,
                    winding_order: match fill.rule() {
                        usvg::FillRule::NonZero => WindingOrder::NonZero,
                        usvg::FillRule::EvenOdd => WindingOrder::EvenOdd,
                    },
                },
            });
        }
        if let Some(stroke) = path.stroke() {
            let colour = solid(stroke.paint())?;
            self.alpha(opacity, Some(opacity * stroke.opacity().get()), &mut body);
            body.push(Op::SetOutlineColor { col: colour.pdf() });
            body.push(Op::SetOutlineThickness {
                pt: Pt(stroke.width().get()),
            });
            body.push(Op::SetLineCapStyle {
                cap: match stroke.linecap() {
                    usvg::LineCap::Butt => LineCapStyle::Butt,
                    usvg::LineCap::Round => LineCapStyle::Round,
                    usvg::LineCap::Square => LineCapStyle::ProjectingSquare,
                },
            });
            body.push(Op::SetLineJoinStyle {
                join: match stroke.linejoin() {
                    usvg::LineJoin::Miter | usvg::LineJoin::MiterClip => LineJoinStyle::Miter,
                    usvg::LineJoin::Round => LineJoinStyle::Round,
                    usvg::LineJoin::Bevel => LineJoinStyle::Bevel,
                },
            });
            body.push(Op::SetMiterLimit {
                limit: Pt(stroke.miterlimit().get()),
            });
            body.push(Op::SetLineDashPattern {
                dash: LineDashPattern::new(stroke.dashoffset(), stroke.dasharray().unwrap_or(&[])),
            });
            for (points, closed) in subpaths {
                body.push(Op::DrawLine {
                    line: printpdf::Line {
                        points,
                        is_closed: closed,
                    },
                });
            }
        }
        ops.push(Op::SaveGraphicsState);
        ops.push(Op::SetTransformationMatrix {
            matrix: printpdf::CurTransMat::Raw([t.sx, t.ky, t.kx, t.sy, t.tx, t.ty]),
        });
        ops.extend(body);
        ops.push(Op::RestoreGraphicsState);
        Some(())
    }

    /// Sets fill (and stroke) opacity when a shape is not opaque.
    fn alpha(&mut self, fill: f32, stroke: Option<f32>, ops: &mut Vec<Op>) {
        let stroke = stroke.unwrap_or(1.0);
        if fill >= 0.999 && stroke >= 0.999 {
            return;
        }
        let fill = (fill * 100.0).round() / 100.0;
        let stroke = (stroke * 100.0).round() / 100.0;
        let name = format!("GSf{}s{}", (fill * 100.0) as u32, (stroke * 100.0) as u32);
        self.states.entry(name.clone()).or_insert_with(|| {
            ExtendedGraphicsState::default()
                .with_current_fill_alpha(fill)
                .with_current_stroke_alpha(stroke)
        });
        ops.push(Op::LoadGraphicsState {
            gs: ExtendedGraphicsStateId(name),
        });
    }

    fn rasterise(&mut self, tree: &usvg::Tree, width: f32) -> Result<Art, String> {
        let size = tree.size();
        let px_w = ((width / 72.0 * RASTER_DPI).ceil() as u32).clamp(16, 4000);
        let scale = px_w as f32 / size.width();
        let px_h = ((size.height() * scale).ceil() as u32).clamp(1, 6000);
        let mut pixmap =
            resvg::tiny_skia::Pixmap::new(px_w, px_h).ok_or("the picture is too large to draw")?;
        pixmap.fill(resvg::tiny_skia::Color::WHITE);
        resvg::render(
            tree,
            resvg::tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        // Opaque on white: drop the alpha channel.
        let rgb: Vec<u8> = pixmap
            .data()
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Ok(self.add_image(rgb, px_w, px_h))
    }

    fn decode(&mut self, bytes: &[u8], src: &str, width: f32) -> Result<Art, String> {
        let mut warnings = Vec::new();
        let image = RawImage::decode_from_bytes(bytes, &mut warnings)
            .map_err(|e| format!("cannot read the picture `static/{src}`: {e}"))?;
        let (w, h) = (image.width, image.height);
        let rgb = to_rgb_on_white(&image)
            .ok_or_else(|| format!("the picture `static/{src}` has an unsupported pixel format"))?;
        self.photographic |= bytes.starts_with(&[0xFF, 0xD8]);
        // No more pixels than the printer can use.
        let wanted = (width / 72.0 * RASTER_DPI).ceil().max(1.0) as usize;
        let factor = (w / wanted).max(1);
        let (rgb, w, h) = shrink(&rgb, w, h, factor);
        Ok(self.add_image(rgb, w as u32, h as u32))
    }

    fn add_image(&mut self, rgb: Vec<u8>, width: u32, height: u32) -> Art {
        let id = XObjectId(format!("IM{}", self.images.len() + 1));
        self.images.push((
            id.clone(),
            RawImage {
                pixels: RawImageData::U8(rgb),
                width: width as usize,
                height: height as usize,
                data_format: RawImageFormat::RGB8,
                tag: Vec::new(),
            },
        ));
        Art::Raster { id, width, height }
    }
}

fn solid(paint: &usvg::Paint) -> Option<Colour> {
    match paint {
        usvg::Paint::Color(c) => Some(Colour(c.red, c.green, c.blue)),
        _ => None,
    }
}

/// The subpaths of a path as points (cubic Béziers only) and whether each is closed.
fn subpaths(path: &usvg::tiny_skia_path::Path) -> Vec<(Vec<LinePoint>, bool)> {
    let mut out: Vec<(Vec<LinePoint>, bool)> = Vec::new();
    let mut last = (0.0, 0.0);
    let mut start = (0.0, 0.0);
    let p = |x: f32, y: f32, bezier: bool| LinePoint {
        p: Point {
            x: Pt(super::block::round(x)),
            y: Pt(super::block::round(y)),
        },
        bezier,
    };
    for segment in path.segments() {
        match segment {
            PathSegment::MoveTo(a) => {
                out.push((vec![p(a.x, a.y, false)], false));
                last = (a.x, a.y);
                start = last;
            }
            PathSegment::LineTo(a) => {
                if let Some((points, _)) = out.last_mut() {
                    points.push(p(a.x, a.y, false));
                }
                last = (a.x, a.y);
            }
            PathSegment::QuadTo(c, a) => {
                // The cubic with the same curve as the quadratic.
                let c1 = (
                    last.0 + 2.0 / 3.0 * (c.x - last.0),
                    last.1 + 2.0 / 3.0 * (c.y - last.1),
                );
                let c2 = (a.x + 2.0 / 3.0 * (c.x - a.x), a.y + 2.0 / 3.0 * (c.y - a.y));
                if let Some((points, _)) = out.last_mut() {
                    points.extend([p(c1.0, c1.1, true), p(c2.0, c2.1, true), p(a.x, a.y, false)]);
                }
                last = (a.x, a.y);
            }
            PathSegment::CubicTo(c1, c2, a) => {
                if let Some((points, _)) = out.last_mut() {
                    points.extend([p(c1.x, c1.y, true), p(c2.x, c2.y, true), p(a.x, a.y, false)]);
                }
                last = (a.x, a.y);
            }
            PathSegment::Close => {
                if let Some((_, closed)) = out.last_mut() {
                    *closed = true;
                }
                last = start;
            }
        }
    }
    out.retain(|(points, _)| points.len() > 1);
    out
}

/// RGB bytes of a decoded image, transparent parts shown on white.
fn to_rgb_on_white(image: &RawImage) -> Option<Vec<u8>> {
    let bytes: Vec<u8> = match &image.pixels {
        RawImageData::U8(b) => b.clone(),
        RawImageData::U16(b) => b.iter().map(|v| (v >> 8) as u8).collect(),
        RawImageData::F32(b) => b
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect(),
    };
    let on_white =
        |v: u8, a: u8| ((u16::from(v) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
    let rgb = match image.data_format {
        RawImageFormat::R8 | RawImageFormat::R16 => bytes.iter().flat_map(|&v| [v, v, v]).collect(),
        RawImageFormat::RG8 | RawImageFormat::RG16 => bytes
            .chunks_exact(2)
            .flat_map(|p| {
                let v = on_white(p[0], p[1]);
                [v, v, v]
            })
            .collect(),
        RawImageFormat::RGB8 | RawImageFormat::RGB16 | RawImageFormat::RGBF32 => bytes,
        RawImageFormat::RGBA8 | RawImageFormat::RGBA16 | RawImageFormat::RGBAF32 => bytes
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    on_white(p[0], p[3]),
                    on_white(p[1], p[3]),
                    on_white(p[2], p[3]),
                ]
            })
            .collect(),
        RawImageFormat::BGR8 => bytes
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect(),
        RawImageFormat::BGRA8 => bytes
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    on_white(p[2], p[3]),
                    on_white(p[1], p[3]),
                    on_white(p[0], p[3]),
                ]
            })
            .collect(),
    };
    (rgb.len() == image.width * image.height * 3).then_some(rgb)
}

/// Averages `factor` × `factor` squares of pixels into one.
fn shrink(rgb: &[u8], width: usize, height: usize, factor: usize) -> (Vec<u8>, usize, usize) {
    if factor <= 1 {
        return (rgb.to_vec(), width, height);
    }
    let (w, h) = ((width / factor).max(1), (height / factor).max(1));
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            for channel in 0..3 {
                let mut sum = 0u32;
                for dy in 0..factor {
                    for dx in 0..factor {
                        let (sx, sy) = (
                            (x * factor + dx).min(width - 1),
                            (y * factor + dy).min(height - 1),
                        );
                        sum += u32::from(rgb[(sy * width + sx) * 3 + channel]);
                    }
                }
                out.push((sum / (factor * factor) as u32) as u8);
            }
        }
    }
    (out, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg_art(svg: &str) -> (Art, Pictures) {
        let tree = usvg::Tree::from_str(svg, &svg_options()).unwrap();
        let mut pictures = Pictures::default();
        let mut ops = Vec::new();
        let art = match pictures.vector(tree.root(), 1.0, &mut ops) {
            Some(()) => Art::Vector {
                width: tree.size().width(),
                height: tree.size().height(),
                ops,
            },
            None => pictures.rasterise(&tree, 100.0).unwrap(),
        };
        (art, pictures)
    }

    #[test]
    fn line_art_becomes_vectors_with_opacity_states() {
        let (art, pictures) = svg_art(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">
            <path d="M2 10 Q20 0 38 10" fill="none" stroke="#1f3b4d" stroke-width="3" stroke-opacity=".35"/>
            <circle cx="20" cy="10" r="4" fill="#c2410c"/></svg>"##,
        );
        let Art::Vector { width, height, ops } = art else {
            panic!("expected vectors")
        };
        assert_eq!((width, height), (40.0, 20.0));
        assert!(ops.iter().any(|o| matches!(o, Op::DrawLine { .. })));
        assert!(ops.iter().any(|o| matches!(o, Op::DrawPolygon { .. })));
        assert_eq!(pictures.states.keys().collect::<Vec<_>>(), ["GSf100s35"]);
        assert!(pictures.images.is_empty());
    }

    #[test]
    fn gradients_are_rasterised() {
        let (art, pictures) = svg_art(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">
            <defs><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient></defs>
            <rect width="40" height="20" fill="url(#g)"/></svg>"##,
        );
        assert!(matches!(art, Art::Raster { .. }));
        assert_eq!(pictures.images.len(), 1);
        assert!((art.aspect() - 0.5).abs() < 0.02);
    }

    /// A 2×1 RGBA PNG: one opaque red pixel, one transparent pixel.
    fn tiny_png() -> Vec<u8> {
        fn crc(bytes: &[u8]) -> u32 {
            let mut c = 0xFFFF_FFFFu32;
            for &b in bytes {
                c ^= u32::from(b);
                for _ in 0..8 {
                    c = if c & 1 == 1 {
                        0xEDB8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        }
        fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            out.extend((data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend(data);
            out.extend(&body);
            out.extend(crc(&body).to_be_bytes());
        }
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&[0, 255, 0, 0, 255, 0, 0, 0, 0]).unwrap();
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut png, b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
        chunk(&mut png, b"IDAT", &z.finish().unwrap());
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn png_pictures_are_shown_on_white() {
        let mut pictures = Pictures::default();
        let art = pictures.decode(&tiny_png(), "x.png", 100.0).unwrap();
        assert!(matches!(
            art,
            Art::Raster {
                width: 2,
                height: 1,
                ..
            }
        ));
        let RawImageData::U8(pixels) = &pictures.images[0].1.pixels else {
            panic!("expected bytes")
        };
        assert_eq!(pixels, &[255, 0, 0, 255, 255, 255]);
        assert!(!pictures.photographic);
    }

    #[test]
    fn shrinks_by_averaging() {
        let rgb = [0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255];
        let (out, w, h) = shrink(&rgb, 2, 2, 2);
        assert_eq!((w, h), (1, 1));
        assert_eq!(out, [127, 127, 127]);
    }
}

/// SVG parsing that never reads another file: an `<image href="/any/path">`
/// in a picture must not pull a file from the disk into a published handout.
/// Embedded `data:` images still work.
fn svg_options() -> usvg::Options<'static> {
    let mut options = usvg::Options::default();
    options.image_href_resolver.resolve_string = Box::new(|_, _| None);
    options
}

#[cfg(test)]
mod no_external_files {
    #[test]
    fn svg_images_never_read_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret.png");
        std::fs::write(&secret, PNG).unwrap();
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image width="10" height="10" xlink:href="{}"/></svg>"#,
            secret.display()
        );
        let tree = resvg::usvg::Tree::from_str(&svg, &super::svg_options()).unwrap();
        assert!(
            !tree.root().has_children(),
            "the external image was not loaded"
        );
    }

    /// A 1x1 PNG.
    const PNG: [u8; 67] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
}
