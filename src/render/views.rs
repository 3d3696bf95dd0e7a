//! What templates see. These structs are the theme authors' contract:
//! every field is documented in docs/themes.md, and nothing else reaches a
//! template (no environment, no clock, no file system).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::content::links;
use crate::markdown;
use crate::model::{Dosage, Exercise, Program, Site, Taxonomy, term_label};

/// Data every page receives as `site`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub base_url: String,
    pub language: String,
    pub clinic: ClinicView,
    /// The site disclaimer; every page must show it.
    pub disclaimer: String,
    /// Free pages, for the navigation.
    pub pages: Vec<Link>,
    /// The taxonomies, for the navigation.
    pub taxonomies: Vec<Link>,
}

/// The clinic's details.
#[derive(Debug, Clone, Serialize)]
pub struct ClinicView {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// `tel:` link target for the phone number.
    pub phone_href: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Site-relative URL of the logo, e.g. `static/logo.svg`.
    pub logo: Option<String>,
}

/// A titled link; `url` is relative to the site root (prefix it with `root`).
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// A stylesheet or script under static/, as `assets["css/clinic.css"]`.
#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    /// Site-relative URL with a content hash, e.g. `static/css/clinic.css?v=1a2b3c4d`,
    /// so browsers may cache it for long and still get a changed file at once.
    pub url: String,
    /// Subresource integrity value (`sha384-...`) for the `integrity` attribute.
    pub integrity: String,
}

/// The assets of a site: every `.css` and `.js` file among the static
/// artifacts, keyed by its path inside static/.
pub fn assets(artifacts: &[crate::render::Artifact]) -> BTreeMap<String, Asset> {
    use base64::Engine as _;
    use sha2::{Digest, Sha384};
    artifacts
        .iter()
        .filter_map(|a| {
            let key = a.path.strip_prefix("static/")?;
            if !(key.ends_with(".css") || key.ends_with(".js")) {
                return None;
            }
            let digest = Sha384::digest(&a.bytes);
            let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
            Some((
                key.to_string(),
                Asset {
                    url: format!("{}?v={short}", a.path),
                    integrity: format!(
                        "sha384-{}",
                        base64::engine::general_purpose::STANDARD.encode(digest)
                    ),
                },
            ))
        })
        .collect()
}

/// Data every page receives as `page`.
#[derive(Debug, Clone, Serialize)]
pub struct PageMeta {
    /// The page's own title (without the site title).
    pub title: String,
    /// The meta description.
    pub description: String,
    /// Site-relative URL of this page, e.g. `exercises/cat-cow/` (empty for home).
    pub url: String,
    /// Absolute URL of this page (`base_url` + `url`).
    pub permalink: String,
    /// Which template kind: home, library, exercise, program, taxonomy, term, page, not-found.
    pub kind: &'static str,
    /// OpenGraph type: `article` for exercises and programs, else `website`.
    pub og_type: &'static str,
    /// Absolute URL of the page's picture (an exercise's first image), for OpenGraph.
    pub image: Option<String>,
    /// schema.org JSON-LD for the page (exercises: HowTo; programs: ExercisePlan),
    /// escaped for a `<script type="application/ld+json">` element.
    pub json_ld: Option<String>,
}

/// schema.org `HowTo` of an exercise: its steps, tools and picture.
pub fn exercise_json_ld(site: &Site, exercise: &Exercise) -> String {
    let base = &site.config.base_url;
    let steps = exercise.body.steps().unwrap_or(&[]);
    script_json(&HowTo {
        context: SCHEMA_ORG,
        kind: "HowTo",
        date_modified: exercise.updated.as_deref(),
        description: &exercise.summary,
        image: exercise
            .images
            .first()
            .map(|image| format!("{base}static/{}", image.src)),
        name: &exercise.title,
        step: steps
            .iter()
            .enumerate()
            .map(|(i, step)| HowToStep {
                kind: "HowToStep",
                position: i + 1,
                text: markdown::blocks_plain_text(step),
            })
            .collect(),
        tool: exercise
            .equipment
            .iter()
            .map(|e| Named {
                kind: "HowToTool",
                name: term_label(Taxonomy::Equipment, e),
            })
            .collect(),
        url: format!("{base}{}", exercise_url(&exercise.slug)),
    })
}

