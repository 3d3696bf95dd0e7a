//! Free pages such as about and contact: a title, a summary and Markdown.

use std::path::Path;

use serde::Deserialize;

use crate::content::check::FileCheck;
use crate::content::exercise::slug_for;
use crate::content::yaml::{self, Spanned};
use crate::diagnostics::Diagnostic;
use crate::markdown::{self, MarkdownOptions};
use crate::model::Page;

/// A page's front matter. The doc comments are the reference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    /// The page's title (required).
    title: Option<Spanned<String>>,
    /// The URL name; defaults to the file name without `.md`.
    slug: Option<Spanned<String>>,
    /// One sentence: the meta description.
    summary: Option<Spanned<String>>,
}

/// A page with where its slug was written and its `@/...` links.
pub type ParsedPage = (Page, (usize, usize), Vec<crate::content::links::LinkRef>);

/// Parses one page file. `file` is relative to the site folder.
pub fn parse(
    file: &Path,
    source: &str,
    options: MarkdownOptions,
) -> Result<ParsedPage, Vec<Diagnostic>> {
    let front = yaml::split_front_matter(file, source).map_err(|d| vec![d])?;
    if front.yaml.trim().is_empty() {
        return Err(vec![
            Diagnostic::error(file, "the front matter is empty")
                .at(source, 1, 1)
                .width(3)
                .hint("add at least `title:` between the two `---` lines"),
        ]);
    }
    let (mut check, raw) = FileCheck::read::<RawPage>(file, source, front.yaml, front.yaml_line)?;
    let title = check.required(raw.title, "title", "add a line `title: ...`");
    let (slug, position) = slug_for(&mut check, file, raw.slug);
    let summary = raw
        .summary
        .map(|s| s.value.trim().to_string())
        .unwrap_or_default();
    if !check.errors.is_empty() {
        return Err(check.errors);
    }
    let body = markdown::parse(front.body, options);
    let links = crate::content::links::in_body(&body, source, source.len() - front.body.len());
    Ok((
        Page {
            slug,
            title,
            summary,
            body,
            source: file.to_path_buf(),
        },
        position,
        links,
    ))
}
