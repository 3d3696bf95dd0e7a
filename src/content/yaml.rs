//! The one place that knows about YAML: front-matter splitting, serde-saphyr
//! options, and turning its errors into diagnostics that point into the file.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diagnostics::Diagnostic;

pub use serde_saphyr::Spanned;

/// A list key written with nothing after it (`equipment:`) reads as an
/// empty list, as the README promises. serde-saphyr refuses a blank where
/// a list is expected (since 2.1), so list fields read through this:
/// `#[serde(default, deserialize_with = "yaml::blank_is_empty")]`.
pub fn blank_is_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(<Option<Vec<T>> as serde::Deserialize>::deserialize(deserializer)?.unwrap_or_default())
}

/// A source split into its YAML front matter and its Markdown body.
#[derive(Debug, Clone, Copy)]
pub struct FrontMatter<'a> {
    pub yaml: &'a str,
    /// 1-based line of the file on which the YAML starts.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
}

/// Splits `---\nyaml\n---\nbody`. A byte-order mark and CRLF line endings are accepted.
pub fn split_front_matter<'a>(file: &Path, source: &'a str) -> Result<FrontMatter<'a>, Diagnostic> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_line_end].trim_end() != "---" {
        let diagnostic = Diagnostic::error(file, "missing front matter")
            .hint("start the file with a line `---`, then the YAML keys (title, summary, ...), then another `---` line");
        return Err(if text.trim().is_empty() {
            Diagnostic {
                message: "the file is empty".into(),
                ..diagnostic
            }
        } else {
            diagnostic.at(source, 1, 1)
        });
    }
    let mut offset = first_line_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let current = text[offset..end].trim_end();
        if current == "---" || current == "..." {
            return Ok(FrontMatter {
                yaml: &text[first_line_end..offset],
                yaml_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err(Diagnostic::error(file, "the front matter is never closed")
        .at(source, 1, 1)
        .width(3)
        .hint("add a line `---` after the last YAML key to end the front matter"))
}

/// YAML read into `T`, and what was wrong in it.
pub struct Read<T> {
    /// The value with the wrong entries left out; `None` when even that
    /// could not be read (a syntax error, say).
    pub value: Option<T>,
    /// Every problem found, in the order of the file.
    pub errors: Vec<Diagnostic>,
    /// The keys left out because something in them was wrong, and the keys
    /// a misspelt one was meant to be: a check must not call them missing.
    pub left_out: Vec<String>,
}

/// The most problems reported by reading one file again and again; a file
/// with more is fixed a screenful at a time.
const MAX_ERRORS: usize = 20;

/// Reads YAML into `T`, reporting every wrong key and value, not only the
/// first: after each, the entry holding it is left out (blanked, so lines
/// and columns stay) and the YAML is read again. `first_line` is the file
/// line of the YAML's first line, so that positions point into the file.
///
/// Only problems after the previous one count: an earlier one would be
/// caused by the blanking (a list left empty), not by the file.
pub fn read<T: DeserializeOwned>(
    file: &Path,
    source: &str,
    yaml: &str,
    first_line: usize,
) -> Read<T> {
    let mut text = std::borrow::Cow::Borrowed(yaml);
    let mut errors = Vec::new();
    let mut left_out = Vec::new();
    let mut last = None;
    let nuls = nul_escapes(file, source, yaml, first_line);
    loop {
        let error = match from_str::<T>(&text) {
            Ok(value) => {
                return Read {
                    value: Some(value),
                    errors: with_nuls(errors, nuls),
                    left_out,
                };
            }
            Err(error) => error,
        };
        let (diagnostic, (line, column), reach) = diagnose(file, source, first_line, &error);
        // `tittle:` is reported with "did you mean `title`?": `title` is
        // then not also missing.
        if let serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } = error.without_snippet()
            && let Some(meant) = closest(field, expected)
        {
            left_out.push(meant.to_string());
        }
        if last.is_some_and(|previous| (line, column) <= previous) {
            break;
        }
        errors.push(diagnostic);
        last = Some((line, column));
        let Some(reach) = reach.filter(|_| errors.len() < MAX_ERRORS) else {
            break;
        };
        let Some((blanked, keys)) = leave_out(&text, line + 1 - first_line, reach) else {
            break;
        };
        left_out.extend(keys);
        text = std::borrow::Cow::Owned(blanked);
    }
    Read {
        value: None,
        errors: with_nuls(errors, nuls),
        left_out,
    }
}

/// The problems found by reading, with the NUL characters among them in
/// the order of the file.
fn with_nuls(mut errors: Vec<Diagnostic>, nuls: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if !nuls.is_empty() {
        errors.extend(nuls);
        errors.sort_by_key(|d| (d.line, d.column));
    }
    errors
}

/// Every NUL character that a quoted YAML text holds, written as an escape
/// (`"\0"`, `"\x00"`, `"\u0000"` or `"\U00000000"`), as an error: no
/// page, feed or handout can show one (HTML and XML text may not hold it).
/// A `!!binary` value that holds one is an error too. A NUL typed into the
/// file itself is refused when the file is read. Only YAML with a
/// backslash or a `binary` tag is read again for this.
fn nul_escapes(file: &Path, source: &str, yaml: &str, first_line: usize) -> Vec<Diagnostic> {
    if memchr::memchr(b'\\', yaml.as_bytes()).is_none()
        && memchr::memmem::find(yaml.as_bytes(), b"binary").is_none()
    {
        return Vec::new();
    }
    // Read with whatever the real reading refuses let through (a repeated
    // key, `.nan`): that is reported by itself, and must not hide a NUL.
    let mut options = options();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let Ok(tree) = serde_saphyr::from_str_with_options::<Spanned<Node>>(yaml, options) else {
        // (Then the YAML cannot be read at all, which is reported.)
        return Vec::new();
    };
    let mut places = Vec::new();
    tree.value.nuls(&tree, yaml, &mut places);
    places.sort_unstable();
    places.dedup();
    places
        .into_iter()
        .map(|Place { line, column, escape }| {
            let line = line + first_line - 1;
            let diagnostic = Diagnostic::error(file, "this text holds a NUL character")
                .at(source, line, column);
            match escape {
                Some(escape) => diagnostic.width(escape.chars().count()).hint(format!(
                    "remove `{escape}`: a web page or handout cannot show this invisible character"
                )),
                None => diagnostic.hint(
                    "write the text itself, without the invisible character: a web page or handout cannot show it",
                ),
            }
        })
        .collect()
}

/// Where a NUL escape is written: line (of the YAML) and column, 1-based,
/// and the escape, when the text's bytes are known.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    line: usize,
    column: usize,
    escape: Option<String>,
}

