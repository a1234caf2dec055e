#!/usr/bin/env python3
"""sync_check.py MODE REPORT.json [REPORT.txt]: known answers of
examples/all_sync_waits (MODE all, recorded with WAIT_LOCKS=all; lone, by
default; or cancel) and of a python3 run (MODE
python). One `ok - ...` / `not ok - ...` line per check; exit 1 on any
failure. Standard library only."""
import json
import re
import sys

ECANCELED, ETIMEDOUT, EAGAIN = 125, 110, 11
failed = 0


def check(desc, cond, got=None):
    global failed
    print("%s - %s%s" % ("ok" if cond else "not ok", desc, "" if got is None else " (got %s)" % (got,)))
    failed += not cond


def first(s):
    return (s.get("stack") or [{}])[0].get("function")


def at(d, fn, where):
    """sites of wrapped function fn whose first frame is function where"""
    return [s for s in d["sites"] if s["function"] == fn and first(s) == where]


def tot(sites, k):
    return sum(s[k] or 0 for s in sites)


MS = 1000000

# function, wrapped call, calls, errors, (lo, hi) wait in ms or None. The
# lower bounds are strict where the program makes them so (a timeout, a
# signal sent 40 ms after the wait began), looser where a thread's start or
# a 1 ms poll comes first (rw_writer, sem_waiter, the barrier).
ALL = [
    ("cond_waiter", "pthread_cond_wait", 5, 0, (195, 400)),
    ("cond_timed", "pthread_cond_timedwait", 3, 3, (58, 150)),
    ("cond_clocked", "pthread_cond_clockwait", 2, 2, (49, 120)),
    ("cond_signaller", "pthread_cond_signal", 5, 0, None),
    ("cond_broadcaster", "pthread_cond_broadcast", 2, 0, None),
    ("rw_reader", "pthread_rwlock_rdlock", 6, 0, None),
    ("rw_writer", "pthread_rwlock_wrlock", 4, 0, (20, 100)),
    ("rw_holder_lock", "pthread_rwlock_wrlock", 1, 0, None),
    ("rw_tryreader", "pthread_rwlock_tryrdlock", 3, 0, None),
    ("rw_trywriter", "pthread_rwlock_trywrlock", 3, 0, None),
    ("rw_timedreader", "pthread_rwlock_timedrdlock", 2, 0, None),
    ("rw_timedwriter", "pthread_rwlock_timedwrlock", 2, 0, None),
    ("rw_clockreader", "pthread_rwlock_clockrdlock", 2, 0, None),
    ("rw_clockwriter", "pthread_rwlock_clockwrlock", 2, 0, None),
    ("rw_release", "pthread_rwlock_unlock", 25, 0, None),
    ("sem_waiter", "sem_wait", 4, 0, (100, 250)),
    ("sem_timed", "sem_timedwait", 2, 2, (39, 100)),
    ("sem_clocked", "sem_clockwait", 2, 2, (29, 80)),
    ("sem_trier", "sem_trywait", 3, 3, None),
    ("sem_poster", "sem_post", 4, 0, None),
    ("spin_locker", "pthread_spin_lock", 5, 0, None),
    ("spin_trier", "pthread_spin_trylock", 2, 0, None),
    ("spin_release", "pthread_spin_unlock", 7, 0, None),
    ("joiner", "pthread_join", 5, 0, None),
    ("barrier_sync", "pthread_barrier_wait", 6, 0, None),
]


def text_calls(txt):
    """{(function, first frame's function): calls} from a text report"""
    out, cur = {}, None
    for line in txt.splitlines():
        m = re.match(r"^ {0,3}\d+ (\S+)\s+([\d,]+)\s", line)  # rows; their notes are indented 4
        if m:
            cur = (m.group(1), int(m.group(2).replace(",", "")))
            continue
        m = re.match(r"^    at (.+?) \(", line)
        if m and cur:
            k = (cur[0], m.group(1))
            out[k] = out.get(k, 0) + cur[1]
            cur = None
    return out


