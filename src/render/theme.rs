//! Themes: tera templates and static files, from the site's themes/ folder or
//! built into the binary, with the site's own templates/ winning over them.
//! The only module that knows about tera.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;

/// A loaded theme, ready to render pages.
pub struct Theme {
    tera: tera::Tera,
    /// Template name -> the file it came from, as shown in diagnostics.
    origins: BTreeMap<String, PathBuf>,
    /// Template name -> its text, for diagnostic snippets.
    sources: BTreeMap<String, String>,
    /// The theme's static files (relative path, bytes), published under static/.
    pub static_files: Vec<(String, Vec<u8>)>,
}

/// The context a template is rendered with (built by the views module).
pub type Context = tera::Context;

/// Makes a context from a serialisable view.
pub fn context<T: serde::Serialize>(view: &T) -> Context {
    // Views are plain structs of strings, numbers and lists: this cannot fail.
    Context::from_serialize(view).unwrap_or_default()
}

impl Theme {
    /// Loads theme `name` (themes/<name>/ in the site, else built-in) and the
    /// site's templates/ overrides.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
        let mut static_files = Vec::new();
        let mut errors = Vec::new();
        let disk = root.join("themes").join(name);
        if disk.is_dir() {
            let base = PathBuf::from("themes").join(name);
            read_folder(
                root,
                &base.join("templates"),
                &mut errors,
                |rel, origin, bytes| {
                    templates.insert(rel, (origin, String::from_utf8_lossy(&bytes).into_owned()));
                },
            );
            read_folder(root, &base.join("static"), &mut errors, |rel, _, bytes| {
                static_files.push((rel, bytes))
            });
        } else {
            let files = crate::embedded::theme_files(name);
            if files.is_empty() {
                let mut known = crate::embedded::theme_names();
                let hint = match crate::content::yaml::closest(name, &known) {
                    Some(best) => format!(
                        "did you mean `{best}`? Built-in themes: {}",
                        known.join(", ")
                    ),
                    None => {
                        known.sort();
                        format!(
                            "use a built-in theme ({}) or add a folder themes/{name}/",
                            known.join(", ")
                        )
                    }
                };
                return Err(vec![
                    Diagnostic::error(crate::config::FILE, format!("unknown theme `{name}`"))
                        .hint(hint),
                ]);
            }
            for (path, bytes) in files {
                if let Some(rel) = path.strip_prefix("templates/") {
                    let origin = PathBuf::from(format!("(built-in theme {name})/templates/{rel}"));
                    templates.insert(
                        rel.to_string(),
                        (origin, String::from_utf8_lossy(bytes).into_owned()),
                    );
                } else if let Some(rel) = path.strip_prefix("static/") {
                    static_files.push((rel.to_string(), bytes.to_vec()));
                }
            }
        }
        read_folder(
            root,
            Path::new("templates"),
            &mut errors,
            |rel, origin, bytes| {
                templates.insert(rel, (origin, String::from_utf8_lossy(&bytes).into_owned()));
            },
        );
        if !errors.is_empty() {
            return Err(errors);
        }

        let origins: BTreeMap<String, PathBuf> = templates
            .iter()
            .map(|(k, (o, _))| (k.clone(), o.clone()))
            .collect();
        let sources: BTreeMap<String, String> = templates
            .iter()
            .map(|(k, (_, s))| (k.clone(), s.clone()))
            .collect();
        let partial = Theme {
            tera: tera::Tera::new(),
            origins,
            sources,
            static_files: Vec::new(),
        };

        // Parse each template alone first, so that every syntax error is reported.
        for (name, source) in &partial.sources {
            let mut single = tera::Tera::new();
            if let Err(error) = single.add_raw_template(name, source)
                && matches!(error.kind(), tera::ErrorKind::SyntaxError(_))
            {
                errors.push(partial.diagnostic(name, &error));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut tera = tera::Tera::new();
        if let Err(error) = tera.add_raw_templates(
            partial
                .sources
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ) {
            return Err(vec![partial.diagnostic("", &error)]);
        }
        static_files.sort();
        Ok(Theme {
            tera,
            origins: partial.origins,
            sources: partial.sources,
            static_files,
        })
    }

    /// Whether the theme or the site has a template of this name.
    pub fn has(&self, template: &str) -> bool {
        self.origins.contains_key(template)
    }

    /// The site's own templates (from templates/), which win over the theme's.
    pub fn site_overrides(&self) -> Vec<PathBuf> {
        self.origins
            .values()
            .filter(|o| o.starts_with("templates"))
            .cloned()
            .collect()
    }

    /// Where a template came from, for messages.
    pub fn origin(&self, template: &str) -> PathBuf {
        self.origins
            .get(template)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(template))
    }

    /// Renders one template.
    pub fn render(&self, template: &str, context: &Context) -> Result<String, Diagnostic> {
        self.tera
            .render(template, context)
            .map_err(|e| self.diagnostic(template, &e))
    }

    /// A tera error as a diagnostic pointing into the template file.
    fn diagnostic(&self, template: &str, error: &tera::Error) -> Diagnostic {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = current {
            if let Some(tera_error) = e.downcast_ref::<tera::Error>()
                && let tera::ErrorKind::SyntaxError(report)
                | tera::ErrorKind::RenderingError(report) = tera_error.kind()
            {
                let name = report.filename();
                let span = report.span();
                let source = self.sources.get(name).map(String::as_str).unwrap_or("");
                let width = if span.start_line == span.end_line {
                    span.end_col.saturating_sub(span.start_col)
                } else {
                    1
                };
                return Diagnostic::error(self.origin(name), format!("template error: {}", report.message()))
                    .at(source, span.start_line, span.start_col + 1)
                    .width(width)
                    .hint("fix the template; the theme guide in docs/themes.md lists the data each template receives");
            }
            current = e.source();
        }
        let message = match error.kind() {
            tera::ErrorKind::TemplateNotFound(name) => {
                format!("the template `{name}` does not exist")
            }
            tera::ErrorKind::MissingParent { current, parent } => {
                format!("the template `{current}` extends `{parent}`, which does not exist")
            }
            _ => format!("template error: {error}"),
        };
        let file = if template.is_empty() {
            PathBuf::from("templates")
        } else {
            self.origin(template)
        };
        Diagnostic::error(file, message)
            .hint("check the template names in `{% extends %}` and `{% include %}`")
    }
}

/// Reads every file of a site folder, calling `add(relative name, origin, bytes)`.
fn read_folder(
    root: &Path,
    folder: &Path,
    errors: &mut Vec<Diagnostic>,
    mut add: impl FnMut(String, PathBuf, Vec<u8>),
) {
    let dir = root.join(folder);
    if !dir.is_dir() {
        return;
    }
    for entry in walkdir::WalkDir::new(&dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !crate::content::is_ignored(&e.file_name().to_string_lossy())
        })
    {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(&dir) else {
            continue;
        };
        let rel_name = rel.to_string_lossy().replace('\\', "/");
        let origin = folder.join(rel);
        match std::fs::read(entry.path()) {
            Ok(bytes) => add(rel_name, origin, bytes),
            Err(e) => errors.push(Diagnostic::error(
                origin,
                format!(
                    "cannot read this file: {}",
                    crate::content::io_reason(Some(&e))
                ),
            )),
        }
    }
}
