//! What Zola and Hugo users expect: search index, feed, metadata, links that
//! hold under any base path, videos, and a second theme.

use std::path::Path;

use crate::support::*;

#[test]
fn search_index_has_every_exercise_and_program() {
    let site = example_site();
    let out = build_ok(site.path());
    let index: serde_json::Value =
        serde_json::from_str(&read(&out.join("search-index.json"))).expect("JSON");
    let exercises = index["exercises"].as_array().unwrap();
    let sources = std::fs::read_dir(site.path().join("content/exercises"))
        .unwrap()
        .count();
    assert_eq!(exercises.len(), sources);
    let cat = exercises
        .iter()
        .find(|e| e["slug"] == "cat-cow")
        .expect("cat-cow indexed");
    assert_eq!(cat["url"], "exercises/cat-cow/");
    assert!(
        cat["text"].as_str().unwrap().contains("Breathe out"),
        "body text is indexed"
    );
    assert_eq!(cat["terms"]["position"][0], "quadruped");
    assert_eq!(cat["labels"]["regions"][0], "Upper back");
    assert_eq!(index["programs"].as_array().unwrap().len(), 4);
    assert!(
        index["programs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["text"].as_str().unwrap().contains("Cat-Cow"))
    );
}

#[test]
fn feed_and_sitemap_parse_as_xml() {
    let site = example_site();
    let out = build_ok(site.path());
    let feed = read(&out.join("feed.xml"));
    let doc = roxmltree::Document::parse(&feed).expect("feed.xml is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    let entries: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 22, "18 exercises and 4 programs, all dated");
    let dates: Vec<&str> = entries
        .iter()
        .map(|e| {
            e.children()
                .find(|n| n.has_tag_name("updated"))
                .unwrap()
                .text()
                .unwrap()
        })
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    let sitemap = read(&out.join("sitemap.xml"));
    let doc = roxmltree::Document::parse(&sitemap).expect("sitemap.xml is XML");
    let urls = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("url"))
        .count();
    assert_eq!(urls, 63 - 1, "every page but 404.html");
}

#[test]
fn pages_have_canonical_opengraph_and_json_ld() {
    let site = example_site();
    let out = build_ok(site.path());
    let page = read(&out.join("exercises/cat-cow/index.html"));
    let base = "https://exercises.harbourline-clinic.example/";
    assert!(page.contains(&format!(
        r#"<link rel="canonical" href="{base}exercises/cat-cow/">"#
    )));
    assert!(page.contains(&format!(
        r#"<meta property="og:url" content="{base}exercises/cat-cow/">"#
    )));
    assert!(page.contains(&format!(
        r#"<meta property="og:image" content="{base}static/images/cat-cow.svg">"#
    )));
    assert!(page.contains(r#"<meta property="og:type" content="article">"#));
    let json_ld = |html: &str| -> serde_json::Value {
        let start = html
            .find(r#"<script type="application/ld+json">"#)
            .expect("JSON-LD")
            + 35;
        let end = start + html[start..].find("</script>").unwrap();
        serde_json::from_str(&html[start..end]).expect("JSON-LD parses")
    };
    let how_to = json_ld(&page);
    assert_eq!(how_to["@type"], "HowTo");
    assert_eq!(how_to["step"].as_array().unwrap().len(), 5);
    assert_eq!(how_to["dateModified"], "2026-09-04");
    let program = json_ld(&read(
        &out.join("programs/full-upper-back-routine/index.html"),
    ));
    assert_eq!(program["@type"], "ExercisePlan");
    assert_eq!(program["hasPart"].as_array().unwrap().len(), 10);
    assert_eq!(program["activityFrequency"], "three times a week");
}

/// Every local href and src of every page resolves to a file of the output.
fn check_links(out: &Path, base_url: &str) -> usize {
    let mut checked = 0;
    for (path, bytes) in snapshot_tree(out) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        let page_dir = Path::new(&path).parent().unwrap().to_path_buf();
        for attribute in ["href=\"", "src=\""] {
            for (i, _) in html.match_indices(attribute) {
                let value = &html[i + attribute.len()..];
                let target = &value[..value.find('"').unwrap()];
                let target = target.replace("&amp;", "&");
                let local = if let Some(rest) = target.strip_prefix(base_url) {
                    rest.to_string()
                } else if target.contains("://")
                    || target.starts_with("mailto:")
                    || target.starts_with("tel:")
                    || target.starts_with('#')
                {
                    continue;
                } else if let Some(absolute) = target.strip_prefix('/') {
                    let base_path = movepress::render::html::base_path(base_url);
                    absolute
                        .strip_prefix(base_path.trim_start_matches('/'))
                        .unwrap_or_else(|| panic!("{path}: `{target}` is outside the base path"))
                        .to_string()
                } else {
                    let joined = page_dir.join(&target);
                    let mut parts: Vec<String> = Vec::new();
                    for c in joined.components() {
                        match c {
                            std::path::Component::ParentDir => {
                                assert!(
                                    parts.pop().is_some(),
                                    "{path}: `{target}` climbs out of the site"
                                );
                            }
                            std::path::Component::Normal(p) => {
                                parts.push(p.to_string_lossy().into_owned())
                            }
                            _ => {}
                        }
                    }
                    let trailing = if target.ends_with('/') && !parts.is_empty() {
                        "/"
                    } else {
                        ""
                    };
                    format!("{}{trailing}", parts.join("/"))
                };
                let local = local.split(['#', '?']).next().unwrap().to_string();
                let file = if local.is_empty() || local.ends_with('/') {
                    format!("{local}index.html")
                } else {
                    local
                };
                assert!(
                    out.join(&file).is_file(),
                    "{path}: `{target}` points to a missing file ({file})"
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn the_feed_lists_the_newest_entries_up_to_its_limit() {
    let site = example_site();
    let config = site.path().join("site.yaml");
    let yaml = read(&config);
    std::fs::write(&config, format!("{yaml}\nfeed:\n  limit: 3\n")).unwrap();
    let unchanged = example_site();
    let all = read(&build_ok(unchanged.path()).join("feed.xml"));
    let out = build_ok(site.path());
    let feed = read(&out.join("feed.xml"));
    let entries = |feed: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(feed).expect("feed.xml is XML");
        doc.root_element()
            .children()
            .filter(|n| n.has_tag_name("entry"))
            .map(|e| {
                e.children()
                    .find(|n| n.has_tag_name("id"))
                    .unwrap()
                    .text()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let (all, limited) = (entries(&all), entries(&feed));
    assert_eq!(
        all.len(),
        22,
        "the example's 22 dated entries are under the default limit"
    );
    assert_eq!(limited, all[..3], "the 3 newest, in the same order");

    // A limit out of range is an error at the number.
    std::fs::write(&config, format!("{yaml}\nfeed:\n  limit: 0\n")).unwrap();
    let result = movepress(site.path(), &["build"]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    let line = yaml.lines().count() + 3;
    assert!(err.contains(&format!("site.yaml:{line}:10")), "{err}");
    assert!(err.contains("`limit` is 0, which is out of range"), "{err}");
    assert!(err.contains("use a whole number from 1 to 10000"), "{err}");
}

#[test]
fn every_link_resolves_under_a_base_url_with_a_path() {
    let site = example_site();
    let base = "https://example.org/clinic/";
    let result = movepress(site.path(), &["build", "--base-url", base]);
    assert!(result.status.success(), "{}", stderr(&result));
    let checked = check_links(&site.path().join("output"), base);
    assert!(checked > 1000, "{checked} links checked");
    let sitemap = read(&site.path().join("output/sitemap.xml"));
    assert!(sitemap.contains("<loc>https://example.org/clinic/exercises/cat-cow/</loc>"));
    let feed = read(&site.path().join("output/feed.xml"));
    assert!(feed.contains(r#"<link rel="self" href="https://example.org/clinic/feed.xml"/>"#));
}

#[test]
fn videos_are_links_unless_the_site_embeds_them() {
    let site = fixture("minimal");
    let file = site.path().join("content/exercises/cat-cow.md");
    std::fs::write(
        &file,
        read(&file).replace(
            "updated: 2026-10-01",
            "updated: 2026-10-01\nvideo: https://www.youtube.com/watch?v=abc123XYZ_-",
        ),
    )
    .unwrap();
    let out = build_ok(site.path());
    let page = read(&out.join("exercises/cat-cow/index.html"));
    assert!(page.contains(r#"<a class="button secondary" href="https://www.youtube.com/watch?v=abc123XYZ_-" rel="noopener">Watch the video</a>"#));
    assert!(
        !page.contains("<iframe"),
        "nothing loads from a third party by default"
    );

    let config = site.path().join("site.yaml");
    std::fs::write(&config, read(&config) + "videos:\n  embed: true\n").unwrap();
    let out = build_ok(site.path());
    let page = read(&out.join("exercises/cat-cow/index.html"));
    assert!(page.contains(r#"<iframe src="https://www.youtube-nocookie.com/embed/abc123XYZ_-" title="Video: Cat-Cow""#), "{}", main_of(&page));
}

#[test]
fn the_clarity_theme_changes_web_and_print() {
    let site = example_site();
    let clinic = build_ok(site.path());
    let clinic_pages = lopdf::Document::load(clinic.join("handouts/full-upper-back-routine.pdf"))
        .unwrap()
        .get_pages()
        .len();
    let config = site.path().join("site.yaml");
    std::fs::write(
        &config,
        read(&config).replace("theme: clinic", "theme: clarity"),
    )
    .unwrap();
    let out = build_ok(site.path());
    let palette = read(&out.join("static/css/palette.css"));
    assert!(
        palette.contains("clarity theme"),
        "the theme's palette replaces the parent's"
    );
    assert!(
        out.join("static/css/clinic.css").is_file(),
        "the parent theme's files are inherited"
    );
    let pages = lopdf::Document::load(out.join("handouts/full-upper-back-routine.pdf"))
        .unwrap()
        .get_pages()
        .len();
    assert!(
        pages > clinic_pages,
        "handouts print at 14 pt or more in clarity: {pages} vs {clinic_pages} pages"
    );
}

/// Headless Chromium is the real test (`.ci/browser-checks` opens every page
/// at 320 and 390 px with tests/browser/long-words); this keeps `cargo test`
/// from losing the rule it depends on.
#[test]
fn long_words_wrap_instead_of_running_off_a_phone_in_both_themes() {
    for theme in ["clinic", "clarity"] {
        let site = fixture("minimal");
        let config = site.path().join("site.yaml");
        std::fs::write(&config, read(&config) + &format!("theme: {theme}\n")).unwrap();
        let out = build_ok(site.path());
        let page = read(&out.join("exercises/cat-cow/index.html"));
        let css: String = page
            .split("href=\"../../static/css/")
            .skip(1)
            .filter_map(|rest| rest.split('?').next())
            .map(|file| read(&out.join("static/css").join(file)))
            .collect();
        assert!(css.contains("/* The clarity theme") == (theme == "clarity"));
        let rules: Vec<&str> = css
            .split('}')
            .filter(|rule| rule.contains("overflow-wrap"))
            .collect();
        assert!(
            rules
                .iter()
                .any(|rule| rule.trim_start().starts_with("body {")
                    && rule.contains("overflow-wrap: anywhere;")),
            "{theme}: the page's text does not break long words: {rules:?}"
        );
        assert!(
            rules
                .iter()
                .all(|rule| !rule.contains("overflow-wrap: normal")),
            "{theme}: a rule turns breaking off again: {rules:?}"
        );
    }
}

#[test]
fn theme_yaml_errors_point_into_the_file() {
    let site = fixture("minimal");
    std::fs::create_dir_all(site.path().join("themes/mine")).unwrap();
    std::fs::write(
        site.path().join("themes/mine/theme.yaml"),
        "extends: clinic\nhandout:\n  accent: navy\n",
    )
    .unwrap();
    let config = site.path().join("site.yaml");
    std::fs::write(&config, read(&config) + "theme: mine\n").unwrap();
    let result = movepress(site.path(), &["check"]);
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("themes/mine/theme.yaml:3:11"), "{err}");
    assert!(err.contains("`navy` is not a colour"), "{err}");

    std::fs::write(
        site.path().join("themes/mine/theme.yaml"),
        "extends: mine\n",
    )
    .unwrap();
    let err = stderr(&movepress(site.path(), &["check"]));
    assert!(
        err.contains("the themes extend each other in a loop"),
        "{err}"
    );
}

/// The library, a term page and an exercise's related exercises show the
/// same card partial from different depths: each card's links lead from
/// its own page, and a partial that does more with `root` than print it
/// gets each page's own.
#[test]
fn an_exercise_page_gets_its_data_in_the_documented_order() {
    // A theme that walks `exercise` sees its keys in one order: the card's,
    // then the page's, `taxonomies` among them, then `related`.
    let site = example_site();
    std::fs::create_dir_all(site.path().join("templates")).expect("mkdir");
    std::fs::write(
        site.path().join("templates/exercise.html"),
        "{% extends \"base.html\" %}{% block main %}<p id=\"keys\">\
         {% for key, _ in exercise %}{{ key }} {% endfor %}</p>{% endblock main %}",
    )
    .expect("write the template");
    let out = build_ok(site.path());
    let html = read(&out.join("exercises/cat-cow/index.html"));
    let keys = html
        .split("<p id=\"keys\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .expect("the keys");
    assert!(
        keys.contains("video_embed taxonomies programs updated handout_url related"),
        "{keys}"
    );
    assert!(keys.starts_with("slug title summary url"), "{keys}");
}

/// The example's home page only counts the exercises; a home page that
/// shows their cards gets each card's HTML, with links from the site root.
#[test]
fn a_home_page_that_shows_the_cards_gets_them_whole() {
    let site = example_site();
    let out = build_ok(site.path());
    let home = visible_text(&read(&out.join("index.html")));
    assert!(home.contains("All 18 exercises"), "{home}");

    std::fs::create_dir_all(site.path().join("templates")).expect("mkdir");
    std::fs::write(
        site.path().join("templates/index.html"),
        "{% extends \"base.html\" %}{% block main %}<p>{{ exercises | length }} in all</p>\
         <ul>{% for card in exercises %}{{ card.html | safe }}{% endfor %}</ul>{% endblock main %}",
    )
    .expect("write the home page");
    let out = build_ok(site.path());
    let html = read(&out.join("index.html"));
    assert!(visible_text(&html).contains("18 in all"), "{html}");
    let card = html
        .split("<li class=\"card exercise-card\" data-slug=\"cat-cow\"")
        .nth(1)
        .expect("the home page shows the cat-cow card");
    assert!(
        card.contains("<a href=\"exercises/cat-cow/\""),
        "links from the site root: {card}"
    );
}

#[test]
fn cards_are_made_for_the_page_that_shows_them() {
    let site = example_site();
    let out = build_ok(site.path());
    let card_link = |page: &str| {
        let html = read(&out.join(page));
        let card = html
            .split("<li class=\"card exercise-card\" data-slug=\"cat-cow\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{page} shows the cat-cow card"));
        card.split("<a href=\"")
            .nth(1)
            .and_then(|a| a.split('"').next())
            .map(str::to_string)
    };
    for (page, link) in [
        ("exercises/index.html", "../exercises/cat-cow/"),
        ("position/quadruped/index.html", "../../exercises/cat-cow/"),
        (
            "exercises/bear-rolls/index.html",
            "../../exercises/cat-cow/",
        ),
    ] {
        assert_eq!(card_link(page).as_deref(), Some(link), "{page}");
    }

    // A partial that tells the pages apart by their root.
    std::fs::create_dir_all(site.path().join("templates/partials")).expect("mkdir");
    std::fs::write(
        site.path().join("templates/partials/exercise-card.html"),
        "<li class=\"card exercise-card\" data-slug=\"{{ card.slug }}\">\
         {% if root == \"../\" %}<em>in the library</em>{% else %}<em>{{ root | length }} deep</em>{% endif %}\
         <a href=\"{{ root }}{{ card.url }}\">{{ card.title }}</a></li>",
    )
    .expect("write the partial");
    let out = build_ok(site.path());
    let card = |page: &str| {
        let html = read(&out.join(page));
        let start = html
            .find("data-slug=\"cat-cow\">")
            .expect("the cat-cow card");
        html[start..]
            .split("</li>")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        card("exercises/index.html"),
        "data-slug=\"cat-cow\"><em>in the library</em><a href=\"../exercises/cat-cow/\">Cat-Cow</a>"
    );
    for page in [
        "position/quadruped/index.html",
        "exercises/bear-rolls/index.html",
    ] {
        assert_eq!(
            card(page),
            "data-slug=\"cat-cow\"><em>6 deep</em><a href=\"../../exercises/cat-cow/\">Cat-Cow</a>",
            "{page}"
        );
    }
}
