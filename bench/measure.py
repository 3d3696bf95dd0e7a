#!/usr/bin/env python3
"""Interleaved whole-process timer (standard library only), same method as
/work/shared/tools/perf/bench.py, but for several commands measured side by side.

    measure.py [-r RUNS] [-w WARMUP] [--settle S] [--no-sync] [--tmp DIR] [--json FILE] \
        [--meta k=v ...] --cmd 'LABEL' 'k=v,k=v' -- ARGV... \
        --cmd 'LABEL' 'k=v'     -- ARGV...

  (META 'k=v,k=v': a comma starts a new pair only when followed by `word=`.)

* Every run starts the command (no shell), waits for it with os.wait4 and records wall
  seconds (monotonic clock, spawn..reap), user+sys CPU seconds and ru_maxrss (largest
  single process among the command and the descendants it waited for), plus the 1-minute
  load average just before the run.
* Every literal "{out}" in a command is replaced by a new, empty directory per run (clean
  build). All of them are removed only after the last run of all commands, outside the
  timed region, followed by sync (deleting big outputs between runs makes the kernel do
  work that lands inside the next timed run).
* Before every run (outside the timed region): sync, then a 1 s pause, so that the
  write-back of the previous run's output (often the other tool's) does not land inside
  this run. --no-sync turns this off.
* Warm-up: WARMUP runs of each command first, then a pause of --settle seconds (361): a
  warm-up may delete many files (movepress prunes from its handout cache the PDFs an older
  binary made), as may the clean-up of a previous measurement (run.sh measures N=1000,
  deletes its outputs, then measures N=10000). ext4 without a journal passes over, one by
  one, inodes freed in the last 60 s, or in the last 360 s when their inode table block is
  dirty (fs/ext4/ialloc.c, recently_deleted()); a build that creates thousands of files
  dirties those blocks itself, so 360 s is the window that counts. Inside it every new
  inode costs a walk past the recently freed ones (a profile showed 16% of movepress's CPU
  there), which made timed runs of both tools slower by an amount that depended on how
  long ago the deletion was. Then RUNS rounds; each round runs every command once, in an
  order that alternates between rounds (A B, B A, A B, ...), so that a machine whose load
  drifts over minutes affects each command alike.
* After the last run of each command: count *.html files in its {out} (pages built), all
  files, and their total size.
* Output: one line per command, and with --json one JSON object per command appended to
  FILE, with bench.py's fields (label, cmd, runs, wall_median, wall_min, wall_max,
  cpu_median, peak_mb_median, pages, pages_per_s) plus per-run lists (walls, cpus, loads).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(argv, out_dir):
    argv = [a.replace("{out}", out_dir) for a in argv]
    load = open("/proc/loadavg").read().split()[0]
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()  # drain before reaping so a chatty child cannot block
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.stderr.close()
    return dict(wall=wall, cpu=ru.ru_utime + ru.ru_stime, peak_kib=ru.ru_maxrss,
                rc=os.waitstatus_to_exitcode(status), err=err.decode("utf-8", "replace")[-3000:],
                load=float(load))


def tally(d):
    """(HTML files, all files, total MiB) under d."""
    html = files = size = 0
    for root, _, names in os.walk(d):
        for f in names:
            files += 1
            html += f.endswith(".html")
            size += os.path.getsize(os.path.join(root, f))
    return html, files, size / 2 ** 20


def parse_cmds(rest):
    """--cmd LABEL META -- ARGV... [--cmd ...]"""
    cmds, i = [], 0
    while i < len(rest):
        if rest[i] != "--cmd" or i + 3 >= len(rest) or rest[i + 3] != "--":
            sys.exit(f"measure.py: expected --cmd LABEL META -- ARGV..., got {rest[i:i + 4]}")
        label, meta = rest[i + 1], rest[i + 2]
        j = i + 4
        while j < len(rest) and rest[j] != "--cmd":
            j += 1
        argv = rest[i + 4:j]
        if not argv:
            sys.exit(f"measure.py: empty command for {label}")
        cmds.append(dict(label=label, meta=dict(kv.split("=", 1) for kv in re.split(r",(?=\w+=)", meta) if kv), argv=argv))
        i = j
    return cmds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-r", "--runs", type=int, default=5)
    ap.add_argument("-w", "--warmup", type=int, default=1)
    ap.add_argument("--tmp", default=None, help="parent directory of the {out} directories")
    ap.add_argument("--json", default=None)
    ap.add_argument("--meta", action="append", default=[], help="k=v added to every record")
    ap.add_argument("--no-sync", action="store_true", help="no sync + 1 s pause before each run")
    ap.add_argument("--settle", type=float, default=361.0, help="seconds to wait after the warm-ups")
    argv = sys.argv[1:]
    k = argv.index("--cmd") if "--cmd" in argv else len(argv)
    a = ap.parse_args(argv[:k])  # the commands' own options never reach argparse
    cmds = parse_cmds(argv[k:])
    if not cmds:
        ap.error("no --cmd")
    common = dict(m.split("=", 1) for m in a.meta)
    outs = []
    results = {c["label"]: [] for c in cmds}
    last_out = {}

    def one(c, timed):
        out = tempfile.mkdtemp(prefix="bench-out-", dir=a.tmp)
        outs.append(out)
        if not a.no_sync:
            os.sync()
            time.sleep(1)
        r = run_once(c["argv"], out)
        if r["rc"] != 0:
            print(f"{c['label']}: command failed rc={r['rc']}\n{r['err']}", file=sys.stderr)
            for o in outs:
                shutil.rmtree(o, ignore_errors=True)
            sys.exit(1)
        last_out[c["label"]] = out
        if timed:
            results[c["label"]].append(r)
        tag = "warm-up" if not timed else f"run {len(results[c['label']])}"
        print(f"  {c['label']:<24} {tag:<8} wall {r['wall']:7.3f}s  cpu {r['cpu']:7.3f}s  "
              f"peak {r['peak_kib'] / 1024:6.0f} MiB  load {r['load']:.2f}", file=sys.stderr, flush=True)

    try:
        for _ in range(a.warmup):
            for c in cmds:
                one(c, False)
        if a.warmup and a.settle > 0:
            print(f"  (waiting {a.settle:.0f} s after the warm-ups, see --settle)", file=sys.stderr, flush=True)
            time.sleep(a.settle)
        for k in range(a.runs):
            for c in (cmds if k % 2 == 0 else cmds[::-1]):
                one(c, True)
        tallies = {label: tally(out) for label, out in last_out.items()}
    finally:
        for out in outs:
            shutil.rmtree(out, ignore_errors=True)
        os.sync()

    for c in cmds:
        runs = results[c["label"]]
        walls = sorted(r["wall"] for r in runs)
        res = dict(**common, **c["meta"], label=c["label"], cmd=" ".join(c["argv"]), runs=len(runs),
                   wall_median=statistics.median(walls), wall_min=walls[0], wall_max=walls[-1],
                   cpu_median=statistics.median(r["cpu"] for r in runs),
                   peak_mb_median=statistics.median(r["peak_kib"] for r in runs) / 1024.0,
                   pages=tallies[c["label"]][0], out_files=tallies[c["label"]][1],
                   out_mb=round(tallies[c["label"]][2], 1),
                   walls=[round(r["wall"], 4) for r in runs], cpus=[round(r["cpu"], 4) for r in runs],
                   loads=[r["load"] for r in runs])
        res["pages_per_s"] = res["pages"] / res["wall_median"] if res["pages"] else None
        print(f"{c['label']}: wall median {res['wall_median']:.3f}s (min {res['wall_min']:.3f}, "
              f"max {res['wall_max']:.3f}), cpu {res['cpu_median']:.3f}s, peak {res['peak_mb_median']:.0f} MiB, "
              f"{res['pages']} pages, {res['pages_per_s'] or 0:.0f} pages/s, {res['out_files']} files, {res['out_mb']:.0f} MiB")
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    main()
