//! Rebuilding after a change, for `serve`: the last good build stays in
//! memory, only the files that changed are read and parsed again, and only
//! the pages that show what changed are rendered again. The result is the
//! same as a clean build's (tested after sequences of edits).
//!
//! What a page shows decides when it is rendered again:
//! - an exercise page: the exercise, the cards of its related exercises, the
//!   programs that include it and the counts of its terms;
//! - a program page: the program and its exercises;
//! - the home page, the library and the taxonomy overviews: every card and count;
//! - a term page: the exercises with that term;
//! - a free page: itself.
//!
//! Anything that every page shows (site.yaml, the theme, static files, the
//! menu of free pages, the address of any file) renders everything again.
//! Handouts are rendered when first asked for after each rebuild.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::content::{ParseCache, Sources};
use crate::diagnostics::Diagnostic;
use crate::model::{Site, Taxonomy};
use crate::render::Artifact;
use crate::render::html::PageKey;
use crate::{BuildOptions, Prepared};

/// A site being served: its sources, its last good build, and what changed since.
pub struct Session {
    root: PathBuf,
    options: BuildOptions,
    sources: Sources,
    cache: ParseCache,
    /// Something changed that `Sources::refresh` cannot follow: read all again.
    reread: bool,
    last: Option<Arc<Build>>,
}

/// One successful build, in memory.
pub struct Build {
    sources: Sources,
    prepared: Prepared,
    /// Hash of everything every page shows.
    global: u64,
    /// Each page's file.
    pages: BTreeMap<PageKey, String>,
    /// Every file but the handouts, by path.
    files: HashMap<String, Arc<Vec<u8>>>,
    /// Files made when first asked for (handouts, the sitemap, the feed and
    /// the search index), by path.
    lazy: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// Terms and how many exercises have each.
    counts: BTreeMap<(Taxonomy, String), usize>,
    /// Each exercise's entry in the search index, by slug.
    search: HashMap<String, Arc<str>>,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// Pages rendered again (or for the first time), by path, sorted.
    pub rendered: Vec<String>,
    /// Files that are gone, by path, sorted.
    pub removed: Vec<String>,
    /// Whether every page was rendered again.
    pub everything: bool,
    /// HTML pages the site has.
    pub pages: usize,
    /// Problems that did not stop the build.
    pub warnings: Vec<Diagnostic>,
}

impl Session {
    /// A session for the site in `root`; nothing is read until [`Session::rebuild`].
    pub fn new(root: &Path, options: BuildOptions) -> Session {
        Session {
            root: root.to_path_buf(),
            options,
            sources: Sources::read(root),
            cache: ParseCache::default(),
            reread: false,
            last: None,
        }
    }

    /// Notes that `path` (relative to the site folder) was changed, added or
    /// removed. Content files and site.yaml are read again at once; for
    /// anything else the next rebuild reads the whole site again.
    pub fn changed(&mut self, path: &Path) {
        if path.starts_with("static") {
            self.cache.forget_images();
            self.reread = true;
        } else if !self.sources.refresh(&self.root, path) {
            self.reread = true;
        }
    }

    /// The last good build, if there is one.
    pub fn current(&self) -> Option<Arc<Build>> {
        self.last.clone()
    }

