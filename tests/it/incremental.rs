//! `serve`'s incremental rebuilds: after every kind of edit, the site in
//! memory equals what a clean build writes, and an edit renders only the
//! pages that show what changed.

use std::fs;
use std::path::Path;

use movepress::BuildOptions;
use movepress::diagnostics::Diagnostic;
use movepress::incremental::{Rebuilt, Session};

use crate::support::{WALL_ANGEL, example_site};

/// Applies `edit` to the site, tells the session which files it touched,
/// rebuilds, and checks the result against a clean build of the same files.
fn step(site: &Path, session: &mut Session, touched: &[&str], edit: impl FnOnce(&Path)) -> Rebuilt {
    edit(site);
    for path in touched {
        session.changed(Path::new(path));
    }
    let rebuilt = session
        .rebuild()
        .unwrap_or_else(|e| panic!("rebuild after editing {touched:?} failed: {e:?}"));
    let after = format!("after editing {touched:?}");
    assert_files_as_clean(site, session, &BuildOptions::default(), &after);
    rebuilt
}

/// Asserts that the session's site holds the files a clean build of `site`
/// writes, byte for byte. `after` says what was done, for the message.
fn assert_files_as_clean(site: &Path, session: &Session, options: &BuildOptions, after: &str) {
    let incremental = session.current().expect("a build").artifacts();
    let (clean, _) = movepress::render_site(site, options).expect("clean build");
    let paths =
        |a: &[movepress::render::Artifact]| a.iter().map(|a| a.path.clone()).collect::<Vec<_>>();
    assert_eq!(
        paths(&incremental),
        paths(&clean),
        "{after}: the same files"
    );
    for (inc, clean) in incremental.iter().zip(&clean) {
        assert!(
            inc.bytes == clean.bytes,
            "{after}: `{}` differs from a clean build",
            inc.path
        );
    }
}

/// Asserts that `rebuilt`, the session's last rebuild, gave what a clean
/// check and build of the same files give: the same errors, or the same
/// warnings and files.
fn assert_as_clean(
    site: &Path,
    session: &Session,
    rebuilt: Result<Rebuilt, Vec<Diagnostic>>,
    options: &BuildOptions,
    after: &str,
) {
    match (movepress::check(site, options), rebuilt) {
        (Err(clean), Err(rebuilt)) => assert_eq!(listed(&rebuilt), listed(&clean), "{after}"),
        (Ok(clean), Ok(rebuilt)) => {
            assert_eq!(
                listed(&rebuilt.warnings),
                listed(&clean.warnings),
                "{after}"
            );
            assert_files_as_clean(site, session, options, after);
        }
        (clean, rebuilt) => panic!(
            "a clean check: {:?}; serve: {:?}; {after}",
            clean.map(|_| ()).map_err(|e| listed(&e)),
            rebuilt.map(|_| ()).map_err(|e| listed(&e)),
        ),
    }
}

/// Problems as the terminal lists them, in order.
fn listed(problems: &[Diagnostic]) -> Vec<String> {
    let mut listed: Vec<String> = problems
        .iter()
        .map(|d| {
            let at = format!("{}:{}:{}", d.file.display(), d.line, d.column);
            format!("{:?} {at} {} ({:?})", d.severity, d.message, d.hint)
        })
        .collect();
    listed.sort();
    listed
}

/// Asserts that the rebuild rendered each of `again` and none of `not`.
fn assert_rendered(rebuilt: &Rebuilt, again: &[&str], not: &[&str]) {
    for page in again {
        assert!(
            rebuilt.rendered.iter().any(|p| p == page),
            "{page} not rendered again: {:?}",
            rebuilt.rendered
        );
    }
    for page in not {
        assert!(
            !rebuilt.rendered.iter().any(|p| p == page),
            "{page} rendered for nothing: {:?}",
            rebuilt.rendered
        );
    }
}

