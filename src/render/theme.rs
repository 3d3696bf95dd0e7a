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
    /// How the theme wants handouts printed.
    pub handout: HandoutLook,
}

/// A theme's look for the PDF handouts, from `handout:` in theme.yaml, so
/// that web and print match.
#[derive(Debug, Clone, Default)]
pub struct HandoutLook {
    pub style: crate::render::pdf::Style,
    /// The smallest body size the theme allows, in points.
    pub min_font_size: f32,
}

/// theme.yaml. The doc comments are the reference.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// The theme's name.
    #[allow(dead_code)]
    name: Option<String>,
    /// One sentence about the theme.
    #[allow(dead_code)]
    description: Option<String>,
    /// Another theme (built-in or in themes/) whose files this one starts from.
    extends: Option<crate::content::yaml::Spanned<String>>,
    /// Colours and the smallest body size of the PDF handouts.
    handout: Option<HandoutFile>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HandoutFile {
    text: Option<crate::content::yaml::Spanned<String>>,
    muted: Option<crate::content::yaml::Spanned<String>>,
    accent: Option<crate::content::yaml::Spanned<String>>,
    accent_tint: Option<crate::content::yaml::Spanned<String>>,
    caution: Option<crate::content::yaml::Spanned<String>>,
    caution_tint: Option<crate::content::yaml::Spanned<String>>,
    rule: Option<crate::content::yaml::Spanned<String>>,
    /// Body text size floor in points (12 to 20).
    min_font_size: Option<crate::content::yaml::Spanned<i64>>,
}

/// One theme's files: (path inside the theme folder, file it came from, bytes).
type ThemeFiles = Vec<(String, PathBuf, Vec<u8>)>;

