#!/usr/bin/env bash
# movepress vs Hugo: clean full builds of the same synthetic clinic corpus. See bench/README.md.
#
#   bench/run.sh [-n "1000 10000"] [-r RUNS] [-s SEED] [--settle S] [--plain] [--no-build] [--regen] [--sequential]
#
#   -n SIZES     exercise counts to test (default "1000 10000"; N/10 programs each)
#   -r RUNS      timed runs per measurement, after 1 warm-up (default 5); the median is reported
#   -s SEED      corpus seed (default 42)
#   --settle S   seconds measure.py waits after the warm-ups (default 361, see bench/README.md;
#                not with --sequential, whose bench.py has no pause)
#   --plain      movepress corpus without images/related (strictly the data Hugo gets)
#   --no-build   do not run `cargo build --release` (use target/release/movepress as it is)
#   --regen      regenerate the corpora even if cached
#   --sequential time with the shared harness's bench.py (all runs of one tool, then the other)
#                instead of bench/measure.py (runs of the two tools interleaved, A B / B A ...)
#
# Environment: BENCH_DIR (work dir, default /tmp/movepress-bench), HUGO (default: hugo on PATH,
# installed with apt-get if missing), PERF_DIR (default /work/shared/tools/perf: bench.py and
# the shared corpus generator), MOVEPRESS=/path/to/binary (time that binary: no cargo build;
# MOVEPRESS_REV=label for the table, e.g. a git revision).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PERF_DIR="${PERF_DIR:-$(cd "$(dirname "$0")/../../shared/tools/perf" 2>/dev/null && pwd)}"
WORK="${BENCH_DIR:-/tmp/movepress-bench}"
SIZES="1000 10000"
RUNS=5
SEED=42
PLAIN=""
BUILD=1
REGEN=0
SEQUENTIAL=0
SETTLE=361
while [ $# -gt 0 ]; do
  case "$1" in
    -n) SIZES="$2"; shift 2 ;;
    -r) RUNS="$2"; shift 2 ;;
    -s) SEED="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --plain) PLAIN="--plain"; shift ;;
    --no-build) BUILD=0; shift ;;
    --regen) REGEN=1; shift ;;
    --sequential) SEQUENTIAL=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

note() { echo "# $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# flush freshly written files before timing: background writeback inside a timed run skews it
settle() { sync; sleep 3; }

mkdir -p "$WORK/out" "$WORK/bin"
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$WORK/results-$STAMP.jsonl"
LOADLOG="$WORK/load-$STAMP.log"
: > "$RESULTS"

# ---- load average sampler (every 2 s, for the whole run) --------------------------------
( while :; do echo "$(date +%s) $(cat /proc/loadavg)"; sleep 2; done ) > "$LOADLOG" 2>/dev/null &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT

note "work dir $WORK, $(nproc) cores, load $(load), results $RESULTS"
note "busiest processes at start (top, one snapshot):"
top -bn1 -o %CPU 2>/dev/null | sed -n '7,12p' | sed 's/^/#   /' >&2 || true

# ---- movepress binary: build once, then time a private copy -------------------------------
# Others may rebuild target/ while we measure; every timed run must use the same binary.
if [ -n "${MOVEPRESS:-}" ]; then
  BUILD=0
  REV="${MOVEPRESS_REV:-$(basename "$MOVEPRESS")}"
  SRC_BIN="$MOVEPRESS"
else
  if [ "$BUILD" = 1 ]; then
    for attempt in 1 2 3; do
      if (cd "$REPO" && cargo build --release --quiet); then break; fi
      [ "$attempt" = 3 ] && { note "cargo build --release failed 3 times"; exit 1; }
      note "cargo build failed (concurrent edits?); retrying in 60 s"; sleep 60
    done
  fi
  REV="$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(cd "$REPO" && git status --porcelain -- src Cargo.toml Cargo.lock build.rs themes 2>/dev/null)" ]; then
    REV="$REV+dirty"
  fi
  SRC_BIN="$REPO/target/release/movepress"
fi
MP="$WORK/bin/movepress-$STAMP"
[ "$SRC_BIN" -ef "$MP" ] || cp "$SRC_BIN" "$MP"
MP_VERSION="$("$MP" --version | awk '{print $2}') ($REV)"
note "movepress $MP_VERSION, binary copied to $MP"

# ---- Hugo -----------------------------------------------------------------------------
HUGO="${HUGO:-hugo}"
if ! command -v "$HUGO" >/dev/null 2>&1; then
  note "hugo not found: installing the Debian package"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  if ! $SUDO apt-get install -y hugo >/dev/null; then
    $SUDO apt-get update >/dev/null
    $SUDO apt-get install -y hugo >/dev/null
  fi
  HUGO=hugo
fi
HUGO_VERSION="$("$HUGO" version | sed -E 's/^hugo v([^ +-]*).*/\1/')"
note "hugo $HUGO_VERSION"