/// schema.org `ExercisePlan` of a program, with its exercises in order.
pub fn program_json_ld(site: &Site, program: &Program) -> String {
    let base = &site.config.base_url;
    script_json(&ExercisePlan {
        context: SCHEMA_ORG,
        kind: "ExercisePlan",
        activity_frequency: program.frequency.as_deref(),
        date_modified: program.updated.as_deref(),
        description: &program.summary,
        has_part: program
            .exercises
            .iter()
            .filter_map(|step| site.exercise(&step.exercise))
            .map(|e| Part {
                kind: "HowTo",
                name: &e.title,
                url: format!("{base}{}", exercise_url(&e.slug)),
            })
            .collect(),
        name: &program.title,
        url: format!("{base}{}", program_url(&program.slug)),
    })
}

const SCHEMA_ORG: &str = "https://schema.org";

// The JSON-LD types, their keys in alphabetical order (the order readers of
// earlier output saw).

#[derive(Serialize)]
struct HowTo<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "dateModified", skip_serializing_if = "Option::is_none")]
    date_modified: Option<&'a str>,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    name: &'a str,
    step: Vec<HowToStep>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool: Vec<Named>,
    url: String,
}

#[derive(Serialize)]
struct HowToStep {
    #[serde(rename = "@type")]
    kind: &'static str,
    position: usize,
    text: String,
}

#[derive(Serialize)]
struct Named {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
struct ExercisePlan<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "activityFrequency", skip_serializing_if = "Option::is_none")]
    activity_frequency: Option<&'a str>,
    #[serde(rename = "dateModified", skip_serializing_if = "Option::is_none")]
    date_modified: Option<&'a str>,
    description: &'a str,
    #[serde(rename = "hasPart")]
    has_part: Vec<Part<'a>>,
    name: &'a str,
    url: String,
}

#[derive(Serialize)]
struct Part<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    url: String,
}

/// JSON that cannot end its `<script>` element early: `<`, `>` and `&` in
/// strings written as `\u003c`, `\u003e` and `\u0026`.
fn script_json(value: &impl Serialize) -> String {
    let mut out = Vec::with_capacity(1024);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, ScriptSafe);
    value
        .serialize(&mut serializer)
        .expect("JSON-LD serialises: plain structs of strings and numbers");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// serde_json's compact format, with `<`, `>` and `&` escaped in strings.
struct ScriptSafe;

impl serde_json::ser::Formatter for ScriptSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = memchr::memchr3(b'<', b'>', b'&', rest.as_bytes()) {
            writer.write_all(&rest.as_bytes()[..at])?;
            writer.write_all(match rest.as_bytes()[at] {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                _ => b"\\u0026",
            })?;
            rest = &rest[at + 1..];
        }
        writer.write_all(rest.as_bytes())
    }
}

/// An exercise as listed in cards (library, programs, terms, related).
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Site-relative URL, `exercises/<slug>/`.
    pub url: String,
    /// The default dosage line, e.g. "10 reps · 2 sets".
    pub dosage: String,
    pub difficulty: Option<String>,
    pub position: Option<String>,
    /// Equipment labels ("No equipment" when none).
    pub equipment: Vec<String>,
    pub cautions: Vec<String>,
    /// The first picture, if any.
    pub image: Option<ImageView>,
    /// Taxonomy slug -> term slugs, e.g. for `data-` filter attributes.
    pub terms: BTreeMap<&'static str, Vec<String>>,
}

/// A picture.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    /// Site-relative URL, `static/<src>`.
    pub url: String,
    pub alt: String,
    pub caption: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The dosage, key by key, and as one line.
#[derive(Debug, Clone, Serialize)]
pub struct DosageView {
    pub reps: Option<u32>,
    pub sets: Option<u32>,
    pub hold_seconds: Option<u32>,
    pub rest_seconds: Option<u32>,
    pub sides: Option<String>,
    pub frequency: Option<String>,
    /// "10 reps · 2 sets · hold 5 s · both sides".
    pub summary: String,
}

/// What an exercise page's `exercise` has besides its card's fields and
/// its related exercises' cards (`related`).
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseView {
    /// The Markdown body as HTML (steps, tips, variations).
    pub body_html: String,
    pub dosage_detail: DosageView,
    pub images: Vec<ImageView>,
    pub video: Option<String>,
    /// A privacy-friendly player address (youtube-nocookie.com, Vimeo with
    /// do-not-track) when site.yaml has `videos: {embed: true}` and the video
    /// is on YouTube or Vimeo; else empty.
    pub video_embed: Option<String>,
    // (`taxonomies`, the taxonomies with this exercise's terms, each
    // linked, stands here among the template's keys: the page adds it from
    // links made once for the build, `render::html::TermLinks`.)
    /// Programs that include this exercise.
    pub programs: Vec<Link>,
    pub updated: Option<String>,
    /// Site-relative URL of the printable sheet, when handouts are built.
    pub handout_url: Option<String>,
}

