#!/usr/bin/env python3
"""pprof_check.py PROFILE REPORT.json [--go] [--nosplit]: check a
`waitreport --pprof` file against `waitreport --json` of the same traces.

The profile is decoded here from the protobuf wire format with the standard
library only (gzip, then varints and length-delimited fields), independently
of the protobuf-c encoder that wrote it, so the checks run, and can fail,
without Go. With --go the totals are also read back through the real
`go tool pprof` (-raw and -top -sample_index=X). --nosplit: the traces have
no wait/CPU split (the time values must be 0 and the default type calls).

Prints one `ok - ...` / `not ok - ...` line per check; exits 1 if any failed.
"""
import gzip
import json
import re
import subprocess
import sys
from collections import defaultdict

import check as chk  # check.py: ok/not ok lines and their count
from top_check import uv as varint  # an unsigned LEB128 varint: protobuf uses them too

TYPES = [("calls", "count"), ("wait", "nanoseconds"), ("cpu", "nanoseconds"),
         ("blocked", "nanoseconds"), ("runnable", "nanoseconds"), ("bytes", "bytes")]
JSON_FIELDS = ["calls", "wait_ns", "cpu_ns", "blocked_ns", "runnable_ns", "bytes"]


def check(desc, cond, why=""):
    chk.check(cond, desc, why)


def fields(b):
    """(field number, wire type, value) of a message: ints or bytes."""
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 1:
            v, i = int.from_bytes(b[i:i + 8], "little"), i + 8
        elif w == 5:
            v, i = int.from_bytes(b[i:i + 4], "little"), i + 4
        else:
            raise ValueError("wire type %d" % w)
        yield f, w, v


def ints(w, v, signed=True):
    """a repeated integer field's values: packed (bytes) or one varint."""
    if w == 0:
        vals = [v]
    else:
        vals, i = [], 0
        while i < len(v):
            x, i = varint(v, i)
            vals.append(x)
    return [x - (1 << 64) if signed and x >= 1 << 63 else x for x in vals]


def msg(b, spec):
    """a message as a dict: spec maps field number to (name, kind); kinds:
    int, uint, [int], [uint], bytes, [bytes]."""
    d = {name: ([] if kind.startswith("[") else 0) for name, kind in spec.values()}
    for f, w, v in fields(b):
        if f not in spec:
            continue
        name, kind = spec[f]
        if kind in ("[int]", "[uint]"):
            d[name] += ints(w, v, kind == "[int]")
        elif kind == "[bytes]":
            d[name].append(v)
        elif kind in ("int", "uint"):
            d[name] = ints(w, v, kind == "int")[0]
        else:
            d[name] = v
    return d


def decode(path):
    raw = gzip.open(path).read()
    p = msg(raw, {1: ("sample_type", "[bytes]"), 2: ("sample", "[bytes]"), 3: ("mapping", "[bytes]"),
                  4: ("location", "[bytes]"), 5: ("function", "[bytes]"), 6: ("strings", "[bytes]"),
                  13: ("comment", "[int]"), 14: ("default_sample_type", "int")})
    st = [s.decode("utf-8") for s in p["strings"]]
    p["strings"] = st
    vt = {1: ("type", "int"), 2: ("unit", "int")}
    p["sample_type"] = [(st[x["type"]], st[x["unit"]]) for x in (msg(b, vt) for b in p["sample_type"])]
    lab = {1: ("key", "int"), 2: ("str", "int"), 3: ("num", "int")}
    p["sample"] = [msg(b, {1: ("loc", "[uint]"), 2: ("value", "[int]"), 3: ("label", "[bytes]")})
                   for b in p["sample"]]
    for s in p["sample"]:
        s["labels"] = {}
        for lb in s["label"]:
            x = msg(lb, lab)
            s["labels"][st[x["key"]]] = st[x["str"]] if x["str"] else x["num"]
    p["mapping"] = {m["id"]: m for m in (msg(b, {1: ("id", "uint"), 2: ("start", "uint"), 3: ("limit", "uint"),
                                                 5: ("file", "int"), 6: ("build_id", "int"),
                                                 7: ("has_functions", "uint")}) for b in p["mapping"])}
    p["mapping_order"] = [msg(b, {1: ("id", "uint")})["id"] for b in raw_list(raw, 3)]
    fn = {f["id"]: f for f in (msg(b, {1: ("id", "uint"), 2: ("name", "int"), 4: ("file", "int")})
                               for b in p["function"])}
    locs, p["location"] = p["location"], {}
    for b in locs:
        loc = msg(b, {1: ("id", "uint"), 2: ("mapping", "uint"), 3: ("addr", "uint"), 4: ("line", "[bytes]")})
        loc["lines"] = []
        for lb in loc["line"]:
            ln = msg(lb, {1: ("fn", "uint"), 2: ("line", "int")})
            f = fn[ln["fn"]]
            loc["lines"].append((st[f["name"]], st[f["file"]], ln["line"]))
        p["location"][loc["id"]] = loc
    return p


