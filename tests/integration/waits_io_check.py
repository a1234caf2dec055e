#!/usr/bin/env python3
"""waits_io_check.py JSON TEXT: check the reports (--json and text) of one
run of examples/all_io_waits against its known answers. Prints one
`ok - ...` / `not ok - ...` line per check; exits 1 if any failed.

Each row: wrapped function, the site (first frame), calls, bytes, errors,
fast calls, slow calls (None = not checked). Every call of a site_* function
is in this table: a site must have these calls and no other wrapped call.
"""
import json
import re
import sys

ROWS = [
    # polls (event family): fast = no switch, slow = blocked
    ("poll", "site_poll", 3, 0, 0, 3, 0),
    ("poll", "site_poll_chk", 2, 0, 0, 2, 0),      # __poll_chk
    ("poll", "site_poll_wait", 1, 0, 0, 0, 1),     # data after 100 ms
    ("ppoll", "site_ppoll", 3, 0, 0, 2, 1),        # 2 ready, 1 x 20 ms timeout
    ("epoll_wait", "site_epoll_wait", 3, 0, 0, 3, 0),
    ("epoll_pwait", "site_epoll_pwait", 3, 0, 0, 3, 0),
    ("epoll_pwait2", "site_epoll_pwait2", 3, 0, 0, 3, 0),
    ("pselect", "site_pselect", 3, 0, 0, 2, 1),
    # file I/O
    ("pwrite", "site_pwrite", 3, 300, 0, None, None),
    ("pread", "site_pread", 3, 300, 0, None, None),
    ("pwrite", "site_pwrite64", 2, 200, 0, None, None),
    ("pread", "site_pread64", 2, 200, 0, None, None),
    ("pread", "site_pread_chk", 2, 200, 0, None, None),
    ("read", "site_read_chk", 2, 200, 0, None, None),
    ("writev", "site_writev", 3, 300, 0, None, None),
    ("readv", "site_readv", 3, 300, 0, None, None),
    ("pwritev", "site_pwritev", 3, 300, 0, None, None),
    ("preadv", "site_preadv", 3, 300, 0, None, None),
    ("pwritev2", "site_pwritev2", 3, 300, 0, None, None),
    ("preadv2", "site_preadv2", 3, 300, 0, None, None),
    ("fsync", "site_fsync", 2, 0, 0, None, None),
    ("fdatasync", "site_fdatasync", 2, 0, 0, None, None),
    ("sync_file_range", "site_sync_file_range", 2, 0, 0, None, None),
    ("open", "site_open", 3, 0, 0, None, None),
    ("open", "site_open64", 1, 0, 0, None, None),
    ("open", "site_open_2", 1, 0, 0, None, None),
    ("open", "site_open_fail", 1, 0, 1, None, None),
    ("openat", "site_openat", 3, 0, 0, None, None),
    ("openat", "site_openat_2", 1, 0, 0, None, None),
    ("creat", "site_creat", 2, 0, 0, None, None),
    ("close", "site_close", 26, 0, 0, None, None),
    # errors: errno and results as without libwait (the program checks them)
    ("pread", "site_err_pread", 1, 0, 1, None, None),
    ("close", "site_err_close", 1, 0, 1, None, None),
    ("recv", "site_err_recv", 1, 0, 1, None, None),
    ("nanosleep", "site_err_nanosleep", 1, 0, 1, None, None),
    ("clock_nanosleep", "site_err_clock_nanosleep", 1, 0, 1, None, None),
    ("mmap", "site_err_mmap", 1, 0, 1, None, None),
    ("poll", "site_err_poll", 1, 0, 1, 1, 0),
    ("poll", "site_errno_kept", 1, 0, 0, 1, 0),
    # sockets
    ("send", "site_send", 3, 30, 0, None, None),
    ("recv", "site_recv", 3, 30, 0, None, None),
    ("sendto", "site_sendto", 3, 30, 0, None, None),
    ("recvfrom", "site_recvfrom", 3, 30, 0, None, None),
    ("send", "site_send_for_chk", 1, 40, 0, None, None),
    ("recv", "site_recv_chk", 2, 20, 0, None, None),
    ("recvfrom", "site_recvfrom_chk", 2, 20, 0, None, None),
    ("sendmsg", "site_sendmsg", 3, 300, 0, None, None),
    ("recvmsg", "site_recvmsg", 3, 300, 0, None, None),
    ("connect", "site_connect", 3, 0, 0, None, None),
    ("accept", "site_accept", 2, 0, 0, None, None),
    ("accept4", "site_accept4", 1, 0, 0, None, None),
    # sleeps (sleep family)
    ("nanosleep", "site_nanosleep", 1, 0, 0, None, None),
    ("nanosleep", "site_helper_sleep", 1, 0, 0, None, None),
    ("write", "site_helper_write", 1, 1, 0, None, None),
    ("clock_nanosleep", "site_clock_nanosleep", 2, 0, 0, None, None),
    ("usleep", "site_usleep", 2, 0, 0, None, None),
    ("sleep", "site_sleep", 1, 0, 0, None, None),
    # anonymous memory (mmap family), bytes mapped/unmapped
    ("mmap", "site_mmap", 3, 3 * 65536, 0, None, None),
    ("mremap", "site_mremap", 2, 3 * 65536, 0, None, None),
    ("munmap", "site_munmap", 3, 3 * 65536, 0, None, None),
    ("munmap", "site_munmap_file", 1, 4096, 0, None, None),
    # stdio (io family, fd = fileno)
    ("fwrite", "site_fwrite", 3, 30, 0, None, None),
    ("fputs", "site_fputs", 3, 15, 0, None, None),
    ("fflush", "site_fflush", 2, 88, 0, None, None),  # the stream's 88 buffered bytes (lines 1..10), then none
    ("fread", "site_fread", 3, 30, 0, None, None),
    ("fread", "site_fread_chk", 1, 0, 0, None, None),
    ("fgets", "site_fgets", 3, 11, 0, None, None),
    ("fgets", "site_fgets_chk", 1, 5, 0, None, None),
    ("getline", "site_getline", 3, 21, 0, None, None),
    ("getdelim", "site_getdelim", 2, 14, 0, None, None),
]

