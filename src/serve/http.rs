//! The web server of `movepress serve`: answers from the site held in memory,
//! adds the live-reload script to every page, and streams reload signals and
//! build problems to the pages that are open.
//!
//! Nothing is read from disk, so no request can reach a file outside the site;
//! hostile paths are still refused explicitly (see `site_path`), so the rule
//! holds even if `Files` is ever backed by a folder.

use std::io::{self, Cursor, Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use tiny_http::{Header, Method, Request, Response, ResponseBox, StatusCode};

/// The built site, as the server sees it: bytes by site-relative path.
pub trait Files: Send + Sync + 'static {
    /// The file at `path`, relative to the site root, `/`-separated, no leading slash,
    /// e.g. "index.html", "exercises/cat-cow/index.html", "static/css/clinic.css",
    /// "handouts/exercises/cat-cow.pdf". None if there is no such file.
    /// (PDFs may be rendered on demand inside this call; it may take ~20 ms.)
    fn get(&self, path: &str) -> Option<Arc<Vec<u8>>>;
}

/// What the browser pages should show: live-reload signals and the error overlay.
pub struct Hub {
    state: Mutex<HubState>,
    changed: Condvar,
}

struct HubState {
    generation: u64,
    /// Some while the last rebuild failed.
    problems: Option<Vec<Problem>>,
}

/// One problem for the overlay.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    /// `content/exercises/cat-cow.md:4:7` (or just the file when there is no line)
    pub location: String,
    /// What is wrong, in the clinic staff's words.
    pub message: String,
    /// How to fix it, when there is something to suggest.
    pub hint: Option<String>,
}

impl Hub {
    /// A hub with nothing to report yet: pages that connect are told `hello`.
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub {
            state: Mutex::new(HubState {
                generation: 0,
                problems: None,
            }),
            changed: Condvar::new(),
        })
    }

    /// The site was rebuilt without errors: open pages reload (and any overlay goes away).
    pub fn reload(&self) {
        self.change(None);
    }

    /// The last rebuild failed: open pages show these problems in an overlay, and pages
    /// opened later show it too, until the next `reload()`.
    pub fn show_errors(&self, problems: Vec<Problem>) {
        self.change(Some(problems));
    }

    /// A number that increases with every reload()/show_errors() (tests use it).
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn change(&self, problems: Option<Vec<Problem>>) {
        let mut state = self.lock();
        state.generation += 1;
        state.problems = problems;
        drop(state);
        self.changed.notify_all();
    }

    // A panic elsewhere while holding the lock leaves the state whole (every
    // update is two plain assignments), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the event stream of one page to `out` until a write fails, which
    /// is how a closed page is noticed: the keep-alive comment guarantees a
    /// write at least every `keep_alive`.
    fn stream(&self, out: &mut dyn Write, keep_alive: Duration) -> io::Result<()> {
        out.write_all(EVENT_STREAM_HEAD)?;
        let (mut seen, first) = {
            let state = self.lock();
            (state.generation, event(&state, "hello"))
        };
        out.write_all(first.as_bytes())?;
        out.flush()?;
        loop {
            // The lock is released before writing: a slow page must not hold
            // up `reload()` or the other pages.
            let next = {
                let waited = self
                    .changed
                    .wait_timeout_while(self.lock(), keep_alive, |state| state.generation == seen);
                let (state, _) = waited.unwrap_or_else(|poisoned| poisoned.into_inner());
                if state.generation == seen {
                    None
                } else {
                    seen = state.generation;
                    Some(event(&state, "reload"))
                }
            };
            match next {
                Some(event) => out.write_all(event.as_bytes())?,
                None => out.write_all(b": keep-alive\n\n")?,
            }
            out.flush()?;
        }
    }
}

/// The event telling a page the hub's current state: the problems while the
/// last rebuild failed, `fine` (`hello` or `reload`) otherwise.
fn event(state: &HubState, fine: &str) -> String {
    match &state.problems {
        Some(problems) => {
            // Serializing strings cannot fail; an empty list still shows the overlay.
            let json = serde_json::to_string(problems).unwrap_or_else(|_| "[]".to_string());
            // JSON escapes line breaks, so the data is one SSE line.
            format!("event: problems\ndata: {json}\n\n")
        }
        None => format!("event: {fine}\ndata: {}\n\n", state.generation),
    }
}

/// Written by hand because tiny_http buffers response bodies: an event must
/// reach the page when it happens. The body ends when the connection closes.
const EVENT_STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
Content-Type: text/event-stream\r\n\
Cache-Control: no-store\r\n\
X-Content-Type-Options: nosniff\r\n\
Connection: close\r\n\
\r\n\
retry: 1000\n\n";

