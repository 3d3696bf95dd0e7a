//! Reading a site folder: site.yaml, content/ and static/, into a checked
//! [`Site`]. Every file is read and checked even when others fail, so one
//! run reports every problem.

pub mod check;
pub mod exercise;
pub mod links;
pub mod page;
pub mod program;
pub mod yaml;

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::diagnostics::Diagnostic;
use crate::markdown::MarkdownOptions;
use crate::model::{Config, Exercise, Page, Program, ProgramExercise, Site};

/// What to include when loading.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Include exercises and programs marked `draft: true`.
    pub drafts: bool,
}

/// Loads and checks a whole site. On errors, returns all of them (and any warnings).
pub fn load(root: &Path, options: LoadOptions) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
    let sources = Sources::read(root);
    load_sources(root, &sources, options, &mut ParseCache::default())
}

/// The text of every source file of a site, read but not yet parsed. `serve`
/// keeps one and re-reads only the files that change.
#[derive(Debug, Clone)]
pub struct Sources {
    /// site.yaml.
    pub config: Result<Arc<str>, Diagnostic>,
    /// content/exercises, content/programs and content/pages: each file
    /// (relative to the site) with its text, sorted by path.
    pub exercises: Vec<(PathBuf, Result<Arc<str>, Diagnostic>)>,
    pub programs: Vec<(PathBuf, Result<Arc<str>, Diagnostic>)>,
    pub pages: Vec<(PathBuf, Result<Arc<str>, Diagnostic>)>,
    /// Files under static/, relative to static/.
    pub static_files: Vec<PathBuf>,
    /// Problems found while listing the folders (unused files, bad links).
    pub listing: Vec<Diagnostic>,
}

/// Where each kind of source lives and the file endings read there.
const EXERCISES: (&str, &[&str]) = ("content/exercises", &["md"]);
const PROGRAMS: (&str, &[&str]) = ("content/programs", &["yaml", "yml"]);
const PAGES: (&str, &[&str]) = ("content/pages", &["md"]);

impl Sources {
    /// Lists and reads every source file of the site.
    pub fn read(root: &Path) -> Sources {
        let mut listing = Vec::new();
        let config = read_text(root, Path::new(crate::config::FILE)).map(Arc::from);
        let [exercises, programs, pages] =
            [EXERCISES, PROGRAMS, PAGES].map(|(folder, extensions)| {
                let files = list_sources(root, folder, extensions, &mut listing);
                let texts = read_at_once(&files, |file| read_text(root, file).map(Arc::from));
                files.into_iter().zip(texts).collect()
            });
        let static_files = list_static(root, &mut listing);
        Sources {
            config,
            exercises,
            programs,
            pages,
            static_files,
            listing,
        }
    }

    /// Re-reads one changed, added or removed content file or site.yaml
    /// (`file` relative to the site). Returns false when the change is of
    /// another kind (a folder, a link, a file in the wrong place): then only
    /// reading everything again is right.
    pub fn refresh(&mut self, root: &Path, file: &Path) -> bool {
        if file == Path::new(crate::config::FILE) {
            self.config = read_text(root, file).map(Arc::from);
            return true;
        }
        let Some(name) = file.file_name().map(|n| n.to_string_lossy()) else {
            return false;
        };
        if is_ignored(&name) {
            return true;
        }
        let in_folder = |(folder, extensions): (&str, &[&str])| {
            file.parent() == Some(Path::new(folder))
                && file
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| extensions.contains(&e))
        };
        let list = if in_folder(EXERCISES) {
            &mut self.exercises
        } else if in_folder(PROGRAMS) {
            &mut self.programs
        } else if in_folder(PAGES) {
            &mut self.pages
        } else {
            // A file that came and went (an editor's temporary copy)
            // changes nothing; anything else may.
            return fs::symlink_metadata(root.join(file))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                && !self.listing.iter().any(|d| d.file == file);
        };
        let position = list.binary_search_by(|(path, _)| path.as_path().cmp(file));
        match fs::symlink_metadata(root.join(file)) {
            Ok(meta) if meta.is_file() => {
                let text = read_text(root, file).map(Arc::from);
                match position {
                    Ok(i) => list[i].1 = text,
                    Err(i) => list.insert(i, (file.to_path_buf(), text)),
                }
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Ok(i) = position {
                    let _removed = list.remove(i);
                }
                true
            }
            _ => false,
        }
    }
}

/// Parsed files by path and text, so that an unchanged file is not parsed
/// again, and image checks by path. Empty for a one-off build.
#[derive(Default)]
pub struct ParseCache {
    allow_html: bool,
    exercises: Parses<exercise::ParsedExercise>,
    programs: Parses<program::ParsedProgram>,
    pages: Parses<page::ParsedPage>,
    /// Image path in static/ -> whether it may be used, and its size.
    images: ImageChecks,
    /// What the last assembly can give the next.
    assembled: Assembly,
}

/// What assembling a site keeps for the next time.
#[derive(Default)]
struct Assembly {
    /// Whether anything is kept for the next load (`serve`); a one-off
    /// build keeps nothing.
    keep: bool,
    /// Exercise file -> what it was parsed into and the exercise made of it.
    exercises: Assembled,
    /// The site's internal links, with a hash of what they were made from.
    links: Option<(u64, Arc<BTreeMap<String, String>>)>,
    /// The last site assembled without a problem, and what it was made of.
    last: Option<LastSite>,
}

/// A site and the parsed files it was assembled from.
struct LastSite {
    inputs: Inputs,
    site: Site,
}

/// What a site is assembled from.
struct Inputs {
    config: Arc<str>,
    exercises: Vec<Arc<exercise::ParsedExercise>>,
    programs: Vec<Arc<program::ParsedProgram>>,
    pages: Vec<Arc<page::ParsedPage>>,
    static_files: Vec<PathBuf>,
    drafts: bool,
}

/// Exercises assembled last time, by the address of what they were assembled
/// from (kept alive here, so an address cannot be reused by another parse).
type Assembled = HashMap<usize, (Arc<exercise::ParsedExercise>, Arc<Exercise>)>;