/// A taxonomy with some of its terms.
#[derive(Debug, Clone, Serialize)]
pub struct TermGroup {
    pub slug: &'static str,
    pub label: &'static str,
    pub url: String,
    pub terms: Vec<TermLink>,
}

/// A term of a taxonomy with its page and how many exercises have it.
#[derive(Debug, Clone, Serialize)]
pub struct TermLink {
    pub slug: String,
    pub label: String,
    pub url: String,
    pub count: usize,
}

/// One program page's data, as `program`.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramView {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub url: String,
    pub frequency: Option<String>,
    pub intro_html: String,
    pub steps: Vec<ProgramStepView>,
    pub updated: Option<String>,
    /// Site-relative URL of the printable handout, when handouts are built.
    pub handout_url: Option<String>,
}

/// A program as listed in cards.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub url: String,
    pub frequency: Option<String>,
    /// How many exercises it has.
    pub count: usize,
}

/// One exercise within a program, with the program's dosage.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramStepView {
    /// 1-based position in the program.
    pub number: usize,
    pub exercise: ExerciseCard,
    /// The effective dosage: the exercise's default with the program's overrides.
    pub dosage: DosageView,
    pub note: Option<String>,
}

pub fn site_view(site: &Site) -> SiteView {
    let c = &site.config;
    SiteView {
        title: c.title.clone(),
        description: c.description.clone(),
        base_url: c.base_url.clone(),
        language: c.language.clone(),
        clinic: ClinicView {
            name: c.clinic.name.clone(),
            address: c.clinic.address.clone(),
            phone: c.clinic.phone.clone(),
            phone_href: c.clinic.phone.as_ref().map(|p| {
                let digits: String = p
                    .chars()
                    .filter(|ch| ch.is_ascii_digit() || *ch == '+')
                    .collect();
                format!("tel:{digits}")
            }),
            email: c.clinic.email.clone(),
            website: c
                .clinic
                .website
                .clone()
                .filter(|w| markdown::is_safe_url(w)),
            logo: c.clinic.logo.as_ref().map(|l| format!("static/{l}")),
        },
        disclaimer: c.disclaimers.site.clone(),
        pages: site
            .pages
            .iter()
            .map(|p| Link {
                title: p.title.clone(),
                url: format!("{}/", p.slug),
            })
            .collect(),
        taxonomies: Taxonomy::ALL
            .iter()
            .map(|t| Link {
                title: t.label().to_string(),
                url: format!("{}/", t.slug()),
            })
            .collect(),
    }
}

pub fn exercise_url(slug: &str) -> String {
    format!("exercises/{slug}/")
}

pub fn program_url(slug: &str) -> String {
    format!("programs/{slug}/")
}

/// Where an exercise's one-exercise sheet is, in the output.
pub fn exercise_handout_path(slug: &str) -> String {
    format!("handouts/exercises/{slug}.pdf")
}

/// Where a program's handout is, in the output.
pub fn program_handout_path(slug: &str) -> String {
    format!("handouts/{slug}.pdf")
}

pub fn term_url(taxonomy: Taxonomy, term: &str) -> String {
    format!("{}/{term}/", taxonomy.slug())
}

fn image_view(image: &crate::model::Image) -> ImageView {
    ImageView {
        url: format!("static/{}", image.src),
        alt: image.alt.clone(),
        caption: image.caption.clone(),
        width: image.width,
        height: image.height,
    }
}