def mode_all(d, txt):
    tc = text_calls(txt) if txt is not None else {}
    split = d["process"].get("split") == "measured"
    for where, fn, n, errs, wait in ALL:
        ss = at(d, fn, where)
        check("%s at %s: %d calls" % (fn, where, n), tot(ss, "calls") == n, tot(ss, "calls"))
        check("%s at %s: %d errors" % (fn, where, errs), tot(ss, "errors") == errs, tot(ss, "errors"))
        if wait:
            lo, hi = wait
            t = tot(ss, "total_ns") / MS
            check("%s at %s: total %d..%d ms" % (fn, where, lo, hi), lo <= t <= hi, "%.1f ms" % t)
            if split:
                w, c = tot(ss, "wait_ns") / MS, tot(ss, "cpu_ns") / MS
                check("%s at %s: wait %d..%d ms, cpu < 10 ms" % (fn, where, lo, hi),
                      lo <= w <= hi and c < 10, "wait %.1f ms, cpu %.2f ms" % (w, c))
        if txt is not None:
            got = tc.get((fn, where), 0)
            check("text report: %s at %s: %d calls" % (fn, where, n), got == n, got)
    fam = {s["function"]: s["family"] for s in d["sites"]}
    check("families: condvars, semaphores, join, barrier are sync; rwlocks, spinlocks are lock",
          fam.get("pthread_cond_wait") == "sync" and fam.get("sem_wait") == "sync"
          and fam.get("pthread_join") == "sync" and fam.get("pthread_barrier_wait") == "sync"
          and fam.get("pthread_rwlock_wrlock") == "lock" and fam.get("pthread_spin_lock") == "lock", fam)
    # the barrier: the main thread's 3 waits take ~30 ms (the peer comes 10 ms late)
    bw = [s for s in at(d, "pthread_barrier_wait", "barrier_sync")
          if len(s["stack"]) > 1 and s["stack"][1]["function"] == "run_all"]
    t = tot(bw, "total_ns") / MS
    check("pthread_barrier_wait in run_all: 3 calls, total 24..90 ms", tot(bw, "calls") == 3 and 24 <= t <= 90,
          (tot(bw, "calls"), "%.1f ms" % t))
    # locks: the wrlock that waited blames rw_holder's hold; cond waits keep the mutex accounted
    w = at(d, "pthread_rwlock_wrlock", "rw_writer")
    check("rw_writer: 1 contended, 4 holds", tot(w, "contended") == 1 and tot(w, "holds") == 4,
          (tot(w, "contended"), tot(w, "holds")))
    top = [h for s in w for h in s.get("holders", [])]
    check("rw_writer's wait is blamed on rw_holder_lock (~30 ms)",
          any(h["at"].startswith("rw_holder_lock") and 20 * MS <= h["wait_ns"] <= 100 * MS for h in top),
          [(h["at"], h["wait_ns"]) for h in top])
    cw = at(d, "pthread_cond_wait", "cond_waiter")
    check("cond_waiter: the mutex held again after each of the 5 waits (holds = 5)", tot(cw, "holds") == 5,
          tot(cw, "holds"))
    mx = [mu for mu in d.get("mutexes", []) if any(h["at"].startswith("cond_waiter") for h in mu["held_by"])]
    check("the cond mutex lists cond_waiter among its holders", len(mx) == 1, len(mx))
    if mx:
        h = [h for h in mx[0]["held_by"] if h["at"].startswith("cond_waiter")][0]
        check("holds after cond_waiter's waits are short (< 20 ms in all): the wait is not a hold",
              h["hold_ns"] < 20 * MS, h["hold_ns"])
    check("no unmatched unlocks", d["locks"]["unmatched_unlocks"] == 0, d["locks"]["unmatched_unlocks"])
    # each lock object is named by its kind: the rwlock, the spinlock, the cond mutex
    def kind_of(where):
        k = [mu.get("kind") for mu in d.get("mutexes", []) if any(h["at"].startswith(where) for h in mu["held_by"])]
        return k[0] if len(k) == 1 else k
    kinds = (kind_of("rw_holder_lock"), kind_of("spin_locker"), kind_of("cond_waiter"))
    check("lock kinds: rwlock, spinlock, mutex", kinds == ("rwlock", "spinlock", "mutex"), kinds)
    if txt is not None:
        lines = [l.split()[0] for l in txt.splitlines() if re.match(r"  (mutex|rwlock|spinlock) 0x", l)]
        check("text locks section (--all-locks) names an rwlock and a spinlock", "rwlock" in lines and "spinlock" in lines, lines)


def mode_cancel(d, txt):
    for where, fn in (("cond_waiter", "pthread_cond_wait"), ("joiner", "pthread_join")):
        ss = [s for s in at(d, fn, where) if s["errors"]]
        check("%s at %s: 1 call cancelled inside (error)" % (fn, where), tot(ss, "errors") == 1, tot(ss, "errors"))
    ss = at(d, "sem_wait", "sem_waiter")
    check("sem_wait at sem_waiter: 2 calls, 1 cancelled", tot(ss, "calls") == 2 and tot(ss, "errors") == 1,
          (tot(ss, "calls"), tot(ss, "errors")))
    # the cleanup handler's unlock is recorded: the guard was released
    cu = [s for s in at(d, "pthread_mutex_unlock", "cond_unlock")
          if any(f["function"] == "cancel_cleanup" for f in s["stack"][:3])]
    check("the cancelled thread's cleanup handler ran recorded (its unlock)", tot(cu, "calls") == 1,
          tot(cu, "calls"))
    ct = at(d, "pthread_cond_timedwait", "cond_timed")
    check("recording goes on after the cancellations (1 timedwait, ETIMEDOUT)",
          tot(ct, "calls") == 1 and tot(ct, "errors") == 1, (tot(ct, "calls"), tot(ct, "errors")))
    check("no unmatched unlocks (the cancelled wait holds the mutex again)",
          d["locks"]["unmatched_unlocks"] == 0, d["locks"]["unmatched_unlocks"])