    /// Builds the site again, rendering only what changed since the last
    /// good build. On errors the last good build stays current.
    pub fn rebuild(&mut self) -> Result<Rebuilt, Vec<Diagnostic>> {
        if self.reread {
            self.sources = Sources::read(&self.root);
            self.reread = false;
        }
        let prepared = crate::prepare(&self.root, &self.sources, &self.options, &mut self.cache)?;
        let global = global_fingerprint(&prepared, &self.options);
        let counts = term_counts(&prepared.site);
        let keys = crate::render::html::page_keys(&prepared.site);

        let last = self.last.as_deref().filter(|last| last.global == global);
        let dirty = last.map(|last| Dirty::between(last, &self.sources, &prepared.site, &counts));
        let wanted = |key: &PageKey| match (&dirty, last) {
            (Some(dirty), Some(last)) => !last.pages.contains_key(key) || dirty.touches(key),
            _ => true,
        };
        let rendered = crate::render::html::render_selected(
            &prepared.site,
            &prepared.theme,
            &prepared.html,
            wanted,
        )?;

        let mut files = last.map(|l| l.files.clone()).unwrap_or_default();
        let mut pages = BTreeMap::new();
        let mut removed = Vec::new();
        let keep: HashSet<&PageKey> = keys.iter().collect();
        if let Some(last) = last {
            for (key, path) in &last.pages {
                if keep.contains(key) {
                    pages.insert(key.clone(), path.clone());
                } else {
                    files.remove(path);
                    removed.push(path.clone());
                }
            }
            for artifact in last.prepared.statics.iter() {
                files.remove(&artifact.path);
            }
        }
        let mut rendered_paths = Vec::with_capacity(rendered.len());
        for (key, artifact) in rendered {
            rendered_paths.push(artifact.path.clone());
            pages.insert(key, artifact.path.clone());
            files.insert(artifact.path, Arc::new(artifact.bytes));
        }
        // The search index holds every exercise's text: keep the entries
        // of the exercises that did not change.
        let search: HashMap<String, Arc<str>> = prepared
            .site
            .exercises
            .iter()
            .map(|e| {
                let kept = match (last, &dirty) {
                    (Some(last), Some(dirty)) if !dirty.changed.contains(&e.slug) => {
                        last.search.get(&e.slug).cloned()
                    }
                    _ => None,
                };
                let entry = kept.unwrap_or_else(|| crate::render::search::exercise_entry(e).into());
                (e.slug.clone(), entry)
            })
            .collect();
        for artifact in &prepared.statics {
            files.insert(artifact.path.clone(), Arc::new(artifact.bytes.clone()));
        }
        rendered_paths.sort();
        removed.sort();
        // A page that moved (a new slug) is rendered, not removed.
        removed.retain(|path| !files.contains_key(path));

        for path in LAZY {
            files.remove(*path);
        }
        let report = Rebuilt {
            everything: last.is_none(),
            rendered: rendered_paths,
            removed,
            pages: pages.len(),
            warnings: prepared.warnings.clone(),
        };
        let previous = self.last.replace(Arc::new(Build {
            sources: self.sources.clone(),
            prepared,
            global,
            pages,
            files,
            lazy: Mutex::default(),
            counts,
            search,
        }));
        // Freeing a large site takes a while: not on the way to the reload.
        std::thread::spawn(move || drop(previous));
        Ok(report)
    }
}

impl Build {
    /// The file at `path` (site-relative, `/`-separated). Handouts are
    /// rendered on first request.
    pub fn file(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        if let Some(bytes) = self.files.get(path) {
            return Some(bytes.clone());
        }
        if let Some(bytes) = self.lazy.lock().ok()?.get(path) {
            return Some(bytes.clone());
        }
        let site = &self.prepared.site;
        let bytes = match path {
            "sitemap.xml" => crate::render::meta::sitemap(site).bytes,
            "robots.txt" => crate::render::meta::robots(site).bytes,
            "feed.xml" => crate::render::meta::feed(site).bytes,
            "search-index.json" => {
                let entries: Vec<&Arc<str>> = site
                    .exercises
                    .iter()
                    .filter_map(|e| self.search.get(&e.slug))
                    .collect();
                crate::render::search::index_from(site, &entries).bytes
            }
            _ => {
                let slug = path.strip_prefix("handouts/")?.strip_suffix(".pdf")?;
                let options = crate::render::pdf::HandoutOptions::from_site(site)
                    .with_look(&self.prepared.theme.handout);
                match slug.strip_prefix("exercises/") {
                    Some(slug) => {
                        let exercise = site.exercise(slug)?;
                        crate::render::pdf::exercise_handout(site, exercise, &options).ok()?
                    }
                    None => {
                        let program = site.programs.iter().find(|p| p.slug == slug)?;
                        crate::render::pdf::program_handout(site, program, &options).ok()?
                    }
                }
            }
        };
        let bytes = Arc::new(bytes);
        self.lazy
            .lock()
            .ok()?
            .insert(path.to_string(), bytes.clone());
        Some(bytes)
    }