/// The script that pages load to follow the event stream.
const LIVE_JS: &str = include_str!("live.js");

/// Added to every HTML response. An external same-origin script, because a
/// page's Content-Security-Policy may forbid inline scripts.
const LIVE_SCRIPT_TAG: &[u8] = b"<script src=\"/__movepress/live.js\" defer></script>";

/// The 404 page when the site has no `404.html`. It says nothing about the
/// request, so nothing a visitor typed is echoed back.
const FALLBACK_NOT_FOUND: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Page not found</title></head>\n<body>\n<h1>Page not found</h1>\n<p>There is no page at this address. <a href=\"/\">Go to the home page</a>.</p>\n</body>\n</html>\n";

/// How the server runs; tests shorten the keep-alive.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// The longest an event stream stays silent.
    keep_alive: Duration,
    /// Event streams open at once; each holds a thread.
    max_streams: usize,
    /// Threads answering ordinary requests.
    workers: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            keep_alive: Duration::from_secs(15),
            max_streams: 64,
            workers: 4,
        }
    }
}

/// Serves until the process ends. `allowed_hosts`: Host header values accepted
/// (e.g. ["127.0.0.1:1111", "localhost:1111"]); None = any (when the user binds 0.0.0.0 on purpose).
///
/// Returns only if the listening socket fails (tiny_http then stops accepting
/// connections); the reason has already been printed.
pub fn run(
    server: tiny_http::Server,
    files: Arc<dyn Files>,
    hub: Arc<Hub>,
    allowed_hosts: Option<Vec<String>>,
) {
    let handler = Handler {
        files,
        hub,
        allowed_hosts,
        settings: Settings::default(),
        streams: AtomicUsize::new(0),
    };
    serve(&server, Arc::new(handler));
}

/// Hands each request to a small pool of workers; event streams get a thread
/// of their own (see [`Handler::open_stream`]).
fn serve(server: &tiny_http::Server, handler: Arc<Handler>) {
    let (requests, queue) = mpsc::channel::<Request>();
    let queue = Arc::new(Mutex::new(queue));
    let mut workers = 0;
    for _ in 0..handler.settings.workers {
        let queue = Arc::clone(&queue);
        let handler = Arc::clone(&handler);
        let spawned = thread::Builder::new()
            .name("movepress-http".to_string())
            .spawn(move || work(&queue, &handler));
        if spawned.is_ok() {
            workers += 1;
        }
    }
    if workers == 0 {
        eprintln!("the development server could not start a thread to answer requests");
        return;
    }
    loop {
        match server.recv() {
            Ok(request) => {
                // Workers never exit while `queue` lives, so this cannot fail;
                // if it did, there would be nobody left to answer.
                if requests.send(request).is_err() {
                    return;
                }
            }
            Err(error) => {
                eprintln!("the development server stopped accepting connections: {error}");
                return;
            }
        }
    }
}

fn work(queue: &Mutex<Receiver<Request>>, handler: &Arc<Handler>) {
    loop {
        let next = queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok(request) = next else { return };
        // A panic (say, in a PDF rendered on demand) fails this one request:
        // tiny_http answers 500 when the request is dropped, and the worker
        // goes on to the next one.
        let answered = panic::catch_unwind(AssertUnwindSafe(|| handler.answer(request)));
        if answered.is_err() {
            eprintln!("internal error while answering a request; the server keeps running");
        }
    }
}

/// Everything a worker needs to answer a request.
struct Handler {
    files: Arc<dyn Files>,
    hub: Arc<Hub>,
    allowed_hosts: Option<Vec<String>>,
    settings: Settings,
    /// Event streams open now.
    streams: AtomicUsize,
}

/// How to answer one request.
enum Route {
    Respond(ResponseBox),
    Events,
}

impl Handler {
    fn answer(self: &Arc<Self>, request: Request) {
        let response = match self.route(&request) {
            Route::Respond(response) => response,
            Route::Events if *request.method() == Method::Head => event_stream_head(),
            Route::Events => return self.open_stream(request),
        };
        // A failed write means the page went away; nobody is left to tell.
        let _ = request.respond(response);
    }

