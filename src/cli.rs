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
    },
    /// Create a new site that builds with no errors
    New {
        /// The folder to create
        dir: PathBuf,
    },
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
