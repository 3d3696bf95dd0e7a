//! Printable PDF handouts: a program's exercises with dosage, steps,
//! pictures, cautions, notes, a QR code to each exercise's page, a tracking
//! log, and the handout disclaimer with "Page N of M" on every page.
//! printpdf is used here and nowhere else.
//!
//! How a handout is made, top to bottom: each part is laid out as a block of
//! known height ([`layout`]); blocks are placed on pages, breaking only where
//! they allow ([`pages`]); each page gets its header and footer; the fonts are
//! cut down to the characters drawn ([`fonts`]); the pages' content streams
//! are written straight to bytes ([`content`]); and the document is written
//! through lopdf so that the same input always gives the same bytes ([`finish`]).
//!
//! Handouts are made many at a time (a build makes one per program and per
//! exercise, on several threads): what they share is made once per process
//! and kept ([`Repeats`]): the parsed fonts, compressed font subsets,
//! pictures. None of it changes a byte of the output.

mod block;
mod content;
mod finish;
mod fonts;
mod layout;
mod pages;
mod pictures;
mod qr;
mod style;
mod text;
mod tracking;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hash};
use std::sync::{Arc, Mutex};

use printpdf::{
    ExtendedGraphicsStateId, Op, PdfDocument, PdfFontHandle, PdfPage, TextItem, XObject,
};

pub use style::{Colour, Style};

use crate::diagnostics::Diagnostic;
use crate::model::{Exercise, Paper, Program, Site};
use block::Block;
use fonts::Face;
use layout::{Ctx, MM};
use pages::{Bookmark, Frame, Part};

/// One patient's details, printed only into the PDF that `movepress handout` writes.
#[derive(Debug, Clone, Default)]
pub struct Patient {
    pub name: Option<String>,
    /// `YYYY-MM-DD`, printed as given.
    pub date: Option<String>,
    pub clinician: Option<String>,
    pub notes: Option<String>,
}

/// How to print.
#[derive(Debug, Clone)]
pub struct HandoutOptions {
    pub paper: Paper,
    /// Body text size in points (at least 12; 16 for large print).
    pub font_size: f32,
    /// Days in the tracking log.
    pub tracking_days: u32,
    /// `None` prints blank lines to write the name and date on.
    pub patient: Option<Patient>,
    /// Colours; a theme may set its own.
    pub style: Style,
    /// The creation date written into the PDF, in seconds since 1970: taken
    /// from `SOURCE_DATE_EPOCH`, never from the clock. `None` writes no date.
    pub created: Option<i64>,
}

impl HandoutOptions {
    /// The theme's colours, and its body size floor.
    pub fn with_look(mut self, look: &crate::render::theme::HandoutLook) -> Self {
        self.style = look.style.clone();
        self.font_size = self.font_size.max(look.min_font_size);
        self
    }

    /// The site's settings from site.yaml, with no patient.
    pub fn from_site(site: &Site) -> Self {
        HandoutOptions {
            paper: site.config.handouts.paper,
            font_size: site.config.handouts.font_size as f32,
            tracking_days: site.config.handouts.tracking_days,
            patient: None,
            style: Style::default(),
            created: std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|s| s.trim().parse().ok()),
        }
    }
}

/// The handout of a program, as PDF bytes.
pub fn program_handout(
    site: &Site,
    program: &Program,
    options: &HandoutOptions,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let sheet = Sheet::of(options.paper);
    let mut ctx = Ctx::new(site, options, sheet.content_width());
    let furniture = Furniture::new(&mut ctx, &sheet, &program.title);
    let mut parts = vec![
        ctx.title(
            "Home exercise program",
            &program.title,
            &program.summary,
            program.frequency.as_deref(),
            &program.source,
        ),
        ctx.patient(),
    ]
    .into_iter()
    .map(Part::Fixed)
    .collect::<Vec<_>>();
    let mut intro = Vec::new();
    let base = format!("{}programs/{}/", site.config.base_url, program.slug);
    ctx.paras(
        &program.intro.blocks,
        &program.source,
        &base,
        ctx.width,
        0.0,
        &mut intro,
    );
    parts.extend(
        ctx.para_blocks(&intro, ctx.size * 1.1)
            .into_iter()
            .map(Part::Fixed),
    );

    let mut rows = Vec::new();
    for (i, step) in program.exercises.iter().enumerate() {
        let Some(exercise) = site.exercise(&step.exercise) else {
            ctx.errors.push(
                Diagnostic::error(
                    &program.source,
                    format!(
                        "the program lists `{}`, which is not an exercise",
                        step.exercise
                    ),
                )
                .hint("check the slug in `exercises:`"),
            );
            continue;
        };
        let mut dosage = step.dosage.clone();
        if program.frequency.is_some() {
            // The program says how often; an exercise's own "once a day" would contradict it.
            dosage.frequency = None;
        }
        let note = step.note.as_deref().map(|n| (n, program.source.as_path()));
        parts.push(ctx.exercise(Some(i + 1), exercise, &dosage, note));
        rows.push(format!("{}. {}", i + 1, exercise.title));
    }
    let frequency = program.frequency.as_deref();
    let document = Document {
        title: &program.title,
        summary: &program.summary,
    };
    finish(ctx, furniture, parts, &sheet, &rows, frequency, document)
}

