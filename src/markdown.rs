//! Markdown, parsed once into blocks of styled runs. The HTML pages, the
//! search index and the PDF handouts all read this one form, so that bold,
//! lists and links come through the same way on screen and on paper.

use std::collections::HashMap;
use std::fmt::Write as _;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A parsed Markdown text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Shared: a site copies its exercises (to add picture sizes, to keep
    /// them between rebuilds), and a copy of the text is only a count.
    pub blocks: std::sync::Arc<[Block]>,
    /// SHA-256 of the options and the Markdown text the blocks were parsed
    /// from; `None` for a document made otherwise. See the `Hash` impl.
    pub origin: Option<[u8; 32]>,
}

impl std::hash::Hash for Document {
    /// A parsed document is hashed as what it was parsed from, which with
    /// this file's code decides its blocks (the handout cache's keys, the
    /// one user of this hash, include a fingerprint of this file). Hashing
    /// the blocks instead hands the hasher thousands of pieces of a few
    /// bytes: at 10,000 exercises that was 3 % of a build's time. Then come
    /// the addresses of its links and pictures, for a hasher that looks for
    /// internal links in what it is given (`handout_cache::Shown`).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match &self.origin {
            Some(origin) => {
                origin.hash(state);
                each_address(&self.blocks, &mut |address| address.hash(state));
            }
            None => self.blocks.hash(state),
        }
    }
}

/// The text's origin, as [`Document::origin`] holds it.
fn origin(source: &str, options: MarkdownOptions) -> [u8; 32] {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    hash.update([u8::from(options.allow_html)]);
    hash.update(source.as_bytes());
    hash.finalize().into()
}

/// Every link target, picture address and raw HTML text in `blocks`:
/// wherever an internal link (`@/exercises/cat-cow.md`) may be written.
fn each_address(blocks: &[Block], visit: &mut dyn FnMut(&str)) {
    walk(blocks, &mut |node| match node {
        Node::Block(Block::Html(html)) | Node::Inline(Inline::Html(html)) => visit(html),
        Node::Inline(Inline::Link(link)) => visit(&link.href),
        Node::Inline(Inline::Image(image)) => visit(&image.src),
        _ => {}
    });
}

/// A block or an inline, as [`walk`] hands them on.
#[derive(Clone, Copy)]
pub enum Node<'a> {
    Block(&'a Block),
    Inline(&'a Inline),
}

/// Hands every block and inline in `blocks` to `visit`, at any depth
/// (list items, quotes, footnotes, table cells, what links and emphasis
/// hold), each before what it holds.
pub fn walk<'a>(blocks: &'a [Block], visit: &mut dyn FnMut(Node<'a>)) {
    for block in blocks {
        visit(Node::Block(block));
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => {
                walk_inlines(content, visit)
            }
            Block::List { items, .. } => items.iter().for_each(|item| walk(item, visit)),
            Block::Quote(blocks)
            | Block::Footnote {
                content: blocks, ..
            } => walk(blocks, visit),
            Block::Table { head, rows, .. } => head
                .iter()
                .chain(rows.iter().flatten())
                .for_each(|cell| walk_inlines(cell, visit)),
            Block::Code { .. } | Block::Rule | Block::Html(_) => {}
        }
    }
}

fn walk_inlines<'a>(inlines: &'a [Inline], visit: &mut dyn FnMut(Node<'a>)) {
    for inline in inlines {
        visit(Node::Inline(inline));
        match inline {
            Inline::Link(link) => walk_inlines(&link.content, visit),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Strikethrough(c) => {
                walk_inlines(c, visit)
            }
            Inline::Text(_)
            | Inline::Code(_)
            | Inline::Image(_)
            | Inline::Html(_)
            | Inline::LineBreak
            | Inline::SoftBreak
            | Inline::FootnoteRef(_) => {}
        }
    }
}

/// A block-level element.
#[derive(Debug, Clone, PartialEq, Hash)]
pub enum Block {
    Heading {
        level: u8,
        id: String,
        content: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    /// `start` is `Some(n)` for an ordered list starting at n.
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    Code {
        language: Option<String>,
        text: String,
    },
    Table {
        alignments: Vec<Align>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    Rule,
    /// Raw HTML a site allowed in site.yaml (`markdown.allow_html`).
    Html(String),
    Footnote {
        label: String,
        number: usize,
        content: Vec<Block>,
    },
}

/// Column alignment in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// A run of text with its style.
#[derive(Debug, Clone, PartialEq, Hash)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Strikethrough(Vec<Inline>),
    Code(String),
    /// (Boxed, as are pictures and note references: rarer and larger than
    /// text, they would make every inline as large as they are.)
    Link(Box<Link>),
    Image(Box<Image>),
    LineBreak,
    SoftBreak,
    FootnoteRef(Box<NoteRef>),
    /// Raw inline HTML a site allowed in site.yaml.
    Html(String),
}

/// A link, with what it shows.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Link {
    pub href: String,
    pub title: String,
    pub content: Vec<Inline>,
    /// The byte offset of the link in the Markdown source, for diagnostics.
    pub offset: usize,
}

