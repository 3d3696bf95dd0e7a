//! Intrinsic sizes of pictures, so pages can give every `<img>` a width and
//! height and the layout does not jump while pictures load.

use std::path::Path;

/// Width and height in CSS pixels, if the file's header says.
pub fn dimensions(path: &Path) -> Option<(u32, u32)> {
    let is_svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if is_svg {
        let text = std::fs::read_to_string(path).ok()?;
        return svg_dimensions(&text);
    }
    let size = imagesize::size(path).ok()?;
    Some((
        u32::try_from(size.width).ok()?,
        u32::try_from(size.height).ok()?,
    ))
}

/// From the root `<svg>` element: `width`/`height`, else the `viewBox`.
pub fn svg_dimensions(text: &str) -> Option<(u32, u32)> {
    let start = text.find("<svg")?;
    let end = start + text[start..].find('>')?;
    let tag = &text[start..end];
    let attr = |name: &str| -> Option<&str> {
        let key = format!(" {name}=");
        let at = tag.find(&key)? + key.len();
        let quote = tag[at..]
            .chars()
            .next()
            .filter(|q| *q == '"' || *q == '\'')?;
        let rest = &tag[at + quote.len_utf8()..];
        Some(&rest[..rest.find(quote)?])
    };
    let number = |s: &str| -> Option<f64> {
        s.trim()
            .trim_end_matches("px")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n > 0.0 && *n < 100_000.0)
    };
    if let (Some(w), Some(h)) = (
        attr("width").and_then(number),
        attr("height").and_then(number),
    ) {
        return Some((w.round() as u32, h.round() as u32));
    }
    let view_box: Vec<f64> = attr("viewBox")?
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match view_box.as_slice() {
        [_, _, w, h] if *w > 0.0 && *h > 0.0 && *w < 100_000.0 && *h < 100_000.0 => {
            Some((w.round() as u32, h.round() as u32))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_svg_sizes() {
        assert_eq!(
            svg_dimensions(r#"<svg xmlns="x" width="400" height="260">"#),
            Some((400, 260))
        );
        assert_eq!(
            svg_dimensions(r#"<svg viewBox="0 0 120 80">"#),
            Some((120, 80))
        );
        assert_eq!(svg_dimensions(r#"<svg width="100%">"#), None);
        assert_eq!(
            svg_dimensions("<svg width=\u{e9}400\" height=\"5\">"),
            None,
            "no panic on a multi-byte quote"
        );
        assert_eq!(svg_dimensions(r#"<svg width="inf" height="1e40">"#), None);
    }
}