/// The title and summary a handout's metadata carries.
struct Document<'a> {
    title: &'a str,
    summary: &'a str,
}

/// Adds the tracking log (one row per exercise, sized from the frequency)
/// after the exercises, then lays out the pages.
fn finish(
    ctx: Ctx<'_>,
    furniture: Furniture,
    mut parts: Vec<Part>,
    sheet: &Sheet,
    rows: &[String],
    frequency: Option<&str>,
    document: Document<'_>,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let options = ctx.options;
    let log = tracking::blocks(
        rows,
        tracking::schedule(frequency),
        options.tracking_days,
        ctx.width,
        ctx.size,
        &options.style,
    );
    parts.extend(log.into_iter().map(Part::Fixed));
    render(
        ctx,
        furniture,
        parts,
        sheet,
        document.title,
        document.summary,
    )
}

/// The one-exercise sheet, as PDF bytes.
pub fn exercise_handout(
    site: &Site,
    exercise: &Exercise,
    options: &HandoutOptions,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let sheet = Sheet::of(options.paper);
    let mut ctx = Ctx::new(site, options, sheet.content_width());
    let furniture = Furniture::new(&mut ctx, &sheet, &exercise.title);
    let frequency = exercise.dosage.frequency.as_deref();
    let mut parts = vec![
        ctx.title(
            "Home exercise",
            &exercise.title,
            &exercise.summary,
            frequency,
            &exercise.source,
        ),
        ctx.patient(),
    ]
    .into_iter()
    .map(Part::Fixed)
    .collect::<Vec<_>>();
    let mut dosage = exercise.dosage.clone();
    dosage.frequency = None;
    parts.push(ctx.exercise(None, exercise, &dosage, None));
    let rows = [exercise.title.clone()];
    let document = Document {
        title: &exercise.title,
        summary: &exercise.summary,
    };
    finish(ctx, furniture, parts, &sheet, &rows, frequency, document)
}

/// A sheet of paper and its margins, in points.
#[derive(Debug, Clone, Copy)]
struct Sheet {
    width: f32,
    height: f32,
    side: f32,
    top: f32,
    bottom: f32,
}

impl Sheet {
    fn of(paper: Paper) -> Self {
        let (width, height) = match paper {
            Paper::Letter => (215.9 * MM, 279.4 * MM),
            Paper::A4 => (210.0 * MM, 297.0 * MM),
        };
        Sheet {
            width,
            height,
            side: 16.0 * MM,
            top: 13.0 * MM,
            bottom: 11.0 * MM,
        }
    }

    fn content_width(&self) -> f32 {
        self.width - 2.0 * self.side
    }
}

/// What every page carries: headers, the footer's disclaimer, and the frame
/// they leave for the body.
struct Furniture {
    header: Block,
    running: Block,
    disclaimer: Vec<text::Line>,
    frame: Frame,
}

impl Furniture {
    fn new(ctx: &mut Ctx, sheet: &Sheet, title: &str) -> Self {
        let header = ctx.header();
        let running = ctx.running_header(title);
        let disclaimer = ctx.disclaimer();
        let footer_height = ctx.footer_height(&disclaimer);
        let frame = Frame {
            first_top: sheet.top + header.height + ctx.size * 0.6,
            top: sheet.top + running.height + ctx.size * 0.4,
            bottom: sheet.height - sheet.bottom - footer_height - ctx.size * 0.8,
        };
        Furniture {
            header,
            running,
            disclaimer,
            frame,
        }
    }
}

