//! The web pages: one job per page, rendered in parallel through the theme,
//! then checked for the site disclaimer.

use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::markdown;
use crate::model::{Exercise, Site, Taxonomy};
use crate::output::Sink;
use crate::render::Artifact;
use crate::render::theme::{Context, Theme, Value, value};
use crate::render::views::{self, PageMeta, TermCounts};

/// Options that change what pages link to.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// Link pages to their PDF handouts.
    pub handouts: bool,
    /// Stylesheets and scripts, with hashed URLs and integrity values.
    pub assets: std::collections::BTreeMap<String, views::Asset>,
}

/// A page to render: which template, where, and with what data.
struct Job {
    template: &'static str,
    /// Site-relative URL (`exercises/cat-cow/`); the file is `<url>index.html`.
    url: String,
    /// Output path when it is not `<url>index.html` (404.html).
    file: Option<&'static str>,
    title: String,
    description: String,
    kind: &'static str,
    data: Data,
}

#[derive(Clone)]
enum Data {
    Home,
    Library,
    Exercise(usize),
    Programs,
    Program(usize),
    Taxonomy(Taxonomy),
    Term(Taxonomy, String),
    Page(usize),
    NotFound,
}

impl Data {
    /// About how long the page takes to make, in cards: the listings take
    /// long (the library and the home page get every exercise's card, and
    /// the library prints them all), the other pages little.
    fn weight(&self, counts: &TermCounts) -> usize {
        let all = counts.by_title.len();
        match self {
            Data::Library => 2 * all + 1,
            Data::Home => all,
            Data::Term(taxonomy, term) => counts
                .counts
                .get(taxonomy)
                .and_then(|terms| terms.get(term))
                .map_or(0, Vec::len),
            _ => 0,
        }
    }
}

/// Which page of the site: names what a page shows, so that `serve` can
/// tell which pages a change touches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PageKey {
    Home,
    Library,
    Programs,
    NotFound,
    /// An exercise's page, by slug.
    Exercise(String),
    /// A program's page, by slug.
    Program(String),
    /// A taxonomy's overview (`/position/`).
    Taxonomy(Taxonomy),
    /// One term's list (`/position/kneeling/`).
    Term(Taxonomy, String),
    /// A free page, by slug.
    Page(String),
}

impl PageKey {
    /// The template the page is made with.
    pub fn template(&self) -> &'static str {
        match self {
            PageKey::Home => "index.html",
            PageKey::Library => "exercises.html",
            PageKey::Programs => "programs.html",
            PageKey::NotFound => "404.html",
            PageKey::Exercise(_) => "exercise.html",
            PageKey::Program(_) => "program.html",
            PageKey::Taxonomy(_) => "taxonomy.html",
            PageKey::Term(..) => "term.html",
            PageKey::Page(_) => "page.html",
        }
    }
}

/// Renders every page of the site into `sink`, as each is made; returns how
/// many pages there are.
pub fn render(
    site: &Site,
    theme: &Theme,
    options: &HtmlOptions,
    counts: &TermCounts,
    sink: &dyn Sink,
) -> Result<usize, Vec<Diagnostic>> {
    let (keys, _) = render_pages(
        site,
        theme,
        options,
        counts,
        None,
        |_| true,
        |_, path, html| sink.put_bytes(path, html).map(|()| None::<()>),
    )?;
    Ok(keys.len())
}

/// How many pages [`render`] makes of the site.
pub fn page_count(site: &Site, counts: &TermCounts) -> usize {
    pages(site, counts).len()
}

/// What [`render_selected`] made.
pub struct Selected {
    /// Every page the site has.
    pub keys: Vec<PageKey>,
    /// The pages that were picked, rendered.
    pub pages: Vec<(PageKey, Artifact)>,
}

/// Renders the pages that `wanted` picks, each with its key; returns the
/// keys of all the site's pages too. Cards are taken from `memo` when made
/// before, and the cards made are added to it.
pub fn render_selected(
    site: &Site,
    theme: &Theme,
    options: &HtmlOptions,
    counts: &TermCounts,
    memo: &CardMemo,
    wanted: impl Fn(&PageKey) -> bool + Sync,
) -> Result<Selected, Vec<Diagnostic>> {
    render_pages(
        site,
        theme,
        options,
        counts,
        Some(memo),
        wanted,
        |key, path, html| Ok(Some((key, Artifact::new(path, html.to_vec())))),
    )
    .map(|(keys, pages)| Selected { keys, pages })
}

/// Cards made with their `html`, kept by `serve` from one rebuild to the
/// next, so that an edit to one exercise does not make the library's
/// thousands of other cards again. Each exercise's cards are kept with the
/// exercise they show and taken again while the site has that same
/// exercise (an unchanged exercise is the same `Arc` from one rebuild to
/// the next). Valid for one card partial, `site` and `assets`: a rebuild
/// where any of them changed starts a new one.
#[derive(Default)]
pub struct CardMemo(RwLock<HashMap<String, Kept>>);

/// One exercise's cards with `html`, by page depth.
struct Kept {
    exercise: Arc<Exercise>,
    made: [Option<Value>; SHARED_DEPTHS],
}

impl CardMemo {
    /// The cards of `exercises` for pages `depth` folders deep that were
    /// made before, in order, looked up under one lock: a list of
    /// thousands of cards taking the lock for each would have the threads
    /// making pages wait on one another.
    fn made_all<'e>(
        &self,
        exercises: impl Iterator<Item = &'e Arc<Exercise>>,
        depth: usize,
    ) -> Vec<Option<Value>> {
        let Ok(kept) = self.0.read() else {
            return exercises.map(|_| None).collect();
        };
        exercises
            .map(|exercise| {
                let kept = kept.get(&exercise.slug)?;
                Arc::ptr_eq(&kept.exercise, exercise)
                    .then(|| kept.made[depth].clone())
                    .flatten()
            })
            .collect()
    }

    /// Keeps the card of `exercise`, one of a site of `exercises`.
    fn keep(&self, exercise: &Arc<Exercise>, depth: usize, card: &Value, exercises: usize) {
        let Ok(mut kept) = self.0.write() else {
            return;
        };
        match kept.get_mut(&exercise.slug) {
            Some(kept) if Arc::ptr_eq(&kept.exercise, exercise) => {
                kept.made[depth] = Some(card.clone());
            }
            _ => {
                // Removed and renamed exercises' cards are never asked for again.
                if kept.len() > 2 * exercises + 1000 {
                    kept.clear();
                }
                let mut made = [const { None }; SHARED_DEPTHS];
                made[depth] = Some(card.clone());
                let exercise = exercise.clone();
                kept.insert(exercise.slug.clone(), Kept { exercise, made });
            }
        }
    }
}

