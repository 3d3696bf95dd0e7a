//! A patient's name goes into their handout and nowhere else: not into
//! output/, not into the site folder or its cache, not into a temporary
//! folder, not into the home folder.
//!
//! The search for the name looks through each file's raw bytes in every
//! encoding a writer might use (UTF-8 in both Unicode normal forms, UTF-16 in
//! both byte orders, Latin-1, PDF string escapes and hex strings), through
//! every zlib or gzip stream in it, decompressed, and, in a PDF, through the
//! text of its pages (which this PDF writer stores as glyph numbers, readable
//! only through the font's ToUnicode map). Positive controls prove that each
//! of these ways finds the name: a search that could not find it would pass
//! for the wrong reason.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{example_site, stderr};

const PATIENT: &str = "Zoë Canary";

/// Parts of the name that a writer could store apart (a PDF line may be
/// split into words), each searched for on its own.
const NAME_PARTS: [&str; 3] = [PATIENT, "Zoë", "Canary"];

#[test]
fn a_patients_name_reaches_their_handout_and_no_other_file() {
    let site = example_site();
    let private = tempfile::tempdir().expect("temp dir");
    let folder = |name: &str| {
        let dir = private.path().join(name);
        std::fs::create_dir(&dir).expect("mkdir");
        dir
    };
    let (tmp, home, handouts) = (folder("tmp"), folder("home"), folder("handouts"));
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_movepress"))
            .args(args)
            .current_dir(site.path())
            .env("NO_COLOR", "1")
            .env("TMPDIR", &tmp)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .output()
            .expect("run movepress");
        assert!(
            output.status.success(),
            "movepress {} failed:\n{}",
            args.join(" "),
            stderr(&output)
        );
        output
    };

    run(&["build"]);
    let handout = handouts.join("zoe.pdf");
    let printed = run(&[
        "handout",
        "daily-upper-back-mobility",
        "--patient",
        PATIENT,
        "--notes",
        "Zoë Canary: go gently on the left side.",
        "-o",
        handout.to_str().expect("UTF-8 temp path"),
    ]);
    // A build after the handout must not pick the name up from anywhere either.
    run(&["build"]);

    // Positive control: the name is in the handout, found by the same search.
    let found = find_name(&std::fs::read(&handout).expect("read the handout"));
    assert!(
        found.iter().any(|f| f.starts_with("page text")),
        "the search does not find the patient's name in their own handout (found only: \
         {found:?}): it could not find it anywhere else either"
    );
    assert_eq!(
        files(&handouts),
        std::slice::from_ref(&handout),
        "the handout's folder holds the handout and nothing else (no temporary file)"
    );
    assert_not_shown(&printed);

    let out = site.path().join("output");
    assert!(
        out.join("index.html").is_file(),
        "the site was built into output/"
    );
    assert!(
        site.path().join(".movepress-cache").is_dir(),
        "the handout cache was searched: it should exist after a build"
    );
    let mut searched = 0;
    for place in [site.path(), tmp.as_path(), home.as_path()] {
        for file in files(place) {
            let found = find_name(&std::fs::read(&file).expect("read"));
            assert!(
                found.is_empty(),
                "the patient's name is in {} ({})",
                file.display(),
                found.join(", ")
            );
            searched += 1;
        }
    }
    let pdfs = files(&out)
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "pdf"))
        .count();
    assert!(
        pdfs > 0 && searched > pdfs,
        "searched {searched} files, {pdfs} handouts among them"
    );
}

