#!/usr/bin/env python3
"""check.py JSON TEST: check a `waitreport --json` report of one example
against its known answers. Prints one `ok - ...` or `not ok - ...` line per
check; exits 1 if any check failed. Standard library only."""
import json
import os
import re
import sys

FAILED = 0
SRC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


def check(cond, desc, detail=""):
    global FAILED
    if cond:
        print("ok - " + desc)
    else:
        FAILED += 1
        print("not ok - " + desc + (" (" + detail + ")" if detail else ""))
    return cond


def caller(site):
    """The function name of the site's first (innermost) frame, or None."""
    st = site.get("stack") or []
    return st[0].get("function") if st else None


def find(rep, function=None, at=None):
    """Sites of wrapped function `function` whose first frame is `at`."""
    return [s for s in rep.get("sites", [])
            if (function is None or s.get("function") == function)
            and (at is None or caller(s) == at)]


def total(sites, key):
    return sum(s.get(key, 0) for s in sites)


def expect(rep, function, at, calls=None, min_calls=None, bytes_=None, errors=0, family=None, nsites=None):
    """Assert the sum over the sites of (function, first frame `at`)."""
    ss = find(rep, function, at)
    name = "%s at %s" % (function, at)
    if not check(ss, name + ": site present",
                 "sites with this first frame: %s" % sorted({s["function"] for s in find(rep, at=at)})):
        return ss
    if nsites is not None:
        check(len(ss) == nsites, "%s: %d site(s)" % (name, nsites), "got %d" % len(ss))
    c = total(ss, "calls")
    if calls is not None:
        check(c == calls, "%s: calls == %d" % (name, calls), "got %d" % c)
    if min_calls is not None:
        check(c >= min_calls, "%s: calls >= %d" % (name, min_calls), "got %d" % c)
    if bytes_ is not None:
        b = total(ss, "bytes")
        check(b == bytes_, "%s: bytes == %d" % (name, bytes_), "got %d" % b)
    if errors is not None:
        e = total(ss, "errors")
        check(e == errors, "%s: errors == %d" % (name, errors), "got %d" % e)
    if family is not None:
        fams = sorted({s.get("family") for s in ss})
        check(fams == [family], "%s: family %s" % (name, family), "got %s" % fams)
    return ss


def src_line(example, func, needle):
    """Line number of the first line containing `needle` inside func's body."""
    path = os.path.join(SRC_DIR, example + ".c")
    try:
        lines = open(path).read().split("\n")
    except OSError:
        return None
    inside = False
    for i, l in enumerate(lines, 1):
        if re.search(r"\b%s\(void \*arg\)|\b%s\(void\)" % (func, func), l) and not l.rstrip().endswith(";"):
            inside = True
        elif inside and needle in l:
            return i
    return None


def common(rep, example, nthreads):
    check(rep.get("version") == 1, "version is 1", "got %r" % rep.get("version"))
    p = rep.get("process", {})
    check(example in str(p.get("command", "")), "process.command names " + example, "got %r" % p.get("command"))
    check(isinstance(p.get("pid"), int) and p["pid"] > 0, "process.pid is set", "got %r" % p.get("pid"))
    check(isinstance(p.get("wall_ns"), int) and p["wall_ns"] > 0, "process.wall_ns > 0", "got %r" % p.get("wall_ns"))
    check(p.get("threads") == nthreads, "process.threads == %d" % nthreads, "got %r" % p.get("threads"))
    th = rep.get("threads", [])
    check(len(th) == nthreads, "threads[] has %d entries" % nthreads, "got %d" % len(th))
    check(p.get("pid") in [t.get("tid") for t in th], "main thread (tid == pid) listed",
          "tids %s" % [t.get("tid") for t in th])
    if "complete" in p:
        check(p["complete"] is True, "process.complete is true")
    lw = rep.get("libwait", {})
    if "dropped" in lw:
        check(lw["dropped"] == 0, "libwait.dropped == 0", "got %r" % lw["dropped"])
    if "self_ns" in lw and lw.get("records", 0) >= 64:
        # sampled fast path + exactly timed slow paths: some time, less than
        # the threads' whole lives, and (where start-up does not dominate:
        # unwinds, load map, first chunks) under 20 us per recorded call
        per = lw["self_ns"] / lw["records"]
        check(lw["self_ns"] > 0 and lw["self_ns"] < p.get("wall_ns", 0) * nthreads
              and (per < 20000 or lw["records"] < 10000),
              "libwait.self_ns plausible", "got %r ns (%.1f ns/call)" % (lw["self_ns"], per))
    bad = [(s["function"], f.get("function")) for s in rep.get("sites", []) for f in s.get("stack") or []
           if os.path.basename(str(f.get("module") or "")).startswith("libwait")]
    check(not bad, "no libwait frames in any stack", "got %s" % bad[:5])
    nostack = [s["function"] for s in rep.get("sites", []) if not s.get("stack")]
    check(not nostack, "every site has a stack", "%d without: %s" % (len(nostack), nostack[:5]))
    badq = [s["function"] for s in rep.get("sites", [])
            if not s["p50_ns"] <= s["p95_ns"] <= s["p99_ns"] <= s["p999_ns"] <= s["max_ns"]]
    check(not badq, "every site: p50 <= p95 <= p99 <= p99.9 <= max", "got %s" % badq[:5])
    badh = [s["function"] for s in rep.get("sites", []) if sum(b["count"] for b in s["hist"]) != s["calls"]
            or any(not (b["lo"] < b["hi"] and b["count"] > 0) for b in s["hist"])]
    check(not badh, "every site: non-empty histogram buckets sum to its calls", "got %s" % badh[:5])