thread_local! {
    /// The page being made on this thread.
    static PAGE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Renders the pages `wanted` picks in parallel and hands each to `keep`,
/// which stores it somewhere and may return something to collect (in page
/// order). Returns every page key and what was collected.
fn render_pages<T: Send>(
    site: &Site,
    theme: &Theme,
    options: &HtmlOptions,
    counts: &TermCounts,
    memo: Option<&CardMemo>,
    wanted: impl Fn(&PageKey) -> bool + Sync,
    keep: impl Fn(PageKey, String, &[u8]) -> Result<Option<T>, Diagnostic> + Sync,
) -> Result<(Vec<PageKey>, Vec<T>), Vec<Diagnostic>> {
    let prepared = Prepared::new(site, theme, counts, options, memo);
    let pages = pages(site, counts);
    let keys: Vec<PageKey> = pages.iter().map(|data| data.key(site)).collect();
    // (Only the pages wanted are made into jobs: `serve` renders a few.)
    let mut wanted: Vec<(usize, Data)> = pages
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wanted(&keys[*i]))
        .collect();
    // The pages are made longest first, each thread taking the next page
    // as it finishes one: the library (the longest page by far) does not
    // come last, with one core working alone at the end while the other
    // waits. (A rebuild in `serve` makes a few pages, the listings among
    // them.)
    wanted.sort_by_key(|(i, data)| (std::cmp::Reverse(data.weight(counts)), *i));
    let next = AtomicUsize::new(0);
    let threads = rayon::current_num_threads().clamp(1, wanted.len().max(1));
    let mut results: Vec<(usize, Result<Option<T>, Failure>)> = (0..threads)
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut made = Vec::new();
            while let Some((i, data)) = wanted.get(next.fetch_add(1, Ordering::Relaxed)) {
                let job = job(site, data.clone());
                let key = keys[*i].clone();
                // Each thread writes its pages into one buffer, kept from
                // page to page: no new memory for every page.
                let page = PAGE.with_borrow_mut(|html| {
                    render_job(site, theme, &prepared, counts, &job, options, html)
                        .and_then(|path| keep(key, path, html).map_err(Failure::Template))
                });
                made.push((*i, page));
            }
            made
        })
        .collect();
    // Tens of thousands of card values: not freed by this thread while the
    // last handouts are still being made (see `done_with`).
    crate::done_with(prepared.cards.into_values());
    results.sort_by_key(|(i, _)| *i);
    let results = results.into_iter().map(|(_, result)| result);
    let mut kept = Vec::new();
    let mut errors = Vec::new();
    // Template name -> pages made with it that lack the disclaimer.
    let mut undisclaimed: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    for result in results {
        match result {
            Ok(Some(item)) => kept.push(item),
            Ok(None) => {}
            Err(Failure::Template(error)) => errors.push(error),
            Err(Failure::NoDisclaimer { template, page }) => {
                undisclaimed.entry(template).or_default().push(page)
            }
        }
    }
    for (template, pages) in undisclaimed {
        errors.push(missing_disclaimer(theme, template, &pages));
    }
    if errors.is_empty() {
        Ok((keys, kept))
    } else {
        // One broken template fails every page that uses it: report it once.
        errors.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
        errors.dedup_by(|a, b| {
            a.file == b.file && a.line == b.line && a.column == b.column && a.message == b.message
        });
        Err(errors)
    }
}

/// Why a page could not be made.
enum Failure {
    Template(Diagnostic),
    NoDisclaimer {
        template: &'static str,
        page: String,
    },
}

/// One error per template whose pages lack the disclaimer, naming the pages
/// and the site's own template overrides, the usual cause.
fn missing_disclaimer(theme: &Theme, template: &str, pages: &[String]) -> Diagnostic {
    let mut pages = pages.to_vec();
    pages.sort();
    let message = match pages.as_slice() {
        [one] => format!("the page `{one}` does not show the site disclaimer"),
        [first, rest @ ..] => format!(
            "the page `{first}` and {} more made with this template do not show the site disclaimer",
            rest.len()
        ),
        [] => "a page does not show the site disclaimer".to_string(),
    };
    let overrides = theme.site_overrides();
    let mut hint = String::from(
        "every page must show the site disclaimer: keep `{% include \"partials/disclaimer.html\" %}` (or `{{ site.disclaimer }}`) in this template or in the template it extends",
    );
    if !overrides.is_empty() {
        let names: Vec<String> = overrides
            .iter()
            .map(|p| format!("`{}`", crate::diagnostics::display_path(p)))
            .collect();
        hint.push_str(&format!(
            "; this site replaces the theme's {}: check that it still shows the disclaimer",
            names.join(", ")
        ));
    }
    Diagnostic::error(theme.origin(template), message).hint(hint)
}

impl Data {
    fn key(&self, site: &Site) -> PageKey {
        match self {
            Data::Home => PageKey::Home,
            Data::Library => PageKey::Library,
            Data::Programs => PageKey::Programs,
            Data::NotFound => PageKey::NotFound,
            Data::Exercise(i) => PageKey::Exercise(site.exercises[*i].slug.clone()),
            Data::Program(i) => PageKey::Program(site.programs[*i].slug.clone()),
            Data::Taxonomy(t) => PageKey::Taxonomy(*t),
            Data::Term(t, term) => PageKey::Term(*t, term.clone()),
            Data::Page(i) => PageKey::Page(site.pages[*i].slug.clone()),
        }
    }
}

