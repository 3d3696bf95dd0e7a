//! search-index.json: what the library's search box matches against, read by
//! the theme's script. Titles, summaries, body text and taxonomy terms of
//! every exercise; titles, summaries and intros of every program.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Site, Taxonomy, term_label};
use crate::render::Artifact;
use crate::render::views;

#[derive(Serialize)]
struct Index<'a> {
    exercises: Vec<ExerciseEntry<'a>>,
    programs: Vec<ProgramEntry<'a>>,
}

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
    let exercises = site
        .exercises
        .iter()
        .map(|e| ExerciseEntry {
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
        })
        .collect();
    let programs = site
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
    // Serialising strings and lists cannot fail.
    let json = serde_json::to_vec(&Index {
        exercises,
        programs,
    })
    .unwrap_or_default();
    Artifact::new("search-index.json", json)
}
