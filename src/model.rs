//! The site as plain data: what was read and checked, ready for every
//! renderer to read. Nothing here does I/O.

use std::path::PathBuf;

use serde::Serialize;

use crate::markdown::Document;

/// A whole site: configuration and content, checked and sorted by slug.
#[derive(Debug, Clone)]
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    pub exercises: Vec<std::sync::Arc<Exercise>>,
    pub programs: Vec<Program>,
    pub pages: Vec<Page>,
    /// Files under static/, relative to it, sorted.
    pub static_files: Vec<PathBuf>,
    /// Internal link targets: source path under content/ (`exercises/cat-cow.md`)
    /// -> site-relative address (`exercises/cat-cow/`).
    pub links: std::sync::Arc<std::collections::BTreeMap<String, String>>,
    /// Where each exercise is in `exercises`, by slug: made on first use.
    pub positions: ExercisePositions,
}

/// Finds an exercise's position in [`Site::exercises`] by its slug's hash:
/// pages and handouts look up tens of thousands of slugs (related
/// exercises, program steps), and a binary search through thousands of
/// exercises reads a slug far away in memory at each step. Every answer is
/// checked against the exercise found, so a stale or colliding entry only
/// sends the lookup to the binary search.
#[derive(Default)]
pub struct ExercisePositions(std::sync::OnceLock<rustc_hash::FxHashMap<u64, u32>>);

impl Clone for ExercisePositions {
    /// A copy starts empty: the copied site may change its exercises.
    fn clone(&self) -> Self {
        ExercisePositions::default()
    }
}

impl std::fmt::Debug for ExercisePositions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExercisePositions")
    }
}

fn slug_hash(slug: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(slug)
}

/// site.yaml, checked.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Always ends with `/`.
    pub base_url: String,
    pub language: String,
    pub theme: String,
    pub clinic: Clinic,
    pub disclaimers: Disclaimers,
    pub handouts: HandoutSettings,
    pub markdown: MarkdownSettings,
    /// Embed YouTube and Vimeo videos (privacy-friendly players) instead of linking them.
    pub embed_videos: bool,
    /// How many entries feed.xml holds at most: the newest.
    pub feed_limit: usize,
}

/// The clinic behind the site, shown in headers and footers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Clinic {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Path inside static/.
    pub logo: Option<String>,
}

/// The texts every web page and every handout page must carry.
#[derive(Debug, Clone, Serialize)]
pub struct Disclaimers {
    pub site: String,
    pub handout: String,
}

/// Paper size of printed handouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    Letter,
    A4,
}

/// How handouts are printed.
#[derive(Debug, Clone, Serialize)]
pub struct HandoutSettings {
    pub paper: Paper,
    /// Body text size in points (12 or more).
    pub font_size: u32,
    /// How many days the tracking log covers.
    pub tracking_days: u32,
}

/// How Markdown is read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MarkdownSettings {
    pub allow_html: bool,
}

/// One exercise, from content/exercises/<slug>.md.
#[derive(Debug, Clone, Hash)]
pub struct Exercise {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub regions: Vec<String>,
    pub focus: Vec<String>,
    pub position: Option<String>,
    pub equipment: Vec<String>,
    pub difficulty: Option<Difficulty>,
    pub dosage: Dosage,
    pub cautions: Vec<String>,
    pub images: Vec<Image>,
    pub video: Option<String>,
    pub related: Vec<String>,
    /// `YYYY-MM-DD`.
    pub updated: Option<String>,
    pub draft: bool,
    /// Shared, not copied, by the parsed file and the site made of it.
    pub body: std::sync::Arc<Document>,
    /// Relative to the site folder.
    pub source: PathBuf,
}

/// How hard an exercise is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

impl Difficulty {
    pub const ALL: [&'static str; 3] = ["beginner", "intermediate", "advanced"];

    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Beginner => "beginner",
            Difficulty::Intermediate => "intermediate",
            Difficulty::Advanced => "advanced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "beginner" => Some(Difficulty::Beginner),
            "intermediate" => Some(Difficulty::Intermediate),
            "advanced" => Some(Difficulty::Advanced),
            _ => None,
        }
    }
}

/// Which side(s) an exercise is done on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Sides {
    Both,
    Left,
    Right,
    Alternating,
}

impl Sides {
    pub const ALL: [&'static str; 4] = ["both", "left", "right", "alternating"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "both" => Some(Sides::Both),
            "left" => Some(Sides::Left),
            "right" => Some(Sides::Right),
            "alternating" => Some(Sides::Alternating),
            _ => None,
        }
    }

    fn phrase(self) -> &'static str {
        match self {
            Sides::Both => "both sides",
            Sides::Left => "left side",
            Sides::Right => "right side",
            Sides::Alternating => "alternating sides",
        }
    }
}

