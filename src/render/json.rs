//! JSON strings written fast: the search index and the JSON-LD hold every
//! exercise's text, and nearly none of it needs escaping.

/// Adds `text` to `out` as a JSON string, escaped byte for byte as
/// serde_json writes it: `"` and `\` after a backslash; `\b`, `\f`, `\n`,
/// `\r`, `\t`; other control characters as `\u00xx`. With `script_safe`,
/// `<`, `>` and `&` too (`\u003c`, `\u003e`, `\u0026`), so that the JSON
/// cannot end the `<script>` element it stands in. Runs with nothing to
/// escape are found 16 bytes at a time and copied whole.
pub fn write_str(out: &mut Vec<u8>, text: &str, script_safe: bool) {
    let escapes = |b: u8| {
        b < 0x20 || b == b'"' || b == b'\\' || (script_safe && matches!(b, b'<' | b'>' | b'&'))
    };
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Copied up to here.
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(block) = bytes[at..].first_chunk::<16>()
            && !block_escapes(block, script_safe)
        {
            at += 16;
            continue;
        }
        let b = bytes[at];
        if escapes(b) {
            out.extend_from_slice(&bytes[start..at]);
            escape(out, b);
            start = at + 1;
        }
        at += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any of 16 bytes must be escaped. (Bitwise, without early exits:
/// the compiler compares the 16 side by side.)
fn block_escapes(block: &[u8; 16], script_safe: bool) -> bool {
    let mut always = 0u8;
    let mut in_script = 0u8;
    for &b in block {
        always |= u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
        in_script |= u8::from(b == b'<') | u8::from(b == b'>') | u8::from(b == b'&');
    }
    always != 0 || (script_safe && in_script != 0)
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

    fn written(text: &str, script_safe: bool) -> String {
        let mut out = Vec::new();
        write_str(&mut out, text, script_safe);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    proptest::proptest! {
        /// The same bytes as serde_json, for short texts and for long ones
        /// whose special characters stand anywhere in or across the
        /// 16-byte blocks.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(
            text in "[a-z \"\\\\<>&\\u{0}-\\u{1f}\\u{7f}é→😀]{0,70}"
        ) {
            let expected = serde_json::to_string(&text).expect("a string serialises");
            proptest::prop_assert_eq!(written(&text, false), expected.clone());
            let script_safe = expected
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026");
            proptest::prop_assert_eq!(written(&text, true), script_safe);
        }
    }

    #[test]
    fn control_characters_and_quotes_are_escaped() {
        assert_eq!(written("a\"b\\c\n\u{1}", false), r#""a\"b\\c\n\u0001""#);
        assert_eq!(written("</script>", true), r#""\u003c/script\u003e""#);
        assert_eq!(written("", false), r#""""#);
    }
}
