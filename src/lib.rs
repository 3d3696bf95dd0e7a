//! movepress publishes a clinic's exercise library: from Markdown and YAML
//! sources it builds a themed website whose every page carries the clinic's
//! disclaimer.
//!
//! The pipeline, top to bottom: load the configuration and content into a
//! checked [`model::Site`], render every artifact and hand each, as soon as
//! it is made, to the one writer, [`output::Staging`], which swaps the new
//! site into place at the end. [`check`] is the same without the write.

// Diagnostics are returned by value on the error path, which is cold: boxing
// them would only add noise.
#![allow(clippy::result_large_err)]

pub mod config;
pub mod content;
pub mod diagnostics;
mod embedded;
pub mod handout;
pub mod handout_cache;
pub mod images;
pub mod incremental;
pub mod markdown;
pub mod model;
pub mod output;
pub mod render;
pub mod serve;
pub mod starter;

use std::path::{Path, PathBuf};

use diagnostics::Diagnostic;
use model::Site;
use output::Sink as _;
use render::Artifact;
use render::html::HtmlOptions;
use render::theme::Theme;

/// Frees `value` on another thread: freeing a large site takes a while and
/// nothing waits for it. If no thread can be started, the value is freed
/// here, with the closure that held it.
pub fn drop_later<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(value));
}

/// How many files one parallel task parses, checks, keys or makes at most:
/// small enough that the cores finish together (rayon otherwise splits a
/// list in four and does not split a quarter already under way), large
/// enough that handing out the tasks costs nothing next to the work.
pub(crate) const FILES_PER_TASK: usize = 16;

/// Whether the process ends when its one command is done (see [`ends_after_this`]).
static ENDS_AFTER_THIS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tells movepress that the process ends when this one command is done
/// (`build`, `check`, not `serve`): what is no longer needed at the end is
/// then left for the system to take back with the whole process, instead
/// of being freed piece by piece (tens of thousands of values at 10,000
/// exercises, which kept a core busy while the last files were written).
pub fn ends_after_this() {
    ENDS_AFTER_THIS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Lets go of `value`, needed no more until the end of the command: freed
/// on another thread ([`drop_later`]), or not freed at all when the process
/// ends after this command ([`ends_after_this`]).
pub fn done_with<T: Send + 'static>(value: T) {
    if ENDS_AFTER_THIS.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop_later(value);
    }
}

/// What `build` and `check` were asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Replaces site.yaml's `base_url` (e.g. for a preview deployment).
    pub base_url: Option<String>,
    /// Include content marked `draft: true`.
    pub drafts: bool,
    /// Told how far the build is, for a progress bar.
    pub progress: Progress,
}

/// Hears how many of a step's items are done: `(step, done, total)`.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<ReportProgress>>);

type ReportProgress = dyn Fn(&str, u64, u64) + Send + Sync;

