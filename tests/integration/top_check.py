#!/usr/bin/env python3
"""top_check.py: helpers for top.sh (stdlib only).
  top_check.py rows FILE FUNC WHERE         -> sum of CALLS of matching rows
  top_check.py field FILE FUNC WHERE COL    -> COL (wait/s, p99...) of the first match, in ns
  top_check.py span FILE                    -> the span of the last snapshot in ns
  top_check.py stdin_run OUT TRACE LIB CMD  -> drive `phases stdin` with SIGUSR2s
  top_check.py stdin_ctl OUT TRACE LIB CMD  -> the same with `waitreport ctl` ($WR)
  top_check.py bad_switches TRACE           -> SWITCH records stamped outside the run
"""
import os
import re
import signal
import subprocess
import sys

COLS = ["calls", "calls/s", "time/s", "wait/s", "cpu/s", "p99"]
UNIT = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def ns(tok):
    v, u = tok
    return float(v) * UNIT[u]


def parse_row(line):
    """A table row: six figures (durations are two tokens) then function, site."""
    toks = line.split()
    out, i = [], 0
    for c in COLS:
        if i >= len(toks):
            return None
        if c in ("calls", "calls/s"):
            out.append(toks[i].replace(",", ""))
            i += 1
        elif toks[i] == "-":
            out.append(None)
            i += 1
        else:
            if i + 1 >= len(toks) or toks[i + 1] not in UNIT:
                return None
            out.append(ns((toks[i], toks[i + 1])))
            i += 2
    if not out[0].isdigit():
        return None
    return dict(zip(COLS, out), func=toks[i] if i < len(toks) else "", rest=" ".join(toks[i + 1:]))


def rows(path, func, where):
    for line in open(path, errors="replace"):
        r = parse_row(line)
        if r and r["func"] == func and where in r["rest"]:
            yield r


def uv(b, p):
    v = s = 0
    while True:
        x = b[p]
        p += 1
        v |= (x & 0x7F) << s
        s += 7
        if not x & 0x80:
            return v, p


def bad_switches(path):
    """SWITCH records (0x86) whose stamp lies outside [start, end] of the run
    (a closed trace of the local format; layout from include/lw_format.h)."""
    import struct
    d = open(path, "rb").read()
    cs = struct.unpack_from("<I", d, 16)[0]
    start, end = struct.unpack_from("<Q", d, 48)[0], struct.unpack_from("<Q", d, 72)[0]
    bad = 0
    for i in range((len(d) - 4096) // cs):
        o = 4096 + i * cs
        magic, _, _, _, _, bmono = struct.unpack_from("<IIIIQQ", d, o)
        if magic != 0x4B4E4843:
            continue
        p = o + 64
        while p < o + cs and d[p] not in (0, 0x80):
            ln, q = uv(d, p + 1)
            if d[p] == 0x86:
                _, q2 = uv(d, q)
                z, _ = uv(d, q2)
                t = bmono + ((z >> 1) ^ -(z & 1))
                bad += not (start <= t <= end)
            p = q + ln
    return bad


def main():
    cmd = sys.argv[1]
    if cmd == "rows":
        print(sum(int(r["calls"]) for r in rows(*sys.argv[2:5])))
    elif cmd == "field":
        for r in rows(*sys.argv[2:5]):
            print(int(r[sys.argv[5]] or 0))
            return
        print(-1)
    elif cmd == "span":
        last = None
        for line in open(sys.argv[2]):
            m = re.search(r"(since start|last interval): ([0-9.]+) (ns|us|ms|s)\b", line)
            if m:
                last = ns((m.group(2), m.group(3)))
        print(int(last or 0))
    elif cmd == "bad_switches":
        print(bad_switches(sys.argv[2]))
    elif cmd in ("stdin_run", "stdin_ctl"):
        out, trace, lib = sys.argv[2:5]
        env = dict(os.environ, LD_PRELOAD=lib, WAIT_OUTPUT=trace, WAIT_START="0")
        if cmd == "stdin_ctl":
            env["WAIT_SIGNAL"] = "0"  # control through the trace header only
        p = subprocess.Popen(sys.argv[5:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        got = []
        for step in range(2):
            got.append(p.stdout.readline().strip())
            if cmd == "stdin_run":
                p.send_signal(signal.SIGUSR2)  # delivered before the line below is read
            else:  # visible to the program's next call once ctl returns
                r = subprocess.run([os.environ["WR"], "ctl", trace, "resume" if step == 0 else "pause"],
                                   stdout=subprocess.PIPE, text=True)
                got.append(r.stdout.split(": ")[-1].strip())
            p.stdin.write("go\n")
            p.stdin.flush()
        rest = p.communicate(timeout=30)[0]
        got += rest.split()
        with open(out, "w") as f:
            f.write(" ".join(got) + "\n")
        sys.exit(p.returncode)


if __name__ == "__main__":
    main()
