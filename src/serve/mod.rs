//! `movepress serve`: build the site in memory, serve it on this computer,
//! and when a source file changes, rebuild what it touches and reload the
//! open pages. Errors show in the terminal and over the page; the server
//! keeps running. Nothing is written to disk: output/ stays as it was.

pub mod http;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::BuildOptions;
use crate::diagnostics::Diagnostic;
use crate::incremental::{Build, Session};

/// What `movepress serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site folder.
    pub root: PathBuf,
    /// The address to listen on: 127.0.0.1 unless the user asks otherwise.
    pub bind: String,
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
    /// Include content marked `draft: true`.
    pub drafts: bool,
}

/// How the server and the terminal hear about rebuilds.
pub trait Reporter: Send {
    /// The server listens at `url`.
    fn serving(&mut self, url: &str);
    /// A rebuild succeeded: `changed` names what triggered it (empty for the first build).
    fn rebuilt(&mut self, changed: &[PathBuf], rendered: usize, pages: usize, took: Duration);
    /// Problems: errors (the build failed) or warnings.
    fn problems(&mut self, problems: &[Diagnostic]);
}

/// Serves the site until the process is stopped. Returns only when the
/// server cannot start (the port is taken, the folder is not a site).
pub fn serve(options: &ServeOptions, reporter: &mut dyn Reporter) -> Result<(), Vec<Diagnostic>> {
    let root = std::path::absolute(&options.root).map_err(|e| {
        vec![Diagnostic::error(
            &options.root,
            format!("cannot find this folder: {e}"),
        )]
    })?;
    if !root.join(crate::config::FILE).is_file() {
        return Err(vec![
            Diagnostic::error(crate::config::FILE, "there is no site.yaml in this folder").hint(
                "run movepress serve in a site folder, or name it: `movepress serve path/to/site`",
            ),
        ]);
    }
    let address = format!("{}:{}", options.bind, options.port);
    let server = tiny_http::Server::http((options.bind.as_str(), options.port)).map_err(|e| {
        let hint = if options.port < 1024 {
            "ports below 1024 need administrator rights: use the default, 1111, or another above 1024"
        } else {
            "another program (maybe another movepress serve) uses this port: try `--port 1112`"
        };
        vec![Diagnostic::error("--port", format!("cannot listen on {address}: {e}")).hint(hint)]
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map_or(options.port, |a| a.port());
    let host = if options.bind == "0.0.0.0" || options.bind == "::" {
        "127.0.0.1".to_string()
    } else if options.bind.contains(':') {
        format!("[{}]", options.bind)
    } else {
        options.bind.clone()
    };
    let url = format!("http://{host}:{port}/");
    // Browsers leave out the default port.
    let default_port = if port == 80 {
        vec![host.clone(), "localhost".to_string()]
    } else {
        Vec::new()
    };
    let allowed_hosts = match options.bind.as_str() {
        "0.0.0.0" | "::" => None,
        _ => Some(
            [
                format!("{host}:{port}"),
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]
            .into_iter()
            .chain(default_port)
            .collect(),
        ),
    };

    let build_options = BuildOptions {
        base_url: Some(url.clone()),
        drafts: options.drafts,
        ..BuildOptions::default()
    };
    let mut session = Session::new(&root, build_options);
    let hub = http::Hub::new();
    let site = Arc::new(Served::default());
    // Watch before the first build, so that no edit made during it is missed.
    let (events, watcher) = watch(&root)?;
    rebuild(&mut session, &site, &hub, &[], reporter);

    {
        let site: Arc<dyn http::Files> = site.clone();
        let hub = hub.clone();
        std::thread::spawn(move || http::run(server, site, hub, allowed_hosts));
    }
    reporter.serving(&url);
    if options.open {
        open_browser(&url);
    }
    let _watcher = watcher;
    while let Some(mut changed) = next_changes(&events, &root) {
        for path in &changed {
            session.changed(path);
        }
        // Name the files that are there: editors' temporary copies come and go.
        let present: Vec<PathBuf> = changed
            .iter()
            .filter(|path| root.join(path).exists())
            .cloned()
            .collect();
        if !present.is_empty() {
            changed = present;
        }
        rebuild(&mut session, &site, &hub, &changed, reporter);
    }
    Ok(())
}

/// The site as the server sees it: the last good build, or a page that
/// waits for one.
#[derive(Default)]
struct Served {
    build: RwLock<Option<Arc<Build>>>,
}

impl http::Files for Served {
    fn get(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        let build = self.build.read().ok()?.clone();
        match build {
            Some(build) => build.file(path),
            None if path.is_empty() || path.ends_with(".html") => Some(Arc::new(WAITING.into())),
            None => None,
        }
    }
}

/// Shown until the site first builds without errors; the overlay over it
/// says what to fix.
const WAITING: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Waiting for the site</title></head><body><main><h1>Waiting for the site to build</h1><p>movepress shows the site here as soon as it builds without errors. The terminal lists what to fix.</p></main></body></html>";

fn rebuild(
    session: &mut Session,
    site: &Served,
    hub: &http::Hub,
    changed: &[PathBuf],
    reporter: &mut dyn Reporter,
) {
    let started = Instant::now();
    match session.rebuild() {
        Ok(report) => {
            let previous = match site.build.write() {
                Ok(mut current) => std::mem::replace(&mut *current, session.current()),
                Err(_) => None,
            };
            // Not on the way to the reload.
            crate::drop_later(previous);
            hub.reload();
            reporter.rebuilt(
                changed,
                report.rendered.len(),
                report.pages,
                started.elapsed(),
            );
            if !report.warnings.is_empty() {
                reporter.problems(&report.warnings);
            }
        }
        Err(errors) => {
            hub.show_errors(errors.iter().map(problem).collect());
            reporter.problems(&errors);
        }
    }
}

/// A diagnostic as the browser overlay shows it.
fn problem(d: &Diagnostic) -> http::Problem {
    http::Problem {
        location: d.location(),
        message: d.message.clone(),
        hint: d.hint.clone(),
    }
}

/// What is watched: site.yaml (through the site folder) and the source folders.
fn watch(
    root: &Path,
) -> Result<
    (
        Receiver<notify::Result<notify::Event>>,
        notify::RecommendedWatcher,
    ),
    Vec<Diagnostic>,
> {
    let (tx, rx) = mpsc::channel();
    let fail = |e: notify::Error| {
        vec![
            Diagnostic::error(root, format!("cannot watch the site's files for changes: {e}"))
                .hint("on Linux, raise fs.inotify.max_user_watches, or close other programs that watch many files"),
        ]
    };
    let mut watcher = notify::recommended_watcher(tx).map_err(fail)?;
    watcher
        .watch(root, RecursiveMode::NonRecursive)
        .map_err(fail)?;
    for folder in WATCHED {
        let path = root.join(folder);
        if path.is_dir() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(fail)?;
        }
    }
    Ok((rx, watcher))
}

/// The source folders, watched with everything in them.
const WATCHED: [&str; 4] = ["content", "templates", "themes", "static"];

/// How long the files must stay quiet before a rebuild: an editor's save is
/// often several events (write a copy, rename it over the file).
const QUIET: Duration = Duration::from_millis(8);

/// Waits for a change to the site's sources, then gathers the events that
/// follow it closely. Returns the changed paths, relative to the site; None
/// when the watcher is gone.
fn next_changes(
    events: &Receiver<notify::Result<notify::Event>>,
    root: &Path,
) -> Option<Vec<PathBuf>> {
    let mut changed: Vec<PathBuf> = Vec::new();
    loop {
        let event = if changed.is_empty() {
            events.recv().ok()?
        } else {
            match events.recv_timeout(QUIET) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => return Some(changed),
                Err(RecvTimeoutError::Disconnected) => return Some(changed),
            }
        };
        let Ok(event) = event else {
            // The watcher lost track (e.g. an overflow): read everything again.
            changed.push(PathBuf::from("static"));
            continue;
        };
        if matches!(event.kind, EventKind::Access(_)) {
            continue;
        }
        for path in event.paths {
            if let Some(relative) = source_path(root, &path)
                && !changed.contains(&relative)
            {
                changed.push(relative);
            }
        }
    }
}