/// What parsing one file gave.
type Parse<T> = Result<Arc<T>, Vec<Diagnostic>>;

/// Each file read, in path order, with the text it was parsed from and
/// what parsing it gave.
type Parses<T> = Vec<(PathBuf, Arc<str>, Parse<T>)>;

/// Image path in static/ -> whether it may be used, and its size.
type ImageChecks = Mutex<HashMap<String, Result<Option<(u32, u32)>, StaticPathProblem>>>;

impl ParseCache {
    /// A cache that keeps each load's parses and site for the next one.
    pub fn for_rebuilds() -> ParseCache {
        ParseCache {
            assembled: Assembly {
                keep: true,
                ..Assembly::default()
            },
            ..ParseCache::default()
        }
    }

    /// Forgets the image checks, after a change in static/.
    pub fn forget_images(&mut self) {
        self.images = Mutex::default();
        // A picture changed in place may have another size.
        self.assembled.last = None;
    }
}

/// Parses the files that are not in `cache` (in parallel) and returns every
/// file's result in order; the cache then holds exactly these files.
fn parse_all<T: Clone + Send + Sync>(
    files: &[(PathBuf, Result<Arc<str>, Diagnostic>)],
    cache: &mut Parses<T>,
    keep: bool,
    parse: impl Fn(&Path, &str) -> Result<T, Vec<Diagnostic>> + Sync,
) -> (Vec<PathBuf>, Vec<Parse<T>>) {
    // What the cache holds for each file parsed from the same text. Both
    // lists are sorted by path: one walk through both. (Were they not, a
    // file would only be parsed again.)
    let mut before = cache.iter().peekable();
    let kept: Vec<Option<&Parse<T>>> = files
        .iter()
        .map(|(file, text)| {
            while before.next_if(|(path, ..)| path < file).is_some() {}
            match (before.next_if(|(path, ..)| path == file), text) {
                (Some((_, parsed_text, result)), Ok(text))
                    if Arc::ptr_eq(parsed_text, text) || parsed_text == text =>
                {
                    Some(result)
                }
                _ => None,
            }
        })
        .collect();
    // (In pieces of a few files: rayon otherwise splits the list in four
    // and does not split a quarter being parsed, so that one core parsed
    // alone for the last tenth of a second at 10,000 exercises.)
    let results: Vec<Parse<T>> = files
        .par_iter()
        .zip(kept)
        .with_max_len(crate::FILES_PER_TASK)
        .map(|((file, text), kept)| match (kept, text) {
            (Some(result), _) => result.clone(),
            (None, Ok(text)) => parse(file, text).map(Arc::new),
            (None, Err(d)) => Err(vec![d.clone()]),
        })
        .collect();
    if keep {
        *cache = files
            .iter()
            .zip(&results)
            .filter_map(|((file, text), result)| {
                Some((file.clone(), text.as_ref().ok()?.clone(), result.clone()))
            })
            .collect();
    }
    let paths = files.iter().map(|(file, _)| file.clone()).collect();
    (paths, results)
}

/// Checks and assembles a site from its source texts, parsing only what
/// `cache` does not already hold.
pub fn load_sources(
    root: &Path,
    sources: &Sources,
    options: LoadOptions,
    cache: &mut ParseCache,
) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
    let config_path = Path::new(crate::config::FILE);
    let config_source = sources.config.clone().map_err(|d| vec![d])?;
    let config = crate::config::parse(config_path, &config_source);

    let mut diagnostics = sources.listing.clone();
    let md = MarkdownOptions {
        allow_html: config
            .as_ref()
            .map(|c| c.markdown.allow_html)
            .unwrap_or(false),
    };
    if cache.allow_html != md.allow_html {
        *cache = ParseCache {
            allow_html: md.allow_html,
            assembled: Assembly {
                keep: cache.assembled.keep,
                ..Assembly::default()
            },
            ..ParseCache::default()
        };
    }
    let (exercise_files, exercises) = parse_all(
        &sources.exercises,
        &mut cache.exercises,
        cache.assembled.keep,
        |f, s| exercise::read(f, s, md),
    );
    let (program_files, programs) = parse_all(
        &sources.programs,
        &mut cache.programs,
        cache.assembled.keep,
        |f, s| program::read(f, s, md),
    );
    let (page_files, pages) = parse_all(
        &sources.pages,
        &mut cache.pages,
        cache.assembled.keep,
        |f, s| page::parse(f, s, md),
    );

    let mut config = match config {
        Ok(config) => Some(config),
        Err(errors) => {
            diagnostics.extend(errors);
            None
        }
    };
    // Files that could not be read: references to them are not reported
    // again as "does not exist", the file's own error says what is wrong.
    let mut failed = Vec::new();
    let exercises = keep_parsed(&exercise_files, exercises, &mut diagnostics, &mut failed);
    let broken: Vec<String> = failed
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let programs = keep_parsed(&program_files, programs, &mut diagnostics, &mut failed);
    let pages = keep_parsed(&page_files, pages, &mut diagnostics, &mut failed);
    let broken_sources: Vec<String> = failed.iter().map(|f| content_key(f)).collect();

    let mut inputs = Inputs {
        config: config_source.clone(),
        exercises,
        programs,
        pages,
        static_files: sources.static_files.clone(),
        drafts: options.drafts,
    };
    let assembled = &mut cache.assembled;
    if diagnostics.is_empty()
        && let Some(last) = assembled.last.take()
    {
        match reassemble_one(root, last, inputs, &cache.images, &mut assembled.exercises) {
            Ok(last) => {
                let site = last.site.clone();
                assembled.last = Some(last);
                return Ok((site, diagnostics));
            }
            Err(given_back) => inputs = given_back,
        }
    }
    let Inputs {
        exercises,
        programs,
        pages,
        static_files,
        ..
    } = inputs;
    let keep = assembled.keep;
    let made_of = keep.then(|| (exercises.clone(), programs.clone(), pages.clone()));
    let parsed = Parsed {
        exercises,
        programs,
        pages,
        static_files,
        broken,
        broken_sources,
    };
    let site = assemble(
        root,
        config.take(),
        parsed,
        options,
        &cache.images,
        assembled,
        &mut diagnostics,
    );
    crate::diagnostics::sort(&mut diagnostics);
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity == crate::diagnostics::Severity::Error);
    match site {
        Some(site) if !has_errors => {
            // Warnings are reported on every rebuild: only a site without
            // any can be taken as it is.
            if let Some((exercises, programs, pages)) = made_of
                && diagnostics.is_empty()
            {
                assembled.last = Some(LastSite {
                    inputs: Inputs {
                        config: config_source,
                        exercises,
                        programs,
                        pages,
                        static_files: site.static_files.clone(),
                        drafts: options.drafts,
                    },
                    site: site.clone(),
                });
            }
            Ok((site, diagnostics))
        }
        _ => Err(diagnostics),
    }
}