def check_frame_line(ss, example, func, needle):
    line = src_line(example, func, needle)
    fr = (ss[0].get("stack") or [{}])[0] if ss else {}
    check(os.path.basename(str(fr.get("file"))) == example + ".c" and fr.get("line") == line,
          "%s frame is %s.c:%s" % (func, example, line), "got %s:%s" % (fr.get("file"), fr.get("line")))
    check(os.path.basename(str(fr.get("module"))) == example, "%s frame module is %s" % (func, example),
          "got %r" % fr.get("module"))


def t_lock_contend(rep):
    common(rep, "lock_contend", 5)
    ss = expect(rep, "pthread_mutex_lock", "worker", calls=80000, bytes_=0, family="lock", nsites=1)
    expect(rep, "pthread_mutex_unlock", "worker", calls=80000, bytes_=0, family="lock", nsites=1)
    check(sum(s["calls"] for s in find(rep, "pthread_mutex_lock")) == 80000, "pthread_mutex_lock calls == 80000 overall",
          "got %d" % sum(s["calls"] for s in find(rep, "pthread_mutex_lock")))
    if ss:
        st = ss[0]["stack"]
        check(not any("libwait" in os.path.basename(str(f.get("module"))) for f in st),
              "worker lock stack has no libwait.so frame", str([f.get("module") for f in st]))
        check(ss[0]["max_ns"] <= ss[0]["total_ns"], "worker lock max_ns <= total_ns")
        check_frame_line(ss, "lock_contend", "worker", "pthread_mutex_lock")
        w = ss[0]
        check(w.get("holds") == 80000, "worker lock: 80000 holds", "got %r" % w.get("holds"))
        check(0 < w.get("hold_ns", 0) <= rep["process"]["wall_ns"], "worker hold_ns within the run",
              "got %r" % w.get("hold_ns"))
        check(w.get("contended", -1) <= 80000, "worker contended <= calls", "got %r" % w.get("contended"))
        blamed = sum(x["wait_ns"] for x in w.get("holders", []))
        check(blamed <= w["total_ns"], "wait charged to holders <= the lock calls' time",
              "%d > %d" % (blamed, w["total_ns"]))
    mus = rep.get("mutexes") or [{}]
    check(len(mus) == 1 and mus[0].get("locks") == 80000 and mus[0].get("holds") == 80000,
          "one mutex, locked and held 80000 times", "got %r" % [(m.get("locks"), m.get("holds")) for m in mus])