/// Any YAML value, read only to find the texts that hold a NUL.
enum Node {
    Text(bool),
    List(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
    Other,
}

impl Node {
    /// Adds where the NUL escapes of this value, read at `at`, are written.
    fn nuls(&self, at: &Spanned<Node>, yaml: &str, places: &mut Vec<Place>) {
        match self {
            Node::Text(true) => places.push(nul_place(at, yaml)),
            Node::List(items) => {
                for item in items {
                    item.value.nuls(item, yaml, places);
                }
            }
            Node::Map(entries) => {
                for (key, value) in entries {
                    key.value.nuls(key, yaml, places);
                    value.value.nuls(value, yaml, places);
                }
            }
            Node::Text(false) | Node::Other => {}
        }
    }
}

/// Where the first NUL escape of a text is written, in the text where its
/// value is defined (an anchor's, for an `*alias`); where the text starts
/// if there is none (a `!!binary` value) or its bytes are not known.
fn nul_place(at: &Spanned<Node>, yaml: &str) -> Place {
    let defined = at.defined;
    let span = defined.span();
    let found = span
        .byte_offset()
        .zip(span.byte_len())
        .and_then(|(start, len)| {
            let start = usize::try_from(start).ok()?;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            let (offset, width) = first_nul_escape(yaml.get(start..end)?)?;
            Some(start + offset..start + offset + width)
        });
    match found {
        Some(escape) => {
            let (line, column) = crate::content::line_column(yaml, escape.start);
            Place {
                line,
                column,
                escape: Some(yaml[escape].to_string()),
            }
        }
        None => Place {
            line: (defined.line() as usize).max(1),
            column: (defined.column() as usize).max(1),
            escape: None,
        },
    }
}

/// The byte offset and length of the first escape in a double-quoted YAML
/// text (`raw`, quotes included) that stands for a NUL.
fn first_nul_escape(raw: &str) -> Option<(usize, usize)> {
    let bytes = raw.as_bytes();
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[at..]) {
        let escape = at + found;
        let rest = &raw[escape + 1..];
        let zeros = |digits: usize| {
            rest.get(1..=digits)
                .is_some_and(|d| d.bytes().all(|b| b == b'0'))
        };
        let width = match rest.as_bytes().first() {
            Some(b'0') => Some(2),
            Some(b'x') if zeros(2) => Some(4),
            Some(b'u') if zeros(4) => Some(6),
            Some(b'U') if zeros(8) => Some(10),
            _ => None,
        };
        if let Some(width) = width {
            return Some((escape, width));
        }
        // Past the escaped character (`\\` is one backslash).
        at = escape + 2;
        if at > bytes.len() {
            return None;
        }
    }
    None
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

/// Visitor methods that take a value holding no text, as [`Node::Other`].
macro_rules! other_values {
    ($($visit:ident: $kind:ty),*) => {
        $(
            fn $visit<E>(self, _: $kind) -> Result<Node, E> {
                Ok(Node::Other)
            }
        )*
    };
}

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_str<E>(self, text: &str) -> Result<Node, E> {
        Ok(Node::Text(text.contains('\0')))
    }

