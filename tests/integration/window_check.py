#!/usr/bin/env python3
"""window_check.py DIR: the time windows (--since, --until) of window.sh's
reports in DIR against the calls of the whole trace.

The expected counts come from the whole trace's Chrome export (every call,
--chrome-min-us 0), whose events give each call's end in microseconds
from the start: a call counts in a window when it ended in it. So each
count is exact, whatever the machine's timing was.

Prints one `ok - ...` / `not ok - ...` line per check; exits 1 if any failed.
"""
import json
import sys

import check as chk

d = sys.argv[1]
NS = 1e9


def load(name):
    return json.load(open("%s/%s.json" % (d, name)))


def sites(rep):
    return sorted((s["function"], s["calls"]) for s in rep["sites"])


def ends(chrome):
    """(function, end in ns from the start) of every call event."""
    ev = json.load(open(chrome))["traceEvents"]
    return [(e["name"], (float(e["ts"]) + float(e["dur"])) * 1000) for e in ev
            if e.get("ph") == "X" and e.get("cat") != "offcpu"]


def expect_in(calls, lo, hi):
    """the (function, count) of the calls that ended in [lo, hi), sorted."""
    c = {}
    for f, e in calls:
        if lo <= e < hi:
            c[f] = c.get(f, 0) + 1
    return sorted(c.items())


def main():
    full = load("all")
    calls = ends("%s/all.chrome.json" % d)
    span = full["process"]["wall_ns"]
    chk.check(len(calls) == sum(s["calls"] for s in full["sites"]), "the Chrome export has every call (%d)" % len(calls))
    chk.check(full["process"]["window_shown"] is None, "no window asked: window_shown is null")

    u = load("until")
    want = expect_in(calls, 0, 0.25 * NS)
    chk.check(sites(u) == want and [f for f, _ in want] == ["poll"] and 3 <= want[0][1] <= 5,
              "--until 0.25: only phase A's poll, %s calls (expected %s)" % (sites(u), want))
    w = u["process"]["window_shown"]
    chk.check(w["start_ns"] == 0 and w["end_ns"] == 250000000 and w["calls"] == sum(c for _, c in want),
              "--until 0.25: window_shown is 0 to 250,000,000 ns with its calls", str(w))

    s = load("since")
    w = s["process"]["window_shown"]
    want = expect_in(calls, w["trace_ns"] - 0.2 * NS, float("inf"))
    chk.check(sites(s) == want and [f for f, _ in want] == ["usleep"] and 3 <= want[0][1] <= 5,
              "--since -0.2: only phase B's usleep, %s calls (expected %s)" % (sites(s), want))
    chk.check(w["end_ns"] == w["trace_ns"] and w["start_ns"] == w["trace_ns"] - 200000000 and
              abs(w["trace_ns"] - span) < 2000000,
              "--since -0.2: window_shown is the last 200 ms of the trace's %.1f ms" % (w["trace_ns"] / 1e6), str(w))

    b = load("between")
    want = expect_in(calls, 0.1 * NS, 0.4 * NS)
    chk.check(sites(b) == want, "--since 0.1 --until 0.4: %s (expected %s)" % (sites(b), want))

    for x in ("0.1", "0.2", "0.3", "0.4", "0.5"):
        a, z = load("u" + x), load("s" + x)
        tot = {}
        for r in (a, z):
            for f, c in sites(r):
                tot[f] = tot.get(f, 0) + c
        chk.check(sorted(tot.items()) == sites(full),
                  "--until %s and --since %s split the calls exactly: %s + %s" % (x, x, sites(a), sites(z)))
    return 1 if chk.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