/// A picture in the text.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Image {
    pub src: String,
    pub alt: String,
    pub title: String,
}

/// A reference to a footnote.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct NoteRef {
    pub label: String,
    pub number: usize,
    /// 1 for the first reference to this footnote, 2 for the second...
    /// (each needs its own element id).
    pub occurrence: usize,
}

/// How Markdown is read; raw HTML is escaped unless the site allows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownOptions {
    pub allow_html: bool,
}

/// Parses Markdown into a [`Document`]. Never fails: every input is some document.
pub fn parse(source: &str, options: MarkdownOptions) -> Document {
    let mut parser_options = Options::empty();
    parser_options.insert(Options::ENABLE_TABLES);
    parser_options.insert(Options::ENABLE_FOOTNOTES);
    parser_options.insert(Options::ENABLE_STRIKETHROUGH);
    parser_options.insert(Options::ENABLE_SMART_PUNCTUATION);
    parser_options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let events = Parser::new_ext(source, parser_options).into_offset_iter();
    let mut builder = Builder {
        options,
        stack: vec![Frame::Root(Vec::new())],
        depth: 0,
        ids: HashMap::new(),
        footnotes: HashMap::new(),
        references: HashMap::new(),
    };
    for (event, range) in events {
        builder.event(event, range.start);
    }
    Document {
        origin: Some(origin(source, options)),
        ..builder.finish()
    }
}