    // (serde has no default for these under `deserialize_any`: each is
    // accepted, as a value that holds no text.)
    other_values!(
        visit_bool: bool,
        visit_i64: i64,
        visit_u64: u64,
        visit_i128: i128,
        visit_u128: u128,
        visit_f64: f64
    );

    fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Node, E> {
        // (`!!binary`: read into a text field, its bytes are the text.)
        Ok(Node::Text(bytes.contains(&0)))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Other)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, inner: D) -> Result<Node, D::Error> {
        serde::Deserialize::deserialize(inner)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, inner: D) -> Result<Node, D::Error> {
        serde::Deserialize::deserialize(inner)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

/// Parses YAML into `T`; every problem in it is an error.
pub fn parse<T: DeserializeOwned>(
    file: &Path,
    source: &str,
    yaml: &str,
    first_line: usize,
) -> Result<T, Vec<Diagnostic>> {
    let read = read(file, source, yaml, first_line);
    match read.value {
        Some(value) if read.errors.is_empty() => Ok(value),
        _ => Err(read.errors),
    }
}

/// Parses YAML into `T` with the same limits, its problems unexplained:
/// for a second look at a file whose errors are already reported.
pub fn quietly<T: DeserializeOwned>(yaml: &str) -> Option<T> {
    from_str(yaml).ok()
}

fn from_str<T: DeserializeOwned>(yaml: &str) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options::<T>(yaml, options())
}

/// How every YAML file is read.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // `yes`/`no`/`on`/`off` are strings, not booleans: YAML 1.1 surprises are errors.
        strict_booleans: true,
        with_snippet: false,
        // An anchor bomb stops after this many copied values, in a few
        // milliseconds; a clinic's file that reuses a block with `&` and `*`
        // needs a few dozen.
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_COPIED_VALUES,
        },
    }
}