/// `serve`, after most edits: the site when, since `last` was assembled
/// without a problem, only one exercise's text changed (or none) and what
/// the other files see of it reads the same: its slug, draft flag, related
/// exercises and links (its pictures are checked here). Every check across
/// files then finds what it found last time, and the site is the last one
/// with that exercise, and the programs that show it, made again. Otherwise
/// the inputs are given back, for a whole assembly.
fn reassemble_one(
    root: &Path,
    last: LastSite,
    now: Inputs,
    images: &ImageChecks,
    kept: &mut Assembled,
) -> Result<LastSite, Inputs> {
    let before = &last.inputs;
    if !(Arc::ptr_eq(&before.config, &now.config) || before.config == now.config)
        || before.drafts != now.drafts
        || before.static_files != now.static_files
        || !all_same(&before.programs, &now.programs)
        || !all_same(&before.pages, &now.pages)
        || before.exercises.len() != now.exercises.len()
    {
        return Err(now);
    }
    let mut changed =
        (0..now.exercises.len()).filter(|&i| !Arc::ptr_eq(&before.exercises[i], &now.exercises[i]));
    let Some(i) = changed.next() else {
        return Ok(LastSite {
            inputs: now,
            site: last.site,
        });
    };
    let (old, parsed) = (&before.exercises[i], &now.exercises[i]);
    let reads_the_same = changed.next().is_none()
        && parsed.problems.is_empty()
        && old.exercise.source == parsed.exercise.source
        && old.exercise.slug == parsed.exercise.slug
        && old.exercise.draft == parsed.exercise.draft
        && old.exercise.related == parsed.exercise.related
        && (old.links.iter().map(|r| &r.target)).eq(parsed.links.iter().map(|r| &r.target));
    if !reads_the_same {
        return Err(now);
    }
    let Ok(sizes) = parsed
        .images
        .iter()
        .map(|r| check_image(root, images, &r.src))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Err(now);
    };
    let exercise = Arc::new(with_sizes(parsed, &sizes));
    let mut site = last.site;
    // A draft left out of the site changes nothing in it.
    if let Some(at) = site.exercise_position(&exercise.slug) {
        site.exercises[at] = exercise.clone();
        let shows = |p: &&Arc<program::ParsedProgram>| {
            p.steps.iter().any(|s| s.exercise.slug == exercise.slug)
        };
        for program in now.programs.iter().filter(shows) {
            let slug = &program.program.slug;
            // Not there: a draft program.
            let Ok(at) = site.programs.binary_search_by(|p| p.slug.cmp(slug)) else {
                continue;
            };
            let made = with_steps(program, |step| {
                site.exercise(&step.exercise.slug).map(|e| &e.dosage)
            });
            // Every step's exercise was there last time, and still is.
            if made.exercises.len() != program.steps.len() {
                return Err(now);
            }
            site.programs[at] = made;
        }
    }
    kept.remove(&parsed_address(old));
    kept.insert(parsed_address(parsed), (parsed.clone(), exercise));
    Ok(LastSite { inputs: now, site })
}

/// Whether two lists hold the very same items.
fn all_same<T>(a: &[Arc<T>], b: &[Arc<T>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| Arc::ptr_eq(a, b))
}

/// An exercise as the site shows it: as parsed, with its pictures' sizes.
fn with_sizes(parsed: &exercise::ParsedExercise, sizes: &[Option<(u32, u32)>]) -> Exercise {
    let mut exercise = parsed.exercise.clone();
    for (image, size) in exercise.images.iter_mut().zip(sizes) {
        if let Some((w, h)) = size {
            image.width = Some(*w);
            image.height = Some(*h);
        }
    }
    exercise
}

/// A program with its steps, each with its exercise's dosage (from
/// `dosage`) as the program changes it; a step whose exercise has none is
/// left out.
fn with_steps<'a>(
    parsed: &program::ParsedProgram,
    mut dosage: impl FnMut(&program::ParsedStep) -> Option<&'a crate::model::Dosage>,
) -> Program {
    let mut program = parsed.program.clone();
    for step in &parsed.steps {
        if let Some(dosage) = dosage(step) {
            program.exercises.push(ProgramExercise {
                exercise: step.exercise.slug.clone(),
                dosage: dosage.overridden_by(&step.overrides),
                note: step.note.clone(),
            });
        }
    }
    program
}

/// The files that were read, before the cross-file checks.
struct Parsed {
    exercises: Vec<Arc<exercise::ParsedExercise>>,
    programs: Vec<Arc<program::ParsedProgram>>,
    pages: Vec<Arc<page::ParsedPage>>,
    static_files: Vec<PathBuf>,
    /// File stems of exercise files that had errors.
    broken: Vec<String>,
    /// Every content file that had errors, as internal links name it.
    broken_sources: Vec<String>,
}

/// The results that parsed; the errors go to `diagnostics` and the files
/// that failed to `failed`.
fn keep_parsed<T: Problems>(
    files: &[PathBuf],
    results: Vec<Result<T, Vec<Diagnostic>>>,
    diagnostics: &mut Vec<Diagnostic>,
    failed: &mut Vec<PathBuf>,
) -> Vec<T> {
    let mut kept = Vec::with_capacity(results.len());
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(parsed) => {
                // Read in part: checked with the others, so that one build
                // reports everything, but its own errors stand for it.
                if !parsed.problems().is_empty() {
                    diagnostics.extend_from_slice(parsed.problems());
                    failed.push(file.clone());
                }
                kept.push(parsed);
            }
            Err(errors) => {
                diagnostics.extend(errors);
                failed.push(file.clone());
            }
        }
    }
    kept
}