def raw_list(raw, field):
    return [v for f, w, v in fields(raw) if f == field]


def key_of(p, s):
    """the JSON site key of a sample: frame names root first, then the leaf."""
    names = []
    for lid in s["loc"]:
        names += [ln[0] for ln in p["location"][lid]["lines"]]
    return ";".join(n.replace(";", "_") for n in reversed(names))


def processes(rep):
    return rep["processes"] if rep.get("multi") else [rep]


def main():
    args = sys.argv[1:]
    use_go = "--go" in args
    nosplit = "--nosplit" in args
    path, jpath = [a for a in args if not a.startswith("--")][:2]
    rep = json.load(open(jpath))
    try:
        p = decode(path)
    except Exception as e:  # a file that does not decode fails every check below
        check("the profile decodes (gzip, protobuf)", False, repr(e))
        return 1
    check("the profile decodes (gzip, protobuf): %d samples, %d locations"
          % (len(p["sample"]), len(p["location"])), True)
    st = p["strings"]
    check("sample types in order: " + " ".join("%s/%s" % t for t in p["sample_type"]),
          p["sample_type"] == TYPES, str(p["sample_type"]))
    dflt = st[p["default_sample_type"]]
    check("default sample type is %s" % ("calls" if nosplit else "wait"), dflt == ("calls" if nosplit else "wait"),
          dflt)
    check("string 0 is empty", st and st[0] == "")

    # totals: every sample type against the JSON's sites
    sites = rep["sites"]
    tot = [sum(s["value"][i] for s in p["sample"]) for i in range(6)]
    want = [sum(s.get(f) or 0 for s in sites) for f in JSON_FIELDS]
    for i, (t, _) in enumerate(TYPES):
        ok = tot[i] == want[i] if i != 2 else abs(tot[i] - want[i]) <= 0.01 * want[i] + 64
        check("%s total %d equals the JSON's %d" % (t, tot[i], want[i]), ok)
    if nosplit:
        check("no wait/CPU split: wait, cpu, blocked and runnable are 0", sum(tot[1:5]) == 0, str(tot))
        check("a comment says the split was not measured",
              any("no wait/CPU split" in st[c] for c in p["comment"]))

    # one sample per site and thread: by key, calls and wait equal the sites'
    by_key = defaultdict(lambda: [0] * 6)
    for s in p["sample"]:
        v = by_key[key_of(p, s)]
        for i in range(6):
            v[i] += s["value"][i]
    jkey = defaultdict(lambda: [0] * 6)
    for s in sites:
        for i, f in enumerate(JSON_FIELDS):
            jkey[s["key"]][i] += s.get(f) or 0
    bad = [k for k in set(by_key) | set(jkey) if [by_key[k][i] for i in (0, 1, 3, 4, 5)] != [jkey[k][i] for i in (0, 1, 3, 4, 5)]]
    check("per site (leaf + frames, inlined ones as lines): calls, wait, blocked, runnable and bytes equal "
          "the JSON's "
          "(%d keys)" % len(jkey), not bad, "differ: %s" % bad[:3])
    fams = {s["key"]: s["family"] for s in sites}
    check("every sample's family label is its site's family",
          all(s["labels"].get("family") == fams.get(key_of(p, s)) for s in p["sample"]))

    # threads: the labels are exact, and calls per tid equal the JSON's threads
    names, calls = defaultdict(set), defaultdict(int)  # a pid and tid can be two programs (exec)
    for pr in processes(rep):
        pid = pr["process"]["pid"]
        for th in pr["threads"]:
            names[(pid, th["tid"])].add(th["name"])
            calls[(pid, th["tid"])] += th["calls"]
    got = defaultdict(int)
    for s in p["sample"]:
        got[(s["labels"].get("pid"), s["labels"].get("tid"))] += s["value"][0]
    check("calls per (pid, tid) label equal the JSON threads' calls (%d threads)" % len(calls),
          {k: v for k, v in calls.items() if v} == dict(got), "%s vs %s" % (dict(got), dict(calls)))
    check("every sample's thread label is its thread's name",
          all(s["labels"].get("thread", "") in names[(s["labels"].get("pid"), s["labels"].get("tid"))]
              for s in p["sample"]))
    pids = {pr["process"]["pid"] for pr in processes(rep)}
    check("pid labels are the processes' pids %s" % sorted(pids), {s["labels"].get("pid") for s in p["sample"]} == pids)

    # leaf and mappings
    check("every sample's leaf is its wrapped function, with no mapping",
          all(p["location"][s["loc"][0]]["mapping"] == 0 and
              p["location"][s["loc"][0]]["lines"][0][0] == key_of(p, s).rsplit(";", 1)[-1] for s in p["sample"]))
    inside = all(l["mapping"] == 0 or p["mapping"][l["mapping"]]["start"] <= l["addr"] < p["mapping"][l["mapping"]]["limit"]
                 for l in p["location"].values())
    check("every location's address is inside its mapping", inside)
    first = p["mapping"][p["mapping_order"][0]] if p["mapping_order"] else None
    exe = processes(rep)[0]["process"]["exe"]
    check("mapping[0] is the program (%s) with a build id" % exe.rsplit("/", 1)[-1],
          first is not None and st[first["file"]] == exe and re.fullmatch("[0-9a-f]{16,}", st[first["build_id"]] or "-"))
    check("mappings are marked symbolized", all(m["has_functions"] for m in p["mapping"].values()))
    mapped = sum(1 for l in p["location"].values() if l["mapping"])
    check("program frames have mappings and addresses (%d)" % mapped, mapped > 0)

    if use_go:
        goc(path, want)
    return 1 if chk.FAILED else 0