/// Pages, fonts, pictures and the final write.
fn render(
    mut ctx: Ctx,
    furniture: Furniture,
    parts: Vec<Part>,
    sheet: &Sheet,
    title: &str,
    subject: &str,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let mut errors = std::mem::take(&mut ctx.errors);
    errors.extend(ctx.missing_glyph_errors());
    if !errors.is_empty() {
        return Err(errors);
    }
    let Furniture {
        header,
        running,
        disclaimer,
        frame,
    } = furniture;
    let mut laid = pages::paginate(parts, frame, &|title| ctx.continued(title));
    // Room left on the last page becomes lined space for the patient's notes.
    if let Some(last) = laid.last_mut() {
        let bottom = last.last().map_or(frame.top, |(b, y)| y + b.height);
        let top = bottom + ctx.size * 1.8;
        if let Some(notes) = ctx.notes(frame.bottom - top) {
            last.push((notes, top));
        }
    }
    let count = laid.len();
    let mut bookmarks = Vec::new();
    let mut pdf_pages = Vec::with_capacity(count);
    for (index, placed) in laid.into_iter().enumerate() {
        let mut ops = Vec::new();
        let head = if index == 0 {
            header.clone()
        } else {
            running.clone()
        };
        pages::draw(&mut ops, head, sheet.side, sheet.top, sheet.height);
        for (block, y) in placed {
            for (name, top) in pages::draw(&mut ops, block, sheet.side, y, sheet.height) {
                bookmarks.push(Bookmark {
                    title: name,
                    page: index,
                    top: top + ctx.size,
                });
            }
        }
        let footer = ctx.footer(&disclaimer, index + 1, count);
        let top = sheet.height - sheet.bottom - footer.height;
        pages::draw(&mut ops, footer, sheet.side, top, sheet.height);
        pdf_pages.push(PdfPage::new(
            printpdf::Mm(sheet.width / MM),
            printpdf::Mm(sheet.height / MM),
            ops,
        ));
    }

    let mut doc = PdfDocument::new(title);
    doc.metadata.info.author = ctx.site.config.clinic.name.clone();
    doc.metadata.info.subject = subject.to_string();
    let used = characters(&pdf_pages);
    let mut subsets = Vec::new();
    for face in Face::ALL {
        let subset = face
            .subset(used.get(&face).unwrap_or(&BTreeSet::new()))
            .map_err(|e| vec![Diagnostic::error(ctx.site.root.join("fonts"), e)])?;
        subsets.extend(subset);
    }
    let font_error = |e| vec![Diagnostic::error(ctx.site.root.join("fonts"), e)];
    let written = if by_printpdf_only() {
        None
    } else {
        write_contents(&mut pdf_pages, &subsets).map_err(font_error)?
    };
    match &written {
        Some(written) => {
            for (face, _) in &written.fonts {
                if let Some(subset) = subsets.iter().find(|s| s.face == *face) {
                    doc.resources
                        .fonts
                        .map
                        .insert(face.resource(), subset.placeholder());
                }
            }
        }
        None => {
            for subset in &subsets {
                let font = subset.pdf_font().map_err(font_error)?;
                doc.resources.fonts.map.insert(subset.face.resource(), font);
            }
        }
    }
    doc.pages = pdf_pages;
    for (id, image) in std::mem::take(&mut ctx.pictures.images) {
        doc.resources.xobjects.map.insert(id, XObject::Image(image));
    }
    for (name, state) in std::mem::take(&mut ctx.pictures.states) {
        doc.resources
            .extgstates
            .map
            .insert(ExtendedGraphicsStateId(name), state);
    }
    let meta = finish::Meta {
        language: &ctx.site.config.language,
        created: ctx.options.created,
        photographic: ctx.pictures.photographic,
    };
    finish::save(&doc, &meta, &bookmarks, written).map_err(|e| {
        vec![Diagnostic::error(
            crate::config::FILE,
            format!("cannot write the handout: {e}"),
        )]
    })
}

