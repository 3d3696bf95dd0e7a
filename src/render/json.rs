//! JSON strings written fast: the search index holds every exercise's
//! text, and nearly none of it needs escaping.

/// Adds `text` to `out` as a JSON string, escaped byte for byte as
/// serde_json writes it: `"` and `\` after a backslash; `\b`, `\f`, `\n`,
/// `\r`, `\t`; other control characters as `\u00xx`. Blocks of 16 bytes
/// with nothing to escape are found by checking the 16 side by side, and
/// copied whole.
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Copied up to here.
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        // A whole block, or the last few bytes.
        let end = match bytes[at..].first_chunk::<16>() {
            Some(block) if !block_escapes(block) => {
                at += 16;
                continue;
            }
            Some(_) => at + 16,
            None => bytes.len(),
        };
        for (i, &b) in bytes.iter().enumerate().take(end).skip(at) {
            if escapes(b) {
                out.extend_from_slice(&bytes[start..i]);
                escape(out, b);
                start = i + 1;
            }
        }
        at = end;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether a byte must be escaped in a JSON string.
fn escapes(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any of 16 bytes must be escaped. (Bitwise, without early exits:
/// the compiler compares the 16 side by side.)
fn block_escapes(block: &[u8; 16]) -> bool {
    block.iter().fold(0u8, |found, &b| {
        found | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    }) != 0
}

/// One byte that must not stand as it is, escaped.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xf)],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    proptest::proptest! {
        /// The same bytes as serde_json: runs of plain text long enough to
        /// fill whole 16-byte blocks, with characters to escape anywhere in
        /// or between them.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(
            text in "([a-z é→]{0,40}[\"\\\\<>&\u{0}-\u{1f}\u{7f}😀]){0,5}[a-z ]{0,20}"
        ) {
            let expected = serde_json::to_string(&text).expect("a string serialises");
            proptest::prop_assert_eq!(written(&text), expected);
        }
    }

    #[test]
    fn control_characters_and_quotes_are_escaped() {
        assert_eq!(written("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
        assert_eq!(written(""), r#""""#);
        let long = format!("{}\t{}", "x".repeat(40), "y".repeat(20));
        assert_eq!(
            written(&long),
            format!("\"{}\\t{}\"", "x".repeat(40), "y".repeat(20))
        );
    }
}