FAMILY = {"poll": "event", "ppoll": "event", "epoll_wait": "event", "epoll_pwait": "event",
          "epoll_pwait2": "event", "pselect": "event", "nanosleep": "sleep", "clock_nanosleep": "sleep",
          "usleep": "sleep", "sleep": "sleep", "mmap": "mmap", "munmap": "mmap", "mremap": "mmap"}

# blocked time (ms) a site must show: (function, site, low, high)
BLOCKED = [
    ("nanosleep", "site_nanosleep", 140, 260),
    ("poll", "site_poll_wait", 90, 250),
    ("sleep", "site_sleep", 990, 1150),
    ("usleep", "site_usleep", 19, 80),
    ("clock_nanosleep", "site_clock_nanosleep", 38, 120),
    ("ppoll", "site_ppoll", 19, 80),
    ("pselect", "site_pselect", 19, 80),
]

# time asked for (ns) by the sleep sites: (function, site, low, high); an
# absolute clock_nanosleep counts the time left to its deadline
ASKED = [
    ("nanosleep", "site_nanosleep", 150000000, 150000000),
    ("nanosleep", "site_helper_sleep", 100000000, 100000000),
    ("usleep", "site_usleep", 20000000, 20000000),
    ("sleep", "site_sleep", 1000000000, 1000000000),
    ("clock_nanosleep", "site_clock_nanosleep", 38000000, 40000000),
]

failed = 0


def check(cond, desc, detail=""):
    global failed
    print("%s - %s%s" % ("ok" if cond else "not ok", desc, "" if cond else " (%s)" % detail))
    failed += not cond


def at(s):
    st = s.get("stack") or []
    return st[0].get("function") if st else None


