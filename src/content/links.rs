//! Internal links between content, written as paths to source files the way
//! Zola does: `[Cat-Cow](@/exercises/cat-cow.md)`. They are checked when the
//! site is loaded and turned into page addresses when it is rendered, so a
//! renamed slug never breaks a link and a mistyped one is an error.

use std::collections::BTreeMap;

use crate::content::line_column;
use crate::markdown::{self, Block, Document, Inline};

/// The prefix of an internal link.
pub const PREFIX: &str = "@/";

/// An internal link as written, with where it is in its file.
#[derive(Debug, Clone)]
pub struct LinkRef {
    /// The source path after `@/`, without any `#fragment`: `exercises/cat-cow.md`.
    pub target: String,
    pub line: usize,
    pub column: usize,
}

/// Splits `@/exercises/cat-cow.md#steps` into the source path and `#steps`.
pub fn split(href: &str) -> Option<(&str, &str)> {
    let rest = href.strip_prefix(PREFIX)?;
    Some(match rest.find('#') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    })
}

/// Every internal link of a Markdown body that starts at byte `body_start`
/// of `source` (the file's full text).
pub fn in_body(document: &Document, source: &str, body_start: usize) -> Vec<LinkRef> {
    let mut found = Vec::new();
    each_link(&document.blocks, &mut |href, offset| {
        if let Some((target, _)) = split(href) {
            let (line, column) = line_column(source, body_start + offset);
            found.push(LinkRef {
                target: target.to_string(),
                line,
                column,
            });
        }
    });
    found
}

/// Every internal link of a Markdown text that is a YAML value (a program's
/// `intro`), placed by a function from its own (line, column) to the file's.
pub fn in_value(
    document: &Document,
    text: &str,
    place: &dyn Fn(usize, usize) -> (usize, usize),
) -> Vec<LinkRef> {
    let mut found = Vec::new();
    each_link(&document.blocks, &mut |href, offset| {
        if let Some((target, _)) = split(href) {
            let (line, column) = line_column(text, offset);
            let (line, column) = place(line, column);
            found.push(LinkRef {
                target: target.to_string(),
                line,
                column,
            });
        }
    });
    found
}

/// Every internal link target (`exercises/cat-cow.md`) written anywhere in
/// `text`, e.g. the debug text of an exercise: wherever Markdown may hold a
/// link or a picture. May find more than the links a page shows, never fewer.
pub fn targets_in(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let at = rest.find(PREFIX)?;
        rest = &rest[at + PREFIX.len()..];
        let end = rest.find(['"', '#', '\\']).unwrap_or(rest.len());
        Some(&rest[..end])
    })
}

/// Every link in `blocks`, at any depth: its target and its offset.
fn each_link(blocks: &[Block], visit: &mut dyn FnMut(&str, usize)) {
    markdown::walk(blocks, &mut |node| {
        if let markdown::Node::Inline(Inline::Link(link)) = node {
            visit(&link.href, link.offset);
        }
    });
}

/// Rewrites a link target for a page `root` away from the site root: internal
/// links become page addresses; everything else is left as written.
pub fn rewrite(href: &str, links: &BTreeMap<String, String>, root: &str) -> String {
    match split(href) {
        Some((target, fragment)) => match links.get(target) {
            Some(url) => format!("{root}{url}{fragment}"),
            // Unknown targets were reported when loading; never reached in a build.
            None => href.to_string(),
        },
        None => href.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_rewrites() {
        assert_eq!(
            split("@/exercises/cat-cow.md#steps"),
            Some(("exercises/cat-cow.md", "#steps"))
        );
        assert_eq!(split("../x/"), None);
        let links = BTreeMap::from([(
            "exercises/cat-cow.md".to_string(),
            "exercises/cat-cow/".to_string(),
        )]);
        assert_eq!(
            rewrite("@/exercises/cat-cow.md#steps", &links, "../../"),
            "../../exercises/cat-cow/#steps"
        );
        assert_eq!(rewrite("https://x.org", &links, "../"), "https://x.org");
    }
}