def t_lock_hold(rep):
    common(rep, "lock_contend", 3)
    ss = expect(rep, "pthread_mutex_lock", "waiter", calls=3, family="lock", nsites=1)
    if ss:
        t, mx = ss[0]["total_ns"], ss[0]["max_ns"]
        check(500e6 <= t <= 2000e6, "waiter lock total_ns ~600 ms", "got %.1f ms" % (t / 1e6))
        check(150e6 <= mx <= 1000e6, "waiter lock max_ns ~200 ms", "got %.1f ms" % (mx / 1e6))
    expect(rep, "pthread_mutex_unlock", "waiter", calls=3)
    h = expect(rep, "pthread_mutex_lock", "holder", calls=3)
    if h:
        t = total(h, "total_ns")
        check(t < 100e6, "holder lock total_ns small", "got %.1f ms" % (t / 1e6))
    expect(rep, "pthread_mutex_unlock", "holder", calls=3)
    check(not find(rep, at="worker"), "no worker sites in hold mode")
    if h:
        hold = h[0].get("hold_ns", 0)
        check(600e6 <= hold <= 2000e6, "holder lock hold_ns >= 600 ms", "got %.1f ms" % (hold / 1e6))
        check(h[0].get("holds") == 3, "holder lock: 3 holds", "got %r" % h[0].get("holds"))
    if ss:
        w = ss[0]
        check(w.get("contended") == 3, "waiter lock: 3 contended calls", "got %r" % w.get("contended"))
        hs = w.get("holder_stack") or [{}]
        check(hs[0].get("function") == "holder", "waiter's top holder stack is holder",
              "got %r" % hs[0].get("function"))
        top = (w.get("holders") or [{}])[0]
        check(top.get("at") == "holder" and top.get("stack") == w.get("holder_stack"),
              "holders[0] is the holder's site, with holder_stack's frames", "got %r" % top.get("at"))
        check(500e6 <= top.get("wait_ns", 0) <= w["total_ns"], "waiter's wait charged to holder ~600 ms",
              "got %.1f ms" % (top.get("wait_ns", 0) / 1e6))
    mus = rep.get("mutexes") or [{}]
    mu = mus[0]
    check(len(mus) == 1, "one mutex", "got %d" % len(mus))
    hb, wb = mu.get("held_by") or [{}], mu.get("waited_on_by") or [{}]
    check(hb[0].get("at") == "holder" and hb[0].get("caused_wait_ns", 0) >= 500e6,
          "mutex held_by: holder first, caused ~600 ms of wait", "got %r" % hb[0])
    check(wb[0].get("at") == "waiter" and wb[0].get("waits") == 3, "mutex waited_on_by: waiter, 3 waits",
          "got %r" % wb[0])


