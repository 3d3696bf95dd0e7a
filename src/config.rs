//! site.yaml: the site's title, address, clinic, disclaimers and settings.
//! Every field is documented here; these comments are the user reference.

use std::path::Path;

use serde::Deserialize;

use crate::content::yaml::{self, Spanned};
use crate::diagnostics::Diagnostic;
use crate::model::{Clinic, Config, Disclaimers, HandoutSettings, MarkdownSettings, Paper};

/// The file name of the configuration, at the top of the site folder.
pub const FILE: &str = "site.yaml";

/// The longest `base_url`, in characters. Each handout prints an exercise's
/// address (this, `exercises/` and the slug) as a QR code, which holds about
/// 2,300 bytes; a file name (the slug) is at most 255.
pub const MAX_BASE_URL: usize = 1000;

/// site.yaml as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// The site's name, in the header and every page title.
    title: Option<Spanned<String>>,
    /// One sentence about the site: the home page's meta description.
    #[serde(default)]
    description: Option<String>,
    /// Where the site will live, e.g. `https://exercises.example.org/`; may include a path.
    base_url: Option<Spanned<String>>,
    /// The content language, e.g. `en` or `fr-CA` (the pages' `lang` attribute).
    #[serde(default)]
    language: Option<Spanned<String>>,
    /// The theme: a built-in one (`clinic`) or a folder under themes/.
    #[serde(default)]
    theme: Option<Spanned<String>>,
    /// The clinic's name and contact details.
    clinic: Option<RawClinic>,
    /// The required disclaimers.
    disclaimers: Option<RawDisclaimers>,
    /// Printed handouts.
    #[serde(default)]
    handouts: Option<RawHandouts>,
    /// Markdown options.
    #[serde(default)]
    markdown: Option<RawMarkdown>,
    /// Exercise videos.
    #[serde(default)]
    videos: Option<RawVideos>,
    /// The Atom feed.
    #[serde(default)]
    feed: Option<RawFeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    /// How many of the newest exercises and programs feed.xml lists, 1 to
    /// 10,000 (default 50): what readers check for news, not the whole library.
    limit: Option<Spanned<i64>>,
}