/// Every page of the site, in order: what each shows.
fn pages(site: &Site, counts: &TermCounts) -> Vec<Data> {
    let mut pages = vec![Data::Home, Data::Library, Data::Programs, Data::NotFound];
    pages.extend((0..site.exercises.len()).map(Data::Exercise));
    pages.extend((0..site.programs.len()).map(Data::Program));
    for taxonomy in Taxonomy::ALL {
        pages.push(Data::Taxonomy(taxonomy));
        if let Some(terms) = counts.counts.get(&taxonomy) {
            pages.extend(terms.keys().map(|term| Data::Term(taxonomy, term.clone())));
        }
    }
    pages.extend((0..site.pages.len()).map(Data::Page));
    pages
}

/// The page that shows `data`: its template, address, title and description.
fn job(site: &Site, data: Data) -> Job {
    let c = &site.config;
    match data {
        Data::Home => Job {
            template: "index.html",
            url: String::new(),
            file: None,
            title: c.title.clone(),
            description: if c.description.is_empty() {
                c.title.clone()
            } else {
                c.description.clone()
            },
            kind: "home",
            data,
        },
        Data::Library => Job {
            template: "exercises.html",
            url: "exercises/".into(),
            file: None,
            title: "Exercise library".into(),
            description: format!(
                "All {} exercises of {}, by body region, focus, position, equipment and difficulty.",
                site.exercises.len(),
                c.clinic.name
            ),
            kind: "library",
            data,
        },
        Data::Programs => Job {
            template: "programs.html",
            url: "programs/".into(),
            file: None,
            title: "Programs".into(),
            description: format!("Exercise routines from {}.", c.clinic.name),
            kind: "programs",
            data,
        },
        Data::NotFound => Job {
            template: "404.html",
            url: "404.html".into(),
            file: Some("404.html"),
            title: "Page not found".into(),
            description: "This page does not exist.".into(),
            kind: "not-found",
            data,
        },
        Data::Exercise(i) => {
            let e = &site.exercises[i];
            Job {
                template: "exercise.html",
                url: views::exercise_url(&e.slug),
                file: None,
                title: e.title.clone(),
                description: e.summary.clone(),
                kind: "exercise",
                data,
            }
        }
        Data::Program(i) => {
            let p = &site.programs[i];
            Job {
                template: "program.html",
                url: views::program_url(&p.slug),
                file: None,
                title: p.title.clone(),
                description: p.summary.clone(),
                kind: "program",
                data,
            }
        }
        Data::Taxonomy(taxonomy) => Job {
            template: "taxonomy.html",
            url: format!("{}/", taxonomy.slug()),
            file: None,
            title: format!("Exercises by {}", taxonomy.label().to_lowercase()),
            description: format!("Exercises grouped by {}.", taxonomy.label().to_lowercase()),
            kind: "taxonomy",
            data,
        },
        Data::Term(taxonomy, ref term) => {
            let label = crate::model::term_label(taxonomy, term);
            Job {
                template: "term.html",
                url: views::term_url(taxonomy, term),
                file: None,
                title: format!("{}: {label}", taxonomy.label()),
                description: format!(
                    "Exercises with {}: {label}.",
                    taxonomy.label().to_lowercase()
                ),
                kind: "term",
                data,
            }
        }
        Data::Page(i) => {
            let p = &site.pages[i];
            Job {
                template: "page.html",
                url: format!("{}/", p.slug),
                file: None,
                title: p.title.clone(),
                description: if p.summary.is_empty() {
                    p.title.clone()
                } else {
                    p.summary.clone()
                },
                kind: "page",
                data,
            }
        }
    }
}

/// What the pages of one render share, made once.
struct Prepared<'a> {
    /// Template data: `site`.
    site: Value,
    /// Template data: `assets`.
    assets: Value,
    cards: Cards<'a>,
    programs_of: views::ProgramsOf<'a>,
    term_links: TermLinks,
    disclaimer: Disclaimer<'a>,
    /// Whether the home page is given its `exercises` without `html`: in a
    /// one-off build, when it only counts them (see [`Theme::only_counts`]).
    /// (`serve` keeps the cards with `html` from one rebuild to the next
    /// and would make the others again: there, those are cheaper.)
    plain_home: bool,
}

/// Every term's link (`slug`, `label`, `url`, `count`) as template data,
/// made once: each exercise page shows those of its terms, grouped by
/// taxonomy (`exercise.taxonomies`).
struct TermLinks {
    /// By taxonomy: the group (a [`views::TermGroup`] without terms) and
    /// each term's link.
    groups: std::collections::BTreeMap<Taxonomy, (tera::Map, HashMap<String, Value>)>,
    /// Groups with their terms made so far, by a hash of the taxonomy and
    /// the terms: thousands of exercises share a few hundred sets of terms.
    made: RwLock<HashMap<u64, Vec<MadeGroup>>>,
}

/// A taxonomy's group with the terms it was made for.
struct MadeGroup {
    taxonomy: Taxonomy,
    terms: Vec<String>,
    group: Value,
}

impl TermLinks {
    fn new(counts: &TermCounts) -> Self {
        let groups = counts
            .groups()
            .into_iter()
            .zip(Taxonomy::ALL)
            .map(|(group, taxonomy)| {
                let links = group
                    .terms
                    .iter()
                    .map(|term| (term.slug.clone(), value(term)))
                    .collect();
                let empty = views::TermGroup {
                    terms: Vec::new(),
                    ..group
                };
                let empty = value(&empty).into_map().unwrap_or_default();
                (taxonomy, (empty, links))
            })
            .collect();
        TermLinks {
            groups,
            made: RwLock::default(),
        }
    }

    /// The taxonomies in which `exercise` has terms, each with those terms
    /// linked: `[{slug, label, url, terms: [{slug, label, url, count}]}]`.
    fn groups(&self, exercise: &Exercise, counts: &TermCounts) -> Value {
        let groups: Vec<Value> = Taxonomy::ALL
            .iter()
            .filter_map(|&taxonomy| {
                let terms = exercise.terms(taxonomy);
                (!terms.is_empty()).then(|| self.group(taxonomy, &terms, counts))?
            })
            .collect();
        Value::from(groups)
    }

