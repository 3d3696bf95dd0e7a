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
//! - a template: the pages made with it, or with a template that uses it
//!   (`extends`, `include`; a component is usable from any template).
//!
//! - an address that a file added, removed or renamed moves: the pages
//!   whose Markdown links to it.
//!
//! Anything that every page shows (site.yaml, the theme's static files and
//! handout look, static files, the menu of free pages) renders everything
//! again.
//! Handouts are rendered when first asked for after each rebuild.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::content::{ParseCache, Sources};
use crate::diagnostics::Diagnostic;
use crate::model::{Site, Taxonomy};
use crate::render::Artifact;
use crate::render::html::{CARD_PAGES, CardMemo, PageKey};
use crate::render::views::{self, TermCounts};
use crate::{BuildOptions, Look};

/// A site being served: its sources, its last good build, and what changed since.
pub struct Session {
    root: PathBuf,
    options: BuildOptions,
    sources: Sources,
    cache: ParseCache,
    /// Something changed that `Sources::refresh` cannot follow: read all again.
    reread: bool,
    /// The theme and static files, kept until a file they come from changes.
    look: Option<Arc<Styled>>,
    last: Option<Arc<Build>>,
}

/// The site's look as served: its static files by path, and a hash of all
/// of it, made once per load.
struct Styled {
    /// The theme and page options; its static files moved to `files`.
    look: Look,
    files: HashMap<String, Arc<Vec<u8>>>,
    /// Everything but the templates' text.
    fingerprint: u64,
    /// Each template with what it uses: [`crate::render::theme::Theme::page_templates`].
    templates: BTreeMap<String, u64>,
}

impl Styled {
    fn load(root: &Path, site: &Site) -> Result<Styled, Vec<Diagnostic>> {
        let mut look = Look::load(root, site)?;
        let mut state = DefaultHasher::new();
        look.theme.fingerprint(&mut state);
        let files = std::mem::take(&mut look.statics)
            .into_iter()
            .map(|artifact| {
                (&artifact.path, &artifact.bytes).hash(&mut state);
                (artifact.path, Arc::new(artifact.bytes))
            })
            .collect();
        Ok(Styled {
            templates: look.theme.page_templates(),
            look,
            files,
            fingerprint: state.finish(),
        })
    }
}

