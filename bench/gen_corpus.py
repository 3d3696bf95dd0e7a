#!/usr/bin/env python3
"""Deterministic benchmark corpus for movepress, with the same data as a Hugo site.

Standard library only.

    python3 bench/gen_corpus.py --n 10000 --seed 42 --out DIR [--plain] [--perf-dir PATH]

writes

  DIR/perf/              the shared harness corpus (/work/shared/tools/perf/gen_corpus.py,
                         run as a subprocess with --layouts neutral,hugo):
    perf/neutral/        its tool-neutral content (not movepress's schema)
    perf/hugo/           the Hugo site of the same data   <- what Hugo builds
  DIR/hugo               symlink to perf/hugo
  DIR/movepress/         a movepress site of the same data  <- what movepress builds
    site.yaml
    content/exercises/<slug>.md     movepress front matter + the same Markdown body
    content/programs/<slug>.yaml    N/10 programs of 5-9 exercises
    static/images/<region>.svg      11 small SVGs, shared by all exercises of a region
  DIR/corpus.json        what was generated (n, seed, counts, generator hashes)

Mapping from the neutral corpus (field by field):

  exercise  title, slug, focus[], equipment[], position, difficulty, cautions[]  -> same keys
            region                  -> regions: [region]
            dosage{reps, sets, hold_seconds, frequency} -> dosage (hold_seconds 0 is left out:
                                       movepress requires 1..3600)
            steps[] (front matter)  -> not copied: the body already holds the same steps as an
                                       ordered list under "## How to do it", which is renamed
                                       "## Steps" (movepress takes the first ordered list as steps)
            (new) summary           -> the body's first sentence
            (new) images            -> [{src: images/<region>.svg, alt, caption}]   (not with --plain)
            (new) related           -> 2 other exercises of the same region         (not with --plain)
            (new) updated           -> a date derived from the exercise's index
  program   title, slug, frequency  -> same keys
            description             -> summary (its first sentence) and intro (all of it, plus the
                                       clinic, region and duration that Hugo shows in its header)
            exercises[{slug, reps?, sets?, notes?}] -> exercises[{exercise, dosage{reps?, sets?}?, note?}]
            region, clinic, duration_weeks -> only in the intro text (no such keys in movepress)

The neutral data is re-created in-process by importing the shared generator's functions with
the same seed and call order as its main(), then cross-checked against the files it wrote
(same exercise and program slugs), so movepress and Hugo get identical titles, bodies,
taxonomy terms, dosages and program contents.
"""
import argparse
import datetime
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The shared harness lives beside the checkout: ../shared/tools/perf.
DEFAULT_PERF = os.environ.get(
    "PERF_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools", "perf"),
)