def t_malloc_churn(rep):
    common(rep, "malloc_churn", 1)
    ss = expect(rep, "malloc", "site_malloc", calls=1000, bytes_=64000, family="malloc", nsites=1)
    expect(rep, "calloc", "site_calloc", calls=500, bytes_=160000, family="malloc", nsites=1)
    expect(rep, "realloc", "site_realloc", calls=200, bytes_=100 * 200 * 201 // 2, family="malloc")
    expect(rep, "posix_memalign", "site_memalign", calls=100, bytes_=25600, family="malloc", nsites=1)
    expect(rep, "aligned_alloc", "site_memalign", calls=100, bytes_=12800, family="malloc", nsites=1)
    expect(rep, "free", "free_all", calls=1701, bytes_=0, family="malloc")
    want = {("malloc", "site_malloc"), ("calloc", "site_calloc"), ("realloc", "site_realloc"),
            ("posix_memalign", "site_memalign"), ("aligned_alloc", "site_memalign"), ("free", "free_all")}
    got = {(s["function"], caller(s)) for s in rep.get("sites", [])
           if caller(s) in ("site_malloc", "site_calloc", "site_realloc", "site_memalign", "free_all", "checksum")}
    check(got == want, "no other calls at the example's sites", "extra %s missing %s" % (got - want, want - got))
    peaks = {(s["function"], caller(s)): s.get("peak_bytes") for s in rep.get("sites", [])}
    for key, want in ((("malloc", "site_malloc"), 64000), (("calloc", "site_calloc"), 160000),
                      (("posix_memalign", "site_memalign"), 25600), (("aligned_alloc", "site_memalign"), 12800)):
        check(peaks.get(key) == want, "%s at %s: peak_bytes == %d" % (key + (want,)), "got %r" % peaks.get(key))
    rs = find(rep, "realloc", "site_realloc")
    check(max([s.get("peak_bytes", 0) for s in rs] or [0]) == 20000, "realloc at site_realloc: peak 20,000",
          "got %r" % [s.get("peak_bytes") for s in rs])
    mine = [s for s in rep.get("sites", []) if caller(s) in ("site_malloc", "site_calloc", "site_realloc",
                                                              "site_memalign")]
    check(sum(s.get("leaked", 0) for s in mine) == 0, "everything the example allocates is freed: no leaks")
    hp = rep.get("heap", {})
    check(282400 <= hp.get("peak_bytes", 0) <= 282400 + 8192, "process peak ~282,400 bytes (+ libc's own)",
          "got %r" % hp.get("peak_bytes"))
    if ss:
        check_frame_line(ss, "malloc_churn", "site_malloc", "malloc(64)")
        check(len(ss[0]["stack"]) >= 2 and ss[0]["stack"][1].get("function") == "main",
              "site_malloc is called from main", str([f.get("function") for f in ss[0]["stack"]][:3]))


def t_heap_leaks(rep):
    common(rep, "heap_leaks", 2)
    keep = expect(rep, "malloc", "site_keep", calls=10, bytes_=10000, nsites=1)
    if keep:
        k = keep[0]
        check((k.get("leaked"), k.get("leaked_bytes")) == (10, 10000), "site_keep leaked 10 blocks, 10,000 bytes",
              "got %r" % ((k.get("leaked"), k.get("leaked_bytes")),))
        check(k.get("peak_bytes") == 10000, "site_keep peak 10,000", "got %r" % k.get("peak_bytes"))
    grow = expect(rep, "realloc", "site_grow", calls=10)
    check((total(grow, "leaked"), total(grow, "leaked_bytes")) == (1, 1000), "site_grow leaked 1 block, 1,000 bytes",
          "got %r" % ((total(grow, "leaked"), total(grow, "leaked_bytes")),))
    check(max([g.get("peak_bytes", 0) for g in grow] or [0]) == 1000, "site_grow peak 1,000")
    tmp = expect(rep, "malloc", "site_temp", calls=100, bytes_=500000, nsites=1)
    if tmp:
        check(tmp[0].get("peak_bytes") == 500000, "site_temp peak 500,000", "got %r" % tmp[0].get("peak_bytes"))
        check(tmp[0].get("leaked") == 0, "site_temp: freed by another thread, nothing leaked",
              "got %r" % tmp[0].get("leaked"))
    expect(rep, "free", "free_them", calls=100)
    sm = expect(rep, "malloc", "site_small", calls=50, nsites=1)
    check(total(sm, "leaked") == 0 and total(sm, "peak_bytes") == 100000, "site_small: peak 100,000, no leak")
    hp = rep.get("heap", {})
    check(511000 <= hp.get("peak_bytes", 0) <= 511000 + 8192, "process peak ~511,000 bytes (+ libc's own)",
          "got %r" % hp.get("peak_bytes"))
    check(0 < hp.get("peak_ns", 0) < rep["process"]["wall_ns"], "peak time within the run",
          "got %r" % hp.get("peak_ns"))
    check(11000 <= hp.get("leaked_bytes", 0) <= 11000 + 8192, "process leaked ~11,000 bytes (+ libc's own)",
          "got %r" % hp.get("leaked_bytes"))
    check(hp.get("foreign_frees") == 0, "no frees of unknown pointers", "got %r" % hp.get("foreign_frees"))


def t_pipe_rw(rep):
    common(rep, "pipe_rw", 3)
    ss = expect(rep, "write", "producer", calls=1000, bytes_=4096000, family="io", nsites=1)
    expect(rep, "read", "consumer", min_calls=1001, bytes_=4096000, family="io", nsites=1)
    if ss:
        check_frame_line(ss, "pipe_rw", "producer", "write(fds[1]")


def t_eventfd_select(rep):
    common(rep, "eventfd_select", 3)
    expect(rep, "eventfd", "fast_path", calls=1, bytes_=0, family="event")
    expect(rep, "eventfd", "main", calls=2, bytes_=0, family="event")
    n = total(find(rep, "eventfd"), "calls")
    check(n == 3, "eventfd calls == 3 overall", "got %d" % n)
    expect(rep, "eventfd_write", "fast_path", calls=1, bytes_=8, family="event")
    expect(rep, "select", "fast_path", calls=100, bytes_=0, family="event", nsites=1)
    expect(rep, "eventfd_read", "fast_path", calls=1, bytes_=8, family="event")
    for side in ("pinger", "ponger"):
        expect(rep, "select", side, calls=2000, bytes_=0, family="event", nsites=1)
        expect(rep, "eventfd_write", side, calls=2000, bytes_=16000, family="event", nsites=1)
        expect(rep, "eventfd_read", side, calls=2000, bytes_=16000, family="event", nsites=1)
        others = sorted({s["function"] for s in find(rep, at=side)} - {"select", "eventfd_read", "eventfd_write"})
        check(not others, "%s: no other wrapped calls (eventfd_* internals unseen)" % side, "got %s" % others)
    fp = find(rep, "select", "fast_path")
    if fp:
        check(fp[0]["max_ns"] < 500e6, "fast_path select never blocks", "max %.1f ms" % (fp[0]["max_ns"] / 1e6))


TESTS = {"lock_contend": t_lock_contend, "lock_hold": t_lock_hold, "malloc_churn": t_malloc_churn,
         "pipe_rw": t_pipe_rw, "eventfd_select": t_eventfd_select, "heap_leaks": t_heap_leaks}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in TESTS:
        sys.stderr.write("usage: check.py REPORT.json {%s}\n" % "|".join(TESTS))
        return 2
    try:
        with open(sys.argv[1]) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        check(False, "report is valid JSON", str(e))
        return 1
    check(isinstance(rep, dict), "report is a JSON object")
    if isinstance(rep, dict):
        TESTS[sys.argv[2]](rep)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