/// The known path closest to a mistyped link target: one in the same
/// folder whose file name is close (the shared `exercises/` and `.md` would
/// make any two exercise paths look alike).
fn closest_path<'a>(target: &str, known: &[&'a str]) -> Option<&'a str> {
    let (folder, name) = target.rsplit_once('/').unwrap_or(("", target));
    let stem = |name: &'a str| name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let (folder_paths, names): (Vec<&'a str>, Vec<&'a str>) = known
        .iter()
        .filter_map(|path| {
            let (f, n) = path.rsplit_once('/').unwrap_or(("", path));
            (f == folder).then_some((*path, stem(n)))
        })
        .unzip();
    let name = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let best = yaml::closest(name, &names)?;
    names
        .iter()
        .position(|n| *n == best)
        .map(|i| folder_paths[i])
}

/// A file read in part, with what is wrong in it.
pub trait Problems {
    fn problems(&self) -> &[Diagnostic];
}

impl Problems for exercise::ParsedExercise {
    fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }
}

impl Problems for program::ParsedProgram {
    fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }
}

impl Problems for page::ParsedPage {
    fn problems(&self) -> &[Diagnostic] {
        &[]
    }
}

impl<T: Problems> Problems for Arc<T> {
    fn problems(&self) -> &[Diagnostic] {
        (**self).problems()
    }
}

/// A file read in part as an error: for callers that take a file whole or
/// not at all.
pub fn whole<T: Problems>(read: Result<T, Vec<Diagnostic>>) -> Result<T, Vec<Diagnostic>> {
    let parsed = read?;
    match parsed.problems() {
        [] => Ok(parsed),
        problems => Err(problems.to_vec()),
    }
}