for N in $SIZES; do
  C="$WORK/corpus-$N-s$SEED${PLAIN:+-plain}"
  # cache key: both generators + parameters
  KEY="$(cat "$HERE/gen_corpus.py" "$PERF_DIR/gen_corpus.py" "$PERF_DIR"/hugo-skel/config.toml | sha256sum | cut -c1-16) n=$N seed=$SEED $PLAIN"
  if [ "$REGEN" = 1 ] || [ ! -f "$C/corpus.json" ] || [ "$(cat "$C/.key" 2>/dev/null)" != "$KEY" ]; then
    note "generating corpus N=$N into $C"
    python3 "$HERE/gen_corpus.py" --n "$N" --seed "$SEED" --out "$C" $PLAIN
    echo "$KEY" > "$C/.key"
  else
    note "corpus N=$N cached in $C"
  fi

  # The movepress corpus must be error-free (a failed check would time an error path).
  CHECK_LOG="$WORK/check-$N.log"
  if ! "$MP" check "$C/movepress" > "$CHECK_LOG" 2>&1; then
    note "movepress check FAILED on N=$N, first lines of $CHECK_LOG:"; head -n 40 "$CHECK_LOG" >&2; exit 1
  fi
  note "movepress check N=$N: $(tail -n 1 "$CHECK_LOG")"
  settle

  if [ "$SEQUENTIAL" = 1 ]; then
    BENCH=(python3 "$PERF_DIR/bench.py" -r "$RUNS" -w 1 --tmp "$WORK/out" --json "$RESULTS" --fresh-out --count-html)
    note "load before hugo N=$N: $(load)"
    "${BENCH[@]}" --label "hugo N=$N" --meta tool=hugo --meta version="$HUGO_VERSION" --meta n="$N" \
      --meta load_before="$(load)" -- "$HUGO" --quiet -s "$C/hugo" -d "{out}/site"
    settle
    note "load before movepress N=$N: $(load)"
    "${BENCH[@]}" --label "movepress N=$N" --meta tool=movepress --meta version="$MP_VERSION" --meta n="$N" \
      --meta load_before="$(load)" -- "$MP" build "$C/movepress" -o "{out}/site" --quiet
  else
    note "N=$N: hugo and movepress interleaved, 1 warm-up + $RUNS runs each, load $(load)"
    python3 "$HERE/measure.py" -r "$RUNS" -w 1 --settle "$SETTLE" --tmp "$WORK/out" --json "$RESULTS" --meta n="$N" \
      --cmd "hugo N=$N" "tool=hugo,version=$HUGO_VERSION" -- "$HUGO" --quiet -s "$C/hugo" -d "{out}/site" \
      --cmd "movepress N=$N" "tool=movepress,version=$MP_VERSION" -- "$MP" build "$C/movepress" -o "{out}/site" --quiet
  fi
  settle
done

kill "$SAMPLER" 2>/dev/null || true
note "load at end: $(load)"

# ---- summary ------------------------------------------------------------------------------
python3 - "$RESULTS" "$LOADLOG" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def ld(r):  # measure.py: mean (range) of the load before each timed run; bench.py: load before
    if r.get("loads"):
        l = r["loads"]
        return f"{sum(l) / len(l):.1f} ({min(l):.1f}-{max(l):.1f})"
    return r.get("load_before", "-").split()[0] if r.get("load_before") else "-"
loads = [float(l.split()[1]) for l in open(sys.argv[2]) if len(l.split()) > 2]
print("\n| tool | version | N | wall median s | wall min-max s | CPU s | peak RSS MiB | pages | pages/s | files | output MiB | load (1 min) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in rows:
    pages = r.get("pages") or 0
    print(f"| {r['tool']} | {r['version']} | {int(r['n']):,} | {r['wall_median']:.3f} | "
          f"{r['wall_min']:.2f}-{r['wall_max']:.2f} | {r['cpu_median']:.2f} | {r['peak_mb_median']:.0f} | "
          f"{pages:,} | {pages / r['wall_median']:,.0f} | {r.get('out_files', '-')} | {r.get('out_mb', '-')} | {ld(r)} |")
by = {(r["tool"], r["n"]): r for r in rows}
print()
for n in sorted({r["n"] for r in rows}, key=int):
    m, h = by.get(("movepress", n)), by.get(("hugo", n))
    if m and h:
        print(f"N={int(n):,}: movepress/hugo wall {m['wall_median'] / h['wall_median']:.2f}x, "
              f"CPU {m['cpu_median'] / h['cpu_median']:.2f}x, peak RSS {m['peak_mb_median'] / h['peak_mb_median']:.2f}x, "
              f"pages {m['pages']} vs {h['pages']}")
if loads:
    print(f"\n1-min load average during the run: min {min(loads):.2f}, mean {sum(loads) / len(loads):.2f}, "
          f"max {max(loads):.2f} ({len(loads)} samples, 2 s apart)")
print(f"raw results: {sys.argv[1]}\nload log: {sys.argv[2]}")
EOF