impl Progress {
    pub fn new(report: impl Fn(&str, u64, u64) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(report)))
    }

    fn report(&self, step: &str, done: u64, total: u64) {
        if let Some(report) = &self.0 {
            report(step, done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// What a successful build or check produced.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// HTML pages rendered.
    pub pages: usize,
    /// Files in the output, pages included.
    pub files: usize,
    /// PDF handouts in the output.
    pub handouts: usize,
    /// Of those, how many came unchanged from the handout cache.
    pub handouts_cached: usize,
    /// Problems that did not stop the build.
    pub warnings: Vec<Diagnostic>,
}

/// Checks everything and writes the site to `out`. On any error nothing is
/// written and the previous output stays as it was.
pub fn build(
    root: &Path,
    out: &Path,
    options: &BuildOptions,
) -> Result<BuildReport, Vec<Diagnostic>> {
    output::check_target(root, out).map_err(|d| vec![d])?;
    // (Listing the cache's entries takes as long as listing the content.)
    let (cache, loaded) = rayon::join(
        || handout_cache::HandoutCache::open(root, true),
        || Loaded::load(root, options),
    );
    let loaded = loaded?;
    // Each file goes to the new output folder as soon as it is made.
    let staging = output::Staging::begin(out).map_err(|d| vec![d])?;
    let report = loaded.render(options, &cache, &staging)?;
    staging.finish().map_err(|d| vec![d])?;
    cache.prune();
    Ok(report)
}

/// Everything `build` checks, rendering included; writes nothing.
pub fn check(root: &Path, options: &BuildOptions) -> Result<BuildReport, Vec<Diagnostic>> {
    let cache = handout_cache::HandoutCache::open(root, false);
    Loaded::load(root, options)?.render(options, &cache, &output::Discard::default())
}

/// Loads, checks and renders the whole site into memory, sorted by path.
/// Reads the handout cache but does not add to it.
pub fn render_site(
    root: &Path,
    options: &BuildOptions,
) -> Result<(Vec<Artifact>, BuildReport), Vec<Diagnostic>> {
    let cache = handout_cache::HandoutCache::open(root, false);
    let memory = output::Memory::default();
    let report = Loaded::load(root, options)?.render(options, &cache, &memory)?;
    Ok((memory.into_artifacts(), report))
}

/// A site loaded and checked, with its look: ready to render.
struct Loaded {
    site: Site,
    look: Look,
    warnings: Vec<Diagnostic>,
}

impl Loaded {
    fn load(root: &Path, options: &BuildOptions) -> Result<Loaded, Vec<Diagnostic>> {
        let sources = content::Sources::read(root);
        let mut parses = content::ParseCache::default();
        let (site, warnings) = load_site(root, &sources, options, &mut parses)
            .map_err(|errors| with_theme_problems(errors, root, &sources))?;
        // The texts and parses are not needed any more.
        drop_later((sources, parses));
        let look = Look::load(root, &site)?;
        Ok(Loaded {
            site,
            look,
            warnings,
        })
    }

    /// Renders every file into `sink`. All errors are reported together.
    fn render(
        self,
        options: &BuildOptions,
        cache: &handout_cache::HandoutCache,
        sink: &dyn output::Sink,
    ) -> Result<BuildReport, Vec<Diagnostic>> {
        let Loaded {
            site,
            look:
                Look {
                    theme,
                    statics,
                    html,
                },
            warnings,
        } = self;
        let counts = render::views::TermCounts::new(&site);
        // Besides pages and handouts.
        let files = META_FILES + statics.len();
        let total = render::html::page_count(&site, &counts)
            + site.programs.len()
            + site.exercises.len()
            + files;
        let sink = &Counted {
            sink,
            progress: &options.progress,
            done: Default::default(),
            total: total as u64,
        };
        // The folders of the exercise and program pages, in the order the
        // pages come: made by a thread of their own (see
        // `Staging::make_folders_ahead`).
        let folders: Vec<String> = site
            .exercises
            .iter()
            .map(|e| render::views::exercise_url(&e.slug))
            .chain(
                site.programs
                    .iter()
                    .map(|p| render::views::program_url(&p.slug)),
            )
            .map(|url| url.trim_end_matches('/').to_string())
            .collect();
        // Pages, handouts and the other files are made side by side, so
        // that no core waits between one kind of file and the next.
        let (pages, (handouts, metas)) = std::thread::scope(|scope| {
            // (Without the thread, the pages make their folders themselves.)
            let _ahead = std::thread::Builder::new()
                .name("folders".into())
                .spawn_scoped(scope, || sink.make_folders(&folders));
            rayon::join(
                || render::html::render(&site, &theme, &html, &counts, sink),
                || {
                    rayon::join(
                        || handouts(&site, &theme.handout, cache, sink),
                        || {
                            let mut errors = put_meta_files(&site, sink);
                            errors.extend(
                                statics.into_iter().filter_map(|file| sink.put(file).err()),
                            );
                            errors
                        },
                    )
                },
            )
        });
        let mut errors = metas;
        done_with((site, theme));
        let (pages, (handouts, handouts_cached)) = match (pages, handouts) {
            (Ok(pages), Ok(handouts)) if errors.is_empty() => (pages, handouts),
            (pages, handouts) => {
                errors.extend(pages.err().into_iter().flatten());
                errors.extend(handouts.err().into_iter().flatten());
                diagnostics::sort(&mut errors);
                errors.dedup();
                return Err(errors);
            }
        };
        Ok(BuildReport {
            pages,
            files: pages + handouts + files,
            handouts,
            handouts_cached,
            warnings,
        })
    }
}

/// How the site looks: its theme and static files. `serve` keeps it from
/// one rebuild to the next until a file it comes from changes.
pub struct Look {
    pub theme: Theme,
    /// The theme's and the site's static files.
    pub statics: Vec<Artifact>,
    pub html: HtmlOptions,
}

impl Look {
    /// Loads the site's theme and reads its static files.
    pub fn load(root: &Path, site: &Site) -> Result<Look, Vec<Diagnostic>> {
        let theme = Theme::load(root, &site.config.theme)?;
        let statics = static_files(site, &theme).map_err(|d| vec![d])?;
        let html = HtmlOptions {
            handouts: true,
            assets: render::views::assets(&statics),
        };
        Ok(Look {
            theme,
            statics,
            html,
        })
    }
}

/// `errors` that stopped loading the content or site.yaml, with the theme's
/// own errors added, so that one run reports all. Nothing is added when
/// site.yaml cannot say which theme it uses.
pub fn with_theme_problems(
    mut errors: Vec<Diagnostic>,
    root: &Path,
    sources: &content::Sources,
) -> Vec<Diagnostic> {
    let theme = sources
        .config
        .as_ref()
        .ok()
        .and_then(|text| config::theme_name(text));
    if let Some(theme) = theme
        && let Err(problems) = Theme::load(root, &theme)
    {
        errors.extend(problems);
        diagnostics::sort(&mut errors);
        errors.dedup();
    }
    errors
}

/// Loads and checks the site from its sources, with `--base-url` applied;
/// returns it and the warnings.
pub fn load_site(
    root: &Path,
    sources: &content::Sources,
    options: &BuildOptions,
    cache: &mut content::ParseCache,
) -> Result<(Site, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (mut site, warnings) = content::load_sources(
        root,
        sources,
        content::LoadOptions {
            drafts: options.drafts,
        },
        cache,
    )?;
    if let Some(url) = &options.base_url {
        if let Some(problem) = config::base_url_problem(url) {
            let diagnostic = match problem {
                config::UrlProblem::TooLong(length) => Diagnostic::error(
                    "--base-url",
                    format!(
                        "the address is too long ({length} characters; at most {})",
                        config::MAX_BASE_URL
                    ),
                )
                .hint("handouts print each exercise's address as a QR code, which holds a short address only"),
                config::UrlProblem::NotWeb => {
                    Diagnostic::error("--base-url", format!("`{url}` is not a full web address"))
                        .hint("write it like `--base-url https://preview.your-clinic.example/`")
                }
            };
            return Err(vec![diagnostic]);
        }
        site.config.base_url = config::with_slash(url);
    }
    Ok((site, warnings))
}

/// Hands files on to `sink` and tells `progress` how many of `total` have
/// gone: pages and handouts are made side by side, so the bar counts both.
struct Counted<'a> {
    sink: &'a dyn output::Sink,
    progress: &'a Progress,
    done: std::sync::atomic::AtomicU64,
    total: u64,
}

impl Counted<'_> {
    fn tick(&self) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.progress
            .report("writing", done.min(self.total), self.total);
    }
}

