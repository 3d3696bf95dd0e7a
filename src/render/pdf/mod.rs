//! Printable PDF handouts: a program's exercises with dosage, steps,
//! pictures, cautions, notes, a QR code to each exercise's page, a tracking
//! log, and the handout disclaimer with "Page N of M" on every page.
//! printpdf is used here and nowhere else.

use crate::diagnostics::Diagnostic;
use crate::model::{Exercise, Paper, Program, Site};

/// One patient's details, printed only into the PDF that `movepress handout` writes.
#[derive(Debug, Clone, Default)]
pub struct Patient {
    pub name: Option<String>,
    /// `YYYY-MM-DD`, printed as given.
    pub date: Option<String>,
    pub clinician: Option<String>,
    pub notes: Option<String>,
}

/// How to print.
#[derive(Debug, Clone)]
pub struct HandoutOptions {
    pub paper: Paper,
    /// Body text size in points (at least 12; 16 for large print).
    pub font_size: f32,
    /// Days in the tracking log.
    pub tracking_days: u32,
    /// `None` prints blank lines to write the name and date on.
    pub patient: Option<Patient>,
}

impl HandoutOptions {
    /// The site's settings from site.yaml, with no patient.
    pub fn from_site(site: &Site) -> Self {
        HandoutOptions {
            paper: site.config.handouts.paper,
            font_size: site.config.handouts.font_size as f32,
            tracking_days: site.config.handouts.tracking_days,
            patient: None,
        }
    }
}

/// The handout of a program, as PDF bytes.
pub fn program_handout(site: &Site, program: &Program, options: &HandoutOptions) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let _ = (site, program, options);
    Err(vec![Diagnostic::error(&program.source, "handouts are not available yet")])
}

/// The one-exercise sheet, as PDF bytes.
pub fn exercise_handout(site: &Site, exercise: &Exercise, options: &HandoutOptions) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let _ = (site, exercise, options);
    Err(vec![Diagnostic::error(&exercise.source, "handouts are not available yet")])
}