/// The search itself, on files made to hold the name in each form it looks
/// for, and on files that do not.
#[test]
fn the_name_search_finds_every_encoding_it_claims_to() {
    let utf16be: Vec<u8> = PATIENT.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf16le: Vec<u8> = PATIENT.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let latin1: Vec<u8> = PATIENT.chars().map(|c| c as u8).collect();
    let zlib = |bytes: &[u8]| {
        use std::io::Write;
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let gzip = |bytes: &[u8]| {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    };
    let framed = |inner: Vec<u8>| {
        [
            b"%PDF-1.7\nstream\n".to_vec(),
            inner,
            b"\nendstream".to_vec(),
        ]
        .concat()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("UTF-8", format!("<p>{PATIENT}</p>").into_bytes()),
        ("UTF-8, decomposed", "Zoe\u{308} Canary".as_bytes().to_vec()),
        ("UTF-16BE", utf16be.clone()),
        ("UTF-16LE", utf16le),
        ("Latin-1", latin1),
        ("PDF escape", b"(Zo\\353 Canary) Tj".to_vec()),
        (
            "PDF hex string",
            b"<FEFF005A006F00EB002000430061006E006100720079>".to_vec(),
        ),
        ("PDF hex string, lowercase", b"<feff005a006f00eb>".to_vec()),
        ("zlib stream", framed(zlib(&utf16be))),
        (
            "zlib stream in the middle",
            [b"junk".to_vec(), zlib(PATIENT.as_bytes()), b"junk".to_vec()].concat(),
        ),
        ("gzip", gzip(PATIENT.as_bytes())),
    ];
    for (what, bytes) in cases {
        assert!(!find_name(&bytes).is_empty(), "{what}: not found");
    }
    for clean in [
        b"Zoe and a canary".to_vec(),
        zlib(b"nothing here"),
        b"<FEFF005A006F>".to_vec(),
    ] {
        assert!(find_name(&clean).is_empty(), "{clean:?}");
    }
}

/// How the name was found in `bytes`, or nothing.
fn find_name(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    search_bytes(bytes, "raw", &mut found);
    for (offset, inflated) in inflated_streams(bytes) {
        search_bytes(&inflated, &format!("stream at byte {offset}"), &mut found);
    }
    if bytes.starts_with(b"%PDF")
        && let Ok(document) = lopdf::Document::load_mem(bytes)
    {
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        for page in pages {
            let text = document.extract_text(&[page]).unwrap_or_default();
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for part in NAME_PARTS {
                if text.contains(part) {
                    found.push(format!("page text of page {page}: {part}"));
                }
            }
        }
    }
    found
}

/// Each form in which a writer could store a part of the name, by name.
fn forms(part: &str) -> Vec<(String, Vec<u8>)> {
    let utf16be: Vec<u8> = part.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let hex: String = utf16be.iter().map(|b| format!("{b:02X}")).collect();
    let mut forms = vec![
        ("UTF-8".to_string(), part.as_bytes().to_vec()),
        (
            "UTF-8, decomposed".to_string(),
            part.replace('ë', "e\u{308}").into_bytes(),
        ),
        ("UTF-16BE".to_string(), utf16be),
        (
            "UTF-16LE".to_string(),
            part.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ),
        ("hex UTF-16BE".to_string(), hex.clone().into_bytes()),
        (
            "hex UTF-16BE, lowercase".to_string(),
            hex.to_lowercase().into_bytes(),
        ),
    ];
    if part.chars().all(|c| (c as u32) < 256) {
        forms.push((
            "Latin-1".to_string(),
            part.chars().map(|c| c as u8).collect(),
        ));
        let escaped: String = part
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    format!("\\{:03o}", c as u32)
                }
            })
            .collect();
        forms.push(("PDF octal escape".to_string(), escaped.into_bytes()));
    }
    forms
}

fn search_bytes(haystack: &[u8], place: &str, found: &mut Vec<String>) {
    for part in NAME_PARTS {
        for (form, needle) in forms(part) {
            if haystack
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
            {
                found.push(format!("{place}, {form}: {part}"));
            }
        }
    }
}

/// Every zlib or gzip stream in `bytes`, wherever it starts, inflated.
fn inflated_streams(bytes: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut streams = Vec::new();
    for offset in 0..bytes.len().saturating_sub(2) {
        let rest = &bytes[offset..];
        let inflated = match rest {
            // A zlib header: deflate, and a check value that divides by 31.
            [first, second, ..]
                if first & 0x0f == 8 && (u16::from(*first) << 8 | u16::from(*second)) % 31 == 0 =>
            {
                read_all(flate2::read::ZlibDecoder::new(rest))
            }
            [0x1f, 0x8b, 8, ..] => read_all(flate2::read::GzDecoder::new(rest)),
            _ => None,
        };
        if let Some(inflated) = inflated {
            streams.push((offset, inflated));
        }
    }
    streams
}

/// What a decoder gives until its stream ends, or `None` if it is no stream.
fn read_all(mut decoder: impl Read) -> Option<Vec<u8>> {
    let mut inflated = Vec::new();
    decoder.read_to_end(&mut inflated).ok()?;
    (!inflated.is_empty()).then_some(inflated)
}

/// The name is not shown on the terminal either.
fn assert_not_shown(output: &Output) {
    for (what, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let found = find_name(bytes);
        assert!(
            found.is_empty(),
            "the patient's name is on {what}: {found:?}"
        );
    }
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .collect();
    files.sort();
    files
}

/// An error about a patient's field names the option and what to write,
/// never the text given: the terminal and CI logs must not carry it.
#[test]
fn errors_about_patient_fields_name_the_option_never_the_text() {
    let site = example_site();
    let cases: [(&[&str], &str, &[&str]); 6] = [
        (
            &["--date", "17/03/1961"],
            "--date",
            &["17/03/1961", "17", "1961"],
        ),
        (&["--date", "-1 Canary"], "--date", &["Canary"]),
        (
            &["--patient", "-Zoë Canary 🐈"],
            "--patient",
            &["Zoë", "Canary", "🐈"],
        ),
        (
            &["--clinician", "--Dr Canary 🐈"],
            "--clinician",
            &["Canary", "🐈"],
        ),
        (
            &["--notes", "- Canary 🐈 left side"],
            "--notes",
            &["Canary", "🐈", "left side"],
        ),
        (&["--notes", "--canary"], "", &["canary"]),
    ];
    for (fields, option, secrets) in cases {
        let mut args = vec!["handout", "daily-upper-back-mobility", "-o", "x.pdf"];
        args.extend_from_slice(fields);
        let output = crate::support::movepress(site.path(), &args);
        let err = stderr(&output);
        if option.is_empty() {
            // A value that looks like an option is the value, not an error.
            assert!(output.status.success(), "{args:?}: {err}");
        } else {
            // A wrong value of an option is a usage error.
            assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(&format!("--> {option}")), "{args:?}: {err}");
        }
        if option == "--date" {
            assert!(err.contains("YYYY-MM-DD"), "{err}");
        }
        for secret in secrets {
            assert!(
                !err.contains(secret),
                "{args:?}: `{secret}` is echoed: {err}"
            );
        }
        assert_not_shown(&output);
    }
}