/// A container being filled while events stream in.
enum Frame {
    Root(Vec<Block>),
    Heading {
        level: u8,
        id: Option<String>,
        content: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Item(Vec<Block>, Vec<Inline>),
    Quote(Vec<Block>),
    Code {
        language: Option<String>,
        text: String,
    },
    Table {
        alignments: Vec<Align>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        in_head: bool,
    },
    Row(Vec<Vec<Inline>>),
    Cell(Vec<Inline>),
    Span(SpanKind, Vec<Inline>),
    Image {
        src: String,
        title: String,
        alt: String,
    },
    Footnote {
        label: String,
        content: Vec<Block>,
    },
    HtmlBlock(String),
    /// A container past [`MAX_NESTING`]: its content goes to the one around it.
    Flattened,
}

impl Frame {
    /// Quotes, lists, items and footnotes: the frames that nest blocks.
    fn is_container(&self) -> bool {
        matches!(
            self,
            Frame::Quote(_)
                | Frame::List { .. }
                | Frame::Item(..)
                | Frame::Footnote { .. }
                | Frame::Flattened
        )
    }
}

/// How deep block containers (quotes, lists) may nest.
const MAX_NESTING: usize = 24;

enum SpanKind {
    Strong,
    Emphasis,
    Strikethrough,
    Link {
        href: String,
        title: String,
        offset: usize,
    },
}

struct Builder {
    options: MarkdownOptions,
    stack: Vec<Frame>,
    /// How many block containers are open (kept, not counted, so that
    /// opening one costs the same at any depth).
    depth: usize,
    ids: HashMap<String, usize>,
    footnotes: HashMap<String, usize>,
    /// References made so far to each footnote, by label.
    references: HashMap<String, usize>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, offset: usize) {
        match event {
            Event::Start(tag) => self.start(tag, offset),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => self.inline(Inline::Code(code.into_string())),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.text(&text),
            Event::Html(html) | Event::InlineHtml(html) => self.html(&html),
            Event::FootnoteReference(label) => {
                let number = self.footnote_number(&label);
                let occurrence = self.references.entry(label.to_string()).or_default();
                *occurrence += 1;
                let occurrence = *occurrence;
                self.inline(Inline::FootnoteRef(Box::new(NoteRef {
                    label: label.into_string(),
                    number,
                    occurrence,
                })));
            }
            Event::SoftBreak => self.inline(Inline::SoftBreak),
            Event::HardBreak => self.inline(Inline::LineBreak),
            Event::Rule => self.block(Block::Rule),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>, offset: usize) {
        // Containers nested deeper than anyone writes are flattened: every
        // renderer walks blocks recursively and must not run out of stack.
        let nests = matches!(
            tag,
            Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::FootnoteDefinition(_)
        );
        if nests && self.depth >= MAX_NESTING {
            self.push(Frame::Flattened);
            return;
        }
        let frame = match tag {
            Tag::Paragraph => Frame::Paragraph(Vec::new()),
            Tag::Heading { level, id, .. } => Frame::Heading {
                level: heading_level(level),
                id: id.map(|i| i.into_string()),
                content: Vec::new(),
            },
            Tag::BlockQuote(_) => Frame::Quote(Vec::new()),
            Tag::CodeBlock(kind) => Frame::Code {
                language: match kind {
                    CodeBlockKind::Fenced(lang) if !lang.is_empty() => Some(lang.into_string()),
                    _ => None,
                },
                text: String::new(),
            },
            Tag::HtmlBlock => Frame::HtmlBlock(String::new()),
            Tag::List(start) => Frame::List {
                start,
                items: Vec::new(),
            },
            Tag::Item => Frame::Item(Vec::new(), Vec::new()),
            Tag::FootnoteDefinition(label) => Frame::Footnote {
                label: label.into_string(),
                content: Vec::new(),
            },
            Tag::Table(alignments) => Frame::Table {
                alignments: alignments.iter().map(|a| align(*a)).collect(),
                head: Vec::new(),
                rows: Vec::new(),
                in_head: false,
            },
            Tag::TableHead => {
                if let Some(Frame::Table { in_head, .. }) = self.stack.last_mut() {
                    *in_head = true;
                }
                Frame::Row(Vec::new())
            }
            Tag::TableRow => Frame::Row(Vec::new()),
            Tag::TableCell => Frame::Cell(Vec::new()),
            Tag::Emphasis => Frame::Span(SpanKind::Emphasis, Vec::new()),
            Tag::Strong => Frame::Span(SpanKind::Strong, Vec::new()),
            Tag::Strikethrough => Frame::Span(SpanKind::Strikethrough, Vec::new()),
            Tag::Link {
                dest_url, title, ..
            } => Frame::Span(
                SpanKind::Link {
                    href: dest_url.into_string(),
                    title: title.into_string(),
                    offset,
                },
                Vec::new(),
            ),
            Tag::Image {
                dest_url, title, ..
            } => Frame::Image {
                src: dest_url.into_string(),
                title: title.into_string(),
                alt: String::new(),
            },
            // Metadata blocks, definition lists and the like are not enabled;
            // keep their text as a plain paragraph if they ever appear.
            _ => Frame::Paragraph(Vec::new()),
        };
        self.push(frame);
    }

    fn end(&mut self, tag: TagEnd) {
        let Some(frame) = self.pop() else {
            return;
        };
        match frame {
            Frame::Flattened => {}
            Frame::Root(blocks) => self.push(Frame::Root(blocks)),
            Frame::Paragraph(content) => {
                if !content.is_empty() {
                    self.block(Block::Paragraph(content));
                }
            }
            Frame::Heading { level, id, content } => {
                let id = self.unique_id(id.unwrap_or_else(|| slugify(&plain_text(&content))));
                self.block(Block::Heading { level, id, content });
            }
            Frame::Quote(blocks) => self.block(Block::Quote(blocks)),
            Frame::Code { language, text } => self.block(Block::Code { language, text }),
            Frame::HtmlBlock(html) => {
                if self.options.allow_html {
                    self.block(Block::Html(html));
                } else if !html.trim().is_empty() {
                    // Shown as text, so the author sees it was not used as HTML.
                    self.block(Block::Paragraph(vec![Inline::Text(
                        html.trim_end().to_string(),
                    )]));
                }
            }
            Frame::List { start, items } => self.block(Block::List { start, items }),
            Frame::Item(mut blocks, loose) => {
                if !loose.is_empty() {
                    blocks.insert(0, Block::Paragraph(loose));
                }
                if let Some(Frame::List { items, .. }) = self.stack.last_mut() {
                    items.push(blocks);
                }
            }
            Frame::Footnote { label, content } => {
                let number = self.footnote_number(&label);
                self.block(Block::Footnote {
                    label,
                    number,
                    content,
                });
            }
            Frame::Table {
                alignments,
                head,
                rows,
                ..
            } => self.block(Block::Table {
                alignments,
                head,
                rows,
            }),
            Frame::Row(cells) => {
                if let Some(Frame::Table {
                    head,
                    rows,
                    in_head,
                    ..
                }) = self.stack.last_mut()
                {
                    if *in_head && matches!(tag, TagEnd::TableHead) {
                        *head = cells;
                        *in_head = false;
                    } else {
                        rows.push(cells);
                    }
                }
            }
            Frame::Cell(content) => {
                if let Some(Frame::Row(cells)) = self.stack.last_mut() {
                    cells.push(content);
                }
            }
            Frame::Span(kind, content) => {
                let inline = match kind {
                    SpanKind::Strong => Inline::Strong(content),
                    SpanKind::Emphasis => Inline::Emphasis(content),
                    SpanKind::Strikethrough => Inline::Strikethrough(content),
                    SpanKind::Link {
                        href,
                        title,
                        offset,
                    } => Inline::Link(Box::new(Link {
                        href,
                        title,
                        content,
                        offset,
                    })),
                };
                self.inline(inline);
            }
            Frame::Image { src, title, alt } => {
                self.inline(Inline::Image(Box::new(Image { src, alt, title })))
            }
        }
    }

    fn text(&mut self, text: &str) {
        match self.stack.last_mut() {
            Some(Frame::Code { text: code, .. }) => code.push_str(text),
            Some(Frame::Image { alt, .. }) => alt.push_str(text),
            Some(Frame::HtmlBlock(html)) => html.push_str(text),
            _ => {
                // Text may arrive in several events; merge neighbours.
                if let Some(Inline::Text(previous)) = self.inlines().and_then(|i| i.last_mut()) {
                    previous.push_str(text);
                } else {
                    self.inline(Inline::Text(text.to_string()));
                }
            }
        }
    }

    fn html(&mut self, html: &str) {
        if let Some(Frame::HtmlBlock(buffer)) = self.stack.last_mut() {
            buffer.push_str(html);
        } else if self.options.allow_html {
            self.inline(Inline::Html(html.to_string()));
        } else {
            self.text(html);
        }
    }

    /// The inline list of the innermost container that holds inlines.
    fn inlines(&mut self) -> Option<&mut Vec<Inline>> {
        match self.stack.last_mut()? {
            Frame::Paragraph(c)
            | Frame::Heading { content: c, .. }
            | Frame::Cell(c)
            | Frame::Span(_, c) => Some(c),
            Frame::Item(_, loose) => Some(loose),
            _ => None,
        }
    }

    fn inline(&mut self, inline: Inline) {
        if let Some(Frame::Image { alt, .. }) = self.stack.last_mut() {
            alt.push_str(&plain_text(std::slice::from_ref(&inline)));
            return;
        }
        if let Some(inlines) = self.inlines() {
            inlines.push(inline);
        } else {
            // Inline content directly in a block container: wrap it in a paragraph.
            self.block(Block::Paragraph(vec![inline]));
        }
    }

    fn push(&mut self, frame: Frame) {
        if frame.is_container() {
            self.depth += 1;
        }
        self.stack.push(frame);
    }

    fn pop(&mut self) -> Option<Frame> {
        let frame = self.stack.pop()?;
        if frame.is_container() {
            self.depth -= 1;
        }
        Some(frame)
    }

    fn block(&mut self, block: Block) {
        // Past flattened containers, to the container that holds them.
        let open = self
            .stack
            .iter()
            .rposition(|f| !matches!(f, Frame::Flattened));
        match open.and_then(|i| self.stack.get_mut(i)) {
            Some(
                Frame::Root(blocks)
                | Frame::Quote(blocks)
                | Frame::Footnote {
                    content: blocks, ..
                },
            ) => blocks.push(block),
            Some(Frame::Item(blocks, loose)) => {
                if !loose.is_empty() {
                    blocks.push(Block::Paragraph(std::mem::take(loose)));
                }
                blocks.push(block);
            }
            _ => {}
        }
    }

    fn unique_id(&mut self, base: String) -> String {
        let base = if base.is_empty() {
            "section".to_string()
        } else {
            base
        };
        // Ids the themes use for the page itself (the skip link's target).
        let base = if RESERVED_IDS.contains(&base.as_str()) {
            format!("{base}-section")
        } else {
            base
        };
        let count = self.ids.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}-{}", *count - 1)
        }
    }

    fn footnote_number(&mut self, label: &str) -> usize {
        let next = self.footnotes.len() + 1;
        *self.footnotes.entry(label.to_string()).or_insert(next)
    }

    fn finish(mut self) -> Document {
        // Close anything left open (pulldown-cmark balances tags, but be safe).
        while self.stack.len() > 1 {
            self.end(TagEnd::Paragraph);
        }
        match self.stack.pop() {
            Some(Frame::Root(mut blocks)) => {
                // A site keeps every document for the whole build: return
                // the room the lists and texts grew into while parsing.
                // (The top level is copied into its shared, exact-size home.)
                compact_children(&mut blocks);
                Document {
                    blocks: blocks.into(),
                    origin: None,
                }
            }
            _ => Document::default(),
        }
    }
}

