//! Command-line arguments (clap definitions only).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Publish a clinic's exercise library: a website from Markdown and YAML,
/// with the clinic's disclaimers on every page.
#[derive(Debug, Parser)]
#[command(name = "movepress", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check everything, then write the site to output/
    Build {
        /// The site folder (the one with site.yaml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the site [default: DIR/output]
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Use this base URL instead of site.yaml's (e.g. for a preview)
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Include content marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Print nothing but errors
        #[arg(short, long)]
        quiet: bool,
    },
    /// Check everything a build would, and write nothing
    Check {
        /// The site folder (the one with site.yaml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// How to print problems
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Include content marked `draft: true`
        #[arg(long)]
        drafts: bool,
        /// Print nothing but errors
        #[arg(short, long)]
        quiet: bool,
    },
    /// Build the site in memory and serve it on this computer; rebuild and
    /// reload the browser when a file changes
    Serve {
        /// The site folder (the one with site.yaml)
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The port to listen on
        #[arg(short, long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on (0.0.0.0 shows the site to your network)
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
        bind: String,
        /// Open the site in your web browser
        #[arg(long)]
        open: bool,
        /// Include content marked `draft: true`
        #[arg(long)]
        drafts: bool,
    },
    /// Print one patient's handout for a program (or one exercise) as a PDF
    Handout {
        /// The program's slug (e.g. `daily-upper-back-mobility`), or an exercise's
        program: String,
        /// The site folder (the one with site.yaml)
        #[arg(long, default_value = ".", value_name = "DIR")]
        site: PathBuf,
        // The patient's fields take a value that starts with `-` too: clap
        // would otherwise print it back as an unknown argument, putting
        // patient data on the terminal.
        /// The patient's name, printed in the patient box
        #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
        patient: Option<String>,
        /// The date printed on the handout (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
        date: Option<String>,
        /// The clinician's name
        #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
        clinician: Option<String>,
        /// Notes for the patient, printed under their name
        #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
        notes: Option<String>,
        /// Where to write the PDF [default: <program>.pdf in the current folder]
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Body text at 16 pt instead of site.yaml's size
        #[arg(long)]
        large_print: bool,
        /// Paper size, instead of site.yaml's
        #[arg(long, value_enum, value_name = "SIZE")]
        paper: Option<PaperSize>,
    },
    /// Create a new site that builds with no errors
    New {
        /// The folder to create
        dir: PathBuf,
    },
}

/// Paper sizes for `handout --paper`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaperSize {
    Letter,
    A4,
}

/// How `check` prints problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// rustc-style messages with the offending line
    Human,
    /// one JSON object per line
    Json,
    /// GitHub Actions workflow commands (::error file=...)
    Github,
}