fn replace(site: &Path, file: &str, from: &str, to: &str) {
    let path = site.join(file);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no `{from}`");
    fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn incremental_output_equals_a_clean_build_after_every_kind_of_edit() {
    let dir = example_site();
    let site = dir.path();
    let mut session = Session::new(site, BuildOptions::default());
    let first = session.rebuild().expect("first build");
    assert!(first.everything);

    // A change to one exercise's text: its page, the programs with it, the
    // listings and its term pages; not an unrelated exercise.
    let body = step(site, &mut session, &["content/exercises/cat-cow.md"], |s| {
        replace(
            s,
            "content/exercises/cat-cow.md",
            "This gentle warm-up",
            "This very gentle warm-up",
        )
    });
    assert!(!body.everything);
    // The text is not on cards: listings and term pages stay.
    assert_rendered(
        &body,
        &[
            "exercises/cat-cow/index.html",
            "programs/gentle-stretching/index.html",
        ],
        &[
            "exercises/locust-pose/index.html",
            "programs/desk-worker-reset/index.html",
            "about/index.html",
            "exercises/index.html",
            "position/quadruped/index.html",
        ],
    );
    assert!(
        body.rendered.len() < first.rendered.len() / 2,
        "{} of {} pages",
        body.rendered.len(),
        first.rendered.len()
    );

    // The dosage, which the programs with the exercise print with their
    // own changes (their pages and handouts): the full routine changes only
    // the reps, so it shows the new sets.
    let dosage = step(site, &mut session, &["content/exercises/cat-cow.md"], |s| {
        replace(s, "content/exercises/cat-cow.md", "  sets: 1", "  sets: 2")
    });
    assert_rendered(
        &dosage,
        &[
            "exercises/cat-cow/index.html",
            "programs/full-upper-back-routine/index.html",
        ],
        &["programs/desk-worker-reset/index.html"],
    );

    // A new term: its term page appears and counts change on pages showing it.
    step(site, &mut session, &["content/exercises/cat-cow.md"], |s| {
        replace(
            s,
            "content/exercises/cat-cow.md",
            "equipment: [mat]",
            "equipment: [mat, towel]",
        )
    });
    // The title, as cards on other pages show it: the listings, its term
    // pages and the exercises that list it as related.
    let title = step(site, &mut session, &["content/exercises/cat-cow.md"], |s| {
        replace(
            s,
            "content/exercises/cat-cow.md",
            "title: Cat-Cow",
            "title: Cat and cow",
        )
    });
    assert_rendered(
        &title,
        &[
            "exercises/index.html",
            "position/quadruped/index.html",
            "exercises/bear-rolls/index.html",
        ],
        &["exercises/locust-pose/index.html"],
    );
    // A program: another exercise added.
    step(
        site,
        &mut session,
        &["content/programs/gentle-stretching.yaml"],
        |s| {
            replace(
                s,
                "content/programs/gentle-stretching.yaml",
                "  - exercise: sphinx-pose",
                "  - exercise: locust-pose\n  - exercise: sphinx-pose",
            )
        },
    );
    // A new exercise: its page and the listings, not every page.
    let added = step(
        site,
        &mut session,
        &["content/exercises/wall-angel.md"],
        |s| fs::write(s.join("content/exercises/wall-angel.md"), WALL_ANGEL).expect("write"),
    );
    assert_rendered(
        &added,
        &["exercises/wall-angel/index.html"],
        &["exercises/bird-dog/index.html"],
    );
    // Renamed.
    step(
        site,
        &mut session,
        &[
            "content/exercises/wall-angel.md",
            "content/exercises/wall-slide.md",
        ],
        |s| {
            fs::rename(
                s.join("content/exercises/wall-angel.md"),
                s.join("content/exercises/wall-slide.md"),
            )
            .expect("rename")
        },
    );
    // Deleted.
    step(
        site,
        &mut session,
        &["content/exercises/wall-slide.md"],
        |s| fs::remove_file(s.join("content/exercises/wall-slide.md")).expect("remove"),
    );
    // A program moves to a new address: the pages whose text links to it
    // follow, the others stay.
    let moved = step(
        site,
        &mut session,
        &["content/programs/daily-upper-back-mobility.yaml"],
        |s| {
            let path = s.join("content/programs/daily-upper-back-mobility.yaml");
            let text = fs::read_to_string(&path).expect("read");
            fs::write(&path, format!("slug: daily-upper-back\n{text}")).expect("write");
        },
    );
    assert_rendered(
        &moved,
        &[
            "programs/daily-upper-back/index.html",
            "programs/full-upper-back-routine/index.html",
            "about/index.html",
        ],
        &["exercises/bird-dog/index.html"],
    );
    // A template: the pages made with it, and only those.
    let home = step(site, &mut session, &["templates/index.html"], |s| {
        replace(
            s,
            "templates/index.html",
            "{% endblock main %}",
            "<p>Open Monday to Friday.</p>{% endblock main %}",
        )
    });
    assert_eq!(home.rendered, ["index.html"]);
    // The site's own copy of the theme's term page.
    let theme =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("themes/clinic/templates");
    let terms = step(site, &mut session, &["templates/term.html"], |s| {
        let text = fs::read_to_string(theme.join("term.html")).expect("theme's term.html");
        let text = text.replace(
            "<h2 class=\"visually-hidden\">Exercises</h2>",
            "<h2 class=\"visually-hidden\">Exercises to try</h2>",
        );
        fs::write(s.join("templates/term.html"), text).expect("write");
    });
    let term_pages = session
        .current()
        .expect("a build")
        .artifacts()
        .into_iter()
        .filter(|a| {
            let parts: Vec<&str> = a.path.split('/').collect();
            parts.len() == 3
                && ["regions", "focus", "position", "equipment", "difficulty"].contains(&parts[0])
                && parts[2] == "index.html"
        })
        .count();
    assert!(term_pages > 10, "the example site has term pages");
    assert_eq!(
        terms.rendered.len(),
        term_pages,
        "every term page and nothing else: {:?}",
        terms.rendered
    );
    assert!(
        terms
            .rendered
            .iter()
            .all(|p| p.split('/').count() == 3 && !p.starts_with("exercises/")),
        "{:?}",
        terms.rendered
    );
    // The card partial: every page given cards (the home page, the library,
    // the term pages, the exercise pages with their related exercises),
    // though no template includes it; not a program page.
    let cards = step(
        site,
        &mut session,
        &["templates/partials/exercise-card.html"],
        |s| {
            let text = fs::read_to_string(theme.join("partials/exercise-card.html")).expect("card");
            fs::create_dir_all(s.join("templates/partials")).expect("mkdir");
            fs::write(
                s.join("templates/partials/exercise-card.html"),
                text.replace(
                    "<div class=\"card-body\">",
                    "<div class=\"card-body reviewed\">",
                ),
            )
            .expect("write");
        },
    );
    let exercise_pages = cards
        .rendered
        .iter()
        .filter(|p| p.starts_with("exercises/") && p.matches('/').count() == 2)
        .count();
    assert_eq!(
        cards.rendered.len(),
        2 + term_pages + exercise_pages,
        "{:?}",
        cards.rendered
    );
    assert!(exercise_pages > 10, "{:?}", cards.rendered);
    assert_rendered(
        &cards,
        &[
            "index.html",
            "exercises/index.html",
            "exercises/cat-cow/index.html",
        ],
        &["programs/daily-upper-back/index.html", "about/index.html"],
    );
    let library = session
        .current()
        .expect("a build")
        .artifacts()
        .into_iter()
        .find(|a| a.path == "exercises/index.html")
        .expect("the library");
    assert!(
        String::from_utf8_lossy(&library.bytes).contains("card-body reviewed"),
        "the library shows the site's card"
    );
    // A partial every page includes (through base.html): every page.
    let footer = step(
        site,
        &mut session,
        &["templates/partials/footer.html"],
        |s| {
            let text = fs::read_to_string(theme.join("partials/footer.html")).expect("footer");
            fs::create_dir_all(s.join("templates/partials")).expect("mkdir");
            fs::write(
                s.join("templates/partials/footer.html"),
                format!("{text}<!-- reviewed -->\n"),
            )
            .expect("write");
        },
    );
    assert_eq!(footer.rendered.len(), footer.pages, "every page");
    // site.yaml.
    step(site, &mut session, &["site.yaml"], |s| {
        let text = fs::read_to_string(s.join("site.yaml")).expect("read");
        let title = text
            .lines()
            .find(|l| l.starts_with("title:"))
            .expect("a title")
            .to_string();
        fs::write(
            s.join("site.yaml"),
            text.replacen(&title, "title: Harbour Physio", 1),
        )
        .expect("write")
    });
    // A free page.
    step(site, &mut session, &["content/pages/about.md"], |s| {
        let text = fs::read_to_string(s.join("content/pages/about.md")).expect("read");
        fs::write(
            s.join("content/pages/about.md"),
            format!("{text}\nWe are on the second floor.\n"),
        )
        .expect("write")
    });
    // A picture in static/.
    step(site, &mut session, &["static/images/cat-cow.svg"], |s| {
        let path = s.join("static/images/cat-cow.svg");
        let text = fs::read_to_string(&path).expect("read");
        fs::write(&path, text.replacen("</svg>", "<!-- redrawn --></svg>", 1)).expect("write")
    });
}

#[test]
fn an_error_keeps_the_last_good_build_and_fixing_it_recovers() {
    let dir = example_site();
    let site = dir.path();
    let mut session = Session::new(site, BuildOptions::default());
    session.rebuild().expect("first build");
    let before = session.current().expect("a build").artifacts();

    replace(
        site,
        "content/exercises/cat-cow.md",
        "  reps: 10",
        "  reps: ten",
    );
    session.changed(Path::new("content/exercises/cat-cow.md"));
    let errors = session.rebuild().expect_err("a bad number fails");
    assert!(
        errors
            .iter()
            .any(|e| e.file == Path::new("content/exercises/cat-cow.md")),
        "{errors:?}"
    );
    assert!(
        session.current().expect("still a build").artifacts() == before,
        "the last good build stays"
    );

    step(site, &mut session, &["content/exercises/cat-cow.md"], |s| {
        replace(
            s,
            "content/exercises/cat-cow.md",
            "  reps: ten",
            "  reps: 12",
        )
    });
}

/// One exercise edited at a time in ways the other files see (what it
/// relates to, its pictures, its links, its slug, whether it is a draft):
/// after each, `serve` reports the same errors as a clean check of the same
/// files, or builds the same site.
#[test]
fn an_edit_the_other_files_see_is_checked_against_them_as_in_a_clean_build() {
    let dir = example_site();
    let site = dir.path();
    let mut session = Session::new(site, BuildOptions::default());
    session.rebuild().expect("first build");
    let file = "content/exercises/cat-cow.md";
    let edits: [(&str, &str); 7] = [
        ("bear-rolls]", "bear-rolls, no-such-exercise]"),
        ("src: images/cat-cow.svg", "src: images/no-such-picture.svg"),
        (
            "This gentle warm-up",
            "This [gentle](@/exercises/no-such-file.md) warm-up",
        ),
        ("title: Cat-Cow", "title: Cat-Cow\nslug: locust-pose"),
        ("src: images/cat-cow.svg", "src: images/sphinx-pose.svg"),
        ("title: Cat-Cow", "title: Cat-Cow\ndraft: true"),
        ("bear-rolls]", "bear-rolls, locust-pose]"),
    ];
    for (from, to) in edits {
        let original = fs::read_to_string(site.join(file)).expect("read");
        replace(site, file, from, to);
        session.changed(Path::new(file));
        let rebuilt = session.rebuild();
        assert_as_clean(
            site,
            &session,
            rebuilt,
            &BuildOptions::default(),
            &format!("after `{to}`"),
        );
        fs::write(site.join(file), original).expect("restore");
        session.changed(Path::new(file));
        session.rebuild().expect("restored");
    }
}

/// What a random edit sequence has done to one of the edited exercises.
#[derive(Clone, Default)]
struct Edited {
    draft: bool,
    /// 1: a value the file is read without (a `video:` that is not https),
    /// 2: front matter that does not parse.
    broken: u8,
    paragraphs: u32,
    related: Option<&'static str>,
    picture: Option<&'static str>,
    link: Option<&'static str>,
    reps: Option<u32>,
    slug: Option<&'static str>,
    removed: bool,
}

impl Edited {
    /// Whether the site has an error because of this exercise.
    fn is_wrong(&self, drafts: bool) -> bool {
        self.broken != 0
            || self.related == Some("no-such-exercise")
            || self.picture == Some("no-such-picture.svg")
            || self.link == Some("exercises/no-such-file.md")
            || self.slug == Some("down-dog")
            || self.removed
            || (self.draft && !drafts)
    }

    /// The exercise's file text, made from its `original` text.
    fn text(&self, original: &str, slug: &str) -> String {
        let mut text = String::new();
        for line in original.split_inclusive('\n') {
            match self.reps {
                Some(reps) if line.starts_with("  reps: ") => {
                    text.push_str(&format!("  reps: {reps}\n"))
                }
                _ => text.push_str(line),
            }
        }
        if let Some(related) = self.related {
            text = text.replacen("related: [", &format!("related: [{related}, "), 1);
        }
        if let Some(picture) = self.picture {
            let src = format!("src: images/{slug}.svg");
            text = text.replacen(&src, &format!("src: images/{picture}"), 1);
        }
        let mut front = String::new();
        if self.draft {
            front.push_str("draft: true\n");
        }
        if let Some(slug) = self.slug {
            front.push_str(&format!("slug: {slug}\n"));
        }
        match self.broken {
            1 => front.push_str("video: http://example.org/v\n"),
            2 => front.push_str("title: [\n"),
            _ => {}
        }
        text = text.replacen("---\n", &format!("---\n{front}"), 1);
        for i in 0..self.paragraphs {
            text.push_str(&format!("\nAnother paragraph {i}.\n"));
        }
        if let Some(link) = self.link {
            text.push_str(&format!("\nSee [this](@/{link}).\n"));
        }
        text
    }
}

/// A small, fixed sequence of pseudo-random numbers (xorshift).
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

/// `serve` through `steps` random edits of five exercises, three programs,
/// site.yaml, a stray file and a picture (in the ways the other files see
/// and the ways they do not, with errors made and mended): after each
/// rebuild, the same errors and warnings as a clean check, or the same files
/// as a clean build.
fn random_edits(seed: u64, drafts: bool, steps: usize) {
    const EXERCISES: [&str; 5] = [
        "cat-cow",
        "bear-rolls",
        "sphinx-pose",
        "locust-pose",
        "childs-pose-rotation",
    ];
    const PROGRAMS: [&str; 3] = [
        "daily-upper-back-mobility",
        "full-upper-back-routine",
        "gentle-stretching",
    ];
    let dir = example_site();
    let site = dir.path();
    let options = BuildOptions {
        drafts,
        // As serve builds.
        base_url: Some("http://127.0.0.1:1111/".into()),
        ..BuildOptions::default()
    };
    let read = |file: String| fs::read_to_string(site.join(file)).expect("read");
    let originals: Vec<String> = (EXERCISES.iter())
        .map(|slug| read(format!("content/exercises/{slug}.md")))
        .collect();
    let program_originals: Vec<String> = (PROGRAMS.iter())
        .map(|slug| read(format!("content/programs/{slug}.yaml")))
        .collect();
    let settings = read("site.yaml".into());
    let mut exercises = vec![Edited::default(); EXERCISES.len()];
    let mut programs = vec![(false, 0); PROGRAMS.len()];
    let (mut allow_html, mut stray, mut wide) = (false, false, false);
    let mut session = Session::new(site, options.clone());
    session.rebuild().expect("first build");
    let mut dice = Dice(seed);
    let mut done: Vec<String> = Vec::new();
    for _ in 0..steps {
        let mut touched: Vec<String> = Vec::new();
        let write = |file: String, text: String, touched: &mut Vec<String>| {
            fs::write(site.join(&file), text).expect("write");
            touched.push(file);
        };
        // Half the mistakes are mended at once, the others stay a while.
        for (i, edited) in exercises.iter_mut().enumerate() {
            if edited.is_wrong(drafts) && dice.below(2) == 0 {
                *edited = Edited {
                    paragraphs: edited.paragraphs,
                    reps: edited.reps,
                    ..Edited::default()
                };
                let file = format!("content/exercises/{}.md", EXERCISES[i]);
                write(file, edited.text(&originals[i], EXERCISES[i]), &mut touched);
                done.push(format!("mended {}", EXERCISES[i]));
            }
        }
        for _ in 0..1 + usize::from(dice.below(4) == 0) {
            let i = dice.below(EXERCISES.len());
            let (slug, edited) = (EXERCISES[i], &mut exercises[i]);
            // Text and dosage edits, the usual ones, come most often.
            let edit = match dice.below(24) {
                16.. => dice.pick(&[0, 8]),
                edit => edit,
            };
            match edit {
                0..=2 => edited.paragraphs += 1,
                3 => edited.draft = !edited.draft,
                4 => edited.broken = dice.below(3) as u8,
                5 => {
                    let related = [None, Some("down-dog"), Some(slug), Some("no-such-exercise")];
                    edited.related = dice.pick(&related);
                }
                6 => {
                    let pictures = [None, Some("down-dog.svg"), Some("no-such-picture.svg")];
                    edited.picture = dice.pick(&pictures);
                }
                7 => {
                    edited.link = dice.pick(&[
                        None,
                        Some("exercises/down-dog.md"),
                        Some("exercises/no-such-file.md"),
                        Some("programs/gentle-stretching.yaml"),
                    ])
                }
                8 | 9 => edited.reps = Some(dice.below(5) as u32 + 1),
                10 => edited.slug = dice.pick(&[None, Some("renamed"), Some("down-dog")]),
                11 => edited.removed = !edited.removed,
                12 => {
                    let p = dice.below(PROGRAMS.len());
                    let (draft, summary) = &mut programs[p];
                    if dice.below(2) == 0 {
                        *draft = !*draft;
                    } else {
                        *summary += 1;
                    }
                    let mut text = program_originals[p].clone();
                    if *draft {
                        text = format!("draft: true\n{text}");
                    }
                    for k in 0..*summary {
                        text = text.replacen("summary: ", &format!("summary: {k} "), 1);
                    }
                    write(
                        format!("content/programs/{}.yaml", PROGRAMS[p]),
                        text,
                        &mut touched,
                    );
                    done.push(format!(
                        "program {} draft {draft} summary {summary}",
                        PROGRAMS[p]
                    ));
                    continue;
                }
                13 => {
                    allow_html = !allow_html;
                    let text =
                        settings.replace("allow_html: false", &format!("allow_html: {allow_html}"));
                    write("site.yaml".into(), text, &mut touched);
                    done.push(format!("allow_html {allow_html}"));
                    continue;
                }
                14 => {
                    // A file that is not content: a warning.
                    stray = !stray;
                    let file = "content/exercises/notes.txt";
                    if stray {
                        write(file.into(), "notes".into(), &mut touched);
                    } else {
                        fs::remove_file(site.join(file)).expect("remove");
                        touched.push(file.into());
                    }
                    done.push(format!("stray file {stray}"));
                    continue;
                }
                _ => {
                    // A picture another size, under the same name.
                    wide = !wide;
                    let file = "static/images/down-dog.svg";
                    let (from, to) = if wide {
                        ("width=\"400\"", "width=\"1400\"")
                    } else {
                        ("width=\"1400\"", "width=\"400\"")
                    };
                    let text = read(file.into()).replacen(from, to, 1);
                    write(file.into(), text, &mut touched);
                    done.push(format!("wide picture {wide}"));
                    continue;
                }
            }
            let file = format!("content/exercises/{slug}.md");
            if edited.removed {
                let _ = fs::remove_file(site.join(&file));
                touched.push(file);
            } else {
                write(file, edited.text(&originals[i], slug), &mut touched);
            }
            done.push(format!("edit {edit} of {slug}"));
        }
        for file in &touched {
            session.changed(Path::new(file));
        }
        let rebuilt = session.rebuild();
        let after = format!("seed {seed}, drafts {drafts}, after {done:?}");
        assert_as_clean(site, &session, rebuilt, &options, &after);
    }
}

#[test]
fn random_edit_sequences_give_what_a_clean_build_gives() {
    for seed in [5, 6, 7936] {
        for drafts in [false, true] {
            random_edits(seed, drafts, 40);
        }
    }
}