    fn route(&self, request: &Request) -> Route {
        // First, so that a page on another site that made its name resolve to
        // this machine (DNS rebinding) learns nothing, not even which paths exist.
        if !self.host_allowed(request.headers()) {
            return Route::Respond(text(
                403,
                "This server only answers at the address movepress serve printed.\n",
            ));
        }
        if !matches!(request.method(), Method::Get | Method::Head) {
            let mut response = text(405, "Only GET and HEAD are supported.\n");
            if let Some(allow) = header("Allow", "GET, HEAD") {
                response.add_header(allow);
            }
            return Route::Respond(response);
        }
        let Some(path) = site_path(request.url()) else {
            return Route::Respond(self.not_found());
        };
        // Only these two names are taken: site files never start with `__movepress`.
        match path.as_str() {
            "__movepress/live.js" => {
                let script = Arc::new(LIVE_JS.as_bytes().to_vec());
                Route::Respond(content(200, "live.js", script))
            }
            "__movepress/events" => Route::Events,
            _ => Route::Respond(self.site_file(&path)),
        }
    }

    /// With `allowed_hosts`, exactly one Host header, and one of them.
    fn host_allowed(&self, headers: &[Header]) -> bool {
        let Some(allowed) = &self.allowed_hosts else {
            return true;
        };
        let mut hosts = headers.iter().filter(|h| h.field.equiv("Host"));
        match (hosts.next(), hosts.next()) {
            (Some(host), None) => allowed
                .iter()
                .any(|name| name.eq_ignore_ascii_case(host.value.as_str())),
            _ => false,
        }
    }

    /// `path` is checked by [`site_path`]: empty for the home page, ending in
    /// `/` for a folder.
    fn site_file(&self, path: &str) -> ResponseBox {
        if path.is_empty() || path.ends_with('/') {
            let index = format!("{path}index.html");
            return match self.files.get(&index) {
                Some(bytes) => content(200, &index, bytes),
                None => self.not_found(),
            };
        }
        if let Some(bytes) = self.files.get(path) {
            return content(200, path, bytes);
        }
        // Relative links in a folder's index.html only work from `/dir/`.
        if self.files.get(&format!("{path}/index.html")).is_some() {
            return redirect(&format!("/{}/", percent_encode(path)));
        }
        self.not_found()
    }

    fn not_found(&self) -> ResponseBox {
        let page = self
            .files
            .get("404.html")
            .unwrap_or_else(|| Arc::new(FALLBACK_NOT_FOUND.as_bytes().to_vec()));
        content(404, "404.html", page)
    }

    /// Each open page holds its stream for as long as it stays open, so each
    /// stream gets its own thread and never holds up a worker.
    fn open_stream(self: &Arc<Self>, request: Request) {
        if self.streams.fetch_add(1, Ordering::SeqCst) >= self.settings.max_streams {
            self.streams.fetch_sub(1, Ordering::SeqCst);
            let _ = request.respond(text(503, "Too many pages are open.\n"));
            return;
        }
        // Made before the spawn so the count goes down even if the spawn fails
        // (dropping the closure then drops the request, which answers 500).
        let slot = StreamSlot(Arc::clone(self));
        let spawned = thread::Builder::new()
            .name("movepress-events".to_string())
            .spawn(move || {
                let mut writer = request.into_writer();
                // The stream ends when the page closes: the write error is the signal.
                let _ = slot.0.hub.stream(&mut writer, slot.0.settings.keep_alive);
            });
        if spawned.is_err() {
            eprintln!("could not start a thread for a page's live reload");
        }
    }
}

/// One open event stream, counted in `Handler::streams` until dropped.
struct StreamSlot(Arc<Handler>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The site-relative path a request target names, or None if the target is
/// malformed or hostile. The result has no leading slash: "" is the home page,
/// "exercises/" a folder, "static/css/clinic.css" a file.
///
/// The query and fragment are dropped, then the path is percent-decoded once.
/// Refused after decoding: invalid UTF-8 (so overlong forms like `%c0%ae`
/// never become `.`), control characters (NUL among them), `\`, `;`, a `%`
/// left over (double encoding), a leading `//`, and empty, `.` or `..`
/// segments.
fn site_path(target: &str) -> Option<String> {
    let raw = target.split(['?', '#']).next().unwrap_or_default();
    // Only the origin form (`/path`); `*` and `http://host/path` are refused.
    let raw = raw.strip_prefix('/')?;
    let decoded = String::from_utf8(percent_decode(raw)?).ok()?;
    if decoded.starts_with('/')
        || decoded.contains(|c: char| c.is_control() || matches!(c, '\\' | ';' | '%'))
    {
        return None;
    }
    let segments = decoded.strip_suffix('/').unwrap_or(&decoded);
    if !segments.is_empty()
        && segments
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return None;
    }
    Some(decoded)
}