    /// The group of `taxonomy` with these terms linked, made once for each
    /// set of terms.
    fn group(&self, taxonomy: Taxonomy, terms: &[&str], counts: &TermCounts) -> Option<Value> {
        use std::hash::BuildHasher;
        let hash = rustc_hash::FxBuildHasher.hash_one((taxonomy, terms));
        let same = |made: &MadeGroup| made.taxonomy == taxonomy && made.terms.iter().eq(terms);
        if let Ok(made) = self.made.read()
            && let Some(made) = made.get(&hash).and_then(|m| m.iter().find(|m| same(m)))
        {
            return Some(made.group.clone());
        }
        let (group, links) = self.groups.get(&taxonomy)?;
        let links: Vec<Value> = terms
            .iter()
            .map(|&term| {
                links
                    .get(term)
                    .cloned()
                    .unwrap_or_else(|| value(&counts.link(taxonomy, term)))
            })
            .collect();
        let mut group = group.clone();
        group.insert("terms".into(), Value::from(links));
        let group = Value::from(group);
        if let Ok(mut made) = self.made.write()
            && !made.get(&hash).is_some_and(|m| m.iter().any(same))
        {
            made.entry(hash).or_default().push(MadeGroup {
                taxonomy,
                terms: terms.iter().map(|t| t.to_string()).collect(),
                group: group.clone(),
            });
        }
        Some(group)
    }
}

impl<'a> Prepared<'a> {
    fn new(
        site: &'a Site,
        theme: &'a Theme,
        counts: &'a TermCounts,
        options: &HtmlOptions,
        memo: Option<&'a CardMemo>,
    ) -> Self {
        let site_value = value(&views::site_view(site));
        let assets = value(&options.assets);
        Prepared {
            cards: Cards::new(
                site,
                theme,
                counts,
                site_value.clone(),
                assets.clone(),
                memo,
            ),
            site: site_value,
            assets,
            programs_of: views::ProgramsOf::new(site),
            term_links: TermLinks::new(counts),
            disclaimer: Disclaimer::new(&site.config.disclaimers.site),
            plain_home: memo.is_none() && theme.only_counts("index.html", "exercises"),
        }
    }
}

/// The template that makes an exercise card's HTML (`card.html`).
pub const CARD_PARTIAL: &str = "partials/exercise-card.html";

/// The templates of the pages given cards with `html`: the home page, the
/// library, term pages, and exercise pages (their related exercises).
pub const CARD_PAGES: [&str; 4] = ["index.html", "exercises.html", "term.html", "exercise.html"];

/// Pages less than this many folders deep share their cards' HTML with the
/// pages at the same depth (term and exercise pages are 2 deep).
const SHARED_DEPTHS: usize = 3;

/// Each exercise's card as template data, made on first use and then
/// shared: the listings show every card several times (library, one list per
/// term, related exercises), and copying a made card is only a reference
/// count. A card in a list also has `html`, the card made once from
/// [`CARD_PARTIAL`] for pages at one depth (its links start with `root`).
struct Cards<'a> {
    site: &'a Site,
    theme: &'a Theme,
    counts: &'a TermCounts,
    /// What the card partial sees besides `card` and `root`.
    site_value: Value,
    assets: Value,
    /// The cards without `html`, by position in `site.exercises`.
    plain: Vec<OnceLock<Value>>,
    /// With `html`: by page depth, then by position in `site.exercises`.
    made: Vec<Vec<OnceLock<MadeCard>>>,
    /// Each card's `html` made once with [`ANY_ROOT`] for its root and cut
    /// where that stands, by position in `site.exercises`; the card is
    /// `None` when one of its values holds a NUL. The whole is `None` when
    /// the partial may do more with `root` than print it.
    pieces: Option<Vec<OnceLock<Pieces>>>,
    memo: Option<&'a CardMemo>,
}

/// The root a card's `html` is made with once, to be replaced by each
/// page's own. It holds a NUL, which no template text can (checked), nor
/// content (a NUL in a file, a YAML escape `"\0"` or a `!!binary` value
/// is an error); a card, site or assets value that holds one all the same
/// is made the slow way.
pub(crate) const ANY_ROOT: &str = "\0movepress-root\0";

/// A card's `html` in the pieces between the places its root goes, or
/// `None` where it cannot be made that way, or why the partial failed.
type Pieces = Result<Option<Vec<String>>, Box<Diagnostic>>;

/// Whether a template value holds a NUL anywhere (keys included).
fn holds_nul(value: &Value) -> bool {
    if let Some(text) = value.as_str() {
        text.contains('\0')
    } else if let Some(items) = value.as_array() {
        items.iter().any(holds_nul)
    } else if let Some(map) = value.as_map() {
        map.iter()
            .any(|(key, value)| key.as_str().is_some_and(|k| k.contains('\0')) || holds_nul(value))
    } else {
        false
    }
}

impl<'a> Cards<'a> {
    fn new(
        site: &'a Site,
        theme: &'a Theme,
        counts: &'a TermCounts,
        site_value: Value,
        assets: Value,
        memo: Option<&'a CardMemo>,
    ) -> Self {
        let n = site.exercises.len();
        let pieces = (theme.prints_root_verbatim(CARD_PARTIAL)
            && !holds_nul(&site_value)
            && !holds_nul(&assets))
        .then(|| (0..n).map(|_| OnceLock::new()).collect());
        Cards {
            site,
            theme,
            counts,
            site_value,
            assets,
            plain: (0..n).map(|_| OnceLock::new()).collect(),
            made: (0..SHARED_DEPTHS)
                .map(|_| (0..n).map(|_| OnceLock::new()).collect())
                .collect(),
            pieces,
            memo,
        }
    }