impl output::Sink for Counted<'_> {
    fn put(&self, artifact: Artifact) -> Result<(), Diagnostic> {
        let put = self.sink.put(artifact);
        self.tick();
        put
    }

    fn put_bytes(&self, path: String, bytes: &[u8]) -> Result<(), Diagnostic> {
        let put = self.sink.put_bytes(path, bytes);
        self.tick();
        put
    }

    fn put_written(&self, path: String, write: output::Writer<'_>) -> Result<(), Diagnostic> {
        let put = self.sink.put_written(path, write);
        self.tick();
        put
    }

    fn put_cached(
        &self,
        path: String,
        entry: &Path,
        bytes: Option<Vec<u8>>,
    ) -> Result<bool, Diagnostic> {
        let put = self.sink.put_cached(path, entry, bytes);
        if put != Ok(false) {
            self.tick();
        }
        put
    }

    fn make_folders(&self, folders: &[String]) {
        self.sink.make_folders(folders);
    }
}

/// How many files [`put_meta_files`] makes.
const META_FILES: usize = 4;

/// Puts the sitemap, robots.txt, the Atom feed and the search index into
/// `sink`; returns the errors.
fn put_meta_files(site: &Site, sink: &dyn output::Sink) -> Vec<Diagnostic> {
    let mut errors: Vec<Diagnostic> = [
        render::meta::sitemap(site),
        render::meta::robots(site),
        render::meta::feed(site),
    ]
    .into_iter()
    .filter_map(|file| sink.put(file).err())
    .collect();
    // The largest file of a big library: written as it is made.
    let index = sink.put_written("search-index.json".into(), &mut |out| {
        render::search::write(site, out)
    });
    errors.extend(index.err());
    errors
}

