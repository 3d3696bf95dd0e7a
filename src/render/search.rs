//! search-index.json: what the library's search box matches against, read by
//! the theme's script. Titles, summaries, body text and taxonomy terms of
//! every exercise; titles, summaries and intros of every program.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::model::{Exercise, Site, Taxonomy, term_label};
use crate::render::views;
use crate::render::{Artifact, json};

/// An exercise's entry in the index (written by [`write_exercise_entry`];
/// serde writes it in the tests, to check that).
#[cfg_attr(test, derive(Serialize))]
struct ExerciseEntry<'a> {
    slug: &'a str,
    title: &'a str,
    summary: &'a str,
    url: String,
    text: String,
    terms: BTreeMap<&'static str, Vec<&'a str>>,
    labels: BTreeMap<&'static str, Vec<String>>,
}

#[derive(Serialize)]
struct ProgramEntry<'a> {
    slug: &'a str,
    title: &'a str,
    summary: &'a str,
    url: String,
    text: String,
}

/// Writes the index, as compact JSON, into `out` entry by entry: the index
/// of a large library runs to tens of megabytes, and memory never touched
/// before costs more to hand out than the JSON costs to make.
pub fn write(site: &Site, out: &mut dyn Write) -> io::Result<()> {
    let mut entry = Vec::new();
    write_index(site, out, site.exercises.len(), |i, out| {
        entry.clear();
        write_exercise_entry(&site.exercises[i], &mut entry);
        out.write_all(&entry)
    })
}

/// One exercise's entry in the index, as JSON: `serve` keeps the entries of
/// exercises that did not change.
pub fn exercise_entry(e: &Exercise) -> String {
    let mut json = Vec::new();
    write_exercise_entry(e, &mut json);
    String::from_utf8(json).unwrap_or_default()
}

/// An exercise's entry, as serde_json would write [`ExerciseEntry`] (the
/// test `entries_are_what_serde_json_writes` holds them together), its
/// texts written by [`json::write_str`]: the body's text is most of the
/// index. (The small maps of terms go through serde_json.)
fn write_exercise_entry(e: &Exercise, out: &mut Vec<u8>) {
    let entry = ExerciseEntry::of(e);
    let strings: [(&str, &str); 5] = [
        ("slug", entry.slug),
        ("title", entry.title),
        ("summary", entry.summary),
        ("url", &entry.url),
        ("text", &entry.text),
    ];
    for (n, (key, value)) in strings.into_iter().enumerate() {
        out.extend_from_slice(if n == 0 { b"{\"" } else { b",\"" });
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        json::write_str(out, value);
    }
    // (Into memory: cannot fail.)
    out.extend_from_slice(b",\"terms\":");
    let _ = serde_json::to_writer(&mut *out, &entry.terms);
    out.extend_from_slice(b",\"labels\":");
    let _ = serde_json::to_writer(&mut *out, &entry.labels);
    out.push(b'}');
}

impl<'a> ExerciseEntry<'a> {
    fn of(e: &'a Exercise) -> Self {
        ExerciseEntry {
            slug: &e.slug,
            title: &e.title,
            summary: &e.summary,
            url: views::exercise_url(&e.slug),
            text: e.body.plain_text(),
            terms: Taxonomy::ALL
                .iter()
                .map(|t| (t.slug(), e.terms(*t)))
                .collect(),
            labels: Taxonomy::ALL
                .iter()
                .map(|t| {
                    (
                        t.slug(),
                        e.terms(*t)
                            .iter()
                            .map(|term| term_label(*t, term))
                            .collect(),
                    )
                })
                .collect(),
        }
    }
}

/// The index from the exercises' entries, in the site's order, and the programs.
pub fn index_from(site: &Site, exercises: &[impl AsRef<str>]) -> Artifact {
    let size = exercises
        .iter()
        .map(|e| e.as_ref().len() + 1)
        .sum::<usize>();
    let mut json = Vec::with_capacity(size + 1024);
    // Writing into memory cannot fail.
    let _ = write_index(site, &mut json, exercises.len(), |i, out| {
        out.write_all(exercises[i].as_ref().as_bytes())
    });
    Artifact::new("search-index.json", json)
}

/// The index into `out`: `count` exercises, the `i`th written by
/// `entry(i, ...)`, then the site's programs.
fn write_index<W: Write + ?Sized>(
    site: &Site,
    out: &mut W,
    count: usize,
    mut entry: impl FnMut(usize, &mut W) -> io::Result<()>,
) -> io::Result<()> {
    let programs: Vec<ProgramEntry> = site
        .programs
        .iter()
        .map(|p| {
            let mut text = p.intro.plain_text();
            for step in &p.exercises {
                if let Some(e) = site.exercise(&step.exercise) {
                    text.push(' ');
                    text.push_str(&e.title);
                }
            }
            ProgramEntry {
                slug: &p.slug,
                title: &p.title,
                summary: &p.summary,
                url: views::program_url(&p.slug),
                text,
            }
        })
        .collect();
    out.write_all(b"{\"exercises\":[")?;
    for i in 0..count {
        if i > 0 {
            out.write_all(b",")?;
        }
        entry(i, out)?;
    }
    out.write_all(b"],\"programs\":")?;
    serde_json::to_writer(&mut *out, &programs).map_err(io::Error::from)?;
    out.write_all(b"}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_what_serde_json_writes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (site, _) = crate::content::load(root, crate::content::LoadOptions::default())
            .expect("the example site loads");
        let mut odd = (*site.exercises[0]).clone();
        odd.title = "Tab\there, \"quoted\", back\\slash, <b>&amp; \u{1} é→😀".into();
        odd.summary = String::new();
        for e in site.exercises.iter().map(|e| &**e).chain([&odd]) {
            let by_serde = serde_json::to_string(&ExerciseEntry::of(e)).expect("serialises");
            assert_eq!(exercise_entry(e), by_serde, "{}", e.slug);
        }
    }
}