    /// What the cards hold, without what they borrow.
    fn into_values(self) -> impl Send + 'static {
        (self.plain, self.made, self.pieces)
    }

    /// The card of the exercise at position `i`, without `html`.
    fn plain(&self, i: usize) -> &Value {
        self.plain[i].get_or_init(|| value(&views::exercise_card(&self.site.exercises[i])))
    }

    /// The card of the exercise at position `i`, with its `html` for a
    /// page `root` away from the site root.
    fn card(&self, i: usize, root: &str) -> Result<Value, Diagnostic> {
        match depth(root).and_then(|d| self.made.get(d)) {
            Some(made) => made[i]
                .get_or_init(|| self.make(i, root).map_err(Box::new))
                .clone()
                .map_err(|e| *e),
            None => self.make(i, root),
        }
    }

    /// Makes the card of the exercise at position `i` with its `html` for a
    /// page `root` away from the site root, and keeps it in the memo.
    fn make(&self, i: usize, root: &str) -> Result<Value, Diagnostic> {
        // A theme without the partial has cards without `html`.
        if !self.theme.has(CARD_PARTIAL) {
            return Ok(self.plain(i).clone());
        }
        let card = self.plain(i);
        let html = match self.pieces(i, root)? {
            Some(pieces) => pieces.join(root),
            None => self.render_card(card, root)?,
        };
        let mut map = card.as_map().cloned().unwrap_or_default();
        map.insert("html".into(), Value::safe_string(&html));
        let made = Value::from(map);
        if let Some((memo, depth)) = self.memo_at(root) {
            let exercise = &self.site.exercises[i];
            memo.keep(exercise, depth, &made, self.site.exercises.len());
        }
        Ok(made)
    }

    /// The card partial's HTML for `card` on a page `root` away from the
    /// site root.
    fn render_card(&self, card: &Value, root: &str) -> Result<String, Diagnostic> {
        let mut ctx = Context::new();
        ctx.insert_value("site", self.site_value.clone());
        ctx.insert_value("assets", self.assets.clone());
        ctx.insert("root", root);
        ctx.insert_value("card", card.clone());
        self.theme.render(CARD_PARTIAL, &ctx)
    }

    /// The card `html` of the exercise at position `i`, made once with
    /// [`ANY_ROOT`] for all pages at a relative `root` and cut where that
    /// stands; `None` where it cannot be used (the partial may do more with
    /// `root` than print it, a value of the card holds a NUL, or `root` is
    /// absolute).
    fn pieces(&self, i: usize, root: &str) -> Result<Option<&[String]>, Diagnostic> {
        let Some(pieces) = self.pieces.as_ref().filter(|_| depth(root).is_some()) else {
            return Ok(None);
        };
        pieces[i]
            .get_or_init(|| {
                let card = self.plain(i);
                if holds_nul(card) {
                    return Ok(None);
                }
                let html = self.render_card(card, ANY_ROOT).map_err(Box::new)?;
                Ok(Some(html.split(ANY_ROOT).map(str::to_string).collect()))
            })
            .as_ref()
            .map(|pieces| pieces.as_deref())
            .map_err(|e| (**e).clone())
    }

    /// The memo, and the depth at which it keeps the cards of a page `root`
    /// away from the site root: none in a one-off build, for a theme
    /// without the partial, or for a page deeper than cards are kept for.
    fn memo_at(&self, root: &str) -> Option<(&'a CardMemo, usize)> {
        self.memo
            .filter(|_| self.theme.has(CARD_PARTIAL))
            .zip(depth(root).filter(|&depth| depth < SHARED_DEPTHS))
    }

    /// The cards with `html` of the exercises at `positions` that the memo
    /// kept from the last rebuild, in order (`None` for the others), for the
    /// pages that list every card; [`Cards::make`] makes the others.
    fn remembered(&self, positions: &[usize], root: &str) -> Vec<Option<Value>> {
        match self.memo_at(root) {
            Some((memo, depth)) => {
                memo.made_all(positions.iter().map(|&i| &self.site.exercises[i]), depth)
            }
            None => vec![None; positions.len()],
        }
    }

    /// The cards of these exercises (positions in `site.exercises`), in order.
    fn list(&self, exercises: &[usize], root: &str) -> Result<Value, Diagnostic> {
        // Cards not made yet in this rebuild: those the memo kept first.
        if let Some((memo, depth)) = self.memo_at(root)
            && let Some(made) = self.made.get(depth)
        {
            let missing: Vec<usize> = exercises
                .iter()
                .copied()
                .filter(|&i| made[i].get().is_none())
                .collect();
            let kept = memo.made_all(missing.iter().map(|&i| &self.site.exercises[i]), depth);
            for (i, kept) in missing.iter().zip(kept) {
                if let Some(card) = kept {
                    // (Another thread may have set it meanwhile: the same card.)
                    let _ = made[*i].set(Ok(card));
                }
            }
        }
        let cards = exercises
            .iter()
            .map(|&i| self.card(i, root))
            .collect::<Result<Vec<Value>, Diagnostic>>()?;
        Ok(Value::from(cards))
    }

    /// Every card in title order, without `html`.
    fn plain_library(&self) -> Value {
        let cards: Vec<Value> = self
            .counts
            .by_title
            .iter()
            .map(|&i| self.plain(i).clone())
            .collect();
        Value::from(cards)
    }

    /// Every card in title order, with `html` for the page at `root` (the
    /// library or the home page): made for that one page, not shared with
    /// the others (`serve` keeps them in its [`CardMemo`]).
    fn library(&self, root: &str) -> Result<Value, Diagnostic> {
        let order = &self.counts.by_title;
        let cards = order
            .iter()
            .zip(self.remembered(order, root))
            .map(|(&i, kept)| kept.map_or_else(|| self.make(i, root), Ok))
            .collect::<Result<Vec<Value>, Diagnostic>>()?;
        Ok(Value::from(cards))
    }
}

/// A card with its `html`, or why the partial could not make it.
type MadeCard = Result<Value, Box<Diagnostic>>;

/// How many folders deep a page is whose way to the site root is `root`
/// (`../../` is 2); `None` for an absolute root (404.html).
fn depth(root: &str) -> Option<usize> {
    let depth = root.len() / 3;
    (root == "../".repeat(depth)).then_some(depth)
}

/// An exercise page's `exercise`: its card's fields, what its page shows
/// besides, and its related exercises' cards.
fn exercise_value(
    site: &Site,
    prepared: &Prepared,
    counts: &TermCounts,
    i: usize,
    options: &HtmlOptions,
    root: &str,
) -> Result<Value, Diagnostic> {
    let cards = &prepared.cards;
    let exercise = &site.exercises[i];
    let related: Vec<usize> = exercise
        .related
        .iter()
        .filter_map(|slug| site.exercise_position(slug))
        .collect();
    let page = views::exercise_view(
        site,
        exercise,
        &prepared.programs_of,
        options.handouts,
        root,
    );
    let mut map = cards.plain(i).as_map().cloned().unwrap_or_default();
    map.extend(value(&page).into_map().unwrap_or_default());
    // In its place among the keys, as a theme that walks `exercise` sees them.
    let at = map
        .keys()
        .position(|key| key.as_str() == Some("programs"))
        .unwrap_or(map.len());
    map.shift_insert(
        at,
        "taxonomies".into(),
        prepared.term_links.groups(exercise, counts),
    );
    map.insert("related".into(), cards.list(&related, root)?);
    Ok(Value::from(map))
}