/// A path the site is built from, relative to the site folder; None for
/// anything else (output/, editors' leftovers, other files in the folder).
fn source_path(root: &Path, path: &Path) -> Option<PathBuf> {
    let relative = path.strip_prefix(root).ok()?;
    let name = relative.file_name()?.to_string_lossy();
    if crate::content::is_ignored(&name) {
        return None;
    }
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let is_source = relative == Path::new(crate::config::FILE) || WATCHED.contains(&first.as_ref());
    is_source.then(|| relative.to_path_buf())
}

/// Opens `url` in the default browser; a failure only costs a message.
fn open_browser(url: &str) {
    #[cfg(target_os = "macos")]
    let command = ("open", vec![url]);
    #[cfg(target_os = "windows")]
    let command = ("cmd", vec!["/C", "start", "", url]);
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let command = ("xdg-open", vec![url]);
    let opened = std::process::Command::new(command.0)
        .args(&command.1)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if opened.is_err() {
        eprintln!("could not open a browser: open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_trigger_a_rebuild() {
        let root = Path::new("/site");
        let source = |p: &str| source_path(root, Path::new(p));
        assert_eq!(
            source("/site/content/exercises/cat-cow.md"),
            Some(PathBuf::from("content/exercises/cat-cow.md"))
        );
        assert_eq!(source("/site/site.yaml"), Some(PathBuf::from("site.yaml")));
        assert_eq!(source("/site/output/index.html"), None);
        assert_eq!(source("/site/content/exercises/.cat-cow.md.swp"), None);
        assert_eq!(source("/site/content/exercises/cat-cow.md~"), None);
        assert_eq!(source("/site/README.md"), None);
        assert_eq!(source("/elsewhere/site.yaml"), None);
    }
}