def main():
    rep = json.load(open(sys.argv[1]))
    text = open(sys.argv[2]).read()
    sites = rep["sites"]
    check(rep["process"]["split"] == "measured", "the wait/CPU split is measured", rep["process"]["split"])
    by = {}
    for s in sites:
        a = at(s)
        if a and a.startswith("site_"):
            by.setdefault(a, []).append(s)
    for fn, site, calls, nbytes, errors, fast, slow in ROWS:
        ss = [s for s in by.get(site, []) if s["function"] == fn]
        other = sorted({s["function"] for s in by.get(site, []) if s["function"] != fn})
        got = (sum(s["calls"] for s in ss), sum(s["bytes"] for s in ss), sum(s["errors"] for s in ss))
        check(got == (calls, nbytes, errors) and not other,
              "json: %s at %s: %d calls, %d bytes, %d errors, nothing else" % (fn, site, calls, nbytes, errors),
              "got %s, other functions %s" % (got, other))
        if fn in FAMILY:
            fams = {s["family"] for s in ss}
            check(fams == {FAMILY[fn]}, "json: %s is in family %s" % (fn, FAMILY[fn]), fams)
        if fast is not None:
            fs = (sum(s["fast_calls"] for s in ss), sum(s["slow_calls"] for s in ss))
            check(fs == (fast, slow), "json: %s at %s: fast path %d, slow path %d" % (fn, site, fast, slow), fs)
    # libwait's own maps, unmaps, opens and closes (chunks, thread states,
    # stack tables, /proc reads) are never recorded: the totals over all
    # sites are the program's own
    tot = {}
    for s in sites:
        tot[s["function"]] = tot.get(s["function"], 0) + s["calls"]
    for fn, n in (("mmap", 4), ("munmap", 4), ("mremap", 2), ("close", 27), ("open", 7), ("openat", 4)):
        check(tot.get(fn, 0) == n, "json: %d %s calls in all, none of libwait's own" % (n, fn), tot.get(fn, 0))
    check(rep["libwait"]["chunks"] >= 2, "json: the run used several chunks", rep["libwait"]["chunks"])
    known = {r[1] for r in ROWS}
    check(set(by) <= known, "json: no site_* function beyond the table", sorted(set(by) - known))
    for fn, site, lo, hi in BLOCKED:
        ss = [s for s in by.get(site, []) if s["function"] == fn]
        b = sum(s["blocked_ns"] or 0 for s in ss) / 1e6
        check(lo <= b <= hi, "json: %s at %s blocked %.1f ms, in [%d, %d] ms" % (fn, site, b, lo, hi), b)
    for fn, site, lo, hi in ASKED:
        a = sum(s.get("asked_ns", 0) for s in by.get(site, []) if s["function"] == fn)
        check(lo <= a <= hi, "json: %s at %s asked for %d ns, in [%d, %d]" % (fn, site, a, lo, hi), a)
    # the text report (--top 0 --frames 1): "  N function  calls ..." then
    # "    at site (file:line)", and the fast/slow line of event sites
    rows = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"\s*\d+ (\S+)\s+([\d,]+) ", line)
        if m:
            cur = [m.group(1), int(m.group(2).replace(",", "")), None, None]
            continue
        m = re.match(r"\s+at (\S+) ", line)
        if m and cur:
            key = (cur[0], m.group(1))
            r = rows.setdefault(key, [0, 0, 0])
            r[0] += cur[1]
            if cur[2] is not None:
                r[1] += cur[2]
                r[2] += cur[3]
            cur = None
            continue
        m = re.match(r"\s+fast path \(no switch\): (\d+) calls.*slow path \(blocked\): (\d+) calls", line)
        if m and cur:
            cur[2], cur[3] = int(m.group(1)), int(m.group(2))
    for fn, site, calls, nbytes, errors, fast, slow in ROWS:
        r = rows.get((fn, site), [0, 0, 0])
        check(r[0] == calls, "text: %s at %s: %d calls" % (fn, site, calls), r[0])
        if fast is not None:
            check((r[1], r[2]) == (fast, slow), "text: %s at %s: fast %d, slow %d" % (fn, site, fast, slow), r)
    m = re.search(r"196,608 bytes mapped, 0 failed", text)
    check(m is not None, "text: the mmap site shows its 196,608 bytes mapped")
    m = re.search(r"asked for 150 ms in all", text)
    check(m is not None, "text: the 150 ms nanosleep shows the time asked for")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
