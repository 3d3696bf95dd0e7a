//! The last step, through lopdf: the same input gives the same bytes. printpdf's
//! own `save` draws random ids and dates; here the document gets a fixed
//! version (1.7), its language, its outline (one bookmark per exercise,
//! pointing at the exercise itself), a date only from `SOURCE_DATE_EPOCH`,
//! compressed streams, and an /ID that is a hash of the file's content.
//!
//! printpdf makes the document's frame (pages, resources, links, images);
//! the pages' content streams ([`super::content`]) and the fonts' objects
//! are made here, the same as printpdf makes them, and put in its place:
//! a font's objects are made once per process for all the handouts that
//! draw the same glyphs.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, LazyLock};

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::{ImageCompression, ImageOptimizationOptions, PdfDocument, PdfSaveOptions};
use sha2::{Digest, Sha256};

use super::Repeats;
use super::fonts::{Face, Subset};
use super::pages::Bookmark;

/// What the document says about itself.
pub(crate) struct Meta<'a> {
    pub language: &'a str,
    /// Seconds since 1970 for the creation date; `None` writes no date.
    pub created: Option<i64>,
    /// Whether the images include photographs (kept as JPEG, else lossless).
    pub photographic: bool,
}

/// Serialises `doc` deterministically.
pub(crate) fn save(
    doc: &PdfDocument,
    meta: &Meta,
    bookmarks: &[Bookmark],
    written: Option<Written>,
) -> Result<Vec<u8>, String> {
    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: Some(ImageOptimizationOptions {
            quality: Some(0.85),
            max_image_size: None,
            dither_greyscale: None,
            convert_to_greyscale: Some(false),
            auto_optimize: Some(true),
            format: Some(if meta.photographic {
                ImageCompression::Jpeg
            } else {
                ImageCompression::Flate
            }),
        }),
    };
    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&options, &mut warnings);
    pdf.version = "1.7".to_string();
    // Each page's content stream, in page order.
    let page_contents = pdf
        .get_pages()
        .into_values()
        .map(|page| {
            pdf.get_dictionary(page)
                .and_then(|d| d.get(b"Contents"))
                .and_then(Object::as_reference)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<ObjectId>, String>>()?;
    if let Some(written) = written {
        if page_contents.len() != written.pages.len() {
            return Err("the document's pages do not match its content".to_string());
        }
        for (&id, content) in page_contents.iter().zip(written.pages) {
            match pdf.get_object_mut(id) {
                Ok(Object::Stream(stream)) => stream.set_content(content),
                _ => return Err("a page without its content stream".to_string()),
            }
        }
        for (face, objects) in &written.fonts {
            put_font(&mut pdf, *face, objects)
                .ok_or_else(|| format!("the document has no place for the font {face:?}"))?;
        }
    }

    let info_id = pdf
        .trailer
        .get(b"Info")
        .and_then(Object::as_reference)
        .map_err(|e| e.to_string())?;
    let info = pdf.get_dictionary_mut(info_id).map_err(|e| e.to_string())?;
    for key in [
        "CreationDate",
        "ModDate",
        "GTS_PDFXVersion",
        "Trapped",
        "Identifier",
        "Keywords",
    ] {
        info.remove(key.as_bytes());
    }
    info.set("Creator", text_string("movepress"));
    info.set("Producer", text_string("movepress"));
    if let Some(seconds) = meta.created {
        let date = pdf_date(seconds);
        info.set(
            "CreationDate",
            Object::String(date.clone().into_bytes(), StringFormat::Literal),
        );
        info.set(
            "ModDate",
            Object::String(date.into_bytes(), StringFormat::Literal),
        );
    }

    let outline = outline(&mut pdf, bookmarks);
    let catalog = pdf.catalog_mut().map_err(|e| e.to_string())?;
    catalog.set(
        "Lang",
        Object::String(meta.language.as_bytes().to_vec(), StringFormat::Literal),
    );
    catalog.set(
        "ViewerPreferences",
        Dictionary::from_iter(vec![("DisplayDocTitle", Object::Boolean(true))]),
    );
    match outline {
        Some(id) => {
            catalog.set("Outlines", Object::Reference(id));
            catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
        }
        None => catalog.set("PageMode", Object::Name(b"UseNone".to_vec())),
    }

    // A placeholder /ID of the final length, replaced by the hash of the file.
    let placeholder = Object::String(vec![0; 16], StringFormat::Hexadecimal);
    pdf.trailer
        .set("ID", Object::Array(vec![placeholder.clone(), placeholder]));
    pdf.prune_objects();
    compress(&mut pdf, &page_contents.into_iter().collect());
    let mut bytes = Vec::new();
    pdf.save_to(&mut bytes).map_err(|e| e.to_string())?;

    let hash = Sha256::digest(&bytes);
    let id: String = hash[..16].iter().map(|b| format!("{b:02X}")).collect();
    let zeros = format!("<{}>", "0".repeat(32));
    let from = bytes.len().saturating_sub(4096);
    let tail = &bytes[from..];
    let mut at = Vec::new();
    let mut start = 0;
    while let Some(i) = find(&tail[start..], zeros.as_bytes()) {
        at.push(from + start + i);
        start += i + zeros.len();
    }
    if at.len() != 2 {
        return Err("could not write the document's /ID".to_string());
    }
    for i in at {
        bytes[i + 1..i + 33].copy_from_slice(id.as_bytes());
    }
    Ok(bytes)
}

/// What is written without printpdf: the pages' content streams, in page
/// order, and the fonts.
pub(crate) struct Written {
    pub pages: Vec<Vec<u8>>,
    pub fonts: Vec<(Face, Arc<FontObjects>)>,
}

/// The objects of an embedded font as printpdf makes them (with its
/// `text_layout` feature off): the font program and the character map,
/// compressed, the font descriptor, and the Type 0 font with its CID font.
/// The references between them are set when they are put in a document.
pub(crate) struct FontObjects {
    program: lopdf::Stream,
    to_unicode: lopdf::Stream,
    descriptor: Dictionary,
    font: Dictionary,
}

/// The objects of `subset` with `usage` (the character drawn with each glyph
/// id), made once per process for fonts that come again.
pub(crate) fn font_objects(
    subset: &Subset,
    usage: &BTreeMap<u16, char>,
) -> Result<Arc<FontObjects>, String> {
    type Key = (Face, Vec<u16>, Vec<(u16, char)>);
    static MADE: LazyLock<Repeats<Key, FontObjects>> = LazyLock::new(|| Repeats::new(24 << 20));
    let key = (
        subset.face,
        subset.glyphs.clone(),
        usage.iter().map(|(&g, &c)| (g, c)).collect(),
    );
    MADE.get(
        key,
        |_, objects| objects.program.content.len() + objects.to_unicode.content.len() + 4096,
        |_| make_font_objects(subset, usage),
    )
}

fn make_font_objects(subset: &Subset, usage: &BTreeMap<u16, char>) -> Result<FontObjects, String> {
    let resource = subset.face.resource();
    // The name and metrics, as the font handed to printpdf has them.
    let font = subset.placeholder().parsed_font;
    let name = subset.name.clone();
    let m = &font.pdf_font_metrics;
    let upm = m.units_per_em;
    let scale = if upm == 0 {
        1.0
    } else {
        1000.0 / f32::from(upm)
    };
    let scaled = |v: i64| (v as f32 * scale).round() as i64;
    let ascent = scaled(i64::from(font.font_metrics.ascent));
    let descent = scaled(i64::from(font.font_metrics.descent));
    let italic_angle = if m.caret_slope_rise == 0 {
        0
    } else {
        (-f32::from(m.caret_slope_run)
            .atan2(f32::from(m.caret_slope_rise))
            .to_degrees())
        .round() as i64
    };
    let flags = 32 | if italic_angle != 0 { 64 } else { 0 };
    let stem_v = if m.us_weight_class == 0 {
        80
    } else {
        50 + (f32::from(m.us_weight_class) / 65.0).powi(2).round() as i64
    };

    // Widths in thousandths of an em, in runs of consecutive glyph ids.
    let mut widths = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut low = 0u16;
    let mut high = 0u16;
    for &gid in usage.keys() {
        let width = subset
            .glyph_widths
            .get(&gid)
            .map_or(0, |&w| (f32::from(w) * 1000.0 / f32::from(upm)) as i64);
        if !run.is_empty() && gid == high + 1 {
            high = gid;
        } else {
            if !run.is_empty() {
                widths.push(Object::Integer(i64::from(low)));
                widths.push(Object::Array(std::mem::take(&mut run)));
            }
            low = gid;
            high = gid;
        }
        run.push(Object::Integer(width));
    }
    if !run.is_empty() {
        widths.push(Object::Integer(i64::from(low)));
        widths.push(Object::Array(run));
    }

    let cmap = printpdf::cmap::ToUnicodeCMap {
        mappings: usage
            .iter()
            .map(|(&g, &c)| (u32::from(g), vec![u32::from(c)]))
            .collect(),
    }
    .to_cmap_string(&resource.0);

    let compressed = |mut stream: lopdf::Stream| {
        if let Some(packed) = deflate(&stream.content)
            && packed.len() < stream.content.len()
        {
            stream
                .dict
                .set("Filter", Object::Name(b"FlateDecode".to_vec()));
            stream.set_content(packed);
        }
        stream
    };
    let program = subset.program()?.to_vec();
    let program = compressed(lopdf::Stream::new(
        Dictionary::from_iter(vec![("Length1", Object::Integer(program.len() as i64))]),
        program,
    ));
    let to_unicode = compressed(lopdf::Stream::new(Dictionary::new(), cmap.into_bytes()));
    let name = || Object::Name(name.clone().into_bytes());
    let bbox = [m.x_min, m.y_min, m.x_max, m.y_max].map(|v| Object::Integer(scaled(i64::from(v))));
    let descriptor = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"FontDescriptor".to_vec())),
        ("FontName", name()),
        ("Ascent", Object::Integer(ascent)),
        ("Descent", Object::Integer(descent)),
        // printpdf without `text_layout` gives the ascent as the cap height.
        ("CapHeight", Object::Integer(ascent)),
        ("ItalicAngle", Object::Integer(italic_angle)),
        ("Flags", Object::Integer(flags)),
        ("StemV", Object::Integer(stem_v)),
        ("FontBBox", Object::Array(bbox.to_vec())),
        ("FontFile2", Object::Null),
    ]);
    let cid_font = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Font".to_vec())),
        ("BaseFont", name()),
        ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
        (
            "CIDSystemInfo",
            Object::Dictionary(Dictionary::from_iter(vec![
                (
                    "Registry",
                    Object::String(b"Adobe".to_vec(), StringFormat::Literal),
                ),
                (
                    "Ordering",
                    Object::String(b"Identity".to_vec(), StringFormat::Literal),
                ),
                ("Supplement", Object::Integer(0)),
            ])),
        ),
        ("W", Object::Array(widths)),
        ("DW", Object::Integer(1000)),
        ("FontDescriptor", Object::Null),
        ("CIDToGIDMap", Object::Name(b"Identity".to_vec())),
    ]);
    let font = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Font".to_vec())),
        ("Subtype", Object::Name(b"Type0".to_vec())),
        ("BaseFont", name()),
        ("Encoding", Object::Name(b"Identity-H".to_vec())),
        ("ToUnicode", Object::Null),
        (
            "DescendantFonts",
            Object::Array(vec![Object::Dictionary(cid_font)]),
        ),
    ]);
    Ok(FontObjects {
        program,
        to_unicode,
        descriptor,
        font,
    })
}