/// Cross-file checks (unique slugs, references, images) and the final model.
fn assemble(
    root: &Path,
    config: Option<Config>,
    parsed: Parsed,
    options: LoadOptions,
    images: &ImageChecks,
    assembled: &mut Assembly,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Site> {
    let Parsed {
        exercises,
        programs,
        pages,
        static_files,
        broken,
        broken_sources,
    } = parsed;
    let keep = assembled.keep;
    // Unique slugs, among exercises, programs and pages each (drafts included:
    // publishing a draft must not suddenly collide).
    let exercise_slugs: Vec<_> = exercises
        .iter()
        .map(|e| (&e.exercise.slug, &e.exercise.source, e.slug_position))
        .collect();
    check_unique(root, &exercise_slugs, "exercise", diagnostics);
    let program_slugs: Vec<_> = programs
        .iter()
        .map(|p| (&p.program.slug, &p.program.source, p.slug_position))
        .collect();
    check_unique(root, &program_slugs, "program", diagnostics);
    let page_slugs: Vec<_> = pages
        .iter()
        .map(|page| (&page.0.slug, &page.0.source, page.1))
        .collect();
    check_unique(root, &page_slugs, "page", diagnostics);
    for (page, position, _) in pages.iter().map(|p| &**p) {
        if RESERVED.contains(&page.slug.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    &page.source,
                    format!(
                        "the page name `{}` is taken by a section of the site",
                        page.slug
                    ),
                )
                .at(
                    &read_text(root, &page.source).unwrap_or_default(),
                    position.0,
                    position.1,
                )
                .hint("rename the file or set another `slug:`"),
            );
        }
    }

    let mut in_order: Vec<(&str, &Arc<exercise::ParsedExercise>)> = exercises
        .iter()
        .filter(|e| options.drafts || !e.exercise.draft)
        .map(|e| (e.exercise.slug.as_str(), e))
        .collect();
    // By slug: the site's order. (Files are read in path order, which is
    // nearly always slug order already.)
    in_order.sort_by(|a, b| a.0.cmp(b.0));
    // Two files with one slug are an error (above); the last one is used.
    in_order.reverse();
    in_order.dedup_by(|a, b| a.0 == b.0);
    in_order.reverse();
    // Looked up for every related exercise and program step.
    let published: HashMap<&str, &Arc<exercise::ParsedExercise>> =
        in_order.iter().copied().collect();
    let all_slugs: Vec<&str> = exercises.iter().map(|e| e.exercise.slug.as_str()).collect();
    let known_slugs: Vec<&str> = all_slugs
        .iter()
        .copied()
        .chain(broken.iter().map(String::as_str))
        .collect();
    let mut sources: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut source_of = |file: &Path| -> String {
        sources
            .entry(file.to_path_buf())
            .or_insert_with(|| read_text(root, file).unwrap_or_default())
            .clone()
    };

    let missing_exercise = |file: &Path, r: &exercise::SlugRef, source: &str, what: &str| {
        let is_draft = all_slugs.contains(&r.slug.as_str());
        let hint = if is_draft {
            "that exercise is a draft: publish it (remove `draft: true`) or build with `--drafts`"
                .to_string()
        } else {
            match yaml::closest(&r.slug, &known_slugs) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "use the slug of a file in content/exercises (its file name without `.md`)"
                    .to_string(),
            }
        };
        let message = if is_draft {
            format!("{what} `{}` is a draft, left out of this build", r.slug)
        } else {
            format!("{what} `{}` does not exist", r.slug)
        };
        Diagnostic::error(file, message)
            .at(source, r.line, r.column)
            .width(r.slug.chars().count())
            .hint(hint)
    };

    // Each exercise checked and completed in parallel (a site may have
    // thousands), then collected in the site's order.
    let previous = &assembled.exercises;
    let checked: Vec<(Vec<Diagnostic>, Arc<Exercise>)> = in_order
        .par_iter()
        .with_max_len(crate::FILES_PER_TASK)
        .map(|&(_, parsed)| {
            let mut problems = Vec::new();
            let file = &parsed.exercise.source;
            // Read for the first problem only: the diagnostics quote it.
            let text = std::sync::OnceLock::new();
            let source = || {
                text.get_or_init(|| read_text(root, file).unwrap_or_default())
                    .as_str()
            };
            for r in &parsed.related {
                if !published.contains_key(r.slug.as_str()) && !broken.contains(&r.slug) {
                    problems.push(missing_exercise(file, r, source(), "the related exercise"));
                }
            }
            let mut sizes = Vec::with_capacity(parsed.images.len());
            for r in &parsed.images {
                match check_image(root, images, &r.src) {
                    Err(problem) => problems.push(
                        Diagnostic::error(file, problem.message(&r.src))
                            .at(source(), r.line, r.column)
                            .width(r.src.chars().count())
                            .hint(problem.hint()),
                    ),
                    Ok(size) => sizes.push(size),
                }
            }
            // The same file with the same pictures: the same exercise as last time.
            let same = previous
                .get(&parsed_address(parsed))
                .filter(|(before, exercise)| {
                    Arc::ptr_eq(before, parsed)
                        && exercise.images.len() == sizes.len()
                        && exercise
                            .images
                            .iter()
                            .zip(&sizes)
                            .all(|(image, size)| image.width.zip(image.height) == *size)
                });
            let exercise = match same {
                Some((_, exercise)) => exercise.clone(),
                None => Arc::new(with_sizes(parsed, &sizes)),
            };
            (problems, exercise)
        })
        .collect();
    let mut out_exercises: Vec<Arc<Exercise>> = Vec::with_capacity(checked.len());
    let mut kept = HashMap::with_capacity_and_hasher(checked.len(), Default::default());
    for (&(_, parsed), (problems, exercise)) in in_order.iter().zip(checked) {
        diagnostics.extend(problems);
        if keep {
            kept.insert(
                parsed_address(parsed),
                (Arc::clone(parsed), exercise.clone()),
            );
        }
        out_exercises.push(exercise);
    }
    assembled.exercises = kept;

    let mut out_programs: Vec<Program> = Vec::new();
    for parsed in programs
        .iter()
        .filter(|p| options.drafts || !p.program.draft)
    {
        let file = &parsed.program.source;
        let program = with_steps(parsed, |step| {
            let found = published.get(step.exercise.slug.as_str());
            if found.is_none() && !broken.contains(&step.exercise.slug) {
                let source = source_of(file);
                diagnostics.push(missing_exercise(
                    file,
                    &step.exercise,
                    &source,
                    "the exercise",
                ));
            }
            found.map(|e| &e.exercise.dosage)
        });
        out_programs.push(program);
    }

    let config = config?;
    if let Some(logo) = &config.clinic.logo
        && let Err(problem) = check_static_path(root, logo)
    {
        let diagnostic = Diagnostic::error(
            crate::config::FILE,
            format!("clinic logo: {}", problem.message(logo)),
        )
        .hint(problem.hint());
        diagnostics.push(crate::config::at_key(
            diagnostic,
            root,
            &["clinic", "logo"],
            logo,
        ));
    }
    // Internal links: every published source file has an address. The
    // same files with the same slugs as last time (`serve`, after most
    // edits): the same links.
    type Address = fn(&str) -> String;
    let page_url: Address = |slug| format!("{slug}/");
    // Each file, its slug, and how its address is made of the slug.
    let addressed = || {
        use crate::render::views::{exercise_url, program_url};
        let exercises = out_exercises
            .iter()
            .map(|e| (&e.source, &e.slug, exercise_url as Address));
        let programs = out_programs
            .iter()
            .map(|p| (&p.source, &p.slug, program_url as Address));
        let pages = pages.iter().map(|p| (&p.0.source, &p.0.slug, page_url));
        exercises.chain(programs).chain(pages)
    };
    let from = {
        use std::hash::{Hash, Hasher};
        let mut state = std::hash::DefaultHasher::new();
        addressed().for_each(|(source, slug, _)| (source, slug).hash(&mut state));
        state.finish()
    };
    let links = match assembled.links.take() {
        Some((hash, links)) if hash == from => links,
        _ => Arc::new(
            addressed()
                .map(|(source, slug, address)| (content_key(source), address(slug)))
                .collect(),
        ),
    };
    assembled.links = Some((from, links.clone()));
    // Only for the hint of a broken link.
    let is_source = |target: &str| {
        exercises
            .iter()
            .map(|e| &e.exercise.source)
            .chain(programs.iter().map(|p| &p.program.source))
            .any(|source| content_key(source) == target)
    };
    let written = exercises
        .iter()
        .filter(|e| options.drafts || !e.exercise.draft)
        .map(|e| (&e.exercise.source, &e.links))
        .chain(
            programs
                .iter()
                .filter(|p| options.drafts || !p.program.draft)
                .map(|p| (&p.program.source, &p.links)),
        )
        .chain(pages.iter().map(|page| (&page.0.source, &page.2)));
    for (file, refs) in written {
        for r in refs
            .iter()
            .filter(|r| !links.contains_key(&r.target) && !broken_sources.contains(&r.target))
        {
            let source = source_of(file);
            let known: Vec<&str> = links.keys().map(String::as_str).collect();
            let hint = if is_source(&r.target) {
                "that file is a draft: publish it (remove `draft: true`) or build with `--drafts`"
                    .to_string()
            } else {
                match closest_path(&r.target, &known) {
                    Some(best) => format!("did you mean `@/{best}`?"),
                    None => {
                        "write the path of a file under content/, e.g. `@/exercises/cat-cow.md`"
                            .to_string()
                    }
                }
            };
            diagnostics.push(
                Diagnostic::error(
                    file,
                    format!("the link target `@/{}` does not exist", r.target),
                )
                .at(&source, r.line, r.column)
                .hint(hint),
            );
        }
    }

    let mut pages_out: Vec<Page> = pages.iter().map(|page| page.0.clone()).collect();
    pages_out.sort_by(|a, b| a.slug.cmp(&b.slug));
    out_programs.sort_by(|a, b| a.slug.cmp(&b.slug));
    // Thousands of parsed files, freed on another thread while the site is
    // made (in `serve`, the parse cache still holds them: only counts drop).
    crate::drop_later((exercises, programs, pages));
    Some(Site {
        root: root.to_path_buf(),
        config,
        exercises: out_exercises,
        programs: out_programs,
        pages: pages_out,
        static_files,
        links,
        positions: Default::default(),
    })
}

