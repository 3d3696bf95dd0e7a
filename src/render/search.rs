//! search-index.json: what the library's search box matches against, read by
//! the theme's script. Titles, summaries, body text and taxonomy terms of
//! every exercise; titles, summaries and intros of every program.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Exercise, Site, Taxonomy, term_label};
use crate::render::Artifact;
use crate::render::views;

#[derive(Serialize)]
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

/// The index, as compact JSON.
pub fn index(site: &Site) -> Artifact {
    // Each entry is written straight into the index: the index of a large
    // library runs to tens of megabytes, and copying it again costs more
    // than making it.
    let count = site.exercises.len();
    write_index(site, count, count * 4096, |i, json| {
        write_exercise_entry(&site.exercises[i], json)
    })
}

/// One exercise's entry in the index, as JSON: `serve` keeps the entries of
/// exercises that did not change.
pub fn exercise_entry(e: &Exercise) -> String {
    let mut json = Vec::new();
    write_exercise_entry(e, &mut json);
    // serde_json writes UTF-8.
    String::from_utf8(json).unwrap_or_default()
}

fn write_exercise_entry(e: &Exercise, out: &mut Vec<u8>) {
    let entry = ExerciseEntry {
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
    };
    // Writing strings and lists into memory cannot fail.
    let _ = serde_json::to_writer(out, &entry);
}

/// The index from the exercises' entries, in the site's order, and the programs.
pub fn index_from(site: &Site, exercises: &[impl AsRef<str>]) -> Artifact {
    let size = exercises.iter().map(|e| e.as_ref().len() + 1).sum();
    write_index(site, exercises.len(), size, |i, json| {
        json.extend_from_slice(exercises[i].as_ref().as_bytes())
    })
}

/// The index: `count` exercises, the `i`th written by `entry(i, ...)`, then
/// the site's programs. `size` is about the exercises' length in bytes.
fn write_index(
    site: &Site,
    count: usize,
    size: usize,
    mut entry: impl FnMut(usize, &mut Vec<u8>),
) -> Artifact {
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
    let mut json = Vec::with_capacity(size + 1024);
    json.extend_from_slice(b"{\"exercises\":[");
    for i in 0..count {
        if i > 0 {
            json.push(b',');
        }
        entry(i, &mut json);
    }
    json.extend_from_slice(b"],\"programs\":");
    let _ = serde_json::to_writer(&mut json, &programs);
    json.push(b'}');
    Artifact::new("search-index.json", json)
}
