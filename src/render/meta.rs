//! The files for crawlers and feed readers: sitemap.xml, robots.txt and feed.xml.

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

/// feed.xml: an Atom feed of exercises and programs, newest `updated` first,
/// the newest `feed.limit` of them (site.yaml). Content without a date is
/// left out: a feed entry needs one, and dates never come from the clock.
pub fn feed(site: &Site) -> Artifact {
    let base = &site.config.base_url;
    let mut entries: Vec<(&str, &str, &str, String)> = site
        .exercises
        .iter()
        .filter_map(|e| {
            e.updated.as_deref().map(|d| {
                (
                    d,
                    e.title.as_str(),
                    e.summary.as_str(),
                    views::exercise_url(&e.slug),
                )
            })
        })
        .chain(site.programs.iter().filter_map(|p| {
            p.updated.as_deref().map(|d| {
                (
                    d,
                    p.title.as_str(),
                    p.summary.as_str(),
                    views::program_url(&p.slug),
                )
            })
        }))
        .collect();
    entries.sort_by(|a, b| b.0.cmp(a.0).then(a.3.cmp(&b.3)));
    entries.truncate(site.config.feed_limit);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    let _ = writeln!(xml, "  <title>{}</title>", escape(&site.config.title));
    if !site.config.description.is_empty() {
        let _ = writeln!(
            xml,
            "  <subtitle>{}</subtitle>",
            escape(&site.config.description)
        );
    }
    let _ = writeln!(xml, "  <id>{}</id>", escape(base));
    let _ = writeln!(xml, "  <link href=\"{}\"/>", escape(base));
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" href=\"{}feed.xml\"/>",
        escape(base)
    );
    let _ = writeln!(
        xml,
        "  <author><name>{}</name></author>",
        escape(&site.config.clinic.name)
    );
    let newest = entries.first().map_or("1970-01-01", |e| e.0);
    let _ = writeln!(xml, "  <updated>{newest}T00:00:00Z</updated>");
    for (date, title, summary, url) in &entries {
        let link = escape(&format!("{base}{url}"));
        let _ = writeln!(
            xml,
            "  <entry>\n    <title>{}</title>\n    <id>{link}</id>\n    <link href=\"{link}\"/>\n    <updated>{date}T00:00:00Z</updated>\n    <summary>{}</summary>\n  </entry>",
            escape(title),
            escape(summary)
        );
    }
    xml.push_str("</feed>\n");
    Artifact::new("feed.xml", xml)
}