/// One successful build, in memory.
pub struct Build {
    sources: Sources,
    site: Site,
    look: Arc<Styled>,
    /// Hash of everything every page shows.
    global: u64,
    /// Every page, in the site's order.
    keys: Arc<Vec<PageKey>>,
    /// Each page's file.
    pages: Arc<BTreeMap<PageKey, String>>,
    /// The pages, by path.
    files: HashMap<Arc<str>, Arc<Vec<u8>>>,
    /// Files made when first asked for (handouts, the sitemap, the feed and
    /// the search index), by path.
    lazy: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// Terms and how many exercises have each.
    counts: BTreeMap<(Taxonomy, String), usize>,
    /// The exercises under each term, in title order.
    term_counts: Arc<TermCounts>,
    /// Each exercise's entry in the search index, by slug.
    search: HashMap<Arc<str>, Arc<str>>,
    /// The cards made so far, for the next rebuild.
    cards: Arc<CardMemo>,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// Pages rendered again (or for the first time), by path, sorted.
    pub rendered: Vec<String>,
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
            cache: ParseCache::for_rebuilds(),
            reread: false,
            look: None,
            last: None,
        }
    }

    /// Notes that `path` (relative to the site folder) was changed, added or
    /// removed. Content files and site.yaml are read again at once; for
    /// anything else the next rebuild reads the whole site again. A change to
    /// site.yaml (which names the theme), the theme or static/ loads the look
    /// again.
    pub fn changed(&mut self, path: &Path) {
        let look = ["static", "templates", "themes", crate::config::FILE]
            .iter()
            .any(|folder| path.starts_with(folder));
        if look {
            self.look = None;
        }
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
        let (site, warnings) =
            crate::load_site(&self.root, &self.sources, &self.options, &mut self.cache).map_err(
                |errors| match self.look {
                    // The theme loaded then, and none of its files changed since.
                    Some(_) => errors,
                    None => crate::with_theme_problems(errors, &self.root, &self.sources),
                },
            )?;
        let look = match &self.look {
            Some(look) => look.clone(),
            None => Arc::new(Styled::load(&self.root, &site)?),
        };
        self.look = Some(look.clone());
        let global = global_fingerprint(&site, &look, &self.options);
        // The same titles and terms in the same order: the same lists.
        let term_counts = match self.last.as_deref() {
            Some(last) if same_listing_order(&last.site, &site) => last.term_counts.clone(),
            _ => Arc::new(TermCounts::new(&site)),
        };
        let counts = sizes(&term_counts);

        let last = self.last.as_deref().filter(|last| last.global == global);
        let dirty = last.map(|last| Dirty::between(last, &self.sources, &site, &counts));
        // Templates whose text, or the text of a template they use, changed.
        let templates: HashSet<&str> = last
            .map(|last| {
                look.templates
                    .iter()
                    .filter(|(name, hash)| last.look.templates.get(*name) != Some(hash))
                    .map(|(name, _)| name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let wanted = |key: &PageKey| match (&dirty, last) {
            (Some(dirty), Some(last)) => {
                !last.pages.contains_key(key)
                    || dirty.touches(key)
                    || templates.contains(key.template())
            }
            _ => true,
        };
        // The cards made last time are good while neither the card partial
        // (part of the hashes of the pages that show cards) nor what it
        // sees besides the card (`site`, `assets`: in `global`) changed.
        let cards = match last {
            Some(last) if !CARD_PAGES.iter().any(|page| templates.contains(page)) => {
                last.cards.clone()
            }
            _ => Arc::default(),
        };
        let crate::render::html::Selected {
            keys,
            pages: rendered,
        } = crate::render::html::render_selected(
            &site,
            &look.look.theme,
            &look.look.html,
            &term_counts,
            &cards,
            wanted,
        )?;

        // The last build's page list, files and search entries are taken
        // by reference (no page or entry copied, only the tables), and what
        // was made again replaces its part. When pages came or went, those
        // no longer there are dropped first.
        let same = last.filter(|last| *last.keys == keys);
        let (mut pages, mut files) = match last {
            Some(last) => (last.pages.clone(), last.files.clone()),
            None => (Arc::default(), HashMap::default()),
        };
        if last.is_some() && same.is_none() {
            let keep: HashSet<&PageKey> = keys.iter().collect();
            Arc::make_mut(&mut pages).retain(|key, _| keep.contains(key));
            let kept: HashSet<&str> = pages.values().map(String::as_str).collect();
            files.retain(|path, _| kept.contains(&**path));
        }
        let keys = match same {
            Some(last) => last.keys.clone(),
            None => Arc::new(keys),
        };
        let mut rendered_paths = Vec::with_capacity(rendered.len());
        for (key, artifact) in rendered {
            rendered_paths.push(artifact.path.clone());
            if pages.get(&key) != Some(&artifact.path) {
                Arc::make_mut(&mut pages).insert(key, artifact.path.clone());
            }
            files.insert(artifact.path.into(), Arc::new(artifact.bytes));
        }
        rendered_paths.sort();
        // The search index holds every exercise's text: keep the entries
        // of the exercises that did not change.
        let entry = |e: &crate::model::Exercise| -> Arc<str> {
            crate::render::search::exercise_entry(e).into()
        };
        let search: HashMap<Arc<str>, Arc<str>> = match (last, &dirty) {
            (Some(last), Some(dirty)) => {
                let mut search = last.search.clone();
                if same.is_none() {
                    // (A removed exercise's entry is never shown: dropped so
                    // that the table does not grow over a long session.)
                    search.retain(|slug, _| site.exercise_position(slug).is_some());
                }
                for e in &site.exercises {
                    if dirty.changed.contains(&e.slug) || !search.contains_key(e.slug.as_str()) {
                        search.insert(e.slug.as_str().into(), entry(e));
                    }
                }
                search
            }
            _ => site
                .exercises
                .iter()
                .map(|e| (e.slug.as_str().into(), entry(e)))
                .collect(),
        };

        let report = Rebuilt {
            everything: last.is_none(),
            rendered: rendered_paths,
            pages: pages.len(),
            warnings,
        };
        let previous = self.last.replace(Arc::new(Build {
            sources: self.sources.clone(),
            site,
            keys,
            look,
            global,
            pages,
            files,
            lazy: Mutex::default(),
            counts,
            term_counts,
            search,
            cards,
        }));
        // Not on the way to the reload.
        crate::drop_later(previous);
        Ok(report)
    }
}

impl Build {
    /// The file at `path` (site-relative, `/`-separated). Handouts, the
    /// sitemap, the feed and the search index are made on first request.
    pub fn file(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        if let Some(bytes) = self.files.get(path).or_else(|| self.look.files.get(path)) {
            return Some(bytes.clone());
        }
        if let Some(bytes) = self.lazy.lock().ok()?.get(path) {
            return Some(bytes.clone());
        }
        let site = &self.site;
        let bytes = match path {
            "sitemap.xml" => crate::render::meta::sitemap(site).bytes,
            "robots.txt" => crate::render::meta::robots(site).bytes,
            "feed.xml" => crate::render::meta::feed(site).bytes,
            "search-index.json" => {
                let entries: Vec<&Arc<str>> = site
                    .exercises
                    .iter()
                    .filter_map(|e| self.search.get(e.slug.as_str()))
                    .collect();
                crate::render::search::index_from(site, &entries).bytes
            }
            _ => {
                let slug = path.strip_prefix("handouts/")?.strip_suffix(".pdf")?;
                let options = crate::render::pdf::HandoutOptions::from_site(site)
                    .with_look(&self.look.look.theme.handout);
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
        let handouts = self
            .site
            .programs
            .iter()
            .map(|p| views::program_handout_path(&p.slug))
            .chain(
                self.site
                    .exercises
                    .iter()
                    .map(|e| views::exercise_handout_path(&e.slug)),
            );
        let mut artifacts: Vec<Artifact> = self
            .files
            .keys()
            .map(|path| path.to_string())
            .chain(self.look.files.keys().cloned())
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
}

/// The files besides handouts made when first asked for.
const LAZY: &[&str] = &["sitemap.xml", "robots.txt", "feed.xml", "search-index.json"];

/// Hash of everything every page shows: the configuration, the theme and
/// static files, the menu, the addresses of all files and the options.
fn global_fingerprint(site: &Site, look: &Styled, options: &BuildOptions) -> u64 {
    let mut state = DefaultHasher::new();
    format!("{:?}", site.config).hash(&mut state);
    look.fingerprint.hash(&mut state);
    site.static_files.hash(&mut state);
    for page in &site.pages {
        (&page.slug, &page.title).hash(&mut state);
    }
    (&options.base_url, options.drafts).hash(&mut state);
    state.finish()
}

/// Whether two sites list the same exercises in the same order under the
/// same terms: unchanged exercises are the same `Arc` from one build to the next.
fn same_listing_order(last: &Site, site: &Site) -> bool {
    last.exercises.len() == site.exercises.len()
        && last.exercises.iter().zip(&site.exercises).all(|(a, b)| {
            Arc::ptr_eq(a, b)
                || (a.slug == b.slug
                    && a.title == b.title
                    && Taxonomy::ALL.iter().all(|t| a.terms(*t) == b.terms(*t)))
        })
}

/// How many exercises have each term.
fn sizes(counts: &TermCounts) -> BTreeMap<(Taxonomy, String), usize> {
    counts
        .counts
        .iter()
        .flat_map(|(taxonomy, terms)| {
            terms
                .iter()
                .map(|(term, exercises)| ((*taxonomy, term.clone()), exercises.len()))
        })
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
        let old = &last.site;
        let mut changed: HashSet<PathBuf> = HashSet::default();
        changed_files(&last.sources.exercises, &sources.exercises, &mut changed);
        changed_files(&last.sources.programs, &sources.programs, &mut changed);
        changed_files(&last.sources.pages, &sources.pages, &mut changed);
        // (By the path's bytes: hashing a `Path` walks its components, and
        // this looks up every file of the site. A source's path is the very
        // path its file was listed under.)
        let changed: HashSet<&[u8]> = changed
            .iter()
            .map(|path| path.as_os_str().as_encoded_bytes())
            .collect();
        let changed = |source: &Path| changed.contains(source.as_os_str().as_encoded_bytes());

        // Changed exercises, programs and pages, by slug, before and after.
        let exercises: HashSet<&str> = old
            .exercises
            .iter()
            .chain(&site.exercises)
            .filter(|e| changed(&e.source))
            .map(|e| e.slug.as_str())
            .collect();
        let programs: Vec<&crate::model::Program> = old
            .programs
            .iter()
            .chain(&site.programs)
            .filter(|p| changed(&p.source))
            .collect();
        let pages: HashSet<String> = old
            .pages
            .iter()
            .chain(&site.pages)
            .filter(|p| changed(&p.source))
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
        // A file added, removed or renamed moves addresses: the pages whose
        // Markdown links to one of them. (Rare: looking costs a pass over
        // every exercise's text.)
        let moved: HashSet<&str> = if Arc::ptr_eq(&old.links, &site.links) {
            HashSet::default()
        } else {
            old.links
                .iter()
                .filter(|(target, url)| site.links.get(*target) != Some(url))
                .chain(
                    site.links
                        .iter()
                        .filter(|(target, url)| old.links.get(*target) != Some(url)),
                )
                .map(|(target, _)| target.as_str())
                .collect()
        };
        let links_moved = |shown: String| {
            crate::content::links::targets_in(&shown).any(|target| moved.contains(target))
        };
        let mut relinked: HashSet<&str> = HashSet::default();
        let mut pages = pages;
        if !moved.is_empty() {
            for exercise in &site.exercises {
                if links_moved(format!("{exercise:?}")) {
                    relinked.insert(&exercise.slug);
                    exercise_pages.insert(exercise.slug.clone());
                }
            }
            for page in &site.pages {
                if links_moved(format!("{page:?}")) {
                    pages.insert(page.slug.clone());
                }
            }
        }
        let mut program_pages: HashSet<String> = programs.iter().map(|p| p.slug.clone()).collect();
        for program in &site.programs {
            let relinks = !moved.is_empty()
                && (links_moved(format!("{program:?}"))
                    || program
                        .exercises
                        .iter()
                        .any(|step| relinked.contains(step.exercise.as_str())));
            if relinks {
                program_pages.insert(program.slug.clone());
            }
        }
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
    use std::cmp::Ordering;
    // Both lists are sorted by path: one walk through both. (Were they not,
    // a file would only be counted as changed when it is not.)
    let (mut before, mut after) = (before.iter().peekable(), after.iter().peekable());
    loop {
        let order = match (before.peek(), after.peek()) {
            (None, None) => return,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((old, _)), Some((new, _))) => old.cmp(new),
        };
        match order {
            // Only before: removed; only after: added.
            Ordering::Less => changed.extend(before.next().map(|(path, _)| path.clone())),
            Ordering::Greater => changed.extend(after.next().map(|(path, _)| path.clone())),
            Ordering::Equal => {
                if let (Some((path, old)), Some((_, new))) = (before.next(), after.next()) {
                    let same = match (old, new) {
                        (Ok(old), Ok(new)) => Arc::ptr_eq(old, new) || old == new,
                        _ => false,
                    };
                    if !same {
                        changed.insert(path.clone());
                    }
                }
            }
        }
    }
}