/// A prescription: how much of an exercise to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Hash)]
pub struct Dosage {
    pub reps: Option<u32>,
    pub sets: Option<u32>,
    pub hold_seconds: Option<u32>,
    pub rest_seconds: Option<u32>,
    pub sides: Option<Sides>,
    pub frequency: Option<String>,
}

impl Dosage {
    /// This dosage with `over`'s keys replacing ours, key by key.
    pub fn overridden_by(&self, over: &Dosage) -> Dosage {
        Dosage {
            reps: over.reps.or(self.reps),
            sets: over.sets.or(self.sets),
            hold_seconds: over.hold_seconds.or(self.hold_seconds),
            rest_seconds: over.rest_seconds.or(self.rest_seconds),
            sides: over.sides.or(self.sides),
            frequency: over.frequency.clone().or_else(|| self.frequency.clone()),
        }
    }

    /// The dosage line of pages and handouts: "10 reps · 2 sets · hold 5 s · both sides".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.reps {
            parts.push(format!("{n} {}", if n == 1 { "rep" } else { "reps" }));
        }
        if let Some(n) = self.sets {
            parts.push(format!("{n} {}", if n == 1 { "set" } else { "sets" }));
        }
        if let Some(n) = self.hold_seconds {
            parts.push(format!("hold {}", seconds(n)));
        }
        if let Some(n) = self.rest_seconds {
            parts.push(format!("rest {}", seconds(n)));
        }
        if let Some(sides) = self.sides {
            parts.push(sides.phrase().to_string());
        }
        if let Some(f) = &self.frequency {
            parts.push(f.clone());
        }
        parts.join(" · ")
    }
}

fn seconds(n: u32) -> String {
    if n >= 60 && n.is_multiple_of(60) {
        format!("{} min", n / 60)
    } else {
        format!("{n} s")
    }
}

/// A picture of an exercise.
#[derive(Debug, Clone, Serialize, Hash)]
pub struct Image {
    /// Path inside static/.
    pub src: String,
    pub alt: String,
    pub caption: Option<String>,
    /// Intrinsic size in CSS pixels, when it could be read from the file.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// A routine: exercises in order, each with its effective dosage.
#[derive(Debug, Clone, Hash)]
pub struct Program {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub frequency: Option<String>,
    pub intro: Document,
    pub exercises: Vec<ProgramExercise>,
    pub updated: Option<String>,
    pub draft: bool,
    pub source: PathBuf,
}

/// One step of a program.
#[derive(Debug, Clone, Hash)]
pub struct ProgramExercise {
    /// The exercise's slug; checked to exist.
    pub exercise: String,
    /// The exercise's default dosage with the program's overrides applied.
    pub dosage: Dosage,
    pub note: Option<String>,
}

/// A free page (about, contact) from content/pages.
#[derive(Debug, Clone)]
pub struct Page {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: Document,
    pub source: PathBuf,
}

/// The ways exercises are classified; each gets `/<slug>/` and `/<slug>/<term>/` pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Taxonomy {
    Regions,
    Focus,
    Position,
    Equipment,
    Difficulty,
}

impl Taxonomy {
    pub const ALL: [Taxonomy; 5] = [
        Taxonomy::Regions,
        Taxonomy::Focus,
        Taxonomy::Position,
        Taxonomy::Equipment,
        Taxonomy::Difficulty,
    ];

    /// The URL segment and front-matter key.
    pub fn slug(self) -> &'static str {
        match self {
            Taxonomy::Regions => "regions",
            Taxonomy::Focus => "focus",
            Taxonomy::Position => "position",
            Taxonomy::Equipment => "equipment",
            Taxonomy::Difficulty => "difficulty",
        }
    }

    /// The heading shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Taxonomy::Regions => "Body region",
            Taxonomy::Focus => "Focus",
            Taxonomy::Position => "Position",
            Taxonomy::Equipment => "Equipment",
            Taxonomy::Difficulty => "Difficulty",
        }
    }
}

/// The equipment term given to exercises that need nothing.
pub const NO_EQUIPMENT: &str = "none";

impl Exercise {
    /// The terms this exercise has in a taxonomy. An empty equipment list is the term `none`.
    pub fn terms(&self, taxonomy: Taxonomy) -> Vec<&str> {
        match taxonomy {
            Taxonomy::Regions => self.regions.iter().map(String::as_str).collect(),
            Taxonomy::Focus => self.focus.iter().map(String::as_str).collect(),
            Taxonomy::Position => self.position.iter().map(String::as_str).collect(),
            Taxonomy::Equipment if self.equipment.is_empty() => vec![NO_EQUIPMENT],
            Taxonomy::Equipment => self.equipment.iter().map(String::as_str).collect(),
            Taxonomy::Difficulty => self.difficulty.iter().map(|d| d.as_str()).collect(),
        }
    }
}

