//! Integration tests: fixture sites built into temporary folders, asserting
//! on what a reader or a clinic's staff sees.

mod build;
mod cache;
mod cli;
mod faults;
mod features;
mod handouts;
mod hostile;
mod incremental;
mod invalid;
mod never_panics;
mod privacy;
mod serve;
mod support;