    /// Every file of the site, handouts included, sorted by path: what a
    /// clean build writes.
    pub fn artifacts(&self) -> Vec<Artifact> {
        let site = &self.prepared.site;
        let handouts = site
            .programs
            .iter()
            .map(|p| format!("handouts/{}.pdf", p.slug))
            .chain(
                site.exercises
                    .iter()
                    .map(|e| format!("handouts/exercises/{}.pdf", e.slug)),
            );
        let mut artifacts: Vec<Artifact> = self
            .files
            .keys()
            .cloned()
            .chain(LAZY.iter().map(|p| p.to_string()))
            .chain(handouts)
            .filter_map(|path| {
                let bytes = self.file(&path)?;
                Some(Artifact::new(path, bytes.as_ref().clone()))
            })
            .collect();
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        artifacts
    }

    /// The checked site of this build.
    pub fn site(&self) -> &Site {
        &self.prepared.site
    }
}

/// The files besides handouts made when first asked for.
const LAZY: &[&str] = &["sitemap.xml", "robots.txt", "feed.xml", "search-index.json"];

/// Hash of everything every page shows: the configuration, the theme, the
/// static files, the menu, the addresses of all files and the options.
fn global_fingerprint(prepared: &Prepared, options: &BuildOptions) -> u64 {
    let mut state = DefaultHasher::new();
    let site = &prepared.site;
    format!("{:?}", site.config).hash(&mut state);
    prepared.theme.fingerprint(&mut state);
    for artifact in &prepared.statics {
        (&artifact.path, &artifact.bytes).hash(&mut state);
    }
    site.static_files.hash(&mut state);
    site.links.hash(&mut state);
    for page in &site.pages {
        (&page.slug, &page.title).hash(&mut state);
    }
    (&options.base_url, options.drafts).hash(&mut state);
    state.finish()
}