fn compact_blocks(blocks: &mut Vec<Block>) {
    blocks.shrink_to_fit();
    compact_children(blocks);
}

/// Compacts what the blocks hold (not the list of blocks itself).
fn compact_children(blocks: &mut [Block]) {
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => compact_inlines(content),
            Block::List { items, .. } => {
                items.shrink_to_fit();
                items.iter_mut().for_each(compact_blocks);
            }
            Block::Quote(blocks)
            | Block::Footnote {
                content: blocks, ..
            } => compact_blocks(blocks),
            Block::Code { text, .. } | Block::Html(text) => text.shrink_to_fit(),
            Block::Table { head, rows, .. } => {
                head.shrink_to_fit();
                head.iter_mut().for_each(compact_inlines);
                rows.shrink_to_fit();
                for row in rows {
                    row.shrink_to_fit();
                    row.iter_mut().for_each(compact_inlines);
                }
            }
            Block::Rule => {}
        }
    }
}

fn compact_inlines(inlines: &mut Vec<Inline>) {
    inlines.shrink_to_fit();
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) | Inline::Html(text) => text.shrink_to_fit(),
            Inline::Strong(content)
            | Inline::Emphasis(content)
            | Inline::Strikethrough(content) => compact_inlines(content),
            Inline::Link(link) => compact_inlines(&mut link.content),
            _ => {}
        }
    }
}

/// Element ids of the page around the content, which headings must not take.
const RESERVED_IDS: [&str; 3] = ["main", "content", "top"];

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn align(a: Alignment) -> Align {
    match a {
        Alignment::None => Align::None,
        Alignment::Left => Align::Left,
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
    }
}