/// How much of its entry an error takes when the entry is left out; `None`
/// for an error about the whole text (its syntax, its size, anchors), after
/// which reading stops.
fn reach(error: &serde_saphyr::Error) -> Option<Reach> {
    use serde_saphyr::Error as E;
    match error {
        E::SerdeUnknownField { .. } | E::DuplicateMappingKey { .. } => Some(Reach::Key),
        E::Unexpected { expected, .. } if !expected.contains("scalar") => Some(Reach::Container),
        E::SerdeInvalidType { .. } => Some(Reach::Container),
        E::InvalidScalar { .. }
        | E::InvalidBooleanStrict { .. }
        | E::Unexpected { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::SerdeUnknownVariant { .. }
        | E::NullIntoString { .. } => Some(Reach::Value),
        _ => None,
    }
}

/// A serde-saphyr error as a diagnostic in the file, where it is (file line
/// and column), and how much of the entry there goes if reading goes on.
fn diagnose(
    file: &Path,
    source: &str,
    first_line: usize,
    error: &serde_saphyr::Error,
) -> (Diagnostic, (usize, usize), Option<Reach>) {
    use serde_saphyr::Error as E;
    let outer = error.without_snippet();
    // An error met while copying an anchor: described by the error itself,
    // placed where the copy was asked for (the `*alias`).
    let mut inner = outer;
    while let E::AliasError { error, .. } = inner {
        inner = error.without_snippet();
    }
    let (line, column) = outer
        .location()
        .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
    let line = line.max(1) + first_line - 1;
    let column = column.max(1);
    if is_syntax(inner)
        && let Some((line, column)) = indent_tab(source, line, first_line)
    {
        let (message, hint) = tab_message();
        let mut diagnostic = Diagnostic::error(file, message).at(source, line, column);
        if let Some(hint) = hint {
            diagnostic = diagnostic.hint(hint);
        }
        return (diagnostic, (line, column), None);
    }
    if is_syntax(inner)
        && let Some((line, column, quote)) = open_quote(source, line, first_line)
    {
        let diagnostic = Diagnostic::error(file, "this quoted text is not closed")
            .at(source, line, column)
            .hint(format!(
                "end the text with another {quote} on this line, or remove the opening one"
            ));
        return (diagnostic, (line, column), None);
    }
    let written = written_at(source, line, column);
    let (message, hint) = describe(inner, written);
    let mut diagnostic = Diagnostic::error(file, message).at(source, line, column);
    // Underline the whole key or value that is wrong.
    if let E::SerdeUnknownField { field: key, .. } | E::DuplicateMappingKey { key: Some(key), .. } =
        inner
    {
        diagnostic = diagnostic.width(key.chars().count());
    } else if let E::InvalidScalar { ty, .. } = inner
        && is_integer(ty)
        && !written.is_empty()
    {
        diagnostic = diagnostic.width(written.chars().count());
    }
    if let Some(hint) = hint {
        diagnostic = diagnostic.hint(hint);
    }
    // Only an error with a place is in an entry that can be left out.
    let reach = outer.location().and(reach(inner));
    (diagnostic, (line, column), reach)
}

/// How much of an entry a wrong key or value takes with it.
#[derive(Clone, Copy, PartialEq)]
enum Reach {
    /// An unknown or repeated key: that key and what is nested under it.
    Key,
    /// A wrong value: its key, or the whole list item it is in.
    Value,
    /// A value of the wrong kind (a mapping where a list belongs): the key
    /// that holds it.
    Container,
}

/// `yaml` with the entry on 1-based `line` blanked out (see [`Reach`]), with
/// the lines nested under it and the rest of a `[`/`{` it opens. An entry
/// that was its parent's only one takes the parent with it, so that no key
/// is left empty. Also every key blanked, for the checks of missing keys.
fn leave_out(yaml: &str, line: usize, reach: Reach) -> Option<(String, Vec<String>)> {
    let lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    let code = |l: &str| strip_comment(l.trim_end()).trim_end().to_string();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let blank = |l: &str| code(l).trim().is_empty();
    let key_of = |l: &str| {
        let t = l.trim();
        let colon = t
            .find(": ")
            .or_else(|| code(t).strip_suffix(':').map(str::len))?;
        let key = t[..colon].trim_matches(['"', '\'']);
        (!key.is_empty() && !t.starts_with(['-', '[', '{', '#', ']', '}'])).then(|| key.to_string())
    };
    let item = |l: &str| {
        let t = l.trim_start_matches(' ');
        t.starts_with("- ") || t.trim_end() == "-"
    };
    // `[`/`{` opened before each line and not closed (one pass: a long
    // front matter with a mistake near its end stays quick).
    let mut open_before = Vec::with_capacity(lines.len() + 1);
    open_before.push(0isize);
    for l in &lines {
        let before = open_before.last().copied().unwrap_or(0);
        open_before.push(before + flow_depth(&code(l)));
    }
    // `[`/`{` opened and not closed by the lines in `range`.
    let balance = |range: std::ops::Range<usize>| open_before[range.end] - open_before[range.start];
    let wrong = line.checked_sub(1).filter(|&i| i < lines.len())?;
    // A key whose value is on the next lines.
    let open_key = |l: &str| !item(l) && code(l).ends_with(':');
    // Whether line `j` is part of the value of line `p`: more indented, or
    // an item of a list written at its key's indent.
    let belongs = |j: usize, p: usize| {
        indent(lines[j]) > indent(lines[p])
            || (item(lines[j]) && open_key(lines[p]) && indent(lines[j]) == indent(lines[p]))
    };
    // The line whose value line `i` is part of.
    let parent = |i: usize| {
        (0..i)
            .rev()
            .filter(|&j| !blank(lines[j]))
            .find(|&j| {
                indent(lines[j]) <= indent(lines[i])
                    && !(item(lines[j]) && indent(lines[j]) == indent(lines[i]) && item(lines[i]))
            })
            .filter(|&j| belongs(i, j))
    };
    // The line that starts the entry: where an open `[` or `{` began, this
    // line, or its parent (a value written over several lines).
    let mut start = match (0..wrong).rev().find(|&j| balance(j..wrong) > 0) {
        Some(opened) => opened,
        None if item(lines[wrong]) || key_of(lines[wrong]).is_some() => wrong,
        None => parent(wrong)?,
    };
    if reach != Reach::Key
        && !item(lines[start])
        && let Some(above) = parent(start)
        && (item(lines[above]) || (reach == Reach::Container && indent(lines[start]) > 0))
    {
        // A wrong value in a list item takes the item; a value of the wrong
        // kind takes the key above it.
        start = above;
    }
    loop {
        let mut end = start + 1;
        while end < lines.len()
            && (blank(lines[end]) || belongs(end, start) || balance(start..end) > 0)
        {
            end += 1;
        }
        // The entry was the only one of its parent: blank the parent too.
        let only_child = parent(start).filter(|&p| {
            let first = (p + 1..lines.len()).find(|&j| !blank(lines[j]));
            let after = (end..lines.len()).find(|&j| !blank(lines[j]));
            // (A parent that holds a value on its own line is not left empty.)
            let bare = open_key(lines[p]) || code(lines[p]).trim() == "-";
            bare && first == Some(start) && after.is_none_or(|j| !belongs(j, p))
        });
        if let Some(p) = only_child {
            start = p;
            continue;
        }
        let mut blanked = String::with_capacity(yaml.len());
        let mut keys = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            if (start..end).contains(&i) {
                keys.extend(key_of(l));
                blanked.extend(
                    l.chars()
                        .map(|c| if c == '\n' || c == '\r' { c } else { ' ' }),
                );
            } else {
                blanked.push_str(l);
            }
        }
        return Some((blanked, keys));
    }
}