/// The theme and the themes it extends, parents first, with the combined
/// handout look (a child's keys win).
fn chain(root: &Path, name: &str) -> Result<(Vec<ThemeFiles>, HandoutLook), Vec<Diagnostic>> {
    let mut chain: Vec<ThemeFiles> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut current = name.to_string();
    let mut yamls: Vec<(PathBuf, String, ThemeFile)> = Vec::new();
    loop {
        if names.contains(&current) {
            return Err(vec![
                Diagnostic::error(
                    crate::config::FILE,
                    format!(
                        "the themes extend each other in a loop: {} -> {current}",
                        names.join(" -> ")
                    ),
                )
                .hint("remove `extends:` from one theme.yaml"),
            ]);
        }
        let files = theme_files(root, &current)?;
        names.push(current.clone());
        // Read as site.yaml is: a byte-order mark left out (the snippet under
        // an error would show it, and underline a column too far left), and
        // UTF-16 or bytes that are not UTF-8 reported as such.
        let yaml = files
            .iter()
            .find(|(p, _, _)| p == "theme.yaml")
            .map(|(_, o, b)| {
                crate::content::decode(o, b.to_vec())
                    .map(|text| (o.clone(), text))
                    .map_err(|d| vec![d])
            })
            .transpose()?;
        let parent = match yaml {
            Some((origin, text)) if !text.trim().is_empty() => {
                let mut file: ThemeFile = crate::content::yaml::parse(&origin, &text, &text, 1)?;
                let parent = file.extends.take();
                if let Some(parent) = &parent
                    && !crate::content::check::is_slug(&parent.value)
                {
                    let (line, col) = crate::content::yaml::position(parent, 1);
                    return Err(vec![
                        Diagnostic::error(
                            &origin,
                            format!("`{}` is not a theme name", parent.value),
                        )
                        .at(&text, line, col)
                        .hint("name a built-in theme (`clinic`, `clarity`) or a folder in themes/"),
                    ]);
                }
                yamls.push((origin, text, file));
                parent.map(|p| p.value)
            }
            _ => None,
        };
        chain.push(files);
        match parent {
            Some(parent) => current = parent,
            None => break,
        }
    }
    chain.reverse();
    yamls.reverse();
    let mut look = HandoutLook {
        style: crate::render::pdf::Style::default(),
        min_font_size: 12.0,
    };
    let mut errors = Vec::new();
    for (origin, text, file) in &yamls {
        let Some(h) = &file.handout else { continue };
        let s = &mut look.style;
        for (value, slot) in [
            (&h.text, &mut s.text),
            (&h.muted, &mut s.muted),
            (&h.accent, &mut s.accent),
            (&h.accent_tint, &mut s.accent_tint),
            (&h.caution, &mut s.caution),
            (&h.caution_tint, &mut s.caution_tint),
            (&h.rule, &mut s.rule),
        ] {
            if let Some(v) = value {
                match crate::render::pdf::Colour::from_hex(&v.value) {
                    Some(colour) => *slot = colour,
                    None => {
                        let (line, col) = crate::content::yaml::position(v, 1);
                        errors.push(
                            Diagnostic::error(origin, format!("`{}` is not a colour", v.value))
                                .at(text, line, col)
                                .hint("write a colour as `\"#1f3b4d\"` (in quotes)"),
                        );
                    }
                }
            }
        }
        if let Some(size) = &h.min_font_size {
            if (12..=20).contains(&size.value) {
                look.min_font_size = size.value as f32;
            } else {
                let (line, col) = crate::content::yaml::position(size, 1);
                errors.push(
                    Diagnostic::error(
                        origin,
                        format!("`min_font_size` is {}, which is out of range", size.value),
                    )
                    .at(text, line, col)
                    .hint("use a whole number from 12 to 20"),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok((chain, look))
    } else {
        Err(errors)
    }
}

/// The handout look of a theme, without loading its templates (for `movepress handout`).
pub fn handout_look(root: &Path, name: &str) -> Result<HandoutLook, Vec<Diagnostic>> {
    chain(root, name).map(|(_, look)| look)
}

/// A theme's own files: from themes/<name>/ in the site, else built in.
fn theme_files(root: &Path, name: &str) -> Result<ThemeFiles, Vec<Diagnostic>> {
    let base = PathBuf::from("themes").join(name);
    if root.join(&base).is_dir() {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        read_folder(root, &base, &mut errors, |rel, origin, bytes| {
            files.push((rel, origin, bytes))
        });
        return if errors.is_empty() {
            Ok(files)
        } else {
            Err(errors)
        };
    }
    let files = crate::embedded::theme_files(name);
    if files.is_empty() {
        let mut known = crate::embedded::theme_names();
        known.sort();
        let hint = match crate::content::yaml::closest(name, &known) {
            Some(best) => format!(
                "did you mean `{best}`? Built-in themes: {}",
                known.join(", ")
            ),
            None => format!(
                "use a built-in theme ({}) or add a folder themes/{name}/",
                known.join(", ")
            ),
        };
        let unknown =
            Diagnostic::error(crate::config::FILE, format!("unknown theme `{name}`")).hint(hint);
        return Err(vec![crate::config::at_key(unknown, root, &["theme"], name)]);
    }
    Ok(files
        .into_iter()
        .map(|(path, bytes)| {
            (
                path.to_string(),
                PathBuf::from(format!("(built-in theme {name})/{path}")),
                bytes.to_vec(),
            )
        })
        .collect())
}

/// The context a template is rendered with (built by the views module).
pub type Context = tera::Context;

/// Template data, made once and shared by many pages: a copy is a
/// reference count.
pub type Value = tera::value::Value;

/// Template data from a serialisable view.
pub fn value<T: serde::Serialize + ?Sized>(view: &T) -> Value {
    // Views are plain structs of strings, numbers and lists: this cannot fail.
    Value::try_from_serializable(view).unwrap_or(Value::none())
}

impl Theme {
    /// Loads theme `name` (themes/<name>/ in the site, else built-in) and the
    /// site's templates/ overrides.
    /// Feeds what shapes every page and handout to `state`: the templates'
    /// names, the static files and the handout look. The templates' text is
    /// in [`Theme::page_templates`], one hash per template: two themes with
    /// the same fingerprint and the same template hashes render a site alike.
    pub fn fingerprint(&self, state: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        self.sources.keys().for_each(|name| name.hash(state));
        self.static_files.hash(state);
        format!("{:?}", self.handout).hash(state);
    }

    /// For each template, a hash of its text and of every template it may
    /// use: see [`template_hashes`].
    pub fn page_templates(&self) -> BTreeMap<String, u64> {
        template_hashes(&self.sources)
    }

    pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
        let mut static_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut errors = Vec::new();
        let (chain, handout) = chain(root, name)?;
        // Parents first: a theme's files win over those of the theme it extends.
        for files in chain {
            for (path, origin, bytes) in files {
                if let Some(rel) = path.strip_prefix("templates/") {
                    templates.insert(
                        rel.to_string(),
                        (origin, String::from_utf8_lossy(&bytes).into_owned()),
                    );
                } else if let Some(rel) = path.strip_prefix("static/") {
                    static_files.insert(rel.to_string(), bytes);
                }
            }
        }
        let static_files: Vec<(String, Vec<u8>)> = static_files.into_iter().collect();
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
            handout: HandoutLook::default(),
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
        Ok(Theme {
            handout,
            tera,
            origins: partial.origins,
            sources: partial.sources,
            static_files,
        })
    }

    /// Whether `template` prints the page's `root` only as it is, in
    /// `{{ root }}` tags, and shows nothing else that could depend on it:
    /// its only tags are `if`, `for`, `raw` and `set x = ...` (no
    /// `{% filter %}` or `{% set x %}...{% endset %}`, which rework what
    /// was printed; no include), it reads no whole context, and the theme
    /// has no components (which see their caller's values). Then what it
    /// makes for one root is what it makes for another with the one root
    /// put in place of the other. Conservative: a template this cannot
    /// read that way is said to depend on `root`.
    pub fn prints_root_verbatim(&self, template: &str) -> bool {
        let Some(source) = self.sources.get(template) else {
            return false;
        };
        if self.sources.values().any(|s| defines_component(s)) || !only_plain_tags(source) {
            return false;
        }
        let rest = without_root_tags(source);
        // (A NUL or an escape could spell the stand-in root.)
        !(rest.contains(['\0', '\\']) || rest.contains("__tera") || mentions_word(&rest, "root"))
    }

    /// Whether `template` and every template it may use read the value
    /// `name` only to count it (`{{ name | length }}`, in any spacing):
    /// then any list of the same length renders the page alike. The home
    /// page of the built-in themes only counts its `exercises`, whose
    /// cards' HTML (10,000 of them at 10,000 exercises) it would otherwise
    /// be given for nothing. Conservative: a template this cannot follow
    /// (a name not quoted, a tag it cannot read, a component anywhere, a
    /// mention of the whole context) is taken to read `name` in full.
    pub fn only_counts(&self, template: &str, name: &str) -> bool {
        if self.sources.values().any(|s| defines_component(s)) {
            return false;
        }
        reached(&uses_of(&self.sources), vec![template]).is_some_and(|reached| {
            reached
                .iter()
                .filter_map(|t| self.sources.get(*t))
                .all(|source| counts_only(source, name))
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

    /// Renders `template` at the end of `out`.
    pub fn render_to(
        &self,
        template: &str,
        context: &Context,
        out: &mut Vec<u8>,
    ) -> Result<(), Diagnostic> {
        self.tera
            .render_to(template, context, out)
            .map_err(|e| self.diagnostic(template, &e))
    }

    /// The first report of a tera text message, pointing into the template file.
    fn report_diagnostic(&self, text: &str) -> Option<Diagnostic> {
        let message = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))?;
        let message = message.strip_prefix("error: ").unwrap_or(message);
        let location = text.lines().find_map(|l| l.trim().strip_prefix("--> "))?;
        let mut parts = location.rsplitn(3, ':');
        let column: usize = parts.next()?.trim().parse().ok()?;
        let line: usize = parts.next()?.trim().parse().ok()?;
        let name = parts.next()?;
        let source = self.sources.get(name)?;
        let hint = if message.starts_with("Unknown function") {
            "templates have no functions that read the environment, the clock or files; use the data listed in docs/themes.md"
        } else {
            "fix the template; the theme guide in docs/themes.md lists the data each template receives"
        };
        Some(
            Diagnostic::error(self.origin(name), format!("template error: {message}"))
                .at(source, line, column)
                .hint(hint),
        )
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
                let hint = if name == crate::render::html::CARD_PARTIAL {
                    "this partial makes each exercise card once for many pages, so it sees only `card`, `root`, `site` and `assets`; docs/themes.md lists the card's fields"
                } else {
                    "fix the template; the theme guide in docs/themes.md lists the data each template receives"
                };
                return Diagnostic::error(
                    self.origin(name),
                    format!("template error: {}", report.message()),
                )
                .at(source, span.start_line, span.start_col + 1)
                .width(width)
                .hint(hint);
            }
            current = e.source();
        }
        // Checks done when templates are added (unknown functions, filters,
        // tests) arrive as text reports: `error: MESSAGE` then `--> NAME:LINE:COL`.
        if let tera::ErrorKind::Msg(text) = error.kind()
            && let Some(d) = self.report_diagnostic(text)
        {
            return d;
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

/// For each template (name -> text), a hash of its text and of the text of
/// every template it may use, followed to the end: two sets of templates
/// with the same hash for `exercise.html` render exercise pages alike, so
/// `serve` renders again only the pages whose template's hash changed.
///
/// A template uses those its `extends` and `include` tags name, and the
/// templates of pages given cards ([`crate::render::html::CARD_PAGES`])
/// use the card partial that made them. tera's
/// components are global (a template may call one defined anywhere), so a
/// template defining one is used by all. A template that names another in
/// a way this cannot follow (not a quoted name, a tag this cannot read) is
/// taken to use every template.
fn template_hashes(sources: &BTreeMap<String, String>) -> BTreeMap<String, u64> {
    use std::hash::{Hash, Hasher};
    let uses = uses_of(sources);
    let components: Vec<&str> = sources
        .iter()
        .filter(|(_, source)| defines_component(source))
        .map(|(name, _)| name.as_str())
        .collect();
    sources
        .keys()
        .map(|name| {
            let mut start: Vec<&str> = vec![name.as_str()];
            start.extend(&components);
            // These pages are given cards made with the card partial.
            if crate::render::html::CARD_PAGES.contains(&name.as_str()) {
                start.push(crate::render::html::CARD_PARTIAL);
            }
            // (`None`: one names another in a way not followed; all count.)
            let reached = reached(&uses, start);
            let mut state = std::hash::DefaultHasher::new();
            for (template, source) in sources {
                if reached
                    .as_ref()
                    .is_none_or(|reached| reached.contains(template.as_str()))
                {
                    (template, source).hash(&mut state);
                }
            }
            (name.clone(), state.finish())
        })
        .collect()
}

/// The templates each template names in its `extends`, `include` and
/// `import` tags (see [`used_templates`]).
fn uses_of(sources: &BTreeMap<String, String>) -> BTreeMap<&str, Option<Vec<String>>> {
    sources
        .iter()
        .map(|(name, source)| (name.as_str(), used_templates(source)))
        .collect()
}

/// The templates `start` and what they use, followed to the end; `None` if
/// one of them names another in a way this cannot follow.
fn reached<'a>(
    uses: &BTreeMap<&'a str, Option<Vec<String>>>,
    mut todo: Vec<&'a str>,
) -> Option<std::collections::BTreeSet<&'a str>> {
    let mut seen = std::collections::BTreeSet::new();
    while let Some(next) = todo.pop() {
        if !seen.insert(next) {
            continue;
        }
        if let Some(used) = uses.get(next) {
            todo.extend(
                used.as_ref()?
                    .iter()
                    .filter_map(|u| uses.get_key_value(u.as_str()))
                    .map(|(k, _)| *k),
            );
        }
    }
    Some(seen)
}

/// Whether every tag of `source` only chooses or repeats what is printed
/// (`if`, `for`, `raw` and their ends, `break`, `continue`) or names a
/// value (`set x = ...`): none takes what its body printed and prints
/// something else, and none brings in another template.
fn only_plain_tags(source: &str) -> bool {
    tags(source).is_some_and(|tags| {
        tags.iter().all(|tag| match keyword(tag) {
            "if" | "elif" | "else" | "endif" | "for" | "endfor" | "raw" | "endraw" | "break"
            | "continue" => true,
            set @ ("set" | "set_global") => {
                // `set x = ...`, not `set x` or `set x | f` over a body.
                let rest = tag[set.len()..].trim_start();
                let name = keyword(rest);
                rest[name.len()..].trim_start().starts_with('=')
            }
            _ => false,
        })
    })
}

/// `source` with every `{{ root }}` tag taken out (any spacing, with or
/// without `-` or `+` to trim the text around it).
fn without_root_tags(source: &str) -> String {
    let mut rest = source;
    let mut kept = String::with_capacity(source.len());
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let inner = after[..end]
            .trim_start_matches(['-', '+'])
            .trim_end_matches(['-', '+'])
            .trim();
        kept.push_str(&rest[..start]);
        if inner != "root" {
            kept.push_str(&rest[start..start + 2 + end + 2]);
        }
        rest = &after[end + 2..];
    }
    kept.push_str(rest);
    kept
}

/// Whether every mention of the value `name` in the tags of `source`
/// (`{{ }}` and `{% %}`; comments left out) is `name | length`. A tag ends
/// where tera's reader ends it: string literals are read whole. `false`
/// if a tag cannot be read that way (one opened inside another, an
/// unclosed string or tag, a backslash), for a `raw` block (its text is
/// not read as tags by tera) and for a mention of the whole context.
fn counts_only(source: &str, name: &str) -> bool {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(open) = source[from..].find('{').map(|i| from + i) {
        let close: &[u8] = match bytes.get(open + 1) {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            Some(b'#') => b"#}",
            _ => {
                from = open + 1;
                continue;
            }
        };
        let start = open + 2;
        let mut at = start;
        let end = loop {
            match bytes.get(at) {
                None => return false,
                Some(quote @ (b'"' | b'\'' | b'`')) if close != b"#}" => {
                    match bytes[at + 1..].iter().position(|b| b == quote) {
                        Some(length) => at += length + 2,
                        None => return false,
                    }
                }
                Some(_) if bytes[at..].starts_with(close) => break at,
                Some(_) => at += 1,
            }
        };
        from = end + 2;
        if close == b"#}" {
            continue;
        }
        // (Quotes and braces are ASCII: `start` and `end` are on characters.)
        let tag = &source[start..end];
        if ["{{", "{%", "{#", "__tera", "\\"]
            .iter()
            .any(|bad| tag.contains(bad))
            || keyword(tag.trim_start_matches(['-', '+']).trim_start()) == "raw"
        {
            return false;
        }
        for (at, _) in tag.match_indices(name) {
            let before = tag[..at].chars().next_back();
            let after = &tag[at + name.len()..];
            if before.is_some_and(|c| is_name(c) || c == '.')
                || after.chars().next().is_some_and(is_name)
            {
                continue;
            }
            let counted = after
                .trim_start()
                .strip_prefix('|')
                .map(str::trim_start)
                .and_then(|f| f.strip_prefix("length"))
                .is_some_and(|f| !f.chars().next().is_some_and(is_name));
            if !counted {
                return false;
            }
        }
    }
    true
}

/// Whether `word` appears in `text` not as part of a longer name (letters,
/// digits or `_` on either side).
fn mentions_word(text: &str, word: &str) -> bool {
    let name = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_some_and(name);
        let after = text[at + word.len()..].chars().next().is_some_and(name);
        !before && !after
    })
}