#[cfg(test)]
thread_local! {
    /// Makes this thread's handouts the way printpdf alone would (to check
    /// that [`write_contents`] gives the same bytes).
    static BY_PRINTPDF_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn by_printpdf_only() -> bool {
    #[cfg(test)]
    return BY_PRINTPDF_ONLY.get();
    #[cfg(not(test))]
    false
}

/// The pages' content streams and the fonts, written here rather than by
/// printpdf. The pages keep only their links (which become annotations), and
/// printpdf is given placeholder fonts (one glyph, drawn once on the first
/// page) so that the document it makes has their objects where the fonts'
/// go; [`finish::save`] puts in the streams and the fonts. `None`, with the
/// pages untouched, when a page has an operation [`content::encode`] does
/// not write; an error when a font cannot be cut down.
fn write_contents(
    pages: &mut [PdfPage],
    subsets: &[fonts::Subset],
) -> Result<Option<finish::Written>, String> {
    let mut glyphs = Face::ALL.map(|face| {
        subsets
            .iter()
            .find(|s| s.face == face)
            .map(|s| content::Glyphs::new(&s.codepoint_to_glyph))
    });
    let Some(contents) = pages
        .iter()
        .map(|page| content::encode(&page.ops, &mut glyphs))
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(None);
    };
    let mut fonts = Vec::new();
    let mut usage_ops = Vec::new();
    for subset in subsets {
        let Some(glyphs) = &glyphs[subset.face as usize] else {
            continue;
        };
        // The character last drawn with each glyph, as printpdf would have
        // found going through the pages.
        let usage: BTreeMap<u16, char> = (0..)
            .zip(&glyphs.last)
            .filter_map(|(g, c)| Some((g, (*c)?)))
            .collect();
        if usage.is_empty() {
            continue;
        }
        fonts.push((subset.face, finish::font_objects(subset, &usage)?));
        usage_ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(subset.face.resource()),
                size: printpdf::Pt(12.0),
            },
            Op::ShowText {
                items: vec![TextItem::Text("a".to_string())],
            },
            Op::EndTextSection,
        ]);
    }
    for (i, page) in pages.iter_mut().enumerate() {
        let links = std::mem::take(&mut page.ops)
            .into_iter()
            .filter(|op| matches!(op, Op::LinkAnnotation { .. }));
        page.ops = if i == 0 {
            std::mem::take(&mut usage_ops)
                .into_iter()
                .chain(links)
                .collect()
        } else {
            links.collect()
        };
    }
    Ok(Some(finish::Written {
        pages: contents,
        fonts,
    }))
}

/// Results worth keeping between the handouts one process makes: values
/// that depend only on their key (a font's objects, a drawing), kept once a
/// key comes up a second time, so that one-off keys cost nothing, until they
/// take `budget` bytes. Handouts are made on several threads at once; a
/// value is the same whichever thread makes it, so what is kept never
/// changes the output.
pub(crate) struct Repeats<K, V> {
    state: Mutex<RepeatsState<K, V>>,
    budget: usize,
}

struct RepeatsState<K, V> {
    /// Hashes of the keys made once.
    seen: HashSet<u64>,
    kept: HashMap<K, Arc<V>>,
    bytes: usize,
}

impl<K: Hash + Eq, V> Repeats<K, V> {
    pub(crate) fn new(budget: usize) -> Self {
        Repeats {
            state: Mutex::new(RepeatsState {
                seen: Default::default(),
                kept: Default::default(),
                bytes: 0,
            }),
            budget,
        }
    }

    /// The value of `key`, kept or made by `make`; `size` tells its bytes
    /// (with the key's).
    pub(crate) fn get<E>(
        &self,
        key: K,
        size: impl FnOnce(&K, &V) -> usize,
        make: impl FnOnce(&K) -> Result<V, E>,
    ) -> Result<Arc<V>, E> {
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(&key);
        let again = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(value) = state.kept.get(&key) {
                return Ok(Arc::clone(value));
            }
            if state.seen.len() > 1 << 20 {
                state.seen.clear();
            }
            !state.seen.insert(hash)
        };
        let value = Arc::new(make(&key)?);
        if again {
            let bytes = size(&key, &value);
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.bytes + bytes <= self.budget && !state.kept.contains_key(&key) {
                state.bytes += bytes;
                state.kept.insert(key, Arc::clone(&value));
            }
        }
        Ok(value)
    }
}