/// A line without its `# comment` (a `#` after a space, outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') if previous == ' ' || previous == ':' || i == 0 => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous == ' ' || i == 0 => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

/// How many `[` and `{` a line opens (negative: closes), outside quotes.
fn flow_depth(line: &str) -> isize {
    let mut depth = 0;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Where the value of `path` (`["clinic", "logo"]`) is written in block
/// YAML `source`, 1-based: for messages about a value checked after
/// parsing, when its position was not kept. `None` if it is not found.
pub fn key_position(source: &str, path: &[&str]) -> Option<(usize, usize)> {
    let mut depth = None;
    let mut wanted = path.iter();
    let mut key = wanted.next()?;
    for (i, line) in source.lines().enumerate() {
        let text = line.trim_start_matches(' ');
        let indent = line.len() - text.len();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match depth {
            // The parent's block ended without the key.
            Some(d) if indent <= d => return None,
            None if indent > 0 => continue,
            _ => {}
        }
        let Some(rest) = text.strip_prefix(*key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        match wanted.next() {
            Some(next) => {
                depth = Some(indent);
                key = next;
            }
            None => {
                let value = rest.len() - rest.trim_start().len();
                let column = line[..indent + key.len() + 1].chars().count() + value + 1;
                return Some((i + 1, column));
            }
        }
    }
    None
}

/// A 1-based `(line, column)` in the file for a spanned value.
pub fn position<T>(spanned: &Spanned<T>, first_line: usize) -> (usize, usize) {
    let l = spanned.referenced;
    let line = (l.line() as usize).max(1) + first_line - 1;
    (line, (l.column() as usize).max(1))
}

/// How many values copies made with `&anchor` and `*alias` may add to one file.
const MAX_COPIED_VALUES: usize = 10_000;

/// The plain value written at a 1-based `line` and `column` of `source`, as
/// far as the next space, comma, bracket or comment.
fn written_at(source: &str, line: usize, column: usize) -> &str {
    let Some(text) = source.lines().nth(line.saturating_sub(1)) else {
        return "";
    };
    let start = text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Where a tab in the indent of a line near file line `line` is (the
/// parser may stop a line before or after it): YAML refuses tabs there,
/// whatever words the parser uses. Lines before `first_line` are not YAML.
fn indent_tab(source: &str, line: usize, first_line: usize) -> Option<(usize, usize)> {
    let text = |n: usize| source.lines().nth(n.checked_sub(1)?);
    [line, line + 1, line.saturating_sub(1)]
        .into_iter()
        .filter(|&n| n >= first_line)
        .find_map(|n| {
            let column = text(n)?
                .chars()
                .take_while(|c| matches!(c, ' ' | '\t' | '-'))
                .position(|c| c == '\t')?;
            Some((n, column + 1))
        })
}

/// Where a value opened with a quote mark that its line does not close is,
/// at file line `line` or up to 20 lines above (a quoted text may go on over
/// lines, so the parser stops later), with the quote mark.
fn open_quote(source: &str, line: usize, first_line: usize) -> Option<(usize, usize, char)> {
    let lines: Vec<&str> = source.lines().collect();
    let lowest = first_line.max(line.saturating_sub(20)).max(1);
    (lowest..=line.min(lines.len())).rev().find_map(|n| {
        let text = lines[n - 1].trim_end();
        let body = text.trim_start_matches([' ', '-']);
        let value = match body.find(": ") {
            Some(i) if !body.starts_with(['"', '\'']) => body[i + 2..].trim_start(),
            _ => body,
        };
        let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        // Closed on its line, or on a later one before the error.
        let closed = value[1..].contains(quote)
            || lines[n..line.min(lines.len())]
                .iter()
                .any(|l| l.contains(quote));
        let column = text[..text.len() - value.len()].chars().count() + 1;
        (!closed).then_some((n, column, quote))
    })
}

/// Whether an error is about how the YAML is written rather than about a
/// value (a value's error stays the value's, even on a tab-indented line).
fn is_syntax(error: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    !matches!(
        error,
        E::InvalidScalar { .. }
            | E::SerdeUnknownField { .. }
            | E::SerdeMissingField { .. }
            | E::DuplicateMappingKey { .. }
            | E::InvalidBooleanStrict { .. }
            | E::UnknownAnchor { .. }
            | E::MultipleDocuments { .. }
            | E::Budget { .. }
            | E::AliasError { .. }
    )
}

fn tab_message() -> (String, Option<String>) {
    (
        "a tab is used where YAML needs spaces".into(),
        Some("indent with spaces, not tabs, on this line and the next".into()),
    )
}

/// Whether serde-saphyr's type name is an integer's (`i64`, `u32`, ...).
fn is_integer(ty: &str) -> bool {
    matches!(
        ty,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
    )
}

/// `0123` or `-007`: a number YAML 1.1 would read as octal and YAML 1.2 as decimal.
fn has_leading_zero(written: &str) -> bool {
    let digits = written.strip_prefix(['+', '-']).unwrap_or(written);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The message in clinic staff's words and a hint, from a serde-saphyr error
/// and the value `written` where it points.
fn describe(error: &serde_saphyr::Error, written: &str) -> (String, Option<String>) {
    use serde_saphyr::Error as E;
    match error {
        E::InvalidScalar { ty, .. } if is_integer(ty) && has_leading_zero(written) => {
            let sign = if written.starts_with('-') { "-" } else { "" };
            let number = written.trim_start_matches(['+', '-']).trim_start_matches('0');
            let number = if number.is_empty() { "0" } else { number };
            (
                format!("the number `{written}` starts with a zero"),
                Some(format!(
                    "write `{sign}{number}`; a number starting with 0 is read differently by different programs"
                )),
            )
        }
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => (
            "this value is copied too many times by `*` references".into(),
            Some("write the values out instead of reusing them with `&` and `*`".into()),
        ),
        E::Budget { .. } => (
            "this YAML is too large or too deeply nested to read".into(),
            Some("split it up, write fewer values, and keep lists shallow".into()),
        ),
        E::UnknownAnchor { .. } => (
            format!("`{written}` refers to no `&` anchor above it"),
            Some("a `*name` repeats a value marked `&name` earlier in the file; write the value out instead".into()),
        ),
        // (serde-saphyr says "use Option<String>", which is Rust.)
        E::NullIntoString { .. } => (
            "this list item is empty".into(),
            Some("write the item after the `-`, or remove the line".into()),
        ),
        E::MultipleDocuments { .. } => (
            "a second YAML document starts here".into(),
            Some("a file holds one document: remove the `---` line above this one".into()),
        ),
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            let hint = match closest(field, expected) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("the keys allowed here are: {}", expected.join(", ")),
            };
            (format!("unknown key `{field}`"), Some(hint))
        }
        E::SerdeMissingField { field, .. } => (
            format!("the required key `{field}` is missing"),
            Some(format!("add a line `{field}: ...`")),
        ),
        E::DuplicateMappingKey { key, .. } => (
            match key {
                Some(key) => format!("the key `{key}` appears twice"),
                None => "a key appears twice".to_string(),
            },
            Some("each key may appear only once; remove one of them".into()),
        ),
        E::InvalidBooleanStrict { .. } => (
            "expected `true` or `false`".into(),
            Some("write `true` or `false`; `yes`, `no`, `on` and `off` are not accepted".into()),
        ),
        E::Unexpected {
            expected: "string scalar",
            ..
        } if written.starts_with(['[', '-']) => (
            "expected a single value, not a list".into(),
            Some("write one value here, without `[ ]` or `-`".into()),
        ),
        E::Unexpected {
            expected: "string scalar",
            ..
        } => (
            "expected text".into(),
            Some("write plain text here; put it in quotes if it contains `:` or starts with a symbol".into()),
        ),
        E::Unexpected {
            expected: "sequence start",
            ..
        } => (
            "expected a list".into(),
            Some("write a list, e.g. `[a, b]` or one `- item` per line".into()),
        ),
        E::InvalidScalar { ty, .. } if is_integer(ty) => (
            "expected a whole number".into(),
            Some("write a whole number such as `10`".into()),
        ),
        _ => {
            let message = strip_location(&error.to_string());
            if message.contains("tab") {
                return tab_message();
            }
            let hint = "check the YAML here and on the lines above: indentation, quotes, a missing `:` or an unclosed `[`";
            (message, Some(hint.to_string()))
        }
    }
}

fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The allowed word closest to a misspelt one, for "did you mean" hints:
/// one that looks alike, or is one typing slip away (a letter wrong, added,
/// dropped or two swapped: `scr` for `src`, too short for the likeness).
pub fn closest<'a, S: AsRef<str>>(word: &str, allowed: &'a [S]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (strsim::jaro_winkler(word, a.as_ref()), a.as_ref()))
        .filter(|&(score, a)| score > 0.8 || strsim::osa_distance(word, a) == 1)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_key_with_two_letters_swapped_gets_a_suggestion() {
        let image = ["src", "alt", "caption"];
        assert_eq!(closest("scr", &image), Some("src"));
        assert_eq!(closest("atl", &image), Some("alt"));
        assert_eq!(closest("reps", &["reps", "sets"]), Some("reps"));
        assert_eq!(closest("colour", &image), None);
    }

    #[test]
    fn a_tab_in_the_indent_of_a_nearby_line_is_found() {
        let source = "title: Daily\nexercises:\n\t- exercise: cat-cow\n  - exercise: bird-dog\n";
        assert_eq!(indent_tab(source, 1, 1), None);
        assert_eq!(indent_tab(source, 2, 1), Some((3, 1)), "the line after");
        assert_eq!(indent_tab(source, 3, 1), Some((3, 1)), "its own line");
        assert_eq!(indent_tab(source, 4, 1), Some((3, 1)), "the line before");
        assert_eq!(indent_tab(source, 5, 1), None);
        assert_eq!(indent_tab(source, 2, 4), None, "not before the YAML");
        assert_eq!(
            indent_tab("title: a\tb\n", 1, 1),
            None,
            "a tab inside a value is no indent"
        );
        assert_eq!(
            indent_tab("- \tx\n", 1, 1),
            Some((1, 3)),
            "after a list dash"
        );
    }

    #[test]
    fn leaves_out_the_entry_a_line_belongs_to() {
        let blank = |yaml: &str, line, reach| {
            leave_out(yaml, line, reach).map(|(text, keys)| (text.replace(' ', "."), keys))
        };
        let keys = |k: &[&str]| k.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert_eq!(
            blank("dosage:\n  reps: ten\n  sets: 2\n", 2, Reach::Value),
            Some((
                "dosage:\n...........\n..sets:.2\n".to_string(),
                keys(&["reps"])
            )),
            "a nested key: only its line"
        );
        assert_eq!(
            blank(
                "title: T\nexercises:\n- exercise: a\n- exercise: b\nupdated: x\n",
                2,
                Reach::Value
            ),
            Some((
                "title:.T\n..........\n.............\n.............\nupdated:.x\n".to_string(),
                keys(&["exercises"])
            )),
            "a key with its list at the same indent"
        );
        assert_eq!(
            blank("cautions: [a,\n  b]\ntitle: T\n", 2, Reach::Value),
            Some((
                ".............\n....\ntitle:.T\n".to_string(),
                keys(&["cautions"])
            )),
            "a value over two lines, from its second"
        );
        assert_eq!(
            blank(
                "steps:\n  - exercise: x\n    dosge: 1\n  - exercise: y\n",
                2,
                Reach::Value
            ),
            Some((
                "steps:\n...............\n............\n..-.exercise:.y\n".to_string(),
                keys(&["dosge"])
            )),
            "a list item with what is nested under it"
        );
        assert_eq!(
            blank(
                "steps:\n  - exercise: x\n    note: [1]\n  - exercise: y\n",
                3,
                Reach::Value
            ),
            Some((
                "steps:\n...............\n.............\n..-.exercise:.y\n".to_string(),
                keys(&["note"])
            )),
            "a wrong value takes its list item"
        );
        assert_eq!(
            blank(
                "steps:\n  - exercise: x\n    nte: 1\n  - exercise: y\n",
                3,
                Reach::Key
            ),
            Some((
                "steps:\n..-.exercise:.x\n..........\n..-.exercise:.y\n".to_string(),
                keys(&["nte"])
            )),
            "an unknown key only itself"
        );
        assert_eq!(
            blank("exercises:\n  - exercize: a\ntitle: T\n", 2, Reach::Key),
            Some((
                "..........\n...............\ntitle:.T\n".to_string(),
                keys(&["exercises"])
            )),
            "an only child takes its parent"
        );
        assert_eq!(
            blank(
                "regions: [\n  upper-back,\n  {x: y},\n]\ndifficulty: 3\n",
                3,
                Reach::Value
            ),
            Some((
                "..........\n.............\n.........\n.\ndifficulty:.3\n".to_string(),
                keys(&["regions"])
            )),
            "a closing bracket on its own line"
        );
        assert_eq!(
            blank(
                "cautions:\n  first: A\n  second: B\nx: 1\n",
                2,
                Reach::Container
            ),
            Some((
                ".........\n..........\n...........\nx:.1\n".to_string(),
                keys(&["cautions", "first", "second"])
            )),
            "a mapping where a list belongs: the whole key"
        );
        assert_eq!(
            blank("cautons: # red\n- Stop\ndifficulty: 3\n", 1, Reach::Key),
            Some((
                "..............\n......\ndifficulty:.3\n".to_string(),
                keys(&["cautons"])
            )),
            "a comment after the colon"
        );
        assert_eq!(blank("title: T\n", 5, Reach::Value), None, "past the end");
    }

    #[test]
    fn finds_a_quote_left_open() {
        let source = "title: T\nsummary: \"Round and arch\ncautions: [a]\nnote: 'ok'\n";
        assert_eq!(
            open_quote(source, 3, 1),
            Some((2, 10, '"')),
            "the line above"
        );
        assert_eq!(open_quote(source, 4, 1), Some((2, 10, '"')));
        assert_eq!(open_quote(source, 1, 1), None);
        assert_eq!(
            open_quote("- 'a\n", 1, 1),
            Some((1, 3, '\'')),
            "a list item"
        );
        assert_eq!(open_quote("a: \"x\"\n", 1, 1), None, "closed");
        assert_eq!(
            open_quote("a: \"x\" # y\nb: [c\n", 2, 1),
            None,
            "closed before a comment"
        );
        assert_eq!(
            open_quote("a: \"x\n  y\"\nb: [c\n", 3, 1),
            None,
            "closed on the next line"
        );
        assert_eq!(open_quote("\"a\": x\nb: [c\n", 2, 1), None, "a quoted key");
    }

    #[test]
    fn finds_where_a_key_is_written() {
        let source = "title: T\nclinic:\n  name: C\n  # the logo\n  logo:  logo.svg\ntheme: x\n";
        assert_eq!(key_position(source, &["clinic", "logo"]), Some((5, 10)));
        assert_eq!(key_position(source, &["theme"]), Some((6, 8)));
        assert_eq!(key_position(source, &["clinic"]), Some((2, 8)));
        assert_eq!(key_position(source, &["logo"]), None, "not at the top");
        assert_eq!(key_position(source, &["title", "logo"]), None);
    }

    /// (line, column, underlined width, hint) of each NUL error of `yaml`,
    /// read as lines 2 on of a file.
    fn nuls(yaml: &str) -> Vec<(usize, usize, usize, String)> {
        let source = format!("---\n{yaml}---\n");
        read::<serde_json::Value>(Path::new("a.md"), &source, yaml, 2)
            .errors
            .into_iter()
            .filter(|d| d.message == "this text holds a NUL character")
            .map(|d| (d.line, d.column, d.width, d.hint.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_nul_escape_is_an_error_where_it_is_written() {
        assert_eq!(
            nuls("title: \"Cat\\0\"\nsummary: \"\\x00x\"\n"),
            vec![
                (
                    2,
                    12,
                    2,
                    "remove `\\0`: a web page or handout cannot show this invisible character"
                        .into()
                ),
                (
                    3,
                    11,
                    4,
                    "remove `\\x00`: a web page or handout cannot show this invisible character"
                        .into()
                ),
            ]
        );
        for (yaml, expected, case) in [
            ("a: [\"\\u0000\"]\n", (2, 6, 6), "in a list"),
            ("a:\n  b: \"\\U00000000\"\n", (3, 7, 10), "in a map"),
            ("\"k\\0\": v\n", (2, 3, 2), "in a key"),
            (
                "a: \"é \\\\0 \\0\"\n",
                (2, 11, 2),
                "after an escaped backslash, in characters",
            ),
            (
                "a: &x \"\\0\"\nb: *x\nc: *x\n",
                (2, 8, 2),
                "an anchor's text once, where it is written",
            ),
            (
                "a: \"x\n  y\\0\"\n",
                (3, 4, 2),
                "on the second line of a text",
            ),
            (
                "a: \"\\0\"\nb: .nan\nc: [.inf]\n",
                (2, 5, 2),
                "beside what the reading refuses later",
            ),
            ("a: x\na: \"\\0\"\n", (3, 5, 2), "in a repeated key's value"),
        ] {
            let found: Vec<_> = nuls(yaml)
                .into_iter()
                .map(|(l, c, w, _)| (l, c, w))
                .collect();
            assert_eq!(found, [expected], "{case}");
        }
        assert_eq!(
            nuls("a: !!binary Q2F0AA==\n"),
            [(
                2,
                13,
                1,
                "write the text itself, without the invisible character: a web page or handout cannot show it"
                    .into()
            )],
            "a `!!binary` text, with no backslash in the file"
        );
    }

    #[test]
    fn a_backslash_that_makes_no_nul_is_no_error() {
        for yaml in [
            "a: C:\\0 drive\n",
            "a: 'single \\0'\n",
            "a: \"\\\\0\"\n",
            "a: \"\\x01 \\u0001 \\t\"\n",
            "a: |\n  block \\0\n",
            "a: !!binary Q2F0\n",
        ] {
            assert_eq!(nuls(yaml), [], "{yaml}");
        }
    }

    #[test]
    fn a_tab_indented_line_is_explained_as_such() {
        let source = "title: Daily\nexercises:\n\t- exercise: cat-cow\n";
        let errors = parse::<serde_json::Value>(Path::new("daily.yaml"), source, source, 1)
            .expect_err("tabs are refused");
        assert_eq!(errors[0].message, "a tab is used where YAML needs spaces");
        assert_eq!((errors[0].line, errors[0].column), (3, 1));
    }
}