pub fn exercise_card(exercise: &Exercise) -> ExerciseCard {
    ExerciseCard {
        slug: exercise.slug.clone(),
        title: exercise.title.clone(),
        summary: exercise.summary.clone(),
        url: exercise_url(&exercise.slug),
        dosage: exercise.dosage.summary(),
        difficulty: exercise
            .difficulty
            .map(|d| term_label(Taxonomy::Difficulty, d.as_str())),
        position: exercise
            .position
            .as_ref()
            .map(|p| term_label(Taxonomy::Position, p)),
        equipment: exercise
            .terms(Taxonomy::Equipment)
            .iter()
            .map(|t| term_label(Taxonomy::Equipment, t))
            .collect(),
        cautions: exercise.cautions.clone(),
        image: exercise.images.first().map(image_view),
        terms: Taxonomy::ALL
            .iter()
            .map(|t| {
                (
                    t.slug(),
                    exercise.terms(*t).iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect(),
    }
}

pub fn dosage_view(dosage: &Dosage) -> DosageView {
    DosageView {
        reps: dosage.reps,
        sets: dosage.sets,
        hold_seconds: dosage.hold_seconds,
        rest_seconds: dosage.rest_seconds,
        sides: dosage.sides.map(|s| {
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        }),
        frequency: dosage.frequency.clone(),
        summary: dosage.summary(),
    }
}

/// The privacy-friendly player for a YouTube or Vimeo address.
pub fn embed_url(video: &str) -> Option<String> {
    let rest = video.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.trim_start_matches("www.").trim_start_matches("m.");
    let id_ok = |id: &str| {
        !id.is_empty()
            && id.len() <= 32
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let id = match host {
        "youtube.com" => path
            .strip_prefix("watch?")
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("v=")))
            .or_else(|| path.strip_prefix("embed/"))
            .or_else(|| path.strip_prefix("shorts/")),
        "youtu.be" => Some(path),
        "vimeo.com" => {
            let id = path.split(['?', '#', '/']).next().unwrap_or("");
            return (id_ok(id) && id.chars().all(|c| c.is_ascii_digit()))
                .then(|| format!("https://player.vimeo.com/video/{id}?dnt=1"));
        }
        _ => None,
    }?;
    let id = id.split(['?', '&', '#', '/']).next().unwrap_or("");
    id_ok(id).then(|| format!("https://www.youtube-nocookie.com/embed/{id}"))
}

/// Which programs include each exercise: exercise slug -> programs, in the
/// site's order, each once.
pub struct ProgramsOf<'a>(std::collections::HashMap<&'a str, Vec<&'a Program>>);

impl<'a> ProgramsOf<'a> {
    pub fn new(site: &'a Site) -> Self {
        let mut of: std::collections::HashMap<&str, Vec<&Program>> =
            std::collections::HashMap::new();
        for program in &site.programs {
            for step in &program.exercises {
                let programs = of.entry(step.exercise.as_str()).or_default();
                if !programs.last().is_some_and(|p| std::ptr::eq(*p, program)) {
                    programs.push(program);
                }
            }
        }
        ProgramsOf(of)
    }

    /// Links to the programs that include the exercise `slug`.
    pub fn links(&self, slug: &str) -> Vec<Link> {
        self.0.get(slug).map_or_else(Vec::new, |programs| {
            programs
                .iter()
                .map(|p| Link {
                    title: p.title.clone(),
                    url: program_url(&p.slug),
                })
                .collect()
        })
    }
}

/// An exercise page's data; `root` leads from the page to the site root.
pub fn exercise_view(
    site: &Site,
    exercise: &Exercise,
    programs: &ProgramsOf,
    handouts: bool,
    root: &str,
) -> ExerciseView {
    ExerciseView {
        body_html: markdown::to_html(&exercise.body, &|href| {
            links::rewrite(href, &site.links, root)
        }),
        dosage_detail: dosage_view(&exercise.dosage),
        images: exercise.images.iter().map(image_view).collect(),
        video: exercise.video.clone(),
        video_embed: exercise
            .video
            .as_deref()
            .filter(|_| site.config.embed_videos)
            .and_then(embed_url),
        programs: programs.links(&exercise.slug),
        updated: exercise.updated.clone(),
        handout_url: handouts.then(|| exercise_handout_path(&exercise.slug)),
    }
}

pub fn program_card(program: &Program) -> ProgramCard {
    ProgramCard {
        slug: program.slug.clone(),
        title: program.title.clone(),
        summary: program.summary.clone(),
        url: program_url(&program.slug),
        frequency: program.frequency.clone(),
        count: program.exercises.len(),
    }
}

/// A program page's data; `root` leads from the page to the site root.
pub fn program_view(site: &Site, program: &Program, handouts: bool, root: &str) -> ProgramView {
    ProgramView {
        slug: program.slug.clone(),
        title: program.title.clone(),
        summary: program.summary.clone(),
        url: program_url(&program.slug),
        frequency: program.frequency.clone(),
        intro_html: markdown::to_html(&program.intro, &|href| {
            links::rewrite(href, &site.links, root)
        }),
        steps: program
            .exercises
            .iter()
            .enumerate()
            .filter_map(|(i, step)| {
                site.exercise(&step.exercise)
                    .map(|exercise| ProgramStepView {
                        number: i + 1,
                        exercise: exercise_card(exercise),
                        dosage: dosage_view(&step.dosage),
                        note: step.note.clone(),
                    })
            })
            .collect(),
        updated: program.updated.clone(),
        handout_url: handouts.then(|| program_handout_path(&program.slug)),
    }
}

/// How many exercises have each term, per taxonomy, sorted by term; and
/// the order in which readers expect exercises listed (by title).
pub struct TermCounts {
    /// Taxonomy -> term -> positions in `site.exercises`, in title order.
    pub counts: BTreeMap<Taxonomy, BTreeMap<String, Vec<usize>>>,
    /// Positions in `site.exercises`, in title order.
    pub by_title: Vec<usize>,
}

impl TermCounts {
    /// Indexes the site's exercises (by position in `site.exercises`) under each term.
    pub fn new(site: &Site) -> Self {
        use rayon::prelude::*;
        // (In parallel: the pages wait for this, a site may have thousands.)
        let mut keyed: Vec<(String, &str, usize)> = site
            .exercises
            .par_iter()
            .enumerate()
            .map(|(i, exercise)| (exercise.title.to_lowercase(), exercise.slug.as_str(), i))
            .collect();
        keyed.par_sort_unstable();
        let by_title: Vec<usize> = keyed.into_iter().map(|(.., i)| i).collect();
        let counts: BTreeMap<Taxonomy, BTreeMap<String, Vec<usize>>> = Taxonomy::ALL
            .par_iter()
            .map(|&taxonomy| {
                // Borrowed terms while counting: one allocation per term, not per use.
                let mut terms: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for &i in &by_title {
                    for term in site.exercises[i].terms(taxonomy) {
                        terms.entry(term).or_default().push(i);
                    }
                }
                let terms = terms
                    .into_iter()
                    .map(|(term, exercises)| (term.to_string(), exercises))
                    .collect();
                (taxonomy, terms)
            })
            .collect();
        TermCounts { counts, by_title }
    }
}

/// Program cards in title order.
pub fn program_cards(site: &Site) -> Vec<ProgramCard> {
    let mut cards: Vec<ProgramCard> = site.programs.iter().map(program_card).collect();
    cards.sort_by_cached_key(|c| (c.title.to_lowercase(), c.slug.clone()));
    cards
}

impl TermCounts {
    pub fn link(&self, taxonomy: Taxonomy, term: &str) -> TermLink {
        TermLink {
            slug: term.to_string(),
            label: term_label(taxonomy, term),
            url: term_url(taxonomy, term),
            count: self
                .counts
                .get(&taxonomy)
                .and_then(|t| t.get(term))
                .map_or(0, Vec::len),
        }
    }

    /// Every taxonomy with all its terms, for filters and overviews.
    pub fn groups(&self) -> Vec<TermGroup> {
        Taxonomy::ALL
            .iter()
            .map(|t| TermGroup {
                slug: t.slug(),
                label: t.label(),
                url: format!("{}/", t.slug()),
                terms: {
                    let mut terms: Vec<TermLink> =
                        self.counts.get(t).map_or_else(Vec::new, |terms| {
                            terms.keys().map(|term| self.link(*t, term)).collect()
                        });
                    // Difficulty reads in its own order: beginner, intermediate, advanced.
                    if *t == Taxonomy::Difficulty {
                        terms.sort_by_key(|term| {
                            crate::model::Difficulty::ALL
                                .iter()
                                .position(|d| *d == term.slug)
                        });
                    }
                    terms
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_of_an_exercise_are_listed_once_each_in_site_order() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (mut site, _) = crate::content::load(root, crate::content::LoadOptions::default())
            .expect("the example site loads");
        // A program that lists one exercise twice is named once.
        let twice = site.programs[0].exercises[0].clone();
        site.programs[0].exercises.push(twice);
        let index = ProgramsOf::new(&site);
        let mut shown = 0;
        for exercise in &site.exercises {
            let expected: Vec<String> = site
                .programs
                .iter()
                .filter(|p| p.exercises.iter().any(|s| s.exercise == exercise.slug))
                .map(|p| program_url(&p.slug))
                .collect();
            let links: Vec<String> = index
                .links(&exercise.slug)
                .into_iter()
                .map(|l| l.url)
                .collect();
            assert_eq!(links, expected, "{}", exercise.slug);
            shown += links.len();
        }
        assert!(shown > 5, "the example site's programs include exercises");
    }
}
