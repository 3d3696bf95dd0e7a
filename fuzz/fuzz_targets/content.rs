//! One fuzz target for every text parser movepress runs on a site's sources.
//!
//! The first input byte picks the parser (`byte % 6`) and, with its top bit,
//! whether raw HTML is allowed in Markdown; the rest is the source, decoded as
//! lossy UTF-8 so that every input reaches a parser. Every returned diagnostic
//! is rendered in all formats, since snippet rendering is where character
//! columns meet byte offsets.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use movepress::diagnostics::{self, Diagnostic, Format};
use movepress::markdown::{self, Document, MarkdownOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let source = String::from_utf8_lossy(rest);
    let source = source.as_ref();
    let options = MarkdownOptions {
        allow_html: selector & 0x80 != 0,
    };
    match selector % 6 {
        0 => {
            let file = Path::new("content/exercises/fuzz.md");
            match movepress::content::exercise::parse(file, source, options) {
                Ok(parsed) => html(&parsed.exercise.body),
                Err(diags) => render(&diags),
            }
        }
        1 => {
            let file = Path::new("content/programs/fuzz.yaml");
            match movepress::content::program::parse(file, source, options) {
                Ok(parsed) => html(&parsed.program.intro),
                Err(diags) => render(&diags),
            }
        }
        2 => {
            let file = Path::new("content/pages/fuzz.md");
            match movepress::content::page::parse(file, source, options) {
                Ok((page, _, _)) => html(&page.body),
                Err(diags) => render(&diags),
            }
        }
        3 => {
            if let Err(diags) = movepress::config::parse(Path::new("site.yaml"), source) {
                render(&diags);
            }
        }
        4 => {
            let document = markdown::parse(source, options);
            html(&document);
        }
        _ => {
            let _ = movepress::images::svg_dimensions(source);
        }
    }
});

fn html(document: &Document) {
    let _ = markdown::to_html(document, &|href| href.to_string());
    let _ = document.plain_text();
    let _ = document.steps();
}

fn render(diags: &[Diagnostic]) {
    for format in [Format::Human, Format::Json, Format::Github] {
        let _ = diagnostics::render(diags, format, false);
    }
    let _ = diagnostics::render(diags, Format::Human, true);
}