/// feed.xml's entries when site.yaml does not say.
pub const FEED_LIMIT: u32 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVideos {
    /// Show YouTube and Vimeo videos in the page (youtube-nocookie.com,
    /// Vimeo with do-not-track) instead of only a link. Default `false`:
    /// nothing loads from a third party unless the site turns this on.
    embed: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClinic {
    /// The clinic's name (required).
    name: Option<Spanned<String>>,
    address: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    /// The clinic's own website (https).
    website: Option<String>,
    /// A logo file inside static/, e.g. `logo.svg`.
    logo: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisclaimers {
    /// Shown on every web page.
    site: Option<Spanned<String>>,
    /// Printed on every handout page.
    handout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHandouts {
    /// `letter` or `a4` (default `letter`).
    paper: Option<Spanned<String>>,
    /// Body text size in points, 12 to 20 (default 12).
    font_size: Option<Spanned<i64>>,
    /// Days in the tracking log, 1 to 60 (default 14).
    tracking_days: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarkdown {
    /// Let raw HTML in Markdown through (default `false`: it is shown as text).
    allow_html: Option<bool>,
}

/// What is wrong with a base URL, site.yaml's or `--base-url`'s.
pub enum UrlProblem {
    /// Longer than [`MAX_BASE_URL`] characters (this many).
    TooLong(usize),
    /// Not an `http(s)://` address.
    NotWeb,
}

/// What is wrong with `url` as a base URL, if anything.
pub fn base_url_problem(url: &str) -> Option<UrlProblem> {
    let length = url.chars().count();
    if length > MAX_BASE_URL {
        Some(UrlProblem::TooLong(length))
    } else if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        Some(UrlProblem::NotWeb)
    } else {
        None
    }
}

/// `url` ending with one `/`, as page addresses are added to it.
pub fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// Points a diagnostic about site.yaml at where `path` is written in the
/// site in `root`, if it is written there with the value `value`. site.yaml
/// is read again: for messages about values checked after it was parsed.
pub fn at_key(diagnostic: Diagnostic, root: &Path, path: &[&str], value: &str) -> Diagnostic {
    let Ok(source) = std::fs::read_to_string(root.join(FILE)) else {
        return diagnostic;
    };
    let written = yaml::key_position(&source, path).is_some_and(|(line, column)| {
        source.lines().nth(line - 1).is_some_and(|text| {
            let rest: String = text.chars().skip(column - 1).collect();
            rest.trim_matches(['"', '\'']).starts_with(value)
        })
    });
    if written {
        diagnostic
            .at_key(&source, path)
            .width(value.chars().count())
    } else {
        diagnostic
    }
}

/// The theme of a site.yaml that names none.
const DEFAULT_THEME: &str = "clinic";

/// The theme site.yaml names ([`DEFAULT_THEME`] when it names none), read from a
/// file that may have other errors; `None` when even that cannot be read.
pub fn theme_name(source: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct ThemeOnly {
        theme: Option<String>,
    }
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let theme = yaml::quietly::<ThemeOnly>(text)?
        .theme
        .unwrap_or_else(|| DEFAULT_THEME.to_string());
    crate::content::check::is_slug(&theme).then_some(theme)
}

/// Parses and checks site.yaml. `file` is the name used in diagnostics.
pub fn parse(file: &Path, source: &str) -> Result<Config, Vec<Diagnostic>> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    if text.trim().is_empty() {
        return Err(vec![Diagnostic::error(file, "site.yaml is empty").hint(
            "add at least `title`, `base_url`, `clinic: {name: ...}` and `disclaimers: {site: ..., handout: ...}`",
        )]);
    }
    let read = yaml::read::<RawConfig>(file, source, text, 1);
    let mut errors = read.errors;
    let Some(raw) = read.value else {
        return Err(errors);
    };
    // A key left out because it was wrong is already reported: not missing too.
    let reported = |key: &str| read.left_out.iter().any(|k| k == key);
    let missing = |key: &str, hint: &str| {
        (!reported(key)).then(|| {
            Diagnostic::error(file, format!("the required key `{key}` is missing"))
                .at(source, 1, 1)
                .hint(hint.to_string())
        })
    };

    let title = if reported("title") {
        String::new()
    } else {
        required_text(file, source, raw.title.as_ref(), "title", &mut errors).unwrap_or_default()
    };

    let base_url = match &raw.base_url {
        None => {
            errors.extend(missing(
                "base_url",
                "add `base_url: https://exercises.your-clinic.example/`",
            ));
            String::new()
        }
        Some(url) => {
            let value = url.value.trim();
            let (line, col) = yaml::position(url, 1);
            match base_url_problem(value) {
                Some(UrlProblem::TooLong(length)) => errors.push(
                    Diagnostic::error(
                        file,
                        format!("base_url is too long ({length} characters; at most {MAX_BASE_URL})"),
                    )
                    .at(source, line, col)
                    .hint("every handout prints each exercise's address as a QR code, which holds a short address only: use the site's home address"),
                ),
                Some(UrlProblem::NotWeb) => errors.push(
                    Diagnostic::error(file, "base_url must be a full web address")
                        .at(source, line, col)
                        .width(value.chars().count())
                        .hint("write it like `https://exercises.your-clinic.example/`"),
                ),
                None => {}
            }
            with_slash(value)
        }
    };

    let language = match &raw.language {
        None => "en".to_string(),
        Some(lang) => {
            let ok = !lang.value.is_empty()
                && lang.value.len() <= 35
                && lang
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                let (line, col) = yaml::position(lang, 1);
                errors.push(
                    Diagnostic::error(file, "language must be a language tag")
                        .at(source, line, col)
                        .hint("write e.g. `en`, `en-CA` or `fr`"),
                );
            }
            lang.value.clone()
        }
    };

    if let Some(t) = &raw.theme
        && !crate::content::check::is_slug(&t.value)
    {
        let (line, col) = yaml::position(t, 1);
        errors.push(
            Diagnostic::error(file, format!("`{}` is not a theme name", t.value))
                .at(source, line, col)
                .width(t.value.chars().count())
                .hint("name a built-in theme (`clinic`, `clarity`) or a folder in themes/, e.g. `my-theme`"),
        );
    }
    let theme = raw
        .theme
        .as_ref()
        .map_or_else(|| DEFAULT_THEME.to_string(), |t| t.value.clone());

    let clinic = match raw.clinic {
        None => {
            errors.extend(missing(
                "clinic",
                "add `clinic:` with at least `name: Your Clinic`",
            ));
            Clinic::default()
        }
        Some(c) => {
            let name = required_text(file, source, c.name.as_ref(), "clinic.name", &mut errors)
                .unwrap_or_default();
            let logo = c.logo.map(|l| l.value);
            if let Some(site) = &c.website
                && !(site.starts_with("https://") || site.starts_with("http://"))
            {
                errors.push(
                    Diagnostic::error(
                        file,
                        format!("the clinic website `{site}` is not a web address"),
                    )
                    .at_key(source, &["clinic", "website"])
                    .hint("write it in full, like `https://your-clinic.example/`"),
                );
            }
            Clinic {
                name,
                address: c.address,
                phone: c.phone,
                email: c.email,
                website: c.website,
                logo,
            }
        }
    };

    let disclaimers = match &raw.disclaimers {
        None => {
            errors.extend(missing(
                "disclaimers",
                "every site must say what its pages are not: add `disclaimers:` with `site:` (shown on every web page) and `handout:` (printed on every handout page)",
            ));
            Disclaimers {
                site: String::new(),
                handout: String::new(),
            }
        }
        Some(d) => {
            let mut disclaimer = |value: Option<&Spanned<String>>, key: &str, what: &str| {
                match value {
                    Some(v) if !v.value.trim().is_empty() => v.value.trim().to_string(),
                    Some(v) => {
                        let (line, col) = yaml::position(v, 1);
                        errors.push(
                            Diagnostic::error(file, format!("the {what} disclaimer is empty"))
                                .at(source, line, col)
                                .hint(format!(
                                    "write the text that must appear {}",
                                    where_shown(key)
                                )),
                        );
                        String::new()
                    }
                    // Misspelt or wrong, and reported as such.
                    None if reported(key) => String::new(),
                    None => {
                        errors.push(
                        Diagnostic::error(file, format!("the {what} disclaimer is missing"))
                            .at_key(source, &["disclaimers"])
                            .hint(format!("add `{key}:` under `disclaimers:` with the text that must appear {}", where_shown(key))),
                    );
                        String::new()
                    }
                }
            };
            let site = disclaimer(d.site.as_ref(), "site", "site");
            let handout = disclaimer(d.handout.as_ref(), "handout", "handout");
            Disclaimers { site, handout }
        }
    };

    let handouts = match &raw.handouts {
        None => HandoutSettings {
            paper: Paper::Letter,
            font_size: 12,
            tracking_days: 14,
        },
        Some(h) => {
            let paper = match &h.paper {
                None => Paper::Letter,
                Some(p) => match p.value.to_ascii_lowercase().as_str() {
                    "letter" => Paper::Letter,
                    "a4" => Paper::A4,
                    _ => {
                        let (line, col) = yaml::position(p, 1);
                        errors.push(
                            Diagnostic::error(file, format!("unknown paper size `{}`", p.value))
                                .at(source, line, col)
                                .width(p.value.chars().count())
                                .hint("write `letter` or `a4`"),
                        );
                        Paper::Letter
                    }
                },
            };
            let font_size = ranged(
                file,
                source,
                h.font_size.as_ref(),
                "font_size",
                12,
                20,
                12,
                &mut errors,
            );
            let tracking_days = ranged(
                file,
                source,
                h.tracking_days.as_ref(),
                "tracking_days",
                1,
                60,
                14,
                &mut errors,
            );
            HandoutSettings {
                paper,
                font_size,
                tracking_days,
            }
        }
    };

    let embed_videos = raw.videos.and_then(|v| v.embed).unwrap_or(false);
    let feed_limit = ranged(
        file,
        source,
        raw.feed.as_ref().and_then(|f| f.limit.as_ref()),
        "limit",
        1,
        10_000,
        FEED_LIMIT,
        &mut errors,
    ) as usize;
    let markdown = MarkdownSettings {
        allow_html: raw.markdown.and_then(|m| m.allow_html).unwrap_or(false),
    };

    if errors.is_empty() {
        Ok(Config {
            title,
            description: raw.description.unwrap_or_default(),
            base_url,
            language,
            theme,
            clinic,
            disclaimers,
            handouts,
            markdown,
            embed_videos,
            feed_limit,
        })
    } else {
        Err(errors)
    }
}

fn where_shown(key: &str) -> &'static str {
    if key == "site" {
        "on every web page"
    } else {
        "on every printed handout page"
    }
}

