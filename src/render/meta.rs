//! The files for crawlers: sitemap.xml and robots.txt.

use std::fmt::Write as _;

use crate::markdown::escape;
use crate::model::{Site, Taxonomy};
use crate::render::Artifact;
use crate::render::views::{self, TermCounts};

/// sitemap.xml: every page, with `lastmod` where the content has a date.
pub fn sitemap(site: &Site) -> Artifact {
    let base = &site.config.base_url;
    let mut entries: Vec<(String, Option<&str>)> = vec![
        (String::new(), newest(site)),
        ("exercises/".into(), None),
        ("programs/".into(), None),
    ];
    entries.extend(
        site.exercises
            .iter()
            .map(|e| (views::exercise_url(&e.slug), e.updated.as_deref())),
    );
    entries.extend(
        site.programs
            .iter()
            .map(|p| (views::program_url(&p.slug), p.updated.as_deref())),
    );
    let counts = TermCounts::new(site);
    for taxonomy in Taxonomy::ALL {
        entries.push((format!("{}/", taxonomy.slug()), None));
        if let Some(terms) = counts.counts.get(&taxonomy) {
            entries.extend(terms.keys().map(|t| (views::term_url(taxonomy, t), None)));
        }
    }
    entries.extend(site.pages.iter().map(|p| (format!("{}/", p.slug), None)));
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (url, lastmod) in entries {
        let _ = write!(xml, "  <url><loc>{}</loc>", escape(&format!("{base}{url}")));
        if let Some(date) = lastmod {
            let _ = write!(xml, "<lastmod>{date}</lastmod>");
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    Artifact::new("sitemap.xml", xml)
}

/// The newest `updated` date of any exercise or program.
fn newest(site: &Site) -> Option<&str> {
    site.exercises
        .iter()
        .filter_map(|e| e.updated.as_deref())
        .chain(site.programs.iter().filter_map(|p| p.updated.as_deref()))
        .max()
}

/// robots.txt: everything may be crawled; points at the sitemap.
pub fn robots(site: &Site) -> Artifact {
    Artifact::new(
        "robots.txt",
        format!(
            "User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n",
            site.config.base_url
        ),
    )
}