/// A URL-safe name from text, for heading ids and the names suggested for
/// files and slugs: lowercase ASCII letters, digits and single dashes.
/// Letters and digits beyond ASCII are spelled in ASCII (`Übungen` ->
/// `ubungen`, `ø` -> `o`, `ß` -> `ss`) rather than dropped; anything else
/// separates words. ASCII text gives the same name as it always did.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut push = |c: char| {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    };
    for c in text.chars() {
        if c.is_ascii() {
            push(c);
        } else if c.is_alphanumeric() {
            deunicode::deunicode_char(c)
                .unwrap_or("-")
                .chars()
                .for_each(&mut push);
        } else if deunicode::deunicode_char(c) == Some("") {
            // A combining accent, as in the decomposed names macOS gives
            // files (`U` followed by U+0308): part of the letter before it.
        } else {
            push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// The text of inlines without any styling, for ids, alt text and search.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, &mut out);
    out
}

fn push_plain(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Strikethrough(c) => {
                push_plain(c, out)
            }
            Inline::Link(link) => push_plain(&link.content, out),
            Inline::Image(image) => out.push_str(&image.alt),
            Inline::LineBreak | Inline::SoftBreak => out.push(' '),
            Inline::FootnoteRef(_) | Inline::Html(_) => {}
        }
    }
}

impl Document {
    /// All the text of the document, for the search index and word counts.
    pub fn plain_text(&self) -> String {
        blocks_plain_text(&self.blocks)
    }

    /// The items of the first ordered list: an exercise's steps.
    pub fn steps(&self) -> Option<&[Vec<Block>]> {
        find_ordered_list(&self.blocks)
    }
}

/// All the text of these blocks (a part of a document, e.g. one step).
pub fn blocks_plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    push_blocks_plain(blocks, &mut out);
    out.truncate(out.trim_end().len());
    let start = out.len() - out.trim_start().len();
    out.drain(..start);
    out
}

fn find_ordered_list(blocks: &[Block]) -> Option<&[Vec<Block>]> {
    blocks.iter().find_map(|b| match b {
        Block::List {
            start: Some(_),
            items,
        } => Some(items.as_slice()),
        _ => None,
    })
}

fn push_blocks_plain(blocks: &[Block], out: &mut String) {
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph(content) => push_plain(content, out),
            Block::List { items, .. } => items.iter().for_each(|item| push_blocks_plain(item, out)),
            Block::Quote(b) | Block::Footnote { content: b, .. } => push_blocks_plain(b, out),
            Block::Code { text, .. } => out.push_str(text),
            Block::Table { head, rows, .. } => {
                for cell in head.iter().chain(rows.iter().flatten()) {
                    push_plain(cell, out);
                    out.push(' ');
                }
            }
            Block::Rule | Block::Html(_) => {}
        }
        out.push(' ');
    }
}