def load_perf(perf_dir):
    sys.dont_write_bytecode = True  # the harness folder is read-only
    path = os.path.join(perf_dir, "gen_corpus.py")
    spec = importlib.util.spec_from_file_location("perf_gen_corpus", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def yq(s):
    """YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def ylist(items):
    return "[" + ", ".join(items) + "]"


def first_sentence(text):
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return m.group(1) if m else text


def plain(text):
    """Markdown inline -> plain text (for summaries): drop ** and [text](url)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text.replace("**", "")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


# ------------------------------------------------------------------ shared pictures
SVG_COLORS = ["#1c5d99", "#2e7d32", "#8a1c1c", "#6a1b9a", "#ef6c00", "#00838f",
              "#5d4037", "#37474f", "#ad1457", "#827717", "#283593"]


def region_svg(region, i):
    """A small (< 1 KB) line drawing: a stick figure and an arrow, one colour per region."""
    c = SVG_COLORS[i % len(SVG_COLORS)]
    label = region.replace("-", " ")
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160">
<title>{label}</title>
<rect x="1" y="1" width="238" height="158" rx="8" fill="#fff" stroke="#ccd"/>
<g fill="none" stroke="{c}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round">
<circle cx="120" cy="38" r="14"/><path d="M120 52v48M120 64l-30 22M120 64l30 22M120 100l-22 40M120 100l22 40"/>
<path d="M170 40a40 40 0 0 1 10 50" stroke-dasharray="6 6"/><path d="M172 86l8 6 4-10"/>
</g>
<text x="12" y="150" font-family="sans-serif" font-size="12" fill="#333">{label}</text>
</svg>
"""


# ------------------------------------------------------------------ movepress writers
def exercise_md(e, i, related, plain_mode):
    summary = plain(first_sentence(e["body"].split("\n\n", 1)[0]))
    lines = ["---",
             f"title: {yq(e['title'])}",
             f"slug: {e['slug']}",
             f"summary: {yq(summary)}",
             f"regions: [{e['region']}]",
             f"focus: {ylist(e['focus'])}",
             f"position: {e['position']}",
             f"equipment: {ylist(e['equipment'])}",
             f"difficulty: {e['difficulty']}",
             "dosage:",
             f"  reps: {e['reps']}",
             f"  sets: {e['sets']}"]
    if e["hold"]:
        lines.append(f"  hold_seconds: {e['hold']}")
    lines.append(f"  frequency: {yq(e['frequency'])}")
    lines.append("cautions:")
    lines += [f"  - {yq(c)}" for c in e["cautions"]]
    if not plain_mode:
        move = e["move"].lower()
        lines += ["images:",
                  f"  - src: images/{e['region']}.svg",
                  f"    alt: {yq('Line drawing of a person doing the ' + move + ', with an arrow showing the direction of movement.')}",
                  f"    caption: {yq('Move ' + e['position'].replace('-', ' ') + ', slowly and within a comfortable range.')}"]
        if related:
            lines.append(f"related: [{', '.join(related)}]")
    day = datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 320)
    lines.append(f"updated: {day.isoformat()}")
    lines += ["---", ""]
    body = e["body"].replace("## How to do it\n", "## Steps\n", 1)
    return "\n".join(lines) + body


def program_yaml(p, i):
    day = datetime.date(2026, 2, 1) + datetime.timedelta(days=i % 290)
    intro = (f"{p['description']}\n\n"
             f"Prescribed by {p['clinic']} for the {p['region'].replace('-', ' ')}: "
             f"{p['frequency'].lower()} for {p['duration_weeks']} weeks.\n")
    lines = [f"title: {yq(p['title'])}",
             f"slug: {p['slug']}",
             f"summary: {yq(first_sentence(p['description']))}",
             f"frequency: {yq(p['frequency'].lower())}",
             f"updated: {day.isoformat()}",
             "intro: |",
             *[("  " + l) if l else "" for l in intro.rstrip("\n").split("\n")],
             "exercises:"]
    for it in p["exercises"]:
        lines.append(f"  - exercise: {it['slug']}")
        dose = [f"{k}: {it[k]}" for k in ("reps", "sets") if k in it]
        if dose:
            lines.append(f"    dosage: {{ {', '.join(dose)} }}")
        if "notes" in it:
            lines.append(f"    note: {yq(it['notes'])}")
    return "\n".join(lines) + "\n"


SITE_YAML = """title: Home Exercise Library
description: Synthetic benchmark corpus (n={n}, seed={seed}) - the same data as the Hugo site next to it.
base_url: https://clinic.example.org/
language: en
clinic:
  name: Benchmark Physiotherapy
  phone: (555) 555-0100
  website: https://clinic.example.org/
disclaimers:
  site: >-
    This information supports, and does not replace, advice from your clinician.
  handout: >-
    General guidance only; stop and call us if pain increases.
"""


def related_for(exs, by_region, rng):
    """2 other exercises of the same region per exercise (deterministic)."""
    out = {}
    for e in exs:
        pool = by_region[e["region"]]
        picks = []
        for cand in rng.sample(pool, min(len(pool), 4)):
            if cand["slug"] != e["slug"] and cand["slug"] not in picks:
                picks.append(cand["slug"])
            if len(picks) == 2:
                break
        out[e["slug"]] = picks
    return out


def sha(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="number of exercises")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plain", action="store_true",
                    help="no images/related in movepress front matter (strictly the Hugo data)")
    ap.add_argument("--perf-dir", default=os.environ.get("PERF_DIR", DEFAULT_PERF),
                    help="the shared harness folder (has gen_corpus.py and hugo-skel/)")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, "corpus.json")
    if os.path.exists(stamp):
        os.remove(stamp)  # a half-written corpus must never look complete

    # 1. The shared corpus (neutral + Hugo), exactly as the harness makes it.
    perf_out = os.path.join(out, "perf")
    subprocess.run([sys.executable, os.path.join(a.perf_dir, "gen_corpus.py"), "--n", str(a.n),
                    "--seed", str(a.seed), "--out", perf_out, "--layouts", "neutral,hugo"], check=True)
    link = os.path.join(out, "hugo")
    if os.path.islink(link) or os.path.exists(link):
        os.remove(link)
    os.symlink("perf/hugo", link)

    # 2. The same data in memory: same seed, same call order as the harness's main().
    perf = load_perf(a.perf_dir)
    rng = random.Random(a.seed)
    exs = perf.make_exercises(a.n, rng)
    progs = perf.make_programs(exs, rng, max(1, a.n // 10))
    on_disk = sorted(f[:-3] for f in os.listdir(os.path.join(perf_out, "neutral/content/exercises")))
    if on_disk != sorted(e["slug"] for e in exs):
        sys.exit("gen_corpus: the re-created exercises differ from the harness's files")
    on_disk = sorted(f[:-5] for f in os.listdir(os.path.join(perf_out, "neutral/content/programs")))
    if on_disk != sorted(p["slug"] for p in progs):
        sys.exit("gen_corpus: the re-created programs differ from the harness's files")
    # spot-check that bodies are byte-identical with the Hugo pages
    for e in exs[:: max(1, len(exs) // 50)]:
        with open(os.path.join(perf_out, "hugo/content/exercises", e["slug"] + ".md"), encoding="utf-8") as fh:
            if not fh.read().endswith(e["body"]):
                sys.exit(f"gen_corpus: body of {e['slug']} differs from the Hugo page")

    # 3. The movepress site.
    site = os.path.join(out, "movepress")
    shutil.rmtree(site, ignore_errors=True)
    write(os.path.join(site, "site.yaml"), SITE_YAML.format(n=a.n, seed=a.seed))
    regions = sorted({e["region"] for e in exs})
    for i, r in enumerate(regions):
        write(os.path.join(site, "static/images", r + ".svg"), region_svg(r, i))
    by_region = {}
    for e in exs:
        by_region.setdefault(e["region"], []).append(e)
    related = {} if a.plain else related_for(exs, by_region, random.Random(a.seed + 1))
    for i, e in enumerate(exs):
        write(os.path.join(site, "content/exercises", e["slug"] + ".md"),
              exercise_md(e, i, related.get(e["slug"]), a.plain))
    for i, p in enumerate(progs):
        write(os.path.join(site, "content/programs", p["slug"] + ".yaml"), program_yaml(p, i))

    info = dict(n=a.n, seed=a.seed, plain=a.plain, exercises=len(exs), programs=len(progs),
                images=len(regions), program_items=sum(len(p["exercises"]) for p in progs),
                terms={k: len({t for e in exs for t in (e[k] if isinstance(e[k], list) else [e[k]])})
                       for k in ("region", "focus", "equipment", "position", "difficulty")},
                harness_gen_sha=sha(os.path.join(a.perf_dir, "gen_corpus.py")),
                this_gen_sha=sha(os.path.abspath(__file__)))
    with open(stamp, "w") as fh:
        json.dump(info, fh, indent=1)
        fh.write("\n")
    print(f"movepress site: {site} ({len(exs)} exercises, {len(progs)} programs, "
          f"{len(regions)} images); hugo site: {link}", file=sys.stderr)


if __name__ == "__main__":
    main()
