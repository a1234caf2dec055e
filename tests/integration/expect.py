#!/usr/bin/env python3
"""expect.py JSON ASSERTION...: check a `waitreport --json` report against
exact expectations. Prints one `ok - ...` / `not ok - ...` line per
assertion; exits 1 if any failed. Standard library only.

ASSERTION forms (calls are summed over the sites whose first frame is the
named function; `*` as the function name means any wrapped function):
  malloc@site_child=100     calls == 100   (also >=, <=)
  *@site_parent=0           no calls at all from site_parent
  malloc@~libz>=2           first frame's module contains "libz"
  complete=true             process.complete (also stopped=, split=, pid=, ppid=)
  warnings=0                libwait.warnings (any key of "libwait")
"""
import json
import re
import sys


def first(site):
    st = site.get("stack") or []
    return st[0] if st else {}


def calls(rep, fn, at):
    n = 0
    for s in rep.get("sites", []):
        f = first(s)
        if fn != "*" and s.get("function") != fn:
            continue
        if at.startswith("~"):
            if at[1:] not in (f.get("module") or ""):
                continue
        elif f.get("function") != at:
            continue
        n += s.get("calls", 0)
    return n


def main():
    rep = json.load(open(sys.argv[1]))
    failed = 0
    for a in sys.argv[2:]:
        m = re.fullmatch(r"([^=<>]+?)(>=|<=|=)(.*)", a)
        if not m:
            print("not ok - bad assertion %r" % a)
            failed += 1
            continue
        key, op, want = m.groups()
        if "@" in key:
            fn, at = key.split("@", 1)
            got = calls(rep, fn, at)
        elif key in rep.get("process", {}):
            got = rep["process"][key]
        elif key in rep.get("libwait", {}):
            got = rep["libwait"][key]
        else:
            print("not ok - %s: no such field" % a)
            failed += 1
            continue
        if isinstance(got, bool):
            got = "true" if got else "false"
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            w = float(want)
            ok = got == w if op == "=" else got >= w if op == ">=" else got <= w
        else:
            ok = op == "=" and str(got) == want
        print("%s - %s (got %s)" % ("ok" if ok else "not ok", a, got))
        failed += not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
