//! The movepress command: arguments in, library call, diagnostics out, exit code.

mod cli;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use movepress::diagnostics::{self, Diagnostic, Format};

use cli::{Cli, Command, OutputFormat};

/// Exit code for content errors.
const CONTENT_ERRORS: u8 = 1;
/// Exit code for usage errors: a value an option cannot take (`--base-url
/// ftp://x`), like clap's own for a wrong flag or argument.
const USAGE_ERRORS: u8 = 2;

/// What the last line of a failed command says about the disk.
#[derive(Clone, Copy)]
enum Left<'a> {
    /// The command writes no site (`check`, `serve`).
    NoSite,
    /// The command makes one thing (`handout`, `new`): a single error needs
    /// no count of the files it is in ("1 error in 1 file" about a folder).
    OneThing,
    /// `build`: nothing was written, and this output folder is as it was.
    Kept(&'a Path),
    /// `build` into a folder that did not exist: nothing was written.
    Nothing,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve { .. }) {
        keep_freed_memory();
        movepress::ends_after_this();
    }
    match cli.command {
        Command::Build {
            dir,
            output,
            base_url,
            drafts,
            quiet,
        } => {
            let out = output.unwrap_or_else(|| {
                if dir == Path::new(".") {
                    "output".into()
                } else {
                    dir.join("output")
                }
            });
            let bar = progress_bar(quiet);
            let progress = bar.clone().map(|bar| {
                movepress::Progress::new(move |step, done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                    bar.set_message(step.to_string());
                })
            });
            let options = movepress::BuildOptions {
                base_url,
                drafts,
                progress: progress.unwrap_or_default(),
            };
            // A failed build leaves the output as it was: there or not there.
            let out_existed = out.symlink_metadata().is_ok();
            let started = Instant::now();
            let result = movepress::build(&dir, &out, &options);
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            match result {
                Ok(report) => {
                    if !quiet {
                        print_diagnostics(&report.warnings, Format::Human);
                        let cached = match report.handouts_cached {
                            0 => String::new(),
                            n if n == report.handouts => " (all from the cache)".to_string(),
                            n => format!(" ({} from the cache)", thousands(n)),
                        };
                        eprintln!(
                            "{} pages, {} handouts{cached} in {:.2} s, written to {}",
                            thousands(report.pages),
                            thousands(report.handouts),
                            started.elapsed().as_secs_f64(),
                            out.display()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    let left = if out_existed {
                        Left::Kept(&out)
                    } else {
                        Left::Nothing
                    };
                    fail(&errors, Format::Human, left)
                }
            }
        }
        Command::Check {
            dir,
            format,
            drafts,
            quiet,
        } => {
            let format = match format {
                OutputFormat::Human => Format::Human,
                OutputFormat::Json => Format::Json,
                OutputFormat::Github => Format::Github,
            };
            let options = movepress::BuildOptions {
                drafts,
                ..Default::default()
            };
            match movepress::check(&dir, &options) {
                // Warnings and the summary are not errors.
                Ok(_) if quiet => ExitCode::SUCCESS,
                Ok(report) => {
                    print_diagnostics(&report.warnings, format);
                    if format == Format::Human {
                        match report.warnings.len() {
                            0 => {
                                eprintln!("no problems found in {} pages", thousands(report.pages))
                            }
                            n => eprintln!(
                                "no errors in {} pages; {n} warning{}",
                                thousands(report.pages),
                                if n == 1 { "" } else { "s" }
                            ),
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(errors) => fail(&errors, format, Left::NoSite),
            }
        }
        Command::Handout {
            program,
            site,
            patient,
            date,
            clinician,
            notes,
            output,
            large_print,
            paper,
        } => {
            let request = movepress::handout::Request {
                site,
                name: program,
                patient: movepress::render::pdf::Patient {
                    name: patient,
                    date,
                    clinician,
                    notes,
                },
                output,
                large_print,
                paper: paper.map(|p| match p {
                    cli::PaperSize::Letter => movepress::model::Paper::Letter,
                    cli::PaperSize::A4 => movepress::model::Paper::A4,
                }),
            };
            match movepress::handout::write(&request) {
                Ok(written) => {
                    eprintln!("wrote {}", written.display());
                    ExitCode::SUCCESS
                }
                Err(errors) => fail(&errors, Format::Human, Left::OneThing),
            }
        }
        Command::Serve {
            dir,
            port,
            bind,
            open,
            drafts,
        } => {
            let options = movepress::serve::ServeOptions {
                root: dir,
                bind,
                port,
                open,
                drafts,
            };
            match movepress::serve::serve(&options, &mut Terminal) {
                Ok(()) => ExitCode::SUCCESS,
                Err(errors) => fail(&errors, Format::Human, Left::NoSite),
            }
        }
        Command::New { dir } => match movepress::starter::create(&dir) {
            Ok(_) => {
                eprintln!("created a new site in {}", dir.display());
                eprintln!("next: cd {} && movepress build", dir.display());
                ExitCode::SUCCESS
            }
            Err(error) => fail(&[error], Format::Human, Left::OneThing),
        },
    }
}

/// A progress bar for long builds, on a terminal only: never in CI logs,
/// never with `--quiet`.
fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(0),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            // No time left: pages and handouts come at very different rates,
            // so a guess from the first ones would be wrong.
            "{msg} [{bar:30}] {human_pos}/{human_len} files ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    Some(bar)
}

/// `serve`'s messages, on stderr.
struct Terminal;

impl movepress::serve::Reporter for Terminal {
    fn serving(&mut self, url: &str) {
        eprintln!("serving the site at {url} (press Ctrl+C to stop)");
    }

    fn rebuilt(
        &mut self,
        changed: &[std::path::PathBuf],
        rendered: usize,
        pages: usize,
        took: std::time::Duration,
    ) {
        let ms = took.as_secs_f64() * 1000.0;
        match changed {
            [] => eprintln!("built {} pages in {ms:.0} ms", thousands(pages)),
            [one] => eprintln!(
                "{} changed: {} of {} pages rendered again in {ms:.0} ms",
                one.display(),
                thousands(rendered),
                thousands(pages)
            ),
            [first, rest @ ..] => eprintln!(
                "{} and {} more changed: {} of {} pages rendered again in {ms:.0} ms",
                first.display(),
                rest.len(),
                thousands(rendered),
                thousands(pages)
            ),
        }
    }

    fn problems(&mut self, problems: &[Diagnostic]) {
        print_diagnostics(problems, Format::Human);
        let errors = problems
            .iter()
            .filter(|d| d.severity == diagnostics::Severity::Error)
            .count();
        if errors > 0 {
            eprintln!(
                "{errors} error{}: the browser shows the last good version until you fix {}",
                if errors == 1 { "" } else { "s" },
                if errors == 1 { "it" } else { "them" }
            );
        }
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic], format: Format) {
    if diagnostics.is_empty() {
        return;
    }
    let color = format == Format::Human
        && std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let text = diagnostics::render(diagnostics, format, color);
    // Machine formats go to stdout, to be piped; messages for people to stderr.
    if format == Format::Human {
        let _ = std::io::stderr().write_all(text.as_bytes());
    } else {
        let _ = std::io::stdout().write_all(text.as_bytes());
    }
}

/// Prints the problems and the summary line; the exit code says whose fix
/// it is: the command line's (2) when every error is in an option's value,
/// the content's (1) otherwise.
fn fail(diagnostics: &[Diagnostic], format: Format, left: Left) -> ExitCode {
    print_diagnostics(diagnostics, format);
    if format == Format::Human {
        let summary = diagnostics::summary(diagnostics);
        match left {
            Left::NoSite => eprintln!("{summary}"),
            Left::OneThing if diagnostics.len() == 1 => {}
            Left::OneThing => eprintln!("{summary}"),
            Left::Kept(out) => eprintln!(
                "{summary}; nothing was written, {} is as it was",
                out.display()
            ),
            Left::Nothing => eprintln!("{summary}; nothing was written"),
        }
    }
    let mut errors = diagnostics
        .iter()
        .filter(|d| d.severity == diagnostics::Severity::Error)
        .peekable();
    if errors.peek().is_some() && errors.all(Diagnostic::in_option) {
        ExitCode::from(USAGE_ERRORS)
    } else {
        ExitCode::from(CONTENT_ERRORS)
    }
}

/// 1138 -> "1,138".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A build runs for seconds and reuses what it frees at once. By default
/// mimalloc hands freed memory back to the system after a delay (1 s in
/// mimalloc 3), and the kernel must then clear it again when it is reused:
/// at 10,000 exercises that was a tenth of the build's time. `serve` runs
/// for hours and keeps the default.
#[cfg(feature = "mimalloc")]
fn keep_freed_memory() {
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    /// `mi_option_purge_delay` in mimalloc.h, whose numbering is kept
    /// stable across versions; -1 means "never purge".
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    // SAFETY: sets one option's value; mimalloc allows it at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

#[cfg(not(feature = "mimalloc"))]
fn keep_freed_memory() {}