/// The characters drawn in each face.
fn characters(pages: &[PdfPage]) -> BTreeMap<Face, BTreeSet<char>> {
    // Characters below U+0400 (Latin, Greek) as bits, the others in a set.
    let mut bits = [[0u64; 16]; 3];
    let mut others: [BTreeSet<char>; 3] = Default::default();
    for page in pages {
        let mut face = None;
        for op in &page.ops {
            match op {
                Op::SetFont {
                    font: PdfFontHandle::External(id),
                    ..
                } => face = Face::of_resource(id),
                Op::ShowText { items } => {
                    let Some(face) = face else { continue };
                    let (bits, others) = (&mut bits[face as usize], &mut others[face as usize]);
                    for item in items {
                        if let TextItem::Text(text) = item {
                            for c in text.chars() {
                                let n = c as usize;
                                match bits.get_mut(n / 64) {
                                    Some(word) => *word |= 1 << (n % 64),
                                    None => {
                                        others.insert(c);
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut used = BTreeMap::new();
    for (face, (bits, others)) in Face::ALL.into_iter().zip(bits.iter().zip(others)) {
        let mut set = others;
        for (i, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let bit = word.trailing_zeros() as usize;
                set.extend(char::from_u32((i * 64 + bit) as u32));
                word &= word - 1;
            }
        }
        if !set.is_empty() {
            used.insert(face, set);
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::markdown::{self, MarkdownOptions};
    use crate::model::{
        Clinic, Config, Disclaimers, Dosage, HandoutSettings, Image, MarkdownSettings,
        ProgramExercise,
    };

    const EXERCISE: &str = "---\ntitle: Wall Angel\nsummary: Slide your arms up a wall.\n---\n1. Stand with your back to a wall.\n2. Slide your arms up **slowly**, then down.\n";

    /// A small site in a temporary folder: one exercise with a picture, one program.
    fn site(title: &str, source: &str) -> (tempfile::TempDir, Site) {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("content/exercises")).unwrap();
        std::fs::create_dir_all(root.path().join("static/images")).unwrap();
        std::fs::write(root.path().join("content/exercises/wall-angel.md"), source).unwrap();
        std::fs::write(
            root.path().join("static/images/wall-angel.svg"),
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><path d="M5 25H35" stroke="#1f3b4d" stroke-width="3"/></svg>"##,
        )
        .unwrap();
        let body = source.splitn(3, "---\n").nth(2).unwrap_or("");
        let exercise = Exercise {
            slug: "wall-angel".into(),
            title: title.into(),
            summary: "Slide your arms up a wall.".into(),
            regions: vec![],
            focus: vec![],
            position: None,
            equipment: vec![],
            difficulty: None,
            dosage: Dosage {
                reps: Some(10),
                frequency: Some("twice a day".into()),
                ..Dosage::default()
            },
            cautions: vec!["Stop if your shoulders pinch.".into()],
            images: vec![Image {
                src: "images/wall-angel.svg".into(),
                alt: "A person against a wall".into(),
                caption: Some("Arms up the wall.".into()),
                width: None,
                height: None,
            }],
            video: None,
            related: vec![],
            updated: None,
            draft: false,
            body: markdown::parse(body, MarkdownOptions::default()).into(),
            source: "content/exercises/wall-angel.md".into(),
        };
        let program = Program {
            slug: "mornings".into(),
            title: "Mornings".into(),
            summary: "Two minutes.".into(),
            frequency: Some("three times a week".into()),
            intro: markdown::parse("Do it *gently*.", MarkdownOptions::default()),
            exercises: vec![ProgramExercise {
                exercise: "wall-angel".into(),
                dosage: exercise.dosage.clone(),
                note: Some("Keep your chin tucked.".into()),
            }],
            updated: None,
            draft: false,
            source: "content/programs/mornings.yaml".into(),
        };
        let config = Config {
            title: "Clinic".into(),
            description: String::new(),
            base_url: "https://example.org/".into(),
            language: "en-CA".into(),
            theme: "clinic".into(),
            clinic: Clinic {
                name: "Test Clinic".into(),
                phone: Some("555-0100".into()),
                ..Clinic::default()
            },
            disclaimers: Disclaimers {
                site: "Site.".into(),
                handout: "General guidance only.".into(),
            },
            handouts: HandoutSettings {
                paper: Paper::A4,
                font_size: 12,
                tracking_days: 14,
            },
            markdown: MarkdownSettings::default(),
            embed_videos: false,
            feed_limit: 50,
        };
        let site = Site {
            root: root.path().to_path_buf(),
            config,
            exercises: vec![exercise.into()],
            programs: vec![program],
            pages: vec![],
            static_files: vec![],
            links: Default::default(),
            positions: Default::default(),
        };
        (root, site)
    }

    fn options(site: &Site) -> HandoutOptions {
        HandoutOptions {
            created: None,
            ..HandoutOptions::from_site(site)
        }
    }

    #[test]
    fn same_input_gives_the_same_bytes() {
        let (_dir, site) = site("Wall Angel", EXERCISE);
        let mut options = options(&site);
        options.patient = Some(Patient {
            name: Some("Zoë Müller-O’Brien".into()),
            ..Patient::default()
        });
        let one = program_handout(&site, &site.programs[0], &options).unwrap();
        let two = std::thread::spawn({
            let site = site.clone();
            let options = options.clone();
            move || program_handout(&site, &site.programs[0], &options).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(one, two);
        assert!(one.starts_with(b"%PDF-1.7"));
    }

    #[test]
    fn content_and_fonts_written_here_are_those_printpdf_writes() {
        let (_dir, site) = site("Wall Angel – “Zoë” · 10 × 2", EXERCISE);
        let mut options = options(&site);
        options.patient = Some(Patient {
            name: Some("Zoë Müller-O’Brien".into()),
            date: Some("2026-11-21".into()),
            clinician: Some("Dr Ana Lima".into()),
            notes: Some("Go *gently* on the left side.".into()),
        });
        let make = |printpdf_only: bool| {
            BY_PRINTPDF_ONLY.set(printpdf_only);
            let handouts = [
                program_handout(&site, &site.programs[0], &options).unwrap(),
                exercise_handout(&site, &site.exercises[0], &options).unwrap(),
            ];
            BY_PRINTPDF_ONLY.set(false);
            handouts
        };
        // Three times: the fonts' objects are kept the second time and used
        // the third.
        for _ in 0..3 {
            assert!(make(true) == make(false));
        }
    }

    #[test]
    fn writes_language_outline_and_subset_fonts() {
        let (_dir, site) = site("Wall Angel", EXERCISE);
        let bytes = program_handout(&site, &site.programs[0], &options(&site)).unwrap();
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let catalog = doc.catalog().unwrap();
        assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"en-CA");
        assert_eq!(
            catalog.get(b"PageMode").unwrap().as_name().unwrap(),
            b"UseOutlines"
        );
        let outlines = doc
            .get_dictionary(catalog.get(b"Outlines").unwrap().as_reference().unwrap())
            .unwrap();
        assert_eq!(outlines.get(b"Count").unwrap().as_i64().unwrap(), 1);
        let info = doc
            .get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap())
            .unwrap();
        assert!(!info.has(b"CreationDate"));
        assert!(!info.has(b"GTS_PDFXVersion"));
        let fonts: Vec<String> = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .filter(|d| d.has_type(b"FontDescriptor"))
            .map(|d| {
                String::from_utf8_lossy(d.get(b"FontName").unwrap().as_name().unwrap()).into_owned()
            })
            .collect();
        assert!(!fonts.is_empty());
        assert!(
            fonts.iter().all(|f| f.len() > 7 && f.as_bytes()[6] == b'+'),
            "{fonts:?}"
        );
        assert!(bytes.len() < 60_000, "{}", bytes.len());
    }

    #[test]
    fn dates_come_only_from_the_options() {
        let (_dir, site) = site("Wall Angel", EXERCISE);
        let mut options = options(&site);
        options.created = Some(1_763_683_200);
        let bytes = exercise_handout(&site, &site.exercises[0], &options).unwrap();
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        let info = doc
            .get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap())
            .unwrap();
        assert_eq!(
            info.get(b"CreationDate").unwrap().as_str().unwrap(),
            b"D:20251121000000Z"
        );
    }

    #[test]
    fn a_character_the_font_lacks_is_an_error_at_its_line() {
        let source = EXERCISE.replace("**slowly**", "**slowly** 🙂");
        let (_dir, site) = site("Wall Angel", &source);
        let errors = exercise_handout(&site, &site.exercises[0], &options(&site)).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let error = &errors[0];
        assert_eq!(error.file, Path::new("content/exercises/wall-angel.md"));
        assert!(error.message.contains("U+1F642"), "{}", error.message);
        assert_eq!((error.line, error.column), (6, 34));
    }

    #[test]
    fn a_patient_name_the_font_lacks_names_the_option() {
        let (_dir, site) = site("Wall Angel", EXERCISE);
        let mut options = options(&site);
        options.patient = Some(Patient {
            name: Some("王小明".into()),
            ..Patient::default()
        });
        let errors = program_handout(&site, &site.programs[0], &options).unwrap_err();
        assert_eq!(errors.len(), 1, "one error for the option");
        assert_eq!(errors[0].file, Path::new("--patient"));
        assert!(
            !errors[0].message.contains('王') && !errors[0].message.contains('明'),
            "the name is not echoed"
        );
    }

    /// Each detail not given is a line to write it on; the name and date
    /// always have their place.
    #[test]
    fn the_patient_box_has_a_line_for_each_missing_name_or_date() {
        let (_dir, site) = site("Wall Angel", EXERCISE);
        let given = |s: &str| Some(s.to_string());
        let cases = [
            (None, 2),
            (Some(Patient::default()), 2),
            (
                Some(Patient {
                    name: given("Zoë"),
                    ..Patient::default()
                }),
                1,
            ),
            (
                Some(Patient {
                    date: given("2026-11-21"),
                    ..Patient::default()
                }),
                1,
            ),
            (
                Some(Patient {
                    name: given("Zoë"),
                    date: given("2026-11-21"),
                    ..Patient::default()
                }),
                0,
            ),
            (
                Some(Patient {
                    clinician: given("Dr Ana Lima"),
                    notes: given("Gently."),
                    ..Patient::default()
                }),
                2,
            ),
        ];
        for (patient, lines) in cases {
            let mut options = options(&site);
            options.patient = patient.clone();
            let mut ctx = Ctx::new(&site, &options, 400.0);
            let drawn = ctx
                .patient()
                .ops
                .iter()
                .filter(|op| matches!(op, printpdf::Op::DrawLine { .. }))
                .count();
            assert_eq!(drawn, lines, "{patient:?}");
        }
    }

    fn pages(bytes: &[u8]) -> usize {
        lopdf::Document::load_mem(bytes).unwrap().get_pages().len()
    }

    #[test]
    fn an_exercise_taller_than_a_page_breaks_between_steps() {
        let steps: String = (1..=30)
            .map(|i| format!("{i}. Step {i}: move slowly and carefully, breathing out as you go, and stop if anything hurts.\n"))
            .collect();
        let source = format!("---\ntitle: Wall Angel\n---\n{steps}");
        let (_dir, site) = site("Wall Angel", &source);
        let mut options = options(&site);
        options.font_size = 16.0;
        let bytes = exercise_handout(&site, &site.exercises[0], &options).unwrap();
        assert!(pages(&bytes) >= 3, "{}", pages(&bytes));
    }

    #[test]
    fn an_exercise_without_numbered_steps_prints_its_text() {
        let source = "---\ntitle: Wall Angel\n---\nStand tall against a wall.\n\n- Breathe.\n";
        let (_dir, mut site) = site("Wall Angel", source);
        std::sync::Arc::make_mut(&mut site.exercises[0])
            .images
            .clear();
        std::sync::Arc::make_mut(&mut site.exercises[0])
            .cautions
            .clear();
        let bytes = exercise_handout(&site, &site.exercises[0], &options(&site)).unwrap();
        assert_eq!(pages(&bytes), 1);
    }

    #[test]
    fn a_missing_picture_is_an_error_naming_the_exercise() {
        let (_dir, mut site) = site("Wall Angel", EXERCISE);
        std::sync::Arc::make_mut(&mut site.exercises[0]).images[0].src =
            "images/nowhere.svg".into();
        let errors = exercise_handout(&site, &site.exercises[0], &options(&site)).unwrap_err();
        assert_eq!(errors[0].file, Path::new("content/exercises/wall-angel.md"));
        assert!(
            errors[0].message.contains("static/images/nowhere.svg"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn letter_and_a4_pages_have_their_sizes() {
        let (_dir, site) = site("Wall Angel", EXERCISE);
        for (paper, width) in [(Paper::Letter, 612), (Paper::A4, 595)] {
            let mut options = options(&site);
            options.paper = paper;
            let bytes = exercise_handout(&site, &site.exercises[0], &options).unwrap();
            let doc = lopdf::Document::load_mem(&bytes).unwrap();
            let page = doc.get_dictionary(doc.page_iter().next().unwrap()).unwrap();
            let media = page.get(b"MediaBox").unwrap().as_array().unwrap();
            assert_eq!(media[2].as_float().unwrap().round() as i32, width);
        }
    }
}
