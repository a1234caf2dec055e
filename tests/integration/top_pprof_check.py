#!/usr/bin/env python3
"""top_pprof_check.py DIR REPORT.json MIN [--go]: the profiles that
`waitreport top --pprof-every DIR` wrote while following a run, against
`waitreport --json` of the whole trace.

Each file is decoded with pprof_check.py's standard-library decoder (and
read by `go tool pprof -raw` with --go). The files must be at least MIN,
named in time order, with no temporary file left, cover back-to-back
intervals, and hold each call once: their calls and bytes summed per site
equal the JSON's exactly, their wait within 2%.

Prints one `ok - ...` / `not ok - ...` line per check; exits 1 if any failed.
"""
import glob
import os
import re
import subprocess
import sys
from collections import defaultdict

import check as chk
from pprof_check import decode, key_of
import json


def main():
    d, rep, least = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
    go = "--go" in sys.argv[4:]
    files = sorted(glob.glob(os.path.join(d, "profile-*.pb.gz")))
    names = [os.path.basename(f) for f in files]
    chk.check(len(files) >= least, "%d files written (at least %d)" % (len(files), least))
    chk.check(all(re.fullmatch(r"profile-[0-9]{10}\.[0-9]{3}\.pb\.gz", n) for n in names),
              "every name is profile-SECONDS.MILLIS.pb.gz", " ".join(names[:3]))
    left = [n for n in os.listdir(d) if not n.startswith("profile-")]
    chk.check(not left, "no temporary file is left in the directory", " ".join(left))
    calls, byts, wait = defaultdict(int), defaultdict(int), 0
    spans = []
    for f in files:
        p = decode(f)
        st = p["strings"]
        com = [st[c] for c in p["comment"]]
        m = [re.fullmatch(r"waitreport top: the calls settled from ([0-9.]+) s to ([0-9.]+) s of the run", c)
             for c in com]
        m = [x for x in m if x]
        spans.append((float(m[0].group(1)), float(m[0].group(2))) if m else None)
        for s in p["sample"]:
            k = key_of(p, s)
            calls[k] += s["value"][0]
            byts[k] += s["value"][5]
            wait += s["value"][1]
        if go:
            r = subprocess.run(["go", "tool", "pprof", "-raw", f], capture_output=True, text=True)
            if r.returncode:
                chk.check(False, "go tool pprof -raw reads %s" % os.path.basename(f), r.stderr[:200])
    if go:
        chk.check(True, "go tool pprof -raw read the %d files" % len(files))
    chk.check(all(spans) and all(a[1] == b[0] for a, b in zip(spans, spans[1:])) and spans[0][0] == 0,
              "the files cover back-to-back intervals from the start (their comments)", str(spans[:4]))
    want_c, want_b = defaultdict(int), defaultdict(int)  # two sites may share a key (one line, two calls)
    for s in rep["sites"]:
        want_c[s["key"]] += s["calls"]
        want_b[s["key"]] += s["bytes"]
    chk.check(dict(calls) == dict(want_c), "the calls of every site, summed over the files, equal the JSON's (%d calls, %d sites)"
              % (sum(calls.values()), len(calls)),
              str(sorted(set(calls.items()) ^ set(want_c.items()))[:4]))
    chk.check({k: v for k, v in byts.items() if v} == {k: v for k, v in want_b.items() if v},
              "the bytes of every site, summed over the files, equal the JSON's")
    jw = sum(s["wait_ns"] or 0 for s in rep["sites"])
    chk.check(abs(wait - jw) <= 0.02 * jw, "the wait summed over the files, %.1f ms, is the JSON's %.1f ms within 2%%"
              % (wait / 1e6, jw / 1e6))
    return 1 if chk.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