fn render_job(
    site: &Site,
    theme: &Theme,
    prepared: &Prepared,
    counts: &TermCounts,
    job: &Job,
    options: &HtmlOptions,
    html: &mut Vec<u8>,
) -> Result<String, Failure> {
    let root = match job.data {
        // A host serves 404.html at any depth: link from the site's absolute path.
        Data::NotFound => base_path(&site.config.base_url),
        _ => "../".repeat(job.url.matches('/').count()),
    };
    let page = PageMeta {
        title: job.title.clone(),
        description: job.description.clone(),
        url: job.url.clone(),
        permalink: format!("{}{}", site.config.base_url, job.url),
        kind: job.kind,
        og_type: match job.data {
            Data::Exercise(_) | Data::Program(_) => "article",
            _ => "website",
        },
        image: match job.data {
            Data::Exercise(i) => site.exercises[i]
                .images
                .first()
                .map(|image| format!("{}static/{}", site.config.base_url, image.src)),
            _ => None,
        },
        json_ld: match job.data {
            Data::Exercise(i) => Some(views::exercise_json_ld(site, &site.exercises[i])),
            Data::Program(i) => Some(views::program_json_ld(site, &site.programs[i])),
            _ => None,
        },
    };
    let mut ctx = Context::new();
    ctx.insert_value("site", prepared.site.clone());
    ctx.insert("page", &page);
    ctx.insert("root", &root);
    ctx.insert_value("assets", prepared.assets.clone());
    let cards = &prepared.cards;
    match &job.data {
        Data::Home => {
            let exercises = if prepared.plain_home {
                cards.plain_library()
            } else {
                cards.library(&root).map_err(Failure::Template)?
            };
            ctx.insert_value("exercises", exercises);
            ctx.insert("programs", &views::program_cards(site));
            ctx.insert("taxonomies", &counts.groups());
        }
        Data::Library => {
            ctx.insert_value(
                "exercises",
                cards.library(&root).map_err(Failure::Template)?,
            );
            ctx.insert("taxonomies", &counts.groups());
        }
        Data::Exercise(i) => {
            ctx.insert_value(
                "exercise",
                exercise_value(site, prepared, counts, *i, options, &root)
                    .map_err(Failure::Template)?,
            );
        }
        Data::Programs => {
            ctx.insert("programs", &views::program_cards(site));
        }
        Data::Program(i) => {
            ctx.insert(
                "program",
                &views::program_view(site, &site.programs[*i], options.handouts, &root),
            );
        }
        Data::Taxonomy(t) => {
            let group = counts.groups().into_iter().find(|g| g.slug == t.slug());
            ctx.insert("taxonomy", &group);
        }
        Data::Term(t, term) => {
            let group = counts.groups().into_iter().find(|g| g.slug == t.slug());
            ctx.insert("taxonomy", &group);
            ctx.insert("term", &counts.link(*t, term));
            let exercises = counts
                .counts
                .get(t)
                .and_then(|terms| terms.get(term))
                .map_or(&[][..], Vec::as_slice);
            ctx.insert_value(
                "exercises",
                cards.list(exercises, &root).map_err(Failure::Template)?,
            );
        }
        Data::Page(i) => {
            let page = &site.pages[*i];
            #[derive(Serialize)]
            struct Content<'a> {
                title: &'a str,
                summary: &'a str,
                body_html: String,
            }
            ctx.insert(
                "content",
                &Content {
                    title: &page.title,
                    summary: &page.summary,
                    body_html: markdown::to_html(&page.body, &|h| {
                        crate::content::links::rewrite(h, &site.links, &root)
                    }),
                },
            );
        }
        Data::NotFound => {}
    }
    html.clear();
    theme
        .render_to(job.template, &ctx, html)
        .map_err(Failure::Template)?;
    let path = match job.file {
        Some(file) => file.to_string(),
        None => format!("{}index.html", job.url),
    };
    // (Templates write text: a page is UTF-8 unless a filter made bytes.
    // Checked many bytes at a time: the pages are 200 MB at 10,000 exercises.)
    let shown =
        simdutf8::basic::from_utf8(html).is_ok_and(|text| prepared.disclaimer.shown_in(text));
    if !shown {
        return Err(Failure::NoDisclaimer {
            template: job.template,
            page: path,
        });
    }
    Ok(path)
}

/// The path part of the base URL: `https://x.org/clinic/` -> `/clinic/`.
pub fn base_path(base_url: &str) -> String {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_string(),
        None => "/".to_string(),
    }
}

/// Whether the page's visible text contains the disclaimer (whitespace and
/// HTML escaping aside). Text in tags, attributes and comments does not count.
/// Runs on every page of every build.
pub fn shows_disclaimer(html: &str, disclaimer: &str) -> bool {
    Disclaimer::new(disclaimer).shown_in(html)
}

/// The site disclaimer as the check looks for it in every page: escaped
/// the way templates print it, with its searcher made once per build.
pub struct Disclaimer<'a> {
    text: &'a str,
    /// `None` when escaping leaves nothing to look for.
    escaped: Option<Finder>,
}

type Finder = memchr::memmem::Finder<'static>;

impl<'a> Disclaimer<'a> {
    /// The check for the site disclaimer `text`.
    pub fn new(text: &'a str) -> Self {
        let mut escaped = Vec::with_capacity(text.len() + 16);
        let escaped = (tera::escape_html(text, &mut escaped).is_ok() && !escaped.is_empty())
            .then(|| memchr::memmem::Finder::new(&escaped).into_owned());
        Disclaimer { text, escaped }
    }

    /// Whether `html`'s visible text contains the disclaimer; see
    /// [`shows_disclaimer`].
    pub fn shown_in(&self, html: &str) -> bool {
        self.escaped
            .as_ref()
            .is_some_and(|escaped| shows_verbatim(html, escaped))
            || shows_in_text(html, self.text)
    }
}