/// Link schemes that may appear in a page; anything else (`javascript:`,
/// `data:`, `vbscript:` ...) is dropped and its text kept.
pub fn is_safe_url(url: &str) -> bool {
    // Read as a browser does, without whitespace and control characters;
    // the scheme is what comes before the first colon, in any case.
    let mut scheme = String::new();
    for c in url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
    {
        match c {
            ':' => return matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel"),
            // A colon after a path separator is part of a relative path, not a scheme.
            '/' | '?' | '#' => return true,
            // (Seven letters are more than any allowed scheme has.)
            _ if scheme.len() < 7 => scheme.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    true
}

/// Renders a document as HTML. `rewrite` maps link and image targets
/// (internal links) before they are written.
pub fn to_html(document: &Document, rewrite: &dyn Fn(&str) -> String) -> String {
    let html = render_html(document, rewrite);
    // Raw HTML is only in the document when the site allows it; even then it
    // goes through a sanitiser, so content can never add scripts or handlers.
    if has_raw_html(&document.blocks) {
        sanitize(&html)
    } else {
        html
    }
}

/// Cleans HTML with ammonia: the tags of ordinary text, no scripts, no
/// event handlers, no styles but table alignment, and only the link schemes
/// of [`is_safe_url`].
pub fn sanitize(html: &str) -> String {
    use std::collections::HashSet;
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .add_generic_attributes(["id", "title"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("section", ["class", "aria-label"])
        .add_tag_attributes("a", ["aria-label"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .add_tags(["section"])
        .attribute_filter(|_, attribute, value| {
            if attribute == "style" {
                let allowed = ["text-align:left", "text-align:center", "text-align:right"];
                return allowed.contains(&value).then(|| value.into());
            }
            Some(value.into())
        })
        .clean(html)
        .to_string()
}

fn has_raw_html(blocks: &[Block]) -> bool {
    fn inline_raw(inlines: &[Inline]) -> bool {
        inlines.iter().any(|i| match i {
            Inline::Html(_) => true,
            Inline::Strong(c) | Inline::Emphasis(c) | Inline::Strikethrough(c) => inline_raw(c),
            Inline::Link(link) => inline_raw(&link.content),
            _ => false,
        })
    }
    blocks.iter().any(|b| match b {
        Block::Html(_) => true,
        Block::Heading { content, .. } | Block::Paragraph(content) => inline_raw(content),
        Block::List { items, .. } => items.iter().any(|item| has_raw_html(item)),
        Block::Quote(blocks)
        | Block::Footnote {
            content: blocks, ..
        } => has_raw_html(blocks),
        Block::Table { head, rows, .. } => head
            .iter()
            .chain(rows.iter().flatten())
            .any(|c| inline_raw(c)),
        Block::Code { .. } | Block::Rule => false,
    })
}

fn render_html(document: &Document, rewrite: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(1024);
    let mut footnotes = Vec::new();
    for block in document.blocks.iter() {
        if let Block::Footnote { .. } = block {
            footnotes.push(block);
        } else {
            write_block(block, rewrite, &mut out);
        }
    }
    if !footnotes.is_empty() {
        out.push_str("<section class=\"footnotes\" aria-label=\"Notes\"><ol>\n");
        for block in footnotes {
            if let Block::Footnote {
                number, content, ..
            } = block
            {
                let _ = write!(out, "<li id=\"fn-{number}\">");
                for b in content {
                    write_block(b, rewrite, &mut out);
                }
                let _ = writeln!(
                    out,
                    " <a href=\"#fnref-{number}\" aria-label=\"Back to the text\">↩</a></li>"
                );
            }
        }
        out.push_str("</ol></section>\n");
    }
    out
}

/// Renders inlines as HTML (for short texts such as notes).
pub fn inlines_to_html(inlines: &[Inline], rewrite: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    write_inlines(inlines, rewrite, &mut out);
    out
}

fn write_block(block: &Block, rewrite: &dyn Fn(&str) -> String, out: &mut String) {
    match block {
        Block::Heading { level, id, content } => {
            let _ = write!(out, "<h{level} id=\"{}\">", escape(id));
            write_inlines(content, rewrite, out);
            let _ = writeln!(out, "</h{level}>");
        }
        Block::Paragraph(content) => {
            out.push_str("<p>");
            write_inlines(content, rewrite, out);
            out.push_str("</p>\n");
        }
        Block::List { start, items } => {
            match start {
                Some(1) => out.push_str("<ol>\n"),
                Some(n) => {
                    let _ = writeln!(out, "<ol start=\"{n}\">");
                }
                None => out.push_str("<ul>\n"),
            }
            for item in items {
                out.push_str("<li>");
                // A tight item is a single paragraph: no <p> inside the <li>.
                if let [Block::Paragraph(content)] = item.as_slice() {
                    write_inlines(content, rewrite, out);
                } else {
                    for b in item {
                        write_block(b, rewrite, out);
                    }
                }
                out.push_str("</li>\n");
            }
            out.push_str(if start.is_some() {
                "</ol>\n"
            } else {
                "</ul>\n"
            });
        }
        Block::Quote(blocks) => {
            out.push_str("<blockquote>\n");
            for b in blocks {
                write_block(b, rewrite, out);
            }
            out.push_str("</blockquote>\n");
        }
        Block::Code { language, text } => {
            match language {
                Some(lang) => {
                    let _ = write!(out, "<pre><code class=\"language-{}\">", escape(lang));
                }
                None => out.push_str("<pre><code>"),
            }
            escape_into(out, text);
            out.push_str("</code></pre>\n");
        }
        Block::Table {
            alignments,
            head,
            rows,
        } => {
            out.push_str("<table>\n<thead><tr>");
            for (i, cell) in head.iter().enumerate() {
                write_cell("th", alignments.get(i), cell, rewrite, out);
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for row in rows {
                out.push_str("<tr>");
                for (i, cell) in row.iter().enumerate() {
                    write_cell("td", alignments.get(i), cell, rewrite, out);
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
        }
        Block::Rule => out.push_str("<hr>\n"),
        Block::Html(html) => out.push_str(html),
        Block::Footnote { .. } => {}
    }
}

fn write_cell(
    tag: &str,
    align: Option<&Align>,
    content: &[Inline],
    rewrite: &dyn Fn(&str) -> String,
    out: &mut String,
) {
    let style = match align {
        Some(Align::Left) => " style=\"text-align:left\"",
        Some(Align::Center) => " style=\"text-align:center\"",
        Some(Align::Right) => " style=\"text-align:right\"",
        _ => "",
    };
    let _ = write!(out, "<{tag}{style}>");
    write_inlines(content, rewrite, out);
    let _ = write!(out, "</{tag}>");
}

fn write_inlines(inlines: &[Inline], rewrite: &dyn Fn(&str) -> String, out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => escape_into(out, t),
            Inline::Strong(c) => wrap("strong", c, rewrite, out),
            Inline::Emphasis(c) => wrap("em", c, rewrite, out),
            Inline::Strikethrough(c) => wrap("del", c, rewrite, out),
            Inline::Code(c) => {
                let _ = write!(out, "<code>{}</code>", escape(c));
            }
            Inline::Link(link) => {
                let Link {
                    href,
                    title,
                    content,
                    ..
                } = &**link;
                if is_safe_url(href) {
                    let _ = write!(out, "<a href=\"{}\"", escape(&rewrite(href)));
                    if !title.is_empty() {
                        let _ = write!(out, " title=\"{}\"", escape(title));
                    }
                    out.push('>');
                    write_inlines(content, rewrite, out);
                    out.push_str("</a>");
                } else {
                    write_inlines(content, rewrite, out);
                }
            }
            Inline::Image(image) => {
                let Image { src, alt, title } = &**image;
                if is_safe_url(src) {
                    let _ = write!(
                        out,
                        "<img src=\"{}\" alt=\"{}\"",
                        escape(&rewrite(src)),
                        escape(alt)
                    );
                    if !title.is_empty() {
                        let _ = write!(out, " title=\"{}\"", escape(title));
                    }
                    out.push('>');
                }
            }
            Inline::LineBreak => out.push_str("<br>\n"),
            Inline::SoftBreak => out.push('\n'),
            Inline::FootnoteRef(note) => {
                let NoteRef {
                    number, occurrence, ..
                } = &**note;
                // The note's way back leads to the first reference.
                let id = match occurrence {
                    1 => format!("fnref-{number}"),
                    n => format!("fnref-{number}-{n}"),
                };
                let _ = write!(
                    out,
                    "<sup id=\"{id}\"><a href=\"#fn-{number}\" aria-label=\"Note {number}\">{number}</a></sup>"
                );
            }
            Inline::Html(html) => out.push_str(html),
        }
    }
}

fn wrap(tag: &str, content: &[Inline], rewrite: &dyn Fn(&str) -> String, out: &mut String) {
    let _ = write!(out, "<{tag}>");
    write_inlines(content, rewrite, out);
    let _ = write!(out, "</{tag}>");
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Adds `text` to `out` with `&`, `<`, `>`, `"` and `'` escaped (as
/// `&amp;`, `&lt;`, `&gt;`, `&quot;` and `&#39;`). Every page's text goes
/// through here: pulldown-cmark's escaper looks for the five 16 bytes at a
/// time.
pub fn escape_into(out: &mut String, text: &str) {
    // (Writing into a String cannot fail.)
    let _ = pulldown_cmark_escape::escape_html(out, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_is_no_larger_than_a_text() {
        // A site of 10,000 exercises holds millions of inlines: links,
        // pictures and note references are boxed so that each is small.
        assert!(
            std::mem::size_of::<Inline>() <= 32,
            "{}",
            std::mem::size_of::<Inline>()
        );
    }

    fn html(src: &str, allow_html: bool) -> String {
        to_html(&parse(src, MarkdownOptions { allow_html }), &|s| {
            s.to_string()
        })
    }

    #[test]
    fn renders_steps_as_ordered_list() {
        let out = html("## Steps\n\n1. Kneel.\n2. Breathe **in**.\n", false);
        assert!(out.contains("<h2 id=\"steps\">Steps</h2>"), "{out}");
        assert!(
            out.contains("<ol>\n<li>Kneel.</li>\n<li>Breathe <strong>in</strong>.</li>\n</ol>"),
            "{out}"
        );
    }

    #[test]
    fn escapes_the_five_html_characters_and_keeps_the_rest() {
        assert_eq!(
            escape("Ça <b> & \"don't\" → é"),
            "Ça &lt;b&gt; &amp; &quot;don&#39;t&quot; → é"
        );
        assert_eq!(escape(""), "");
        assert_eq!(escape("&"), "&amp;");
        let mut page = String::from("<p>");
        escape_into(&mut page, "a<b");
        assert_eq!(page, "<p>a&lt;b");
    }

    proptest::proptest! {
        /// Long texts too: the escaper looks at 16 bytes at a time, and a
        /// special character may stand anywhere in or across such a block.
        #[test]
        fn escaping_long_texts_is_escaping_each_character(text in "[a-z <>&\"'é→]{0,80}") {
            let one_by_one: String = text
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    '\'' => "&#39;".to_string(),
                    c => c.to_string(),
                })
                .collect();
            proptest::prop_assert_eq!(escape(&text), one_by_one);
        }
    }

    #[test]
    fn escapes_raw_html_unless_allowed() {
        let out = html(
            "Hi <script>alert(1)</script>\n\n<div onclick=\"x\">a</div>\n",
            false,
        );
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(!out.contains("<div"), "{out}");
        assert!(html("<b>ok</b>\n", true).contains("<b>ok</b>"));
    }

    #[test]
    fn allowed_html_is_sanitised() {
        let hostile = [
            "<script>alert(1)</script>",
            "<SCRIPT>alert(1)</SCRIPT>",
            "<img src=x onerror=alert(1)>",
            "<img src=x OnErRoR=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<a href=\"java\tscript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)></svg>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<b onclick=\"alert(1)\">bold</b>",
        ];
        for input in hostile {
            let out = html(&format!("Text {input} more\n\n{input}\n"), true).to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onclick",
                "javascript:",
                "<iframe",
                "style=\"background",
            ] {
                assert!(!out.contains(bad), "{input} -> {out}");
            }
        }
        let kept = html(
            "Some <b>bold</b> and <abbr title=\"range of motion\">ROM</abbr>.\n",
            true,
        );
        assert!(
            kept.contains("<b>bold</b>")
                && kept.contains("<abbr title=\"range of motion\">ROM</abbr>"),
            "{kept}"
        );
    }

    /// `is_safe_url` as first written: the cleaned address copied and
    /// lowered whole.
    fn is_safe_url_copying(url: &str) -> bool {
        let cleaned: String = url
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        let lower = cleaned.to_ascii_lowercase();
        match lower.find(':') {
            None => true,
            Some(colon) => {
                let scheme = &lower[..colon];
                scheme.contains(['/', '?', '#'])
                    || matches!(scheme, "http" | "https" | "mailto" | "tel")
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn safe_urls_are_those_the_copying_check_allows(
            url in "(https?|HtTpS|mailto|tel|javascript|data|java\tscript|x)?[:/?#a-z \t\u{0}\u{e9}]{0,12}"
        ) {
            proptest::prop_assert_eq!(is_safe_url(&url), is_safe_url_copying(&url), "{:?}", url);
        }
    }

    #[test]
    fn drops_javascript_links_in_any_spelling() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,x",
        ] {
            let out = html(&format!("[click](<{href}>)\n"), false);
            assert!(!out.contains("<a"), "{href}: {out}");
            assert!(out.contains("click"), "{out}");
        }
        assert!(
            html("[ok](https://example.org)\n", false).contains("<a href=\"https://example.org\">")
        );
        assert!(html("[ok](../cat-cow/)\n", false).contains("<a href=\"../cat-cow/\">"));
    }

    #[test]
    fn deep_nesting_is_flattened_not_a_crash() {
        let deep = format!("{} deep\n", "> ".repeat(10_000));
        let out = html(&deep, false);
        assert!(out.contains("deep"));
        assert!(out.matches("<blockquote>").count() <= MAX_NESTING);
        let lists = format!(
            "{}x\n",
            (0..400)
                .map(|i| format!("{}- ", "  ".repeat(i)))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let _ = parse(&lists, MarkdownOptions::default()).plain_text();
    }

    #[test]
    fn slugs_spell_accented_letters_in_ascii() {
        assert_eq!(slugify("Übungen für Schultern"), "ubungen-fur-schultern");
        assert_eq!(slugify("étirement-du-cou"), "etirement-du-cou");
        assert_eq!(slugify("Ångström øvelse"), "angstrom-ovelse");
        assert_eq!(slugify("Straße, Æble, Łódź"), "strasse-aeble-lodz");
        // macOS file names come decomposed: the accent follows its letter.
        assert_eq!(slugify("U\u{308}bungen fu\u{308}r"), "ubungen-fur");
        // Symbols still only separate words; nothing is spelled out.
        assert_eq!(slugify("Don’t — 💪 stretch ½"), "don-t-stretch-1-2");
        assert_eq!(slugify("😀"), "");
    }

    #[test]
    fn headings_in_other_languages_get_readable_ids() {
        let out = html("## Übungen für zu Hause\n\n## Étirements\n", false);
        assert!(out.contains("<h2 id=\"ubungen-fur-zu-hause\">"), "{out}");
        assert!(out.contains("<h2 id=\"etirements\">"), "{out}");
    }

    #[test]
    fn ascii_headings_keep_their_ids() {
        for (text, id) in [
            ("Steps", "steps"),
            ("Make it easier", "make-it-easier"),
            ("Don't: 3 sets (x 10)!", "don-t-3-sets-x-10"),
            ("--Tips--", "tips"),
            ("", ""),
        ] {
            assert_eq!(slugify(text), id);
        }
    }

    #[test]
    fn gives_headings_unique_ids() {
        let out = html("## Tips\n\n## Tips\n\n## Own {#mine}\n", false);
        assert!(out.contains("id=\"tips\""));
        assert!(out.contains("id=\"tips-1\""));
        assert!(out.contains("id=\"mine\""));
        assert!(
            html("## Main\n", false).contains("id=\"main-section\""),
            "no clash with <main id=main>"
        );
    }

    #[test]
    fn finds_steps_and_plain_text() {
        let doc = parse(
            "Intro *here*.\n\n- tip\n\n1. one\n2. two\n",
            MarkdownOptions::default(),
        );
        assert_eq!(doc.steps().map(|s| s.len()), Some(2));
        assert!(doc.plain_text().contains("Intro here."));
    }

    #[test]
    fn smart_punctuation_and_tables_and_footnotes() {
        let out = html(
            "It's \"fine\"[^1].\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n[^1]: A note.\n",
            false,
        );
        assert!(out.contains("It’s “fine”"), "{out}");
        assert!(
            out.contains("<td style=\"text-align:right\">2</td>"),
            "{out}"
        );
        assert!(out.contains("id=\"fn-1\""), "{out}");
    }

    #[test]
    fn a_footnote_referenced_twice_gives_each_reference_its_own_id() {
        let out = html(
            "Hold[^h] and breathe; hold[^h] again.\n\n[^h]: Five seconds.\n",
            false,
        );
        assert_eq!(out.matches("id=\"fnref-1\"").count(), 1, "{out}");
        assert_eq!(out.matches("id=\"fnref-1-2\"").count(), 1, "{out}");
        assert_eq!(out.matches("href=\"#fn-1\"").count(), 2, "{out}");
    }
}
