//! The last step, through lopdf: the same input gives the same bytes. printpdf's
//! own `save` draws random ids and dates; here the document gets a fixed
//! version (1.7), its language, its outline (one bookmark per exercise,
//! pointing at the exercise itself), a date only from `SOURCE_DATE_EPOCH`,
//! compressed streams, and an /ID that is a hash of the file's content.

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::{ImageCompression, ImageOptimizationOptions, PdfDocument, PdfSaveOptions};
use sha2::{Digest, Sha256};

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
    compress(&mut pdf);
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

/// Flate-compresses every stream not yet compressed. lopdf's own `compress`
/// uses the slowest level; level 3 takes half the time for a file 2% larger.
fn compress(pdf: &mut lopdf::Document) {
    use std::io::Write;
    for object in pdf.objects.values_mut() {
        if let Object::Stream(stream) = object
            && stream.allows_compression
            && stream.dict.get(b"Filter").is_err()
        {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
            if encoder.write_all(&stream.content).is_err() {
                continue;
            }
            if let Ok(compressed) = encoder.finish()
                && compressed.len() < stream.content.len()
            {
                stream
                    .dict
                    .set("Filter", Object::Name(b"FlateDecode".to_vec()));
                stream.set_content(compressed);
            }
        }
    }
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