/// Puts `objects` in place of the objects printpdf made for the placeholder
/// font of `face`, keeping their numbers. `None` if they are not there.
fn put_font(pdf: &mut lopdf::Document, face: Face, objects: &FontObjects) -> Option<()> {
    let reference = |d: &Dictionary, key: &[u8]| d.get(key).and_then(Object::as_reference).ok();
    let page = *pdf.get_pages().values().next()?;
    let resources = reference(pdf.get_dictionary(page).ok()?, b"Resources")?;
    let fonts = reference(pdf.get_dictionary(resources).ok()?, b"Font")?;
    let font_id = reference(
        pdf.get_dictionary(fonts).ok()?,
        face.resource().0.as_bytes(),
    )?;
    let font = pdf.get_dictionary(font_id).ok()?;
    let to_unicode_id = reference(font, b"ToUnicode")?;
    let cid_font = font
        .get(b"DescendantFonts")
        .and_then(Object::as_array)
        .ok()?
        .first()?
        .as_dict()
        .ok()?;
    let descriptor_id = reference(cid_font, b"FontDescriptor")?;
    let program_id = reference(pdf.get_dictionary(descriptor_id).ok()?, b"FontFile2")?;

    let mut descriptor = objects.descriptor.clone();
    descriptor.set("FontFile2", Object::Reference(program_id));
    let mut font = objects.font.clone();
    font.set("ToUnicode", Object::Reference(to_unicode_id));
    if let Ok(Object::Array(descendants)) = font.get_mut(b"DescendantFonts")
        && let Some(Object::Dictionary(cid_font)) = descendants.first_mut()
    {
        cid_font.set("FontDescriptor", Object::Reference(descriptor_id));
    }
    let objects_to_put = [
        (program_id, Object::Stream(objects.program.clone())),
        (to_unicode_id, Object::Stream(objects.to_unicode.clone())),
        (descriptor_id, Object::Dictionary(descriptor)),
        (font_id, Object::Dictionary(font)),
    ];
    for (id, object) in objects_to_put {
        pdf.objects.insert(id, object);
    }
    Some(())
}

