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
    use rayon::prelude::*;
    let entries: Vec<String> = site
        .exercises
        .par_iter()
        .map(|e| exercise_entry(e))
        .collect();
    index_from(site, &entries)
}

/// One exercise's entry in the index, as JSON: `serve` keeps the entries of
/// exercises that did not change.
pub fn exercise_entry(e: &Exercise) -> String {
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
    // Serialising strings and lists cannot fail.
    serde_json::to_string(&entry).unwrap_or_default()
}

/// The index from the exercises' entries, in the site's order, and the programs.
pub fn index_from(site: &Site, exercises: &[impl AsRef<str>]) -> Artifact {
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
    let programs = serde_json::to_string(&programs).unwrap_or_default();
    let mut json = String::with_capacity(
        exercises
            .iter()
            .map(|e| e.as_ref().len() + 1)
            .sum::<usize>()
            + programs.len()
            + 32,
    );
    json.push_str("{\"exercises\":[");
    for (i, entry) in exercises.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(entry.as_ref());
    }
    json.push_str("],\"programs\":");
    json.push_str(&programs);
    json.push('}');
    Artifact::new("search-index.json", json)
}