fn required_text(
    file: &Path,
    source: &str,
    value: Option<&Spanned<String>>,
    key: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<String> {
    match value {
        Some(v) if !v.value.trim().is_empty() => Some(v.value.trim().to_string()),
        Some(v) => {
            let (line, col) = yaml::position(v, 1);
            errors.push(
                Diagnostic::error(file, format!("`{key}` is empty"))
                    .at(source, line, col)
                    .hint(format!("write the {key} after the colon")),
            );
            None
        }
        None => {
            errors.push(
                Diagnostic::error(file, format!("the required key `{key}` is missing"))
                    .at(source, 1, 1)
                    .hint(format!("add a line `{key}: ...`")),
            );
            None
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn ranged(
    file: &Path,
    source: &str,
    value: Option<&Spanned<i64>>,
    key: &str,
    min: i64,
    max: i64,
    default: u32,
    errors: &mut Vec<Diagnostic>,
) -> u32 {
    match value {
        None => default,
        Some(v) if (min..=max).contains(&v.value) => v.value as u32,
        Some(v) => {
            let (line, col) = yaml::position(v, 1);
            errors.push(
                Diagnostic::error(
                    file,
                    format!("`{key}` is {}, which is out of range", v.value),
                )
                .at(source, line, col)
                .hint(format!("use a whole number from {min} to {max}")),
            );
            default
        }
    }
}
