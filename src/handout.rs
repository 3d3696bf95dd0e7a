//! `movepress handout`: one patient's PDF, written where the clinician says
//! and nowhere else. The patient's name, date and notes go into that file
//! only: never into output/, a cache, or the terminal.

use std::path::{Path, PathBuf};

use crate::content::{self, LoadOptions};
use crate::diagnostics::Diagnostic;
use crate::model::Paper;
use crate::render::pdf::{self, HandoutOptions, Patient};

/// What the clinician asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The site folder.
    pub site: PathBuf,
    /// A program's slug, or an exercise's.
    pub name: String,
    pub patient: Patient,
    /// Where to write; default `<name>.pdf` in the current folder.
    pub output: Option<PathBuf>,
    pub large_print: bool,
    pub paper: Option<Paper>,
}

/// Body size of `--large-print`.
pub const LARGE_PRINT_POINTS: f32 = 16.0;

/// Renders the handout and writes it; returns the path written.
pub fn write(request: &Request) -> Result<PathBuf, Vec<Diagnostic>> {
    let target = request
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.pdf", request.name)));
    refuse_published_folders(&request.site, &target)?;
    // A field given blank (`--date ""` from a script) is a line to write on,
    // as when it is not given.
    let given = |field: &Option<String>| field.clone().filter(|v| !v.trim().is_empty());
    let patient = Patient {
        name: given(&request.patient.name),
        date: given(&request.patient.date),
        clinician: given(&request.patient.clinician),
        notes: given(&request.patient.notes),
    };
    check_patient(&patient)?;

    let (site, _warnings) = content::load(&request.site, LoadOptions::default())?;
    let look = crate::render::theme::handout_look(&request.site, &site.config.theme)?;
    let mut options = HandoutOptions::from_site(&site).with_look(&look);
    if let Some(paper) = request.paper {
        options.paper = paper;
    }
    if request.large_print {
        options.font_size = options.font_size.max(LARGE_PRINT_POINTS);
    }
    let has_patient = [
        &patient.name,
        &patient.date,
        &patient.clinician,
        &patient.notes,
    ]
    .iter()
    .any(|f| f.is_some());
    options.patient = has_patient.then_some(patient);

    let bytes = if let Some(program) = site.programs.iter().find(|p| p.slug == request.name) {
        pdf::program_handout(&site, program, &options)?
    } else if let Some(exercise) = site.exercise(&request.name) {
        pdf::exercise_handout(&site, exercise, &options)?
    } else {
        let programs: Vec<&str> = site.programs.iter().map(|p| p.slug.as_str()).collect();
        let hint = match content::yaml::closest(&request.name, &programs) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("the programs are: {}", programs.join(", ")),
        };
        return Err(vec![
            Diagnostic::error(
                Path::new("content/programs"),
                format!("there is no program or exercise `{}`", request.name),
            )
            .hint(hint),
        ]);
    };
    write_file(&target, &bytes).map_err(|d| vec![d])?;
    Ok(target)
}

/// A handout holds patient data: it must never land where the site is
/// published from or kept (its output, its sources, any built site), where it
/// would be deployed or committed.
fn refuse_published_folders(site: &Path, target: &Path) -> Result<(), Vec<Diagnostic>> {
    let folder = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(folder) = folder.canonicalize() else {
        return Err(vec![
            Diagnostic::error(target, "the folder to write the handout in does not exist")
                .hint("create the folder first, or choose another path with `-o`"),
        ]);
    };
    let refuse = |place: &str| {
        Err(vec![Diagnostic::error(target, format!("refusing to write a patient's handout inside {place}"))
            .hint("that folder is published with the website or kept with its sources; write the handout somewhere private, e.g. `-o ~/handouts/name.pdf`")])
    };
    for published in std::iter::once("output").chain(crate::output::SOURCE_FOLDERS) {
        if let Ok(dir) = site.join(published).canonicalize()
            && folder.starts_with(&dir)
        {
            return refuse(&format!("{published}/"));
        }
    }
    if crate::output::is_built_site(&folder) {
        return refuse("a built site");
    }
    Ok(())
}

/// Errors here name the option, never its value: the terminal and CI logs
/// must not carry patient data.
fn check_patient(patient: &Patient) -> Result<(), Vec<Diagnostic>> {
    if let Some(date) = &patient.date
        && !content::check::is_date(date)
    {
        return Err(vec![
            Diagnostic::error(
                Path::new("--date"),
                "the date is not a real date in the form YYYY-MM-DD",
            )
            .hint("write the date as YYYY-MM-DD, e.g. `--date 2026-11-21`"),
        ]);
    }
    Ok(())
}

/// Writes through a temporary file beside the target, so a failed write
/// never leaves half a PDF.
fn write_file(target: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "handout.pdf".into());
    let temporary = target.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_file(&temporary);
        Diagnostic::error(
            target,
            format!("cannot write the handout: {}", content::io_reason(Some(&e))),
        )
    };
    std::fs::write(&temporary, bytes).map_err(fail)?;
    std::fs::rename(&temporary, target).map_err(fail)
}