/// Flate-compresses every stream not yet compressed. lopdf's own `compress`
/// uses the slowest level; level 3 takes half the time for a file 2% larger.
/// Streams other than `one_off` are compressed once per process: the font
/// programs and character maps of the same few letters come again in
/// handout after handout.
fn compress(pdf: &mut lopdf::Document, one_off: &std::collections::BTreeSet<ObjectId>) {
    static KEPT: LazyLock<Repeats<Vec<u8>, Option<Vec<u8>>>> =
        LazyLock::new(|| Repeats::new(8 << 20));
    for (id, object) in pdf.objects.iter_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let compressed = if one_off.contains(id) {
            deflate(&stream.content)
        } else {
            let Ok(compressed) = KEPT.get(
                stream.content.clone(),
                |raw, compressed| raw.len() + compressed.as_ref().map_or(0, Vec::len),
                |raw| Ok::<_, Infallible>(deflate(raw)),
            );
            (*compressed).clone()
        };
        if let Some(compressed) = compressed
            && compressed.len() < stream.content.len()
        {
            stream
                .dict
                .set("Filter", Object::Name(b"FlateDecode".to_vec()));
            stream.set_content(compressed);
        }
    }
}

/// `data` as a zlib stream (level 3). Each thread keeps one compressor and
/// resets it for every stream: making a new one (a few hundred kilobytes of
/// tables, zeroed) cost as much as compressing a page. A reset compressor
/// starts afresh, so the output depends on `data` alone.
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Compress> =
            std::cell::RefCell::new(Compress::new(Compression::new(3), true));
    }
    COMPRESSOR.with(|compressor| {
        let mut compressor = compressor.borrow_mut();
        compressor.reset();
        // Room for data that does not compress (stored blocks and the zlib frame).
        let mut out = Vec::with_capacity(data.len() + data.len() / 1000 + 64);
        loop {
            let read = usize::try_from(compressor.total_in()).ok()?;
            match compressor.compress_vec(&data[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(out),
                Ok(_) => out.reserve(data.len() / 4 + 1024),
                Err(_) => return None,
            }
        }
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The document outline, one entry per bookmark in order, each opening its
/// page at the bookmark's height.
fn outline(pdf: &mut lopdf::Document, bookmarks: &[Bookmark]) -> Option<ObjectId> {
    if bookmarks.is_empty() {
        return None;
    }
    let pages = pdf.get_pages();
    let root = pdf.new_object_id();
    let ids: Vec<ObjectId> = bookmarks.iter().map(|_| pdf.new_object_id()).collect();
    for (i, bookmark) in bookmarks.iter().enumerate() {
        let page = pages.get(&(bookmark.page as u32 + 1)).copied();
        let mut item = Dictionary::new();
        item.set("Title", text_string(&bookmark.title));
        item.set("Parent", Object::Reference(root));
        if i > 0 {
            item.set("Prev", Object::Reference(ids[i - 1]));
        }
        if let Some(next) = ids.get(i + 1) {
            item.set("Next", Object::Reference(*next));
        }
        if let Some(page) = page {
            item.set(
                "Dest",
                Object::Array(vec![
                    Object::Reference(page),
                    Object::Name(b"XYZ".to_vec()),
                    Object::Null,
                    Object::Real(bookmark.top.round()),
                    Object::Null,
                ]),
            );
        }
        pdf.objects.insert(ids[i], Object::Dictionary(item));
    }
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"Outlines".to_vec()));
    dict.set("First", Object::Reference(ids[0]));
    dict.set("Last", Object::Reference(ids[ids.len() - 1]));
    dict.set("Count", Object::Integer(ids.len() as i64));
    pdf.objects.insert(root, Object::Dictionary(dict));
    Some(root)
}

/// A PDF text string: plain when ASCII, else UTF-16BE with a byte-order mark.
fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        return Object::String(text.as_bytes().to_vec(), StringFormat::Literal);
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// `D:YYYYMMDDHHmmSSZ` for a Unix time.
fn pdf_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let time = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "D:{year:04}{month:02}{day:02}{:02}{:02}{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_from_the_epoch_given() {
        assert_eq!(pdf_date(0), "D:19700101000000Z");
        assert_eq!(pdf_date(1_763_683_200), "D:20251121000000Z");
        assert_eq!(pdf_date(951_827_696), "D:20000229123456Z");
    }

    #[test]
    fn text_strings_use_utf16_for_accents() {
        assert_eq!(
            text_string("Cat-Cow"),
            Object::String(b"Cat-Cow".to_vec(), StringFormat::Literal)
        );
        let Object::String(bytes, _) = text_string("Zoë") else {
            panic!()
        };
        assert_eq!(bytes, [0xFE, 0xFF, 0, b'Z', 0, b'o', 0, 0xEB]);
    }
}