fn term_counts(site: &Site) -> BTreeMap<(Taxonomy, String), usize> {
    let mut counts: BTreeMap<(Taxonomy, &str), usize> = BTreeMap::new();
    for exercise in &site.exercises {
        for taxonomy in Taxonomy::ALL {
            for term in exercise.terms(taxonomy) {
                *counts.entry((taxonomy, term)).or_insert(0) += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|((taxonomy, term), n)| ((taxonomy, term.to_string()), n))
        .collect()
}

/// What changed between the last build and now, as the pages see it.
struct Dirty {
    /// Exercises whose file changed, by slug, before and after.
    changed: HashSet<String>,
    /// Exercise pages to render again, by slug.
    exercises: HashSet<String>,
    /// Program pages to render again, by slug.
    programs: HashSet<String>,
    pages: HashSet<String>,
    terms: HashSet<(Taxonomy, String)>,
    /// Any exercise card or count changed: the listings.
    exercise_listings: bool,
    /// Any program card changed.
    program_listings: bool,
}

impl Dirty {
    fn between(
        last: &Build,
        sources: &Sources,
        site: &Site,
        counts: &BTreeMap<(Taxonomy, String), usize>,
    ) -> Dirty {
        let old = &last.prepared.site;
        let mut changed: HashSet<PathBuf> = HashSet::new();
        changed_files(&last.sources.exercises, &sources.exercises, &mut changed);
        changed_files(&last.sources.programs, &sources.programs, &mut changed);
        changed_files(&last.sources.pages, &sources.pages, &mut changed);

        // Changed exercises, programs and pages, by slug, before and after.
        let exercises: HashSet<&str> = old
            .exercises
            .iter()
            .chain(&site.exercises)
            .filter(|e| changed.contains(&e.source))
            .map(|e| e.slug.as_str())
            .collect();
        let programs: Vec<&crate::model::Program> = old
            .programs
            .iter()
            .chain(&site.programs)
            .filter(|p| changed.contains(&p.source))
            .collect();
        let pages: HashSet<String> = old
            .pages
            .iter()
            .chain(&site.pages)
            .filter(|p| changed.contains(&p.source))
            .map(|p| p.slug.clone())
            .collect();

        // Exercises whose card changed: what listings, term pages and
        // lists of related exercises show. Most edits change only the text.
        let card = |site: &Site, slug: &str| {
            site.exercise(slug)
                .map(|e| serde_json::to_string(&crate::render::views::exercise_card(e)).ok())
        };
        let cards: HashSet<&str> = exercises
            .iter()
            .filter(|slug| card(old, slug) != card(site, slug))
            .copied()
            .collect();

        let changed_counts: HashSet<(Taxonomy, String)> = last
            .counts
            .iter()
            .filter(|(term, n)| counts.get(*term) != Some(n))
            .chain(
                counts
                    .iter()
                    .filter(|(term, n)| last.counts.get(*term) != Some(n)),
            )
            .map(|(term, _)| term.clone())
            .collect();
        let mut terms: HashSet<(Taxonomy, String)> = changed_counts.clone();
        for exercise in old.exercises.iter().chain(&site.exercises) {
            if cards.contains(exercise.slug.as_str()) {
                for taxonomy in Taxonomy::ALL {
                    for term in exercise.terms(taxonomy) {
                        terms.insert((taxonomy, term.to_string()));
                    }
                }
            }
        }

        let mut exercise_pages: HashSet<String> = exercises.iter().map(|s| s.to_string()).collect();
        for program in &programs {
            for step in &program.exercises {
                exercise_pages.insert(step.exercise.clone());
            }
        }
        for exercise in &site.exercises {
            let shows_changed = exercise.related.iter().any(|r| cards.contains(r.as_str()))
                || !changed_counts.is_empty()
                    && Taxonomy::ALL.iter().any(|t| {
                        exercise
                            .terms(*t)
                            .iter()
                            .any(|term| changed_counts.contains(&(*t, term.to_string())))
                    });
            if shows_changed {
                exercise_pages.insert(exercise.slug.clone());
            }
        }
        let mut program_pages: HashSet<String> = programs.iter().map(|p| p.slug.clone()).collect();
        for program in &site.programs {
            if program
                .exercises
                .iter()
                .any(|step| exercises.contains(step.exercise.as_str()))
            {
                program_pages.insert(program.slug.clone());
            }
        }
        Dirty {
            changed: exercises.iter().map(|s| s.to_string()).collect(),
            exercise_listings: !cards.is_empty() || !changed_counts.is_empty(),
            program_listings: !programs.is_empty(),
            exercises: exercise_pages,
            programs: program_pages,
            pages,
            terms,
        }
    }

    fn touches(&self, key: &PageKey) -> bool {
        match key {
            PageKey::Home => self.exercise_listings || self.program_listings,
            PageKey::Library | PageKey::Taxonomy(_) => self.exercise_listings,
            PageKey::Programs => self.program_listings,
            PageKey::NotFound => false,
            PageKey::Exercise(slug) => self.exercises.contains(slug),
            PageKey::Program(slug) => self.programs.contains(slug),
            PageKey::Term(taxonomy, term) => self.terms.contains(&(*taxonomy, term.clone())),
            PageKey::Page(slug) => self.pages.contains(slug),
        }
    }
}

/// Adds to `changed` the files whose text differs between two listings, or
/// that are in only one of them.
fn changed_files(
    before: &[(PathBuf, Result<Arc<str>, Diagnostic>)],
    after: &[(PathBuf, Result<Arc<str>, Diagnostic>)],
    changed: &mut HashSet<PathBuf>,
) {
    // Usually the same files, most of them the very same texts.
    if before.len() == after.len() && before.iter().zip(after).all(|(a, b)| a.0 == b.0) {
        for ((path, a), (_, b)) in before.iter().zip(after) {
            let same = match (a, b) {
                (Ok(a), Ok(b)) => Arc::ptr_eq(a, b) || a == b,
                _ => false,
            };
            if !same {
                changed.insert(path.clone());
            }
        }
        return;
    }
    let before: BTreeMap<&PathBuf, &Result<Arc<str>, Diagnostic>> =
        before.iter().map(|(p, t)| (p, t)).collect();
    let after: BTreeMap<&PathBuf, &Result<Arc<str>, Diagnostic>> =
        after.iter().map(|(p, t)| (p, t)).collect();
    let same = |a: &Result<Arc<str>, Diagnostic>, b: &Result<Arc<str>, Diagnostic>| match (a, b) {
        (Ok(a), Ok(b)) => Arc::ptr_eq(a, b) || a == b,
        _ => false,
    };
    let paths: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).copied().collect();
    for path in paths {
        match (before.get(path), after.get(path)) {
            (Some(a), Some(b)) if same(a, b) => {}
            _ => {
                changed.insert(path.clone());
            }
        }
    }
}
