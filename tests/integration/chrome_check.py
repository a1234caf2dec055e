#!/usr/bin/env python3
"""chrome_check.py FILE [--wakes JSON] [WANT...]: check a `waitreport --chrome`
file: valid JSON in the Trace Event object format, every event well formed
(ph, pid, tid, ts/dur numbers), thread_name metadata for every tid with
events, X slices properly nested per thread (what Perfetto needs to build
tracks), and every flow arrow (ph "s" and "f", cat "wake") paired by id, its
"s" inside a slice of its thread and its "f" (bp "e") at the start of a slice
of its thread. Each WANT is NAME:CAT:MIN_MS:MAX_MS: some X event with that
name and category lasts within [MIN_MS, MAX_MS] ms. --wakes JSON: the arrows
are the wakes of that JSON report (made with --chrome-min-us 0): as many
arrows start on each tid as the report's wakers of that tid have calls.
Prints ok/not ok lines; exit 1 on failure. Standard library only."""
import json
import sys

failed = 0


def check(cond, desc, detail=""):
    global failed
    print(("ok - " if cond else "not ok - ") + desc + ("" if cond or not detail else " (" + detail + ")"))
    failed += 0 if cond else 1
    return cond


try:
    doc = json.load(open(sys.argv[1]))
except ValueError as e:
    check(False, "chrome: valid JSON", str(e))
    sys.exit(1)
check(True, "chrome: valid JSON")
ev = doc.get("traceEvents") if isinstance(doc, dict) else None
if not check(isinstance(ev, list) and ev, "chrome: traceEvents is a non-empty list"):
    sys.exit(1)
args = sys.argv[2:]
wakes = None
if args[:1] == ["--wakes"]:
    wakes, args = args[1], args[2:]


def number(v):
    return isinstance(v, (int, float)) and v >= 0


bad = [e for e in ev if not isinstance(e, dict) or e.get("ph") not in ("X", "M", "i", "s", "f")
       or not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int)
       or (e["ph"] == "X" and not (number(e.get("ts")) and number(e.get("dur")) and isinstance(e.get("name"), str)))
       or (e["ph"] in ("s", "f") and not (number(e.get("ts")) and isinstance(e.get("id"), int)
                                          and e.get("cat") == "wake" and e.get("name") == "wake"))
       or (e["ph"] == "f" and e.get("bp") != "e")]
check(not bad, "chrome: every event is a well-formed X, M, i, s or f event", str(bad[:2]))
named = {(e["pid"], e["tid"]) for e in ev if e.get("ph") == "M" and e.get("name") == "thread_name"}
xs = [e for e in ev if e.get("ph") == "X"]
unnamed = {(e["pid"], e["tid"]) for e in xs} - named
check(not unnamed, "chrome: every thread with events has a thread_name", str(sorted(unnamed)[:3]))
check(any(e.get("name") == "process_name" for e in ev), "chrome: process_name metadata present")
# nesting: per thread, sorted by (ts, -dur), each slice ends within its parent
misnested = []
by = {}
for e in xs:
    by.setdefault((e["pid"], e["tid"]), []).append(e)
for k, lst in by.items():
    lst.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    for e in lst:
        while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"] - 1e-3:
            stack.pop()
        if stack and e["ts"] + e["dur"] > stack[-1]["ts"] + stack[-1]["dur"] + 1e-3:
            misnested.append((stack[-1]["name"], e["name"], e["ts"]))
        stack.append(e)
check(not misnested, "chrome: X slices nest properly on every thread", str(misnested[:3]))
# flow arrows: one "s" and one "f" per id; the "s" inside an X slice of its
# thread (the releasing call), the "f" at the start of one (the wait)
starts = {e["id"]: e for e in ev if e.get("ph") == "s"}
ends = {e["id"]: e for e in ev if e.get("ph") == "f"}
check(len(starts) == sum(e.get("ph") == "s" for e in ev) and set(starts) == set(ends),
      "chrome: every flow arrow has one start and one end (%d arrows)" % len(ends),
      "starts %d, ends %d" % (len(starts), len(ends)))


def inside(e, at_start):
    for x in by.get((e["pid"], e["tid"]), []):
        if (-1e-4 < e["ts"] - x["ts"] < 2e-3) if at_start else (x["ts"] - 1e-3 <= e["ts"] <= x["ts"] + x["dur"] + 1e-3):
            return x
    return None


loose = [e for e in starts.values() if not inside(e, False)] + [e for e in ends.values() if not inside(e, True)]
check(not loose, "chrome: each arrow starts inside a slice and ends at the start (+1 ns) of a slice of its thread",
      str(loose[:2]))
if wakes:
    rep = json.load(open(wakes))
    want = {}
    for site in rep["sites"]:
        for w in site["wakers"]:
            if w["tid"]:
                want[w["tid"]] = want.get(w["tid"], 0) + w["calls"]
    got = {}
    for e in starts.values():
        got[e["tid"]] = got.get(e["tid"], 0) + 1
    check(got == want and want, "chrome: the arrows start on the wakers' threads, one per wake of the JSON report",
          "arrows per tid %s, wakes per tid %s" % (got, want))
for want in args:
    name, cat, lo, hi = want.split(":")
    durs = [e["dur"] / 1e3 for e in xs if e["name"] == name and e.get("cat") == cat]
    check(any(float(lo) <= d <= float(hi) for d in durs), "chrome: a %s/%s slice of %s..%s ms" % (name, cat, lo, hi),
          "durations (ms): %s" % sorted(durs)[-5:])
sys.exit(1 if failed else 0)