/// Whether the disclaimer, escaped the way templates print it, stands whole
/// in one run of the page's visible text: the usual case, found without
/// decoding the page into text. The places it stands are found first (one
/// fast search of the page); the markup before each is walked, to see
/// whether the place is in text.
fn shows_verbatim(html: &str, escaped: &Finder) -> bool {
    // (Escaped, the disclaimer has no `<`: where it stands, it stands
    // within one run of text, or within one tag, comment or script.)
    let bytes = html.as_bytes();
    let start = find_ignoring_case(html, 0, "<body").unwrap_or(0);
    // Where the run of text being walked starts.
    let mut run = start;
    for at in escaped.find_iter(&bytes[start..]).map(|i| start + i) {
        run = walk_to(html, run, at);
        if run <= at && !inside_entity(&html[run..], at - run) {
            return true;
        }
    }
    false
}

/// Walks the markup that starts before `at` from `run`, a place in text,
/// and returns where the text after the last of it starts (past `at` when
/// `at` is inside markup). A tag that is neither a comment nor a hidden
/// element ends at the first `>` after its `<`, so a stretch of such tags
/// is not walked tag by tag: the stretch ends where the tag of its last
/// `<` ends (a `<` inside a tag shares that tag's `>`). Only comments and
/// hidden elements are stopped at.
fn walk_to(html: &str, mut run: usize, at: usize) -> usize {
    let bytes = html.as_bytes();
    while run < at {
        let hider = memchr::memchr_iter(b'<', &bytes[run..at])
            .map(|lt| run + lt)
            .find(|&lt| hides(html, lt));
        let plain = &bytes[run..hider.unwrap_or(at)];
        let plain_end = memchr::memrchr(b'<', plain).map(|lt| markup_end(html, run + lt));
        run = match (plain_end, hider) {
            // The comment or hidden element starts a markup of its own.
            (None, Some(hider)) => markup_end(html, hider),
            (Some(end), Some(hider)) if end <= hider => markup_end(html, hider),
            // Its `<` is inside a tag (an attribute's value), or there is none.
            (Some(end), _) => end,
            (None, None) => return run,
        };
    }
    run
}

/// Whether byte `at` of `text` is inside an entity (`&lt;` from `l` on):
/// a disclaimer found from there would start with half a character.
fn inside_entity(text: &str, at: usize) -> bool {
    text[..at]
        .rfind('&')
        .and_then(|amp| decode_entity(&text[amp..]).map(|(_, len)| amp + len > at))
        .unwrap_or(false)
}

/// Whether the disclaimer's words follow one another, apart only by
/// whitespace, in the page's visible text decoded.
fn shows_in_text(html: &str, disclaimer: &str) -> bool {
    let mut words = disclaimer.split_whitespace();
    let Some(first) = words.next() else {
        return true;
    };
    let text = visible_text(html);
    let follows = |mut rest: &str| {
        words.clone().all(|word| {
            let after_space = rest.trim_start();
            let spaced = after_space.len() < rest.len();
            rest = after_space.strip_prefix(word).unwrap_or("");
            spaced && after_space.starts_with(word)
        })
    };
    // Every place the first word starts, overlapping ones included ("aa"
    // in "aaa b" starts twice).
    // (A match of a word in UTF-8 text always starts at a character.)
    let finder = memchr::memmem::Finder::new(first);
    let mut from = 0;
    while let Some(at) = finder.find(&text.as_bytes()[from..]).map(|i| from + i) {
        if follows(&text[at + first.len()..]) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The text of an HTML page's body without tags, comments, scripts, styles
/// and templates, entities decoded, whitespace as it is. The `<head>` (the
/// title) does not count.
pub fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    visible_runs(html, |run| push_decoded(&mut text, run));
    text
}

/// Hands each run of the body's visible text to `run`, as written (entities
/// not decoded), in order: what lies between tags, outside comments,
/// scripts, styles and templates.
fn visible_runs(html: &str, mut run: impl FnMut(&str)) {
    let bytes = html.as_bytes();
    let mut pos = find_ignoring_case(html, 0, "<body").unwrap_or(0);
    while let Some(lt) = memchr::memchr(b'<', &bytes[pos..]).map(|i| pos + i) {
        run(&html[pos..lt]);
        pos = markup_end(html, lt);
    }
    run(&html[pos..]);
}

/// Where the markup starting with the `<` at `lt` ends: a tag at its `>`, a
/// comment after `-->`, a script, style, template or noscript element after
/// its end tag; the page's end if it is not closed.
fn markup_end(html: &str, lt: usize) -> usize {
    let tag = &html.as_bytes()[lt..];
    let end = if tag.starts_with(b"<!--") {
        memchr::memmem::find(tag, b"-->").map(|i| lt + i + 3)
    } else if let Some(close) = hidden_element(html, lt) {
        find_ignoring_case(html, lt, close).map(|i| i + close.len())
    } else {
        memchr::memchr(b'>', tag).map(|i| lt + i + 1)
    };
    end.unwrap_or(html.len())
}

/// Whether the markup starting with the `<` at `lt` is a comment or an
/// element whose content is not text: anything else ends at its first `>`.
fn hides(html: &str, lt: usize) -> bool {
    html.as_bytes()[lt..].starts_with(b"<!--") || hidden_element(html, lt).is_some()
}

/// The end tag of the element whose content is not text on the page
/// (script, style, template, noscript) that starts at `lt`, if one does.
fn hidden_element(html: &str, lt: usize) -> Option<&'static str> {
    const HIDDEN: [(&str, &str); 4] = [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<template", "</template>"),
        ("<noscript", "</noscript>"),
    ];
    if !html
        .as_bytes()
        .get(lt + 1)
        .is_some_and(|c| b"sStTnN".contains(c))
    {
        return None;
    }
    HIDDEN
        .iter()
        .find(|(open, _)| starts_ignoring_case(&html[lt..], open))
        .map(|(_, close)| *close)
}

/// Whether `text` starts with `prefix` (lowercase ASCII), in any case.
fn starts_ignoring_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Where `tag` (lowercase ASCII, starting with `<`) is in `html` at or after
/// `from`, in any case.
fn find_ignoring_case(html: &str, from: usize, tag: &str) -> Option<usize> {
    let mut at = from;
    while let Some(lt) = memchr::memchr(b'<', &html.as_bytes()[at..]) {
        if starts_ignoring_case(&html[at + lt..], tag) {
            return Some(at + lt);
        }
        at += lt + 1;
    }
    None
}