/// The tags of a template: the text between each `{%` and `%}`; `None` if
/// one holds `{%` or `{#` (a comment or raw text mixed into a tag), which
/// this does not try to read.
fn tags(source: &str) -> Option<Vec<&str>> {
    let mut tags = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        let after = &rest[start + 2..];
        let end = after.find("%}").unwrap_or(after.len());
        let tag = &after[..end];
        if tag.contains("{%") || tag.contains("{#") {
            return None;
        }
        tags.push(tag.trim_start_matches(['-', '+']).trim_start());
        rest = &after[end..];
    }
    Some(tags)
}

/// A tag's keyword: its leading letters (`{%include"x"%}` is `include`).
fn keyword(tag: &str) -> &str {
    let end = tag
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(tag.len());
    &tag[..end]
}

fn defines_component(source: &str) -> bool {
    // Unreadable tags: assume it might.
    tags(source).is_none_or(|tags| tags.iter().any(|t| keyword(t) == "component"))
}

/// The templates a template's `extends`, `include` and `import` tags name;
/// `None` if one of them names a template in a way other than a quoted
/// name, or a tag cannot be read.
fn used_templates(source: &str) -> Option<Vec<String>> {
    let mut used = Vec::new();
    for tag in tags(source)? {
        let keyword = keyword(tag);
        if !matches!(keyword, "extends" | "include" | "import") {
            continue;
        }
        let names = quoted(&tag[keyword.len()..]);
        if names.is_empty() {
            return None;
        }
        used.extend(names);
    }
    Some(used)
}

