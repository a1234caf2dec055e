#!/usr/bin/env python3
"""chrome_check.py FILE [WANT...]: check a `waitreport --chrome` file: valid
JSON in the Trace Event object format, every event well formed (ph, pid,
tid, ts/dur numbers), thread_name metadata for every tid with events, and X
slices properly nested per thread (what Perfetto needs to build tracks).
Each WANT is NAME:CAT:MIN_MS:MAX_MS: some X event with that name and
category lasts within [MIN_MS, MAX_MS] ms. Prints ok/not ok lines; exit 1 on
failure. Standard library only."""
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
bad = [e for e in ev if not isinstance(e, dict) or e.get("ph") not in ("X", "M")
       or not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int)
       or (e["ph"] == "X" and not (isinstance(e.get("ts"), (int, float)) and isinstance(e.get("dur"), (int, float))
                                   and e["ts"] >= 0 and e["dur"] >= 0 and isinstance(e.get("name"), str)))]
check(not bad, "chrome: every event is a well-formed X or M event", str(bad[:2]))
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
for want in sys.argv[2:]:
    name, cat, lo, hi = want.split(":")
    durs = [e["dur"] / 1e3 for e in xs if e["name"] == name and e.get("cat") == cat]
    check(any(float(lo) <= d <= float(hi) for d in durs), "chrome: a %s/%s slice of %s..%s ms" % (name, cat, lo, hi),
          "durations (ms): %s" % sorted(durs)[-5:])
sys.exit(1 if failed else 0)