/// Adds text in which `&amp;`, `&#39;` and the like stand for characters.
fn push_decoded(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match decode_entity(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// The character an entity at the start of `text` stands for, and its length.
fn decode_entity(text: &str) -> Option<(char, usize)> {
    let semi = text.find(';').filter(|i| *i <= 10)?;
    let entity = &text[1..semi];
    let c = match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ if entity.starts_with("#x") || entity.starts_with("#X") => {
            u32::from_str_radix(&entity[2..], 16)
                .ok()
                .and_then(char::from_u32)
        }
        _ if entity.starts_with('#') => entity[1..].parse().ok().and_then(char::from_u32),
        _ => None,
    };
    c.map(|c| (c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verbatim check alone, for `disclaimer`.
    fn verbatim(html: &str, disclaimer: &str) -> bool {
        Disclaimer::new(disclaimer)
            .escaped
            .as_ref()
            .is_some_and(|escaped| shows_verbatim(html, escaped))
    }

    /// The verbatim check as it was first written: every run of visible
    /// text searched on its own.
    fn shows_verbatim_run_by_run(html: &str, disclaimer: &str) -> bool {
        let mut escaped = Vec::new();
        if tera::escape_html(disclaimer, &mut escaped).is_err() || escaped.is_empty() {
            return false;
        }
        let finder = memchr::memmem::Finder::new(&escaped);
        let mut found = false;
        visible_runs(html, |run| {
            found = found
                || finder
                    .find_iter(run.as_bytes())
                    .any(|at| !inside_entity(run, at));
        });
        found
    }

    proptest::proptest! {
        #[test]
        fn the_verbatim_check_finds_what_a_search_of_every_run_finds(
            html in "(<body>|<!--|-->|<script>|</SCRIPT>|<Style x>|</style>|<NoScript>|</noscript>|<nav>|<span>|<s|<p>|</p>|<a title=\"|\">|&amp;|&lt;|&|;|a|b| |<|>){0,40}",
            disclaimer in "(a|b| |&|<|;){1,4}",
        ) {
            proptest::prop_assert_eq!(
                verbatim(&html, &disclaimer),
                shows_verbatim_run_by_run(&html, &disclaimer),
                "{:?} in {:?}", disclaimer, html
            );
        }
    }

    #[test]
    fn finds_the_disclaimer_in_visible_text_only() {
        let d = "This is general advice; it doesn't replace your clinician.";
        let page = "<footer><p>This is general advice; it doesn&#39;t\n   replace your <b>clinician</b>.</p></footer>";
        assert!(shows_disclaimer(page, d));
        let comment = "<!-- This is general advice; it doesn't replace your clinician. -->";
        assert!(!shows_disclaimer(comment, d));
        let attribute =
            "<meta content=\"This is general advice; it doesn't replace your clinician.\">";
        assert!(!shows_disclaimer(attribute, d));
        let title = "<html><head><title>This is general advice; it doesn't replace your clinician.</title></head><body></body></html>";
        assert!(!shows_disclaimer(title, d), "the title is not on the page");
        let script = "<body><SCRIPT>let t = \"This is general advice; it doesn't replace your clinician.\"</Script></body>";
        assert!(!shows_disclaimer(script, d), "a script is not text");
        // The first word again before the whole sentence; words run together do not count.
        let retry = "<p>This is it.</p><p>This is general&nbsp;advice; it doesn't replace your clinician.</p>";
        assert!(shows_disclaimer(retry, d));
        let joined = "<p>This is general advice; it doesn't replaceyour clinician.</p>";
        assert!(!shows_disclaimer(joined, d));
        let cut = "<p>This is general advice; it doesn't replace your</p>";
        assert!(!shows_disclaimer(cut, d));
        // A first word that overlaps itself.
        assert!(shows_disclaimer("<p>aaa b</p>", "aa b"));
    }

    #[test]
    fn the_disclaimer_as_templates_print_it_is_found_without_decoding_the_page() {
        let d = "Advice only; it doesn't replace <your> clinician & team.";
        let printed = "Advice only; it doesn&#39;t replace &lt;your&gt; clinician &amp; team.";
        let page = format!("<body><footer><p><b>Note:</b> {printed}</p></footer></body>");
        assert!(verbatim(&page, d));
        assert!(shows_in_text(&page, d), "the slow way agrees");
        for hidden in [
            format!("<body><p title=\"{printed}\">x</p></body>"),
            format!("<body><!-- {printed} --></body>"),
            format!("<body><script>{printed}</script></body>"),
            format!("<head><title>{printed}</title></head><body></body>"),
        ] {
            assert!(!verbatim(&hidden, d), "{hidden}");
            assert!(!shows_disclaimer(&hidden, d), "{hidden}");
        }
        // Found from inside an entity: `&lt; 3` is "< 3", not "lt; 3".
        let entity = "<body><p>We &lt; 3 stop if it hurts</p></body>";
        assert!(!verbatim(entity, "lt; 3 stop if it hurts"));
        assert!(!shows_disclaimer(entity, "lt; 3 stop if it hurts"));
        assert!(verbatim(entity, "3 stop if it hurts"));
        // Split by a tag: not verbatim, but still shown.
        let split = "<body><p>Advice only; it doesn&#39;t replace &lt;your&gt; <b>clinician</b> &amp; team.</p></body>";
        assert!(!verbatim(split, d));
        assert!(shows_disclaimer(split, d));
    }

    #[test]
    fn every_page_key_names_the_template_its_page_is_made_with() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (site, _) = crate::content::load(root, crate::content::LoadOptions::default())
            .expect("the example site loads");
        let counts = TermCounts::new(&site);
        let pages = pages(&site, &counts);
        assert!(pages.len() > 50);
        for data in pages {
            let key = data.key(&site);
            let job = job(&site, data);
            assert_eq!(key.template(), job.template, "{}", job.url);
        }
    }

    #[test]
    fn base_path_of_urls() {
        assert_eq!(base_path("https://x.org/"), "/");
        assert_eq!(base_path("https://x.org/clinic/"), "/clinic/");
    }
}
