//! `movepress serve` end to end: the real binary on a free port, a browser's
//! requests over TCP, edits to the site's files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::example_site;

/// A running `movepress serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(site: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_movepress"))
        .args(["serve", "--port", "0"])
        .arg(site)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start movepress serve");
    let stderr = child.stderr.take();
    // From here on, the server is stopped however the test ends.
    let mut server = Server { child, port: 0 };
    let stderr = stderr.expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("movepress serve did not say where it serves");
        if let Some(rest) = line.strip_prefix("serving the site at http://127.0.0.1:") {
            server.port = rest
                .split('/')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a port");
            return server;
        }
    }
}

/// The status line, headers and body of a raw GET (nothing normalises the path).
fn get(port: u16, path: &str, host: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let host = host.map_or_else(|| format!("127.0.0.1:{port}"), str::to_string);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head, response[split + 4..].to_vec())
}

fn page(port: u16, path: &str) -> String {
    let (status, _, body) = get(port, path, None);
    assert_eq!(status, 200, "GET {path}");
    String::from_utf8(body).expect("utf-8 page")
}

/// The live-reload stream, read one event at a time.
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(port: u16) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            stream,
            "GET /__movepress/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .expect("send");
        Events {
            reader: BufReader::new(stream),
        }
    }

    /// The next event's name and data.
    fn next(&mut self) -> (String, String) {
        let (mut name, mut data) = (String::new(), String::new());
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .expect("an event before the timeout");
            assert!(n > 0, "the event stream ended");
            let line = line.trim_end();
            if let Some(v) = line.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = v.to_string();
            } else if line.is_empty() && !name.is_empty() {
                return (name, data);
            }
        }
    }
}

fn edit(site: &Path, file: &str, from: &str, to: &str) {
    let path = site.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn serve_answers_reloads_after_an_edit_and_shows_then_clears_an_error() {
    let dir = example_site();
    let site = dir.path();
    let server = start(site);
    let port = server.port;

    let home = page(port, "/");
    assert!(home.contains("Harbourline"), "the home page");
    assert!(
        home.contains("<script src=\"/__movepress/live.js\" defer></script>"),
        "live reload is injected"
    );
    assert!(page(port, "/__movepress/live.js").contains("EventSource"));
    let (status, head, pdf) = get(port, "/handouts/gentle-stretching.pdf", None);
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/pdf")
    );
    assert!(pdf.starts_with(b"%PDF-"));

    let mut events = Events::open(port);
    assert_eq!(events.next().0, "hello");

    // An edit: the page changes and the browser is told to reload.
    edit(
        site,
        "content/exercises/cat-cow.md",
        "This gentle warm-up",
        "This kind warm-up",
    );
    assert_eq!(events.next().0, "reload");
    assert!(page(port, "/exercises/cat-cow/").contains("This kind warm-up"));

    // The handout follows the source: a new dosage shows in the PDF.
    let before = get(port, "/handouts/gentle-stretching.pdf", None).2;
    edit(
        site,
        "content/programs/gentle-stretching.yaml",
        "dosage: { reps: 6 }",
        "dosage: { reps: 7 }",
    );
    assert_eq!(events.next().0, "reload");
    let after = get(port, "/handouts/gentle-stretching.pdf", None).2;
    assert!(
        before != after,
        "the program's handout is made again from the new source"
    );

    // An error: an overlay event with file:line:column; the last good page stays.
    edit(
        site,
        "content/exercises/cat-cow.md",
        "  reps: 10",
        "  reps: ten",
    );
    let (name, data) = events.next();
    assert_eq!(name, "problems");
    assert!(data.contains("content/exercises/cat-cow.md:10:9"), "{data}");
    assert!(data.contains("expected a whole number"), "{data}");
    assert!(page(port, "/exercises/cat-cow/").contains("This kind warm-up"));
    // A page opened now gets the problems at once.
    let mut late = Events::open(port);
    assert_eq!(late.next().0, "problems");

    // Fixed: a reload clears the overlay.
    edit(
        site,
        "content/exercises/cat-cow.md",
        "  reps: ten",
        "  reps: 12",
    );
    assert_eq!(events.next().0, "reload");
    assert_eq!(late.next().0, "reload");
    assert!(page(port, "/exercises/cat-cow/").contains("12 reps"));
}

#[test]
fn serve_never_serves_a_file_outside_the_site_and_stays_on_this_computer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let site = dir.path().join("site");
    crate::support::copy_tree(example_site().path(), &site);
    // A file beside the site that no request may reach, and a link to it in
    // the site's output folder (served sites are built in memory, not read from disk).
    std::fs::write(dir.path().join("CANARY.txt"), "c4n4ry-7f3a").expect("canary");
    std::fs::create_dir_all(site.join("output")).expect("output");
    #[cfg(unix)]
    std::os::unix::fs::symlink("../../CANARY.txt", site.join("output/escape-link.txt"))
        .expect("link");
    let server = start(&site);
    let port = server.port;
    let root = site
        .canonicalize()
        .expect("root")
        .to_string_lossy()
        .into_owned();

    let probes = include_str!("../fixtures/serve-probe-paths.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .chain([
            "/output/escape-link.txt",
            "/site.yaml",
            "/content/exercises/cat-cow.md",
        ]);
    for probe in probes {
        let (status, head, body) = get(port, probe, None);
        let body = String::from_utf8_lossy(&body);
        assert!(
            [400, 403, 404].contains(&status),
            "{probe}: HTTP {status}, expected 400, 403 or 404"
        );
        assert!(
            !body.contains("c4n4ry-7f3a") && !body.contains("root:x:0:0"),
            "{probe} served a file outside the site"
        );
        assert!(
            !body.contains(&root) && !head.contains(&root),
            "{probe}: the answer shows the site's folder"
        );
    }
    let (status, head, body) = get(port, "/no-such-page", None);
    assert_eq!(status, 404);
    assert!(
        String::from_utf8_lossy(&body).contains("Harbourline"),
        "the site's own 404 page"
    );
    assert!(!String::from_utf8_lossy(&body).contains(&root));
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "no CORS header"
    );

    // Another site's address (DNS rebinding) is refused.
    let (status, _, _) = get(port, "/", Some("evil.example"));
    assert!(
        status == 403 || status == 421,
        "foreign Host: HTTP {status}"
    );
    // Only this computer can connect: nothing listens on other addresses.
    let other = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip());
    if let Ok(ip) = other
        && !ip.is_loopback()
        && !ip.is_unspecified()
    {
        assert!(
            TcpStream::connect_timeout(&(ip, port).into(), Duration::from_secs(2)).is_err(),
            "serve listens on {ip}, not only on 127.0.0.1"
        );
    }
}