def mode_python(d, txt):
    def frames(s, k=3):
        return [f.get("function") for f in (s.get("stack") or [])[:k]]

    gil = [s for s in d["sites"] if s["function"] == "pthread_cond_timedwait"
           and any(f in ("PyEval_RestoreThread", "PyEval_AcquireThread") for f in frames(s))]
    check("GIL: pthread_cond_timedwait under take_gil (PyEval_RestoreThread/AcquireThread) calls > 0",
          tot(gil, "calls") > 0, tot(gil, "calls"))
    check("GIL: those waits take time (total > 1 ms)", tot(gil, "total_ns") > MS, tot(gil, "total_ns"))
    if d["process"].get("split") == "measured":
        check("GIL: wait time at those frames > 1 ms", tot(gil, "wait_ns") > MS, tot(gil, "wait_ns"))
    lk = [s for s in d["sites"] if s["function"] == "sem_clockwait" and "PyThread_acquire_lock_timed" in frames(s, 1)]
    t = tot(lk, "total_ns") / MS
    check("threading.Lock: the 2 timed acquires of a lock held 30 ms: 2 sem_clockwait, 40..200 ms",
          tot(lk, "calls") == 2 and 40 <= t <= 200, (tot(lk, "calls"), "%.1f ms" % t))
    for fn in ("sem_wait", "sem_clockwait"):
        lk = [s for s in d["sites"] if s["function"] == fn and "PyThread_acquire_lock_timed" in frames(s, 1)]
        check("threading.Lock: %s at PyThread_acquire_lock_timed calls > 0" % fn, tot(lk, "calls") > 0,
              tot(lk, "calls"))
        check("threading.Lock: %s at PyThread_acquire_lock_timed total > 1 ms" % fn, tot(lk, "total_ns") > MS,
              tot(lk, "total_ns"))
        if d["process"].get("split") == "measured":
            check("threading.Lock: %s wait time > 1 ms" % fn, tot(lk, "wait_ns") > MS, tot(lk, "wait_ns"))


LOCK_CALLS = ("pthread_rwlock_", "pthread_spin_", "pthread_mutex_")


def mode_lone(d, txt):
    """the default run, under the lone-thread rule: a lock call is recorded
    only while another thread lives, so a lock function's count is at most
    the known one; every other call and every known wait is as with
    WAIT_LOCKS=all, and so is the contended wrlock and its holder"""
    for where, fn, n, errs, wait in ALL:
        ss = at(d, fn, where)
        if fn.startswith(LOCK_CALLS):
            check("lone: %s at %s: at most %d calls" % (fn, where, n), tot(ss, "calls") <= n, tot(ss, "calls"))
        else:
            check("lone: %s at %s: %d calls" % (fn, where, n), tot(ss, "calls") == n, tot(ss, "calls"))
        if wait:
            lo, hi = wait
            t = tot(ss, "total_ns") / MS
            check("lone: %s at %s: total %d..%d ms" % (fn, where, lo, hi), lo <= t <= hi, "%.1f ms" % t)
    w = at(d, "pthread_rwlock_wrlock", "rw_writer")
    check("lone: rw_writer: 1 contended", tot(w, "contended") == 1, tot(w, "contended"))
    top = [h for s in w for h in s.get("holders", [])]
    check("lone: rw_writer's wait is blamed on rw_holder_lock (~30 ms)",
          any(h["at"].startswith("rw_holder_lock") and 20 * MS <= h["wait_ns"] <= 100 * MS for h in top),
          [(h["at"], h["wait_ns"]) for h in top])
    n = d["libwait"].get("lone_locks", 0)
    check("lone: lock calls counted, not recorded (libwait.lone_locks > 0)", n > 0, n)
    if txt is not None:
        line = [l for l in txt.splitlines() if l.startswith("lone thread: ")]
        check("lone: the text report's header says how many lock calls were counted",
              len(line) == 1 and "WAIT_LOCKS=all" in line[0], line)


def main():
    d = json.load(open(sys.argv[2]))
    txt = open(sys.argv[3]).read() if len(sys.argv) > 3 else None
    {"all": mode_all, "lone": mode_lone, "cancel": mode_cancel, "python": mode_python}[sys.argv[1]](d, txt)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
