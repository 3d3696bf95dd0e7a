#!/usr/bin/env python3
"""Edit-to-reload latency of `movepress serve` on a site (bench/README.md).

    bench/reload.py SITE [--binary target/release/movepress] [--edits 20] [--edit body|summary]

Starts `movepress serve SITE --port 0`, opens the live-reload event stream
as a browser does, then edits one exercise at a time and times from the
moment the edited file is closed to the moment the `reload` event arrives.
`--edit body` (the default) adds a sentence to the body: only the
exercise's own page changes. `--edit summary` changes a word of its
summary, which its card shows: the library, its term pages, the programs
and related exercises that list it change too. Prints the median, 90th percentile and maximum, and
what the server printed for the last edits. Restores every file it edits.
"""
import argparse, os, socket, statistics, subprocess, sys, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("site")
    ap.add_argument("--binary", default="target/release/movepress")
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--edit", choices=["body", "summary"], default="body")
    args = ap.parse_args()
    exercises = sorted(os.listdir(os.path.join(args.site, "content/exercises")))
    started = time.monotonic()
    proc = subprocess.Popen([args.binary, "serve", args.site, "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    port = None
    log = []
    for line in proc.stderr:
        log.append(line.rstrip())
        if line.startswith("serving the site at http://127.0.0.1:"):
            port = int(line.split(":")[2].split("/")[0])
            break
    if port is None:
        sys.exit("serve did not start:\n" + "\n".join(log))
    first_build = time.monotonic() - started
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET /__movepress/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    stream = sock.makefile("rb")

    def next_event():
        name = None
        while True:
            line = stream.readline().decode().rstrip("\r\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line == "" and name:
                return name

    assert next_event() == "hello"
    times = []
    step = max(1, len(exercises) // args.edits)
    for i in range(args.edits):
        path = os.path.join(args.site, "content/exercises", exercises[(i * step) % len(exercises)])
        with open(path, encoding="utf-8") as f:
            original = f.read()
        if args.edit == "body":
            edited = original.rstrip("\n") + f"\n\nEdited for the benchmark ({i}).\n"
        else:
            quote = '"' if '\nsummary: "' in original else ""
            edited = original.replace(f"\nsummary: {quote}", f"\nsummary: {quote}Edited ({i}) ", 1)
            if edited == original:
                sys.exit(f"{path} has no `summary:` line")
        try:
            t0 = None
            with open(path, "w", encoding="utf-8") as f:
                f.write(edited)
            t0 = time.monotonic()
            event = next_event()
            times.append((time.monotonic() - t0) * 1000)
            if event != "reload":
                sys.exit(f"expected a reload, got {event}")
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
        assert next_event() == "reload"
        time.sleep(0.05)
    proc.terminate()
    rest = proc.stderr.read().splitlines()
    times.sort()
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    print(f"site: {args.site} ({len(exercises)} exercises); first build and start: {first_build:.2f} s")
    print(f"edit ({args.edit}) -> reload event, {len(times)} edits: median {statistics.median(times):.1f} ms, "
          f"p90 {p90:.1f} ms, max {times[-1]:.1f} ms")
    for line in rest[-4:]:
        print("  server:", line)

if __name__ == "__main__":
    main()