fn parsed_address(parsed: &Arc<exercise::ParsedExercise>) -> usize {
    Arc::as_ptr(parsed) as usize
}

/// Whether a picture can be shown, and its size if it could be read: checked
/// once per picture, however many exercises show it.
fn check_image(
    root: &Path,
    images: &ImageChecks,
    src: &str,
) -> Result<Option<(u32, u32)>, StaticPathProblem> {
    let checked = images
        .lock()
        .ok()
        .and_then(|images| images.get(src).copied());
    checked.unwrap_or_else(|| {
        let checked = check_static_path(root, src)
            .map(|()| crate::images::dimensions(&root.join("static").join(src)));
        if let Ok(mut images) = images.lock() {
            images.insert(src.to_string(), checked);
        }
        checked
    })
}

/// A source file as internal links name it: its path under content/.
fn content_key(source: &Path) -> String {
    // Made for every file on every rebuild: no copy but the result.
    if let Some(text) = source.to_str().filter(|t| !t.contains('\\')) {
        return text.strip_prefix("content/").unwrap_or(text).to_string();
    }
    let text = crate::diagnostics::display_path(source);
    text.strip_prefix("content/").unwrap_or(&text).to_string()
}

/// Slugs a free page may not take: the site's own sections and files.
const RESERVED: [&str; 12] = [
    "exercises",
    "programs",
    "handouts",
    "static",
    "regions",
    "focus",
    "position",
    "equipment",
    "difficulty",
    "index",
    "404",
    "sitemap",
];

/// Refuses a slug taken twice, pointing at the second file's `slug:` if it
/// has one (a `slug_position` of (1, 1) means the file name).
fn check_unique(
    root: &Path,
    slugs: &[(&String, &PathBuf, (usize, usize))],
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, (&PathBuf, (usize, usize))> =
        HashMap::with_capacity_and_hasher(slugs.len(), Default::default());
    for &(slug, file, position) in slugs {
        if let Some(&first) = seen.get(slug.as_str()) {
            // Reported at the file whose `slug:` took the name, if one did.
            let from_name = |(_, position): (&PathBuf, (usize, usize))| position == (1, 1);
            let (file, (line, column), other) = if from_name((file, position)) && !from_name(first)
            {
                (first.0, first.1, file)
            } else {
                (file, position, first.0)
            };
            let mut diagnostic = Diagnostic::error(
                file,
                format!(
                    "two {what}s have the slug `{slug}`: this file and `{}`",
                    crate::diagnostics::display_path(other)
                ),
            )
            .hint("give one of them another `slug:` or rename its file");
            if (line, column) != (1, 1)
                && let Ok(source) = read_text(root, file)
            {
                diagnostic = diagnostic
                    .at(&source, line, column)
                    .width(slug.chars().count());
            }
            diagnostics.push(diagnostic);
        } else {
            seen.insert(slug.as_str(), (file, position));
        }
    }
}

/// Why a path into static/ cannot be used.
#[derive(Debug, Clone, Copy)]
enum StaticPathProblem {
    Outside,
    Missing,
    /// `./images/x.svg`: inside static/, but written in a way pages could
    /// not link to as written.
    Dotted,
}

impl StaticPathProblem {
    fn message(&self, src: &str) -> String {
        match self {
            StaticPathProblem::Outside => {
                format!("the image path `{src}` points outside the static/ folder")
            }
            StaticPathProblem::Missing => format!("the image `static/{src}` does not exist"),
            StaticPathProblem::Dotted => format!("the image path `{src}` starts with `./`"),
        }
    }

    fn hint(&self) -> &'static str {
        match self {
            StaticPathProblem::Outside => {
                "put the picture in static/ (e.g. static/images/) and write its path inside static/, like `images/cat-cow.svg`"
            }
            StaticPathProblem::Missing => {
                "check the spelling, or add the picture to static/ (paths are written inside static/, like `images/cat-cow.svg`)"
            }
            StaticPathProblem::Dotted => {
                "write the path inside static/ without `./`, like `images/cat-cow.svg`"
            }
        }
    }
}

/// A path written in content must stay inside static/ and name a file there.
fn check_static_path(root: &Path, src: &str) -> Result<(), StaticPathProblem> {
    let relative = Path::new(src);
    let escapes = src.is_empty()
        || src.contains('\\')
        || src.contains(':')
        || relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)));
    if escapes {
        let dotted = relative.strip_prefix(".").is_ok_and(|rest| {
            rest.components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        });
        return Err(if dotted && !src.contains(['\\', ':']) {
            StaticPathProblem::Dotted
        } else {
            StaticPathProblem::Outside
        });
    }
    let static_dir = root.join("static");
    let path = static_dir.join(relative);
    let Ok(real) = path.canonicalize() else {
        return Err(StaticPathProblem::Missing);
    };
    let Ok(real_static) = static_dir.canonicalize() else {
        return Err(StaticPathProblem::Missing);
    };
    if !real.starts_with(&real_static) {
        return Err(StaticPathProblem::Outside);
    }
    if !real.is_file() {
        return Err(StaticPathProblem::Missing);
    }
    Ok(())
}

/// Whether a file is an editor's or the system's leftover, never content:
/// hidden files (`.name`, `.DS_Store`), backups (`name~`, `#name#`), swap
/// files (`.swp`, `.swo`) and `Thumbs.db`.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with(".swp")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.eq_ignore_ascii_case("thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
}

/// Orders the entries of one folder by name, as walkdir's
/// `sort_by_file_name` does, without taking each path apart again for every
/// comparison (a folder of 10,000 exercises takes some 130,000): the paths
/// differ only in their names.
fn by_name(a: &walkdir::DirEntry, b: &walkdir::DirEntry) -> std::cmp::Ordering {
    a.path().as_os_str().cmp(b.path().as_os_str())
}

