//! `movepress new`: a small working site to start from, compiled into the binary.

use std::fs;
use std::path::Path;

use crate::diagnostics::Diagnostic;

/// Writes the starter site into `dir`, which must not exist or be empty.
pub fn create(dir: &Path) -> Result<usize, Diagnostic> {
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(
                Diagnostic::error(dir, "this folder already exists and is not empty")
                    .hint("choose a new folder name, e.g. `movepress new my-clinic`"),
            );
        }
    }
    let mut count = 0;
    for (relative, bytes) in crate::embedded::STARTER {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Diagnostic::error(parent, format!("cannot create the folder: {e}")))?;
        }
        fs::write(&path, bytes)
            .map_err(|e| Diagnostic::error(&path, format!("cannot write: {e}")))?;
        count += 1;
    }
    Ok(count)
}