/// The printable handouts: `handouts/<program>.pdf` for every program and
/// `handouts/exercises/<slug>.pdf` for every exercise, made in parallel, or
/// taken from the cache when nothing they show has changed, and put into
/// `sink`. Returns how many there are and how many came from the cache.
pub fn handouts(
    site: &Site,
    look: &render::theme::HandoutLook,
    cache: &handout_cache::HandoutCache,
    sink: &dyn output::Sink,
) -> Result<(usize, usize), Vec<Diagnostic>> {
    use rayon::prelude::*;
    let options = render::pdf::HandoutOptions::from_site(site).with_look(look);
    let keys = handout_cache::Keys::new(site, &options);

    /// One handout to make.
    enum Sheet<'a> {
        Program(&'a model::Program),
        Exercise(&'a model::Exercise),
    }
    let sheets: Vec<Sheet> = site
        .programs
        .iter()
        .map(Sheet::Program)
        .chain(site.exercises.iter().map(|e| Sheet::Exercise(e)))
        .collect();
    let results: Vec<Result<bool, Vec<Diagnostic>>> = sheets
        .par_iter()
        .with_max_len(FILES_PER_TASK)
        .map(|sheet| {
            let (path, key) = match sheet {
                Sheet::Program(p) => (
                    render::views::program_handout_path(&p.slug),
                    keys.program(p),
                ),
                Sheet::Exercise(e) => (
                    render::views::exercise_handout_path(&e.slug),
                    keys.exercise(e),
                ),
            };
            let make = || match sheet {
                Sheet::Program(p) => render::pdf::program_handout(site, p, &options),
                Sheet::Exercise(e) => render::pdf::exercise_handout(site, e, &options),
            };
            let handout = cache.get_or_make(key, make)?;
            let taken = match (&handout.entry, handout.pdf) {
                (Some(entry), pdf) => sink.put_cached(path.clone(), entry, pdf),
                (None, Some(pdf)) => sink.put(Artifact::new(path.clone(), pdf)).map(|()| true),
                // (Not reached: a handout without bytes has its entry.)
                (None, None) => Ok(false),
            }
            .map_err(|e| vec![e])?;
            if taken {
                return Ok(handout.cached);
            }
            // The entry could not be read after all: made again.
            sink.put(Artifact::new(path, make()?))
                .map_err(|e| vec![e])?;
            Ok(false)
        })
        .collect();
    let mut cached = 0;
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(from_cache) => cached += usize::from(from_cache),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok((sheets.len(), cached))
    } else {
        diagnostics::sort(&mut errors);
        errors.dedup();
        Err(errors)
    }
}

/// The theme's static files, then the site's (which win), under `static/`.
fn static_files(site: &Site, theme: &Theme) -> Result<Vec<Artifact>, Diagnostic> {
    let mut files: std::collections::BTreeMap<String, Vec<u8>> = theme
        .static_files
        .iter()
        .map(|(path, bytes)| (format!("static/{path}"), bytes.clone()))
        .collect();
    for relative in &site.static_files {
        let path: PathBuf = site.root.join("static").join(relative);
        let bytes = std::fs::read(&path).map_err(|e| {
            Diagnostic::error(
                Path::new("static").join(relative),
                format!("cannot read this file: {}", content::io_reason(Some(&e))),
            )
        })?;
        files.insert(
            format!("static/{}", relative.to_string_lossy().replace('\\', "/")),
            bytes,
        );
    }
    Ok(files
        .into_iter()
        .map(|(path, bytes)| Artifact::new(path, bytes))
        .collect())
}