def goc(path, want):
    """the totals as `go tool pprof` reads them."""
    r = subprocess.run(["go", "tool", "pprof", "-raw", path], capture_output=True, text=True, timeout=120)
    tot = [0] * 6
    rows = 0
    for line in r.stdout.split("Samples:", 1)[-1].split("Locations", 1)[0].splitlines():
        m = re.match(r"\s*((?:\d+\s+){5}\d+):", line)
        if m:
            rows += 1
            for i, x in enumerate(m.group(1).split()):
                tot[i] += int(x)
    check("go tool pprof -raw reads %d samples (rc %d)" % (rows, r.returncode), r.returncode == 0 and rows > 0,
          r.stderr.strip()[:200])
    for i, (t, _) in enumerate(TYPES):
        check("go tool pprof -raw: %s total %d equals the JSON's %d" % (t, tot[i], want[i]),
              abs(tot[i] - want[i]) <= 0.01 * want[i] + 64)
        unit = {"count": [], "nanoseconds": ["-unit=ns"], "bytes": ["-unit=B"]}[TYPES[i][1]]
        r = subprocess.run(["go", "tool", "pprof", "-top", "-sample_index=" + t] + unit + [path],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"of ([0-9.]+)[a-zA-Z]* total", r.stdout)
        got = float(m.group(1)) if m else -1
        if want[i] == 0 and not m:  # pprof prints no total line for an empty view
            got = 0 if r.returncode == 0 else -1
        check("go tool pprof -top -sample_index=%s: total %s equals the JSON's %d" % (t, got, want[i]),
              abs(got - want[i]) <= 0.01 * want[i] + 64, r.stderr.strip()[:200])


if __name__ == "__main__":
    sys.exit(main())