/// A term's label for readers: `upper-back` -> "Upper back", `none` -> "No equipment".
pub fn term_label(taxonomy: Taxonomy, term: &str) -> String {
    if taxonomy == Taxonomy::Equipment && term == NO_EQUIPMENT {
        return "No equipment".to_string();
    }
    let mut label = term.replace('-', " ");
    // The first letter capitalised (asked for every term link of every page).
    if let Some(first) = label.chars().next() {
        if first.is_ascii() {
            label[..1].make_ascii_uppercase();
        } else {
            let upper: String = first.to_uppercase().collect();
            label.replace_range(..first.len_utf8(), &upper);
        }
    }
    label
}

impl Site {
    pub fn exercise(&self, slug: &str) -> Option<&Exercise> {
        self.exercise_position(slug).map(|i| &*self.exercises[i])
    }

    /// Where the exercise with this slug is in `exercises`.
    pub fn exercise_position(&self, slug: &str) -> Option<usize> {
        let positions = self.positions.0.get_or_init(|| {
            let mut positions = rustc_hash::FxHashMap::default();
            positions.reserve(self.exercises.len());
            for (i, exercise) in self.exercises.iter().enumerate() {
                if let Ok(i) = u32::try_from(i) {
                    positions.entry(slug_hash(&exercise.slug)).or_insert(i);
                }
            }
            positions
        });
        match positions.get(&slug_hash(slug)) {
            Some(&i)
                if self
                    .exercises
                    .get(i as usize)
                    .is_some_and(|e| e.slug == slug) =>
            {
                Some(i as usize)
            }
            _ => self
                .exercises
                .binary_search_by(|e| e.slug.as_str().cmp(slug))
                .ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash index answers as the binary search does, for every slug
    /// and for slugs not there, and still when the exercises changed
    /// after it was made.
    #[test]
    fn exercise_positions_agree_with_a_binary_search() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (mut site, _) = crate::content::load(root, crate::content::LoadOptions::default())
            .expect("the example site loads");
        let base = (*site.exercises[0]).clone();
        let search = |site: &Site, slug: &str| {
            site.exercises
                .binary_search_by(|e| e.slug.as_str().cmp(slug))
                .ok()
        };
        let mut asked: Vec<String> = site.exercises.iter().map(|e| e.slug.clone()).collect();
        asked.extend(["cat".into(), "zzz".into(), String::new()]);
        assert!(asked.len() > 10);
        for slug in &asked {
            assert_eq!(site.exercise_position(slug), search(&site, slug), "{slug}");
        }
        // The index is made; the list changes under it (a field anyone may set).
        site.exercises.remove(1);
        site.exercises.push(std::sync::Arc::new(Exercise {
            slug: "zzz-last".into(),
            ..base
        }));
        asked.push("zzz-last".into());
        for slug in &asked {
            assert_eq!(
                site.exercise_position(slug),
                search(&site, slug),
                "{slug} after the change"
            );
        }
    }

    #[test]
    fn dosage_line_reads_like_a_prescription() {
        let d = Dosage {
            reps: Some(10),
            sets: Some(2),
            hold_seconds: Some(5),
            sides: Some(Sides::Both),
            ..Dosage::default()
        };
        assert_eq!(d.summary(), "10 reps · 2 sets · hold 5 s · both sides");
        let one = Dosage {
            reps: Some(1),
            hold_seconds: Some(120),
            ..Dosage::default()
        };
        assert_eq!(one.summary(), "1 rep · hold 2 min");
    }

    #[test]
    fn program_dosage_overrides_key_by_key() {
        let base = Dosage {
            reps: Some(10),
            sets: Some(2),
            ..Dosage::default()
        };
        let over = Dosage {
            reps: Some(6),
            ..Dosage::default()
        };
        let d = base.overridden_by(&over);
        assert_eq!((d.reps, d.sets), (Some(6), Some(2)));
    }

    #[test]
    fn term_labels_read_naturally() {
        assert_eq!(term_label(Taxonomy::Regions, "upper-back"), "Upper back");
        assert_eq!(term_label(Taxonomy::Equipment, "none"), "No equipment");
        assert_eq!(
            term_label(Taxonomy::Equipment, "foam-roller"),
            "Foam roller"
        );
        assert_eq!(term_label(Taxonomy::Position, "élan-x"), "Élan x");
        assert_eq!(term_label(Taxonomy::Focus, ""), "");
    }
}