/// The quoted strings in a tag's text.
fn quoted(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['"', '\'', '`']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            break;
        };
        found.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::used_templates;
    use std::collections::BTreeMap;

    #[test]
    fn finds_the_templates_a_template_uses() {
        let source = "{% extends \"base.html\" %}{%- include 'partials/card.html' -%}\n\
                      {% import \"macros.html\" as m %}{% if x %}{{ y }}{% endif %}";
        assert_eq!(
            used_templates(source),
            Some(vec![
                "base.html".to_string(),
                "partials/card.html".to_string(),
                "macros.html".to_string()
            ])
        );
        assert_eq!(used_templates("{% include card_template %}"), None);
        assert_eq!(used_templates("<p>plain</p>"), Some(vec![]));
        assert_eq!(
            used_templates("{%include\"partials/x.html\"%}"),
            Some(vec!["partials/x.html".to_string()])
        );
        // A comment with `{%` in it: not read, so taken to use everything.
        assert_eq!(
            used_templates("{# tags start with {% #}{% include \"d.html\" %}"),
            None
        );
    }

    #[test]
    fn a_page_only_counts_a_value_when_every_mention_of_it_is_its_length() {
        let theme = |sources: &[(&str, &str)]| super::Theme {
            tera: tera::Tera::new(),
            origins: BTreeMap::new(),
            sources: sources
                .iter()
                .map(|(name, text)| (name.to_string(), text.to_string()))
                .collect(),
            static_files: Vec::new(),
            handout: super::HandoutLook::default(),
        };
        let counts = |index: &str| {
            theme(&[
                ("index.html", index),
                (
                    "base.html",
                    "<main>{% block main %}{% endblock main %}</main>",
                ),
            ])
            .only_counts("index.html", "exercises")
        };
        let clinic = include_str!("../../themes/clinic/templates/index.html");
        assert!(counts(clinic));
        for counted in [
            "<a href=\"{{ root }}exercises/\">All exercises</a>{{exercises|length}}",
            "{% if exercises | length > 3 %}many{% endif %}{# {% for e in exercises %} #}",
            "{{ site.exercises }}{{ my_exercises }}{{ exercises | length | pluralize }}",
        ] {
            assert!(counts(counted), "{counted}");
        }
        for read in [
            "{% for card in exercises %}{{ card.html | safe }}{% endfor %}",
            "{{ exercises | first }}",
            "{{ exercises[0].title }}",
            "{% set e = exercises %}{{ e | length }}",
            "{{ exercises | lengthy }}",
            "{% include partial %}",
            "{{ __tera_context }}",
            "{{ exercises | length",
            // Strings are read whole, as tera reads them.
            "{% for card in [] if \"%}\" == \"\" else exercises %}{{ card.html | safe }}{% endfor %}",
            "{{ \"}}\" ~ exercises[0].html }}",
            "{{ 'x }} exercises | length' ~ exercises[0].title }}",
            "{{ \"unclosed }}",
            // A raw block's text is not read as tags.
            "{% raw %}{#{% endraw %}{{ exercises[0].html }}#}",
            "{{ \"\\\"\" ~ exercises[0].title }}",
        ] {
            assert!(!counts(read), "{read}");
        }
        // What a page uses counts too: its parent, what it includes.
        let with = |base: &str| {
            theme(&[
                (
                    "index.html",
                    "{% extends \"base.html\" %}{% include \"p.html\" %}",
                ),
                ("base.html", base),
                ("p.html", "{{ exercises | length }}"),
            ])
            .only_counts("index.html", "exercises")
        };
        assert!(with("<main></main>"));
        assert!(!with("{% for c in exercises %}{{ c.title }}{% endfor %}"));
        let component = theme(&[
            ("index.html", "{{ exercises | length }}"),
            ("c.html", "{% component card() %}{% endcomponent %}"),
        ]);
        assert!(!component.only_counts("index.html", "exercises"));
    }

    #[test]
    fn a_template_hash_follows_what_the_template_uses() {
        // The templates' hashes with one template's text changed.
        let hashes = |changed: &str| {
            let sources: BTreeMap<String, String> = [
                ("base.html", "<main>{% block main %}{% endblock main %}</main>{% include \"footer.html\" %}"),
                ("footer.html", "footer"),
                ("card.html", "card"),
                ("components.html", "{% component Note() %}n{% endcomponent %}"),
                ("term.html", "{% extends \"base.html\" %}{% block main %}{% include \"card.html\" %}{% endblock main %}"),
                ("page.html", "{% extends \"base.html\" %}{% block main %}{{ <Note/> }}{% endblock main %}"),
            ]
            .into_iter()
            .map(|(name, text)| {
                let text = if name == changed { format!("{text} 2") } else { text.to_string() };
                (name.to_string(), text)
            })
            .collect();
            super::template_hashes(&sources)
        };
        let first = hashes("");
        // The card: term pages only.
        let card = hashes("card.html");
        assert_ne!(first["term.html"], card["term.html"]);
        assert_eq!(first["page.html"], card["page.html"]);
        // The footer, in base.html: both.
        let footer = hashes("footer.html");
        assert_ne!(first["term.html"], footer["term.html"]);
        assert_ne!(first["page.html"], footer["page.html"]);
        // A component, callable from any template without a tag naming it: all.
        let note = hashes("components.html");
        assert_ne!(first["page.html"], note["page.html"]);
        assert_ne!(first["term.html"], note["term.html"]);
    }

    #[test]
    fn a_template_that_only_prints_root_is_told_from_one_that_uses_it() {
        let verbatim = |card: &str, other: &str| {
            let sources: BTreeMap<String, String> = [("card.html", card), ("other.html", other)]
                .into_iter()
                .map(|(name, text)| (name.to_string(), text.to_string()))
                .collect();
            let theme = super::Theme {
                tera: tera::Tera::new(),
                origins: BTreeMap::new(),
                sources,
                static_files: Vec::new(),
                handout: super::HandoutLook::default(),
            };
            theme.prints_root_verbatim("card.html")
        };
        let clinic = include_str!("../../themes/clinic/templates/partials/exercise-card.html");
        assert!(verbatim(clinic, ""));
        assert!(verbatim(
            "<a href=\"{{root}}x\">{{- root -}}{{+ root }}</a>{{ card.rooted }}",
            ""
        ));
        // Anything else done with `root`, or that could see it.
        for card in [
            "{% if root %}deep{% endif %}",
            "{{ root | upper }}",
            "{{ root ~ 'x' }}",
            "{% set r = root %}{{ r }}",
            "{{ root }}{{ card.root }}",
            "{{ root }}{% include \"other.html\" %}",
            "{{ __tera_context }}",
            "{{ root }}\0",
            "{{ root }}{{ \"\\u{0}\" }}",
            "{% filter upper %}{{ root }}{% endfilter %}",
            "{% set r %}{{ root }}{% endset %}{{ r | length }}",
            "{% set r | upper %}{{ root }}{% endset %}{{ r }}",
            "{% block b %}{{ root }}{% endblock b %}",
        ] {
            assert!(!verbatim(card, ""), "{card}");
        }
        assert!(verbatim(
            "{% set n = card.title | upper %}{% set_global m=1 %}{{ n }}{{ root }}",
            ""
        ));
        // A component anywhere sees its caller's values.
        assert!(!verbatim(
            clinic,
            "{% component Note() %}n{% endcomponent %}"
        ));
    }

    /// A partial the check lets through makes, with the stand-in root cut
    /// out and each root put in, what it makes with that root; the ones
    /// it refuses for reworking their output would not.
    #[test]
    fn a_card_made_once_for_every_root_is_what_each_root_makes() {
        use crate::render::html::ANY_ROOT;
        let card = serde_json::json!({
            "slug": "cat-cow", "title": "Cat & Cow", "summary": "Round, then arch.",
            "url": "exercises/cat-cow/", "dosage": "10 reps", "difficulty": "Beginner",
            "position": "Kneeling", "equipment": ["Mat"], "cautions": [],
            "image": {"url": "static/images/cat-cow.svg", "alt": "", "caption": null, "width": 40, "height": 30},
            "terms": {"regions": ["upper-back"], "position": ["kneeling"]},
        });
        let theme = |source: &str| {
            let mut tera = tera::Tera::new();
            tera.add_raw_template("card.html", source)
                .expect("a template");
            super::Theme {
                tera,
                origins: BTreeMap::new(),
                sources: [("card.html".to_string(), source.to_string())].into(),
                static_files: Vec::new(),
                handout: super::HandoutLook::default(),
            }
        };
        let render = |theme: &super::Theme, root: &str| {
            let mut context = tera::Context::new();
            context.insert("root", root);
            context.insert("card", &card);
            theme.render("card.html", &context).expect("renders")
        };
        // What the card would be if the check let the partial through.
        let made_once = |theme: &super::Theme, root: &str| {
            render(theme, ANY_ROOT)
                .split(ANY_ROOT)
                .collect::<Vec<_>>()
                .join(root)
        };
        let roots = ["", "../", "../../"];
        let clinic = include_str!("../../themes/clinic/templates/partials/exercise-card.html");
        for source in [
            clinic,
            "{%- if card.image -%}<img src=\"{{root}}{{ card.image.url }}\">{%- endif %}{% raw %}{{ root }}{% endraw %}",
            "{% for t in card.equipment %}{% set n = t | upper %}<a href=\"{{ root }}{{ card.url }}\">{{ n }}</a>{% endfor %}",
        ] {
            let theme = theme(source);
            assert!(theme.prints_root_verbatim("card.html"), "{source}");
            for root in roots {
                assert_eq!(
                    made_once(&theme, root),
                    render(&theme, root),
                    "{source} at {root:?}"
                );
            }
        }
        for source in [
            "{% filter upper %}<a href=\"{{ root }}x\">{% endfilter %}",
            "{% set r %}{{ root }}{% endset %}{{ r | length }}",
            "{% if root %}deep{% endif %}",
            "{{ root | upper }}",
        ] {
            let theme = theme(source);
            assert!(!theme.prints_root_verbatim("card.html"), "{source}");
            assert!(
                roots
                    .iter()
                    .any(|root| made_once(&theme, root) != render(&theme, root)),
                "{source} would be safe after all"
            );
        }
    }

    /// Themes iterate maps (an exercise's terms): the order must be the
    /// data's, not a hash order that changes from run to run.
    #[test]
    fn map_iteration_in_templates_is_ordered() {
        let mut tera = tera::Tera::new();
        tera.add_raw_template(
            "t.html",
            "{% for key, value in terms %}{{ key }} {% endfor %}",
        )
        .unwrap();
        let terms: std::collections::BTreeMap<String, u32> =
            (0..40).map(|i| (format!("k{i:02}"), i)).collect();
        let mut context = tera::Context::new();
        context.insert("terms", &terms);
        let expected: String = terms.keys().map(|k| format!("{k} ")).collect();
        for _ in 0..20 {
            assert_eq!(tera.render("t.html", &context).unwrap(), expected);
        }
    }
}