/// The source files of one content folder, relative to the site, sorted.
fn list_sources(
    root: &Path,
    folder: &str,
    extensions: &[&str],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let dir = root.join(folder);
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir)
        .follow_links(false)
        .sort_by(by_name)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(&e.file_name().to_string_lossy()))
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error
                    .path()
                    .map(|p| relative(root, p))
                    .unwrap_or_else(|| PathBuf::from(folder));
                diagnostics.push(Diagnostic::error(
                    path,
                    format!("cannot read this folder: {}", io_reason(error.io_error())),
                ));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = relative(root, entry.path());
        if entry.path_is_symlink() {
            match check_symlink(root, entry.path()) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(message) => {
                    diagnostics.push(
                        Diagnostic::error(&path, message)
                            .hint("replace the link with the file itself"),
                    );
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            // (The folder listing says what each entry is: no stat per file.)
            continue;
        }
        let extension = entry
            .path()
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("");
        if extensions.contains(&extension) {
            files.push(path);
        } else {
            diagnostics.push(
                Diagnostic::error(
                    &path,
                    format!(
                        "this file is not used: only {} files are read here",
                        extensions
                            .iter()
                            .map(|e| format!(".{e}"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                )
                .hint(format!(
                    "rename it to end in .{} or move it out of {folder}/",
                    extensions[0]
                ))
                .warning(),
            );
        }
    }
    files
}

/// Every file under static/, relative to static/, sorted. Symlinks that lead
/// outside the site are errors: a build must never publish what lies beyond it.
fn list_static(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let dir = root.join("static");
    let mut files = Vec::new();
    if !dir.is_dir() {
        return files;
    }
    for entry in walkdir::WalkDir::new(&dir)
        .follow_links(false)
        .sort_by(by_name)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(&e.file_name().to_string_lossy()))
    {
        let Ok(entry) = entry else { continue };
        if entry.path_is_symlink() {
            match check_symlink(root, entry.path()) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(message) => {
                    diagnostics.push(
                        Diagnostic::error(relative(root, entry.path()), message)
                            .hint("replace the link with the file itself"),
                    );
                    continue;
                }
            }
        }
        if entry.path().is_file()
            && let Ok(rel) = entry.path().strip_prefix(&dir)
        {
            files.push(rel.to_path_buf());
        }
    }
    files
}

/// `Ok(true)` for a symlink to a file inside the site, `Err` for one leading
/// outside or nowhere (a loop or a dangling link), `Ok(false)` for a folder link.
fn check_symlink(root: &Path, path: &Path) -> Result<bool, String> {
    let target = path
        .canonicalize()
        .map_err(|_| "this link leads nowhere (a missing file or a loop of links)".to_string())?;
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve the site folder: {}", io_reason(Some(&e))))?;
    if !target.starts_with(&real_root) {
        return Err("this link points outside the site folder".to_string());
    }
    Ok(target.is_file())
}

fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// How many files [`read_at_once`] reads at the same time. Files not read
/// for a while are no longer in memory, and each read waits for the disk:
/// with one read per core, the cores would mostly wait; with many under
/// way, the disk serves them together. (A cold 10,000-exercise site: about
/// 1 s of waiting with two reads at a time.)
const READS_AT_ONCE: usize = 16;

/// `read` applied to every file, in order, with up to [`READS_AT_ONCE`]
/// threads (threads of their own: the parallel pool has one per core).
/// Returns what `read` returned for each file.
fn read_at_once<T: Send>(files: &[PathBuf], read: impl Fn(&Path) -> T + Sync) -> Vec<T> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Each thread takes a few dozen files at least: starting one costs
    // about as much as reading a file that is in memory.
    let threads = files.len().div_ceil(32).clamp(1, READS_AT_ONCE);
    if threads == 1 {
        return files.iter().map(|file| read(file)).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut read_here = Vec::new();
        loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(at) else {
                return read_here;
            };
            read_here.push((at, read(file)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|scope| {
        // (A thread that cannot be started leaves its files to the others.)
        let started: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, take).ok())
            .collect();
        let mut all = take();
        for thread in started {
            all.extend(
                thread
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        all
    });
    all.sort_unstable_by_key(|(at, _)| *at);
    all.into_iter().map(|(_, result)| result).collect()
}

/// Reads a source file as UTF-8 text. Problems become diagnostics at the spot.
pub fn read_text(root: &Path, file: &Path) -> Result<String, Diagnostic> {
    let bytes = fs::read(root.join(file)).map_err(|e| {
        let reason = io_reason(Some(&e));
        let d = Diagnostic::error(file, format!("cannot read this file: {reason}"));
        if e.kind() == std::io::ErrorKind::NotFound && file == Path::new(crate::config::FILE) {
            d.hint("run movepress in a site folder (one with site.yaml), or name it: `movepress build path/to/site`; `movepress new my-clinic` makes a new one")
        } else {
            d
        }
    })?;
    decode(file, bytes)
}

/// Checks encoding: UTF-8 only, no NUL bytes; a UTF-16 or UTF-32 file gets
/// its own message.
pub fn decode(file: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if let Some(encoding) = wide_encoding(&bytes) {
        return Err(
            Diagnostic::error(file, format!("this file is saved as {encoding}"))
                .hint("save it as UTF-8 (in most editors: Save As, then Encoding: UTF-8)"),
        );
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            // A byte-order mark is not content: without it, columns in
            // messages match what editors show.
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            if let Some(offset) = text.find('\0') {
                let (line, column) = line_column(&text, offset);
                return Err(Diagnostic::error(file, "this file contains a NUL byte")
                    .at(&text, line, column)
                    .hint("the file may be damaged or not a text file; remove the invisible character or re-save the file"));
            }
            Ok(text)
        }
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let (line, column) = line_column(&prefix, valid);
            Err(Diagnostic::error(file, "this file is not valid UTF-8 text")
                .at(&String::from_utf8_lossy(&bytes), line, column)
                .hint("save the file as UTF-8 (in most editors: Save As, then Encoding: UTF-8)"))
        }
    }
}