/// `%XX` to bytes, once. None for a `%` not followed by two hex digits.
fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let high = hex_digit(*bytes.get(i + 1)?)?;
            let low = hex_digit(*bytes.get(i + 2)?)?;
            decoded.push(high << 4 | low);
            i += 3;
        } else {
            decoded.push(byte);
            i += 1;
        }
    }
    Some(decoded)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// A checked site path back into URL form, for a `Location` header.
fn percent_encode(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,=:@".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The Content-Type of a site file, by extension.
fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        // sitemap.xml and the Atom feed, feed.xml: static hosts serve both so.
        "xml" => "application/xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

/// A site file (or the 404 page); HTML gets the live-reload script.
fn content(status: u16, path: &str, bytes: Arc<Vec<u8>>) -> ResponseBox {
    let content_type = content_type(path);
    if content_type.starts_with("text/html") {
        response(status, content_type, with_live_script(&bytes))
    } else {
        // Shared, not copied: PDFs and images can be large.
        let length = bytes.len();
        respond_with(
            status,
            content_type,
            Cursor::new(SharedBytes(bytes)),
            length,
        )
    }
}

/// `html` with [`LIVE_SCRIPT_TAG`] just before the last `</body>`, or at the
/// end when there is none.
fn with_live_script(html: &[u8]) -> Vec<u8> {
    // `</body` and the byte after it, which ends the tag name.
    let at = html
        .windows(b"</body".len() + 1)
        .rposition(|window| {
            window[..6].eq_ignore_ascii_case(b"</body")
                && (window[6] == b'>' || window[6].is_ascii_whitespace())
        })
        .unwrap_or(html.len());
    let mut page = Vec::with_capacity(html.len() + LIVE_SCRIPT_TAG.len());
    page.extend_from_slice(&html[..at]);
    page.extend_from_slice(LIVE_SCRIPT_TAG);
    page.extend_from_slice(&html[at..]);
    page
}

/// Lets a response body share the site's bytes.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn text(status: u16, body: &str) -> ResponseBox {
    response(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

fn redirect(location: &str) -> ResponseBox {
    let mut response = text(301, "Moved permanently.\n");
    if let Some(location) = header("Location", location) {
        response.add_header(location);
    }
    response
}

fn event_stream_head() -> ResponseBox {
    response(200, "text/event-stream", Vec::new())
}

fn response(status: u16, content_type: &str, body: Vec<u8>) -> ResponseBox {
    let length = body.len();
    respond_with(status, content_type, Cursor::new(body), length)
}

/// Every response goes out with these headers, and no CORS headers: other
/// sites must not read the development site.
fn respond_with<R: Read + Send + 'static>(
    status: u16,
    content_type: &str,
    body: R,
    length: usize,
) -> ResponseBox {
    let headers = [
        header("Content-Type", content_type),
        header("X-Content-Type-Options", "nosniff"),
        header("Cache-Control", "no-store"),
    ];
    let headers = headers.into_iter().flatten().collect();
    Response::new(StatusCode(status), headers, body, Some(length), None)
        // Content-Length, never chunks: the length is known, and PDF viewers
        // show progress with it.
        .with_chunked_threshold(usize::MAX)
        .boxed()
}

/// A header from names and values this file controls. They are all ASCII
/// (a `Location` is percent-encoded), so None does not happen in practice.
fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name, value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::io::BufRead;
    use std::net::TcpStream;
    use std::time::Instant;

    /// Bounds every socket read, so a bug fails a test instead of hanging it.
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// The content of the file a traversal would reach, as in serve-probe.sh.
    const CANARY: &str = "c4n4ry-7f3a";

    /// The paths serve-probe.sh tries, with its default canary name (one
    /// list for these tests and the end-to-end test of `movepress serve`).
    fn probe_paths() -> impl Iterator<Item = &'static str> {
        include_str!("../../tests/fixtures/serve-probe-paths.txt")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
    }

    /// A site in a map. It hands out the canary for any path naming it, the
    /// way a careless server on a real disk would, and records every path it
    /// is asked for.
    struct FakeSite {
        files: BTreeMap<String, Arc<Vec<u8>>>,
        asked: Mutex<Vec<String>>,
    }

    impl Files for FakeSite {
        fn get(&self, path: &str) -> Option<Arc<Vec<u8>>> {
            self.asked.lock().unwrap().push(path.to_string());
            if path.contains("boom") {
                panic!("a PDF failed to render");
            }
            if path.contains("CANARY") || path.contains("passwd") {
                return Some(Arc::new(format!("{CANARY}\nroot:x:0:0\n").into_bytes()));
            }
            self.files.get(path).cloned()
        }
    }

    fn fake_site(with_404: bool) -> Arc<FakeSite> {
        let mut files = BTreeMap::new();
        let mut add = |path: &str, body: &[u8]| {
            files.insert(path.to_string(), Arc::new(body.to_vec()));
        };
        add(
            "index.html",
            b"<!doctype html><html><body><h1>Home</h1><!-- </body> --></BODY></html>",
        );
        add(
            "exercises/cat-cow/index.html",
            b"<html><body><h1>Cat-cow</h1></body></html>",
        );
        add("exercises/cat cow/index.html", b"<h1>Spaced</h1>");
        add("static/css/clinic.css", b"body { color: #111 }");
        add("handouts/exercises/cat-cow.pdf", b"%PDF-1.7 fake");
        add("static/logo.png", b"\x89PNG fake");
        add("feed.xml", b"<?xml version=\"1.0\"?><feed/>");
        add("robots.txt", b"User-agent: *\n");
        if with_404 {
            add(
                "404.html",
                b"<html><body><h1>Sorry, no such exercise</h1></body></html>",
            );
        }
        Arc::new(FakeSite {
            files,
            asked: Mutex::new(Vec::new()),
        })
    }

    struct TestServer {
        port: u16,
        hub: Arc<Hub>,
        site: Arc<FakeSite>,
        handler: Arc<Handler>,
    }

    impl TestServer {
        fn host(&self) -> String {
            format!("127.0.0.1:{}", self.port)
        }
    }

    fn start(site: Arc<FakeSite>, restrict_hosts: bool, settings: Settings) -> TestServer {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a test port");
        let port = server.server_addr().to_ip().expect("a TCP address").port();
        let hub = Hub::new();
        let handler = Arc::new(Handler {
            files: site.clone(),
            hub: hub.clone(),
            allowed_hosts: restrict_hosts
                .then(|| vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")]),
            settings,
            streams: AtomicUsize::new(0),
        });
        let serving = handler.clone();
        thread::spawn(move || serve(&server, serving));
        TestServer {
            port,
            hub,
            site,
            handler,
        }
    }

    fn start_default() -> TestServer {
        start(fake_site(true), true, Settings::default())
    }

    fn connect(port: u16) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the test server");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        stream
    }

    /// What the browser gets back.
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(field, _)| field.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.body).into_owned()
        }
    }

    /// Sends `request_line` and `headers` exactly as written (nothing
    /// normalizes the path), and reads the whole reply.
    fn exchange(port: u16, request_line: &str, headers: &str) -> Reply {
        let mut stream = connect(port);
        let request = format!("{request_line}\r\n{headers}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .expect("the server answers and closes");
        parse_reply(&raw)
    }

    fn parse_reply(raw: &[u8]) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(field, value)| (field.trim().to_string(), value.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    fn get(server: &TestServer, target: &str) -> Reply {
        exchange(
            server.port,
            &format!("GET {target} HTTP/1.1"),
            &format!("Host: {}\r\n", server.host()),
        )
    }

    #[test]
    fn no_probe_path_reaches_a_file_outside_the_site() {
        let server = start_default();
        assert_eq!(probe_paths().count(), 20, "every path of serve-probe.sh");
        for path in probe_paths() {
            let reply = get(&server, path);
            assert_ne!(reply.status, 200, "{path} was served");
            assert!(
                matches!(reply.status, 400 | 404),
                "{path} -> {}",
                reply.status
            );
            let body = reply.text();
            assert!(
                !body.contains(CANARY) && !body.contains("root:x:0:0"),
                "{path} leaked: {body}"
            );
            assert!(
                !body.contains("CANARY") && !body.contains("/work/"),
                "{path}: {body}"
            );
        }
        // Refused before the site was even asked: besides the 404 page, only
        // the harmless `escape-link.txt` (a symlink's name on a real disk) was
        // looked up.
        let asked = server.site.asked.lock().unwrap();
        assert!(
            asked.iter().all(|path| {
                ["404.html", "escape-link.txt", "escape-link.txt/index.html"]
                    .contains(&path.as_str())
            }),
            "asked for {asked:?}"
        );
    }

    #[test]
    fn hostile_and_malformed_paths_are_refused() {
        for target in [
            "/a/../b",
            "/a/./b",
            "/a//b",
            "/a/%2E%2E/b",
            "/%2E",
            "/a%00",
            "/a%0a",
            "/a%",
            "/a%zz",
            "/a%2",
            "/a%5c",
            "/a%3bb",
            "/%ff",
            "/%c0%ae",
            "/..",
            "/.",
            "//",
            "*",
            "http://evil.example/index.html",
            "",
            "/a%2f%2fb",
        ] {
            assert_eq!(site_path(target), None, "{target}");
        }
        assert_eq!(site_path("/").as_deref(), Some(""));
        assert_eq!(site_path("/?x=1#top").as_deref(), Some(""));
        assert_eq!(
            site_path("/exercises/cat-cow/").as_deref(),
            Some("exercises/cat-cow/")
        );
        assert_eq!(
            site_path("/exercises/cat%20cow/?q=%2e%2e").as_deref(),
            Some("exercises/cat cow/")
        );
        assert_eq!(site_path("/caf%C3%A9.html").as_deref(), Some("café.html"));
        assert_eq!(site_path("/a...b/c..d").as_deref(), Some("a...b/c..d"));
    }

    #[test]
    fn home_page_gets_the_live_reload_script_before_the_last_body_end() {
        let server = start_default();
        let reply = get(&server, "/");
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            reply.text(),
            "<!doctype html><html><body><h1>Home</h1><!-- </body> -->\
             <script src=\"/__movepress/live.js\" defer></script></BODY></html>"
        );
        assert_eq!(
            reply.header("Content-Length"),
            Some(reply.body.len().to_string().as_str())
        );
        assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(reply.header("Cache-Control"), Some("no-store"));
    }

    #[test]
    fn a_page_without_body_end_gets_the_script_at_the_end() {
        assert_eq!(
            with_live_script(b"<h1>x</h1></bodyguard>"),
            b"<h1>x</h1></bodyguard><script src=\"/__movepress/live.js\" defer></script>"
        );
        assert_eq!(
            with_live_script(b""),
            b"<script src=\"/__movepress/live.js\" defer></script>"
        );
    }

    #[test]
    fn folders_serve_their_index_and_redirect_without_the_slash() {
        let server = start_default();
        let page = get(&server, "/exercises/cat-cow/");
        assert_eq!(page.status, 200);
        assert!(
            page.text()
                .starts_with("<html><body><h1>Cat-cow</h1><script src=")
        );

        let moved = get(&server, "/exercises/cat-cow?from=home");
        assert_eq!(moved.status, 301);
        assert_eq!(moved.header("Location"), Some("/exercises/cat-cow/"));

        let spaced = get(&server, "/exercises/cat%20cow");
        assert_eq!(spaced.status, 301);
        assert_eq!(spaced.header("Location"), Some("/exercises/cat%20cow/"));
        assert_eq!(get(&server, "/exercises/cat%20cow/").status, 200);
    }

    #[test]
    fn redirects_never_name_a_host_from_the_request() {
        // Any Host accepted, as when the user binds 0.0.0.0 on purpose.
        let server = start(fake_site(true), false, Settings::default());
        let reply = exchange(
            server.port,
            "GET /exercises/cat-cow HTTP/1.1",
            "Host: evil.example\r\n",
        );
        assert_eq!(reply.status, 301);
        assert_eq!(reply.header("Location"), Some("/exercises/cat-cow/"));
    }

    #[test]
    fn missing_pages_get_the_sites_404_page() {
        let server = start_default();
        let reply = get(&server, "/no-such-page");
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        let body = reply.text();
        assert!(body.contains("Sorry, no such exercise"), "{body}");
        assert!(body.contains("/__movepress/live.js"), "{body}");
        // The namespace only takes two names.
        assert_eq!(get(&server, "/__movepress/other").status, 404);
    }

    #[test]
    fn missing_pages_without_a_404_page_get_a_short_one() {
        let server = start(fake_site(false), true, Settings::default());
        let reply = get(&server, "/no-such-page-%3Cscript%3E");
        assert_eq!(reply.status, 404);
        let body = reply.text();
        assert!(body.contains("<h1>Page not found</h1>"), "{body}");
        assert!(
            !body.contains("no-such-page") && !body.contains("<script>"),
            "{body}"
        );
    }

    #[test]
    fn files_have_the_content_type_of_their_extension() {
        let server = start_default();
        for (path, expected, body) in [
            (
                "/static/css/clinic.css",
                "text/css; charset=utf-8",
                "body { color: #111 }",
            ),
            (
                "/handouts/exercises/cat-cow.pdf",
                "application/pdf",
                "%PDF-1.7 fake",
            ),
            (
                "/feed.xml",
                "application/xml; charset=utf-8",
                "<?xml version=\"1.0\"?><feed/>",
            ),
            (
                "/robots.txt",
                "text/plain; charset=utf-8",
                "User-agent: *\n",
            ),
        ] {
            let reply = get(&server, path);
            assert_eq!(reply.status, 200, "{path}");
            assert_eq!(reply.header("Content-Type"), Some(expected), "{path}");
            assert_eq!(reply.text(), body, "{path}");
        }
        assert_eq!(
            get(&server, "/static/logo.png").header("Content-Type"),
            Some("image/png")
        );
        for (name, expected) in [
            ("a/b.JPG", "image/jpeg"),
            ("b.jpeg", "image/jpeg"),
            ("c.webp", "image/webp"),
            ("d.gif", "image/gif"),
            ("e.svg", "image/svg+xml; charset=utf-8"),
            ("f.woff2", "font/woff2"),
            ("favicon.ico", "image/x-icon"),
            ("search-index.json", "application/json; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("sitemap.xml", "application/xml; charset=utf-8"),
            ("no-extension", "application/octet-stream"),
            ("dir.v2/README", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name), expected, "{name}");
        }
    }

    #[test]
    fn live_js_is_served_and_builds_the_overlay_without_html_parsing() {
        let server = start_default();
        let reply = get(&server, "/__movepress/live.js");
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/javascript; charset=utf-8")
        );
        let script = reply.text();
        assert_eq!(script, LIVE_JS);
        assert!(script.contains("new EventSource(\"/__movepress/events\")"));
        assert!(script.contains("movepress could not rebuild the site"));
        assert!(script.contains("textContent"));
        assert!(!script.contains("innerHTML") && !script.contains("insertAdjacentHTML"));
    }

    #[test]
    fn a_foreign_host_is_refused() {
        let server = start_default();
        for host in ["Host: evil.example\r\n", "Host: 127.0.0.1:1\r\n", ""] {
            let reply = exchange(server.port, "GET / HTTP/1.1", host);
            assert_eq!(reply.status, 403, "{host:?}");
            assert!(!reply.text().contains("Home"));
        }
        let twice = format!("Host: {}\r\nHost: evil.example\r\n", server.host());
        assert_eq!(exchange(server.port, "GET / HTTP/1.1", &twice).status, 403);
        let other_name = format!("Host: LOCALHOST:{}\r\n", server.port);
        assert_eq!(
            exchange(server.port, "GET / HTTP/1.1", &other_name).status,
            200
        );
    }

    #[test]
    fn head_has_the_headers_and_no_body() {
        let server = start_default();
        let full = get(&server, "/static/css/clinic.css");
        let reply = exchange(
            server.port,
            "HEAD /static/css/clinic.css HTTP/1.1",
            &format!("Host: {}\r\n", server.host()),
        );
        assert_eq!(reply.status, 200);
        assert!(reply.body.is_empty());
        assert_eq!(
            reply.header("Content-Length"),
            Some(full.body.len().to_string().as_str())
        );
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/css; charset=utf-8")
        );
    }

    #[test]
    fn other_methods_are_not_allowed() {
        let server = start_default();
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "BREW"] {
            let reply = exchange(
                server.port,
                &format!("{method} / HTTP/1.1"),
                &format!("Host: {}\r\nContent-Length: 0\r\n", server.host()),
            );
            assert_eq!(reply.status, 405, "{method}");
            assert_eq!(reply.header("Allow"), Some("GET, HEAD"), "{method}");
        }
    }

    #[test]
    fn no_response_allows_other_origins() {
        let server = start_default();
        for path in [
            "/",
            "/no-such-page",
            "/__movepress/live.js",
            "/../CANARY.txt",
        ] {
            let reply = exchange(
                server.port,
                &format!("GET {path} HTTP/1.1"),
                &format!("Host: {}\r\nOrigin: http://evil.example\r\n", server.host()),
            );
            assert!(
                reply
                    .headers
                    .iter()
                    .all(|(field, _)| !field.to_ascii_lowercase().starts_with("access-control-")),
                "{path}: {:?}",
                reply.headers
            );
        }
    }

    #[test]
    fn a_panic_while_answering_fails_that_request_only() {
        let server = start_default();
        assert_eq!(get(&server, "/boom.pdf").status, 500);
        for _ in 0..server.handler.settings.workers + 1 {
            assert_eq!(get(&server, "/boom.pdf").status, 500);
        }
        assert_eq!(get(&server, "/").status, 200);
    }

    /// An open event stream, as a page holds it.
    struct Events {
        reader: io::BufReader<TcpStream>,
    }

    impl Events {
        fn open(server: &TestServer) -> Events {
            let mut stream = connect(server.port);
            let request = format!(
                "GET /__movepress/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
                server.host()
            );
            stream.write_all(request.as_bytes()).unwrap();
            let mut reader = io::BufReader::new(stream);
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            assert_eq!(status, "HTTP/1.1 200 OK\r\n");
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                headers.push(line.trim_end().to_ascii_lowercase());
            }
            assert!(headers.contains(&"content-type: text/event-stream".to_string()));
            assert!(!headers.iter().any(|h| h.starts_with("access-control-")));
            Events { reader }
        }

        /// The next block (an event or a comment), lines joined by `\n`.
        fn next_block(&mut self) -> String {
            let mut block = Vec::new();
            loop {
                let mut line = String::new();
                let read = self.reader.read_line(&mut line).expect("an event in time");
                assert!(read > 0, "the stream ended");
                let line = line.trim_end_matches('\n');
                if line.is_empty() {
                    if block.is_empty() {
                        continue;
                    }
                    return block.join("\n");
                }
                block.push(line.to_string());
            }
        }

        /// The next event, skipping the retry setting and keep-alive comments.
        fn next_event(&mut self) -> (String, String) {
            loop {
                let block = self.next_block();
                let mut name = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = Some(value.to_string());
                    }
                    if let Some(value) = line.strip_prefix("data: ") {
                        data = Some(value.to_string());
                    }
                }
                if let (Some(name), Some(data)) = (name, data) {
                    return (name, data);
                }
            }
        }
    }

    fn cat_cow_problem() -> Problem {
        Problem {
            location: "content/exercises/cat-cow.md:4:7".to_string(),
            message: "unknown field `reps` <b>".to_string(),
            hint: Some("did you mean `dosage`?".to_string()),
        }
    }

    #[test]
    fn pages_hear_hello_then_problems_then_reload() {
        let server = start_default();
        let mut events = Events::open(&server);
        assert_eq!(events.next_event(), ("hello".to_string(), "0".to_string()));

        server.hub.show_errors(vec![cat_cow_problem()]);
        let (name, data) = events.next_event();
        assert_eq!(name, "problems");
        let problems: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(problems[0]["location"], "content/exercises/cat-cow.md:4:7");
        assert_eq!(problems[0]["message"], "unknown field `reps` <b>");
        assert_eq!(problems[0]["hint"], "did you mean `dosage`?");

        server.hub.reload();
        assert_eq!(events.next_event(), ("reload".to_string(), "2".to_string()));
        assert_eq!(server.hub.generation(), 2);
        // Other requests are answered while the stream is open.
        assert_eq!(get(&server, "/").status, 200);
    }

    #[test]
    fn a_page_opened_while_the_build_is_broken_hears_the_problems_first() {
        let server = start_default();
        server.hub.show_errors(vec![cat_cow_problem()]);
        let mut events = Events::open(&server);
        let (name, data) = events.next_event();
        assert_eq!(name, "problems");
        assert!(data.contains("content/exercises/cat-cow.md:4:7"), "{data}");

        server.hub.reload();
        assert_eq!(events.next_event().0, "reload");
        // And once fixed, new pages are told all is well.
        let mut later = Events::open(&server);
        assert_eq!(later.next_event().0, "hello");
    }

    #[test]
    fn many_pages_can_listen_at_once() {
        let server = start_default();
        let mut pages: Vec<Events> = (0..12).map(|_| Events::open(&server)).collect();
        for page in &mut pages {
            assert_eq!(page.next_event().0, "hello");
        }
        server.hub.reload();
        for page in &mut pages {
            assert_eq!(page.next_event().0, "reload");
        }
    }

    #[test]
    fn quiet_streams_get_keep_alives_and_closed_pages_are_noticed() {
        let settings = Settings {
            keep_alive: Duration::from_millis(50),
            ..Settings::default()
        };
        let server = start(fake_site(true), true, settings);
        let mut events = Events::open(&server);
        assert_eq!(events.next_event().0, "hello");
        assert_eq!(events.next_block(), ": keep-alive");
        assert_eq!(server.handler.streams.load(Ordering::SeqCst), 1);

        drop(events);
        let deadline = Instant::now() + TIMEOUT;
        while server.handler.streams.load(Ordering::SeqCst) != 0 {
            assert!(
                Instant::now() < deadline,
                "the closed page's stream is still open"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn too_many_streams_are_refused_not_queued() {
        let settings = Settings {
            max_streams: 1,
            ..Settings::default()
        };
        let server = start(fake_site(true), true, settings);
        let mut first = Events::open(&server);
        assert_eq!(first.next_event().0, "hello");
        let reply = get(&server, "/__movepress/events");
        assert_eq!(reply.status, 503);
    }
}