/// `UTF-16` or `UTF-32` for text saved in one of them: with a byte-order
/// mark, or (UTF-16) without one, recognised by the zero half of each
/// character of Latin text. UTF-8 text never holds a zero byte.
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Some("UTF-32");
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Some("UTF-16");
    }
    let start = &bytes[..bytes.len().min(64) & !1];
    let zeros_at = |half: usize| {
        start
            .iter()
            .skip(half)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let units = start.len() / 2;
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let mostly = |zeros: usize| units >= 4 && zeros * 2 >= units;
    ((mostly(odd) && even == 0) || (mostly(even) && odd == 0)).then_some("UTF-16")
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// An I/O error in words, without Rust's debug form.
pub fn io_reason(error: Option<&std::io::Error>) -> String {
    match error.map(|e| e.kind()) {
        Some(std::io::ErrorKind::NotFound) => "it does not exist".into(),
        Some(std::io::ErrorKind::PermissionDenied) => "permission denied".into(),
        Some(_) => error.map(|e| e.to_string()).unwrap_or_default(),
        None => "a loop of symbolic links".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_many_at_once_come_back_in_order_each_with_its_own_text() {
        let dir = tempfile::tempdir().expect("temporary folder");
        // Enough files for every reading thread; one is missing.
        let files: Vec<PathBuf> = (0..1000)
            .map(|i| PathBuf::from(format!("f{i:04}.md")))
            .collect();
        for (i, file) in files.iter().enumerate().filter(|(i, _)| *i != 517) {
            fs::write(dir.path().join(file), format!("text {i}")).expect("write");
        }
        let texts = read_at_once(&files, |file| read_text(dir.path(), file));
        assert_eq!(texts.len(), files.len());
        for (i, text) in texts.iter().enumerate() {
            match text {
                Ok(text) => assert_eq!(text, &format!("text {i}")),
                Err(error) => {
                    assert_eq!(i, 517);
                    assert_eq!(error.file, Path::new("f0517.md"));
                }
            }
        }
        assert!(texts[517].is_err());
    }

    /// The example site's sources with one file's text changed.
    fn edited(sources: &Sources, file: &str, from: &str, to: &str) -> Sources {
        let mut sources = sources.clone();
        let list = sources
            .exercises
            .iter_mut()
            .chain(sources.programs.iter_mut());
        for (path, text) in list.filter(|(path, _)| path == Path::new(file)) {
            let changed = text.as_ref().expect("read").replace(from, to);
            assert!(changed.contains(to), "{}", path.display());
            *text = Ok(Arc::from(changed));
        }
        sources
    }

    #[test]
    fn a_rebuild_takes_what_did_not_change_from_the_last_site() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sources = Sources::read(root);
        let mut cache = ParseCache::for_rebuilds();
        let options = LoadOptions::default();
        let (first, _) = load_sources(root, &sources, options, &mut cache).expect("loads");
        // A program's summary: the whole site is assembled again, with the
        // same addresses for the same files.
        let program = "content/programs/desk-worker-reset.yaml";
        let sources = edited(&sources, program, "Two quick moves", "Two short moves");
        let (second, _) = load_sources(root, &sources, options, &mut cache).expect("loads");
        assert!(
            Arc::ptr_eq(&first.links, &second.links),
            "the links are made again"
        );
        assert!(
            all_same(&first.exercises, &second.exercises),
            "the exercises are made again"
        );
        // One exercise's text: the others stay as they were.
        let exercise = "content/exercises/cat-cow.md";
        let sources = edited(&sources, exercise, "gentle warm-up", "easy warm-up");
        let (third, _) = load_sources(root, &sources, options, &mut cache).expect("loads");
        let changed: Vec<&str> = (second.exercises.iter().zip(&third.exercises))
            .filter(|(a, b)| !Arc::ptr_eq(a, b))
            .map(|(_, b)| b.slug.as_str())
            .collect();
        assert_eq!(changed, ["cat-cow"]);
        assert!(Arc::ptr_eq(&second.links, &third.links));
    }

    #[test]
    fn a_mistyped_link_is_matched_by_its_file_name_in_its_folder() {
        let known = [
            "exercises/cat-cow.md",
            "exercises/bird-dog.md",
            "programs/daily.yaml",
        ];
        assert_eq!(closest_path("exercises/nope.md", &known), None);
        assert_eq!(
            closest_path("exercises/bird-dgo.md", &known),
            Some("exercises/bird-dog.md")
        );
        assert_eq!(
            closest_path("programs/dialy.yaml", &known),
            Some("programs/daily.yaml")
        );
        assert_eq!(
            closest_path("pages/cat-cow.md", &known),
            None,
            "another folder"
        );
    }

    #[test]
    fn wide_encodings_are_named() {
        let text = "---\ntitle: Cat-Cow\n---\n";
        let utf16 = |bom: &[u8], big_endian: bool| -> Vec<u8> {
            let units = text.encode_utf16().flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            });
            bom.iter().copied().chain(units).collect()
        };
        let utf32: Vec<u8> = [0xFF, 0xFE, 0, 0]
            .into_iter()
            .chain(text.chars().flat_map(|c| (c as u32).to_le_bytes()))
            .collect();
        for (bytes, expected) in [
            (utf16(&[0xFF, 0xFE], false), "this file is saved as UTF-16"),
            (utf16(&[0xFE, 0xFF], true), "this file is saved as UTF-16"),
            (utf16(&[], false), "this file is saved as UTF-16"),
            (utf16(&[], true), "this file is saved as UTF-16"),
            (utf32, "this file is saved as UTF-32"),
            (b"---\0".to_vec(), "this file contains a NUL byte"),
            (
                b"---\ntitle: Cat\0\n".to_vec(),
                "this file contains a NUL byte",
            ),
        ] {
            let error = decode(Path::new("x.md"), bytes).expect_err(expected);
            assert_eq!(error.message, expected);
        }
        assert!(decode(Path::new("x.md"), text.as_bytes().to_vec()).is_ok());
    }
}
