"""locks_check.py MODE REPORT.json FILE...: known answers of
tests/helpers/lockrows_helper in the text and HTML lock lists, and of the
trace file line. Prints ok/not ok lines (relayed by locks.sh).

  text JSON TXT ALL_TXT     the default text report and the --all-locks one
  html JSON HTML ALL_HTML   the same in HTML
  bytes JSON TXT            the "trace file" line of a text report
  untimed JSON TXT HTML     quantiles of calls recorded with one stamp
"""
import html as htmlmod
import json
import re
import sys

UNIT = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
BYTES = {"bytes": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
DUR = r"(\d[\d.]*) (ns|us|ms|s)"


# the "woken by" and "because of" lines a site may have before its frames
WAKE = r"(?:    (?:woken by|because of) .*\n)*"

def check(what, cond, got=None):
    print(("ok - " if cond else "not ok - ") + what + ("" if cond or got is None else " (got %s)" % (got,)))


def ns(v, u):
    return float(v) * UNIT[u]


def near(x, want, rel=0.02):
    """x (a rounded figure of the report) is want, to its three digits"""
    return abs(x - want) <= rel * want + 1


def mutexes_at(d, at):
    return [m for m in d["mutexes"] if any(h["at"] == at for h in m["held_by"])]


def setup(d, say=True):
    """the trace has what the rows must merge: two sites per merged row
    (checked once, when say)"""
    busy, pair = mutexes_at(d, "take_busy"), mutexes_at(d, "pair_holder")
    ok = len(busy) == 1 and len(pair) == 1
    check("json: one busy and one pair mutex", ok, (len(busy), len(pair)))
    if not ok or not say:
        return (busy[0], pair[0]) if ok else (None, None)
    tb = [h for h in busy[0]["held_by"] if h["at"] == "take_busy"]
    ph = [h for h in pair[0]["held_by"] if h["at"] == "pair_holder"]
    pw = pair[0]["waited_on_by"]
    check("json: take_busy held busy from 2 sites (2 stacks), once each",
          len(tb) == 2 and len({h["stack_id"] for h in tb}) == 2 and all(h["holds"] == 1 for h in tb), tb)
    check("json: pair_holder held pair from 2 sites (one line, 2 return addresses)",
          len(ph) == 2 and ph[0]["stack_id"] != ph[1]["stack_id"], ph)
    check("json: pair_waiter waited on pair from 2 sites, once each",
          len(pw) == 2 and all(w["at"] == "pair_waiter" and w["waits"] == 1 for w in pw), pw)
    check("json: 4 mutexes, 2 waited on (busy and pair; quiet and the long-named one not)",
          d["locks"]["mutexes"] == 4 and d["locks"]["waited_on"] == 2 and
          sorted(m["waited_on"] for m in d["mutexes"]) == [False, False, True, True], d["locks"])
    return busy[0], pair[0]


def rows(txt, what):
    """(name, ns, count, rest) of the text rows 'held by' or 'waited by'"""
    out = []
    for line in txt.splitlines():
        m = re.match(r"    %s (.*?) +%s in ([\d,]+) (holds?|calls)(.*)$" % (what, DUR), line)
        if m:
            out.append((m.group(1), ns(m.group(2), m.group(3)), int(m.group(4).replace(",", "")), m.group(6)))
    return out


def mode_text(d, txt, alltxt):
    busy, pair = setup(d)
    locks = [l for l in txt.splitlines() if re.match(r"  mutex 0x", l)]
    check("text: 2 locks listed (those that made a thread wait)", len(locks) == 2, len(locks))
    check("text: the heading says what is listed and what --all-locks adds",
          "locks that made a thread wait (top 2 of 2, by wait caused; --all-locks adds the 2 no thread waited on)"
          in txt)
    check("text: the locks nobody waited on are not listed", "quiet" not in txt.split("\nlocks that")[-1])
    held, waited = rows(txt, "held by  "), rows(txt, "waited by")
    tb = [r for r in held if r[0].startswith("pthread_mutex_lock at take_busy (lockrows_helper.c:")]
    check("text: one 'held by' row for take_busy's two stacks, 2 holds", len(tb) == 1 and tb[0][2] == 2, tb)
    if busy and len(tb) == 1:
        want = sum(h["caused_wait_ns"] for h in busy["held_by"] if h["at"] == "take_busy")
        m = re.match(r", caused %s$" % DUR, tb[0][3])
        check("text: its caused wait is the two sites' sum (%.0f ms)" % (want / 1e6),
              m and near(ns(m.group(1), m.group(2)), want), tb[0][3])
    ph = [r for r in held if r[0].startswith("pthread_mutex_lock at pair_holder (")]
    check("text: one 'held by' row for pair_holder's two return addresses on one line, 2 holds",
          len(ph) == 1 and ph[0][2] == 2, ph)
    pw = [r for r in waited if r[0].startswith("pthread_mutex_lock at pair_waiter (")]
    check("text: one 'waited by' row for pair_waiter's two calls on one line, 2 calls",
          len(pw) == 1 and pw[0][2] == 2, pw)
    if pair and len(pw) == 1:
        want = sum(w["wait_ns"] for w in pair["waited_on_by"])
        check("text: its wait is the two sites' sum (%.0f ms)" % (want / 1e6), near(pw[0][1], want), pw[0][1])
    # the waiter's site: its two holders (two take_busy stacks) are one top holder
    w = [s for s in d["sites"] if s["function"] == "pthread_mutex_lock" and s["stack"] and
         s["stack"][0]["function"] == "waiter" and s["contended"] == 2]
    tops = re.findall(r"top holder %s: take_busy \(lockrows_helper\.c:\d+\)\n%s    at waiter " % (DUR, WAKE), txt)
    if len(w) == 1 and len(tops) == 1:
        hs = w[0]["holders"]
        want = sum(h["wait_ns"] for h in hs)
        check("text: the waiter's top holder is take_busy with both holds' blame (%.0f ms, 2 sites in json)" %
              (want / 1e6), len(hs) == 2 and near(ns(*tops[0]), want), (len(hs), tops))
    else:
        check("text: the waiter's site and its top holder line", False, (len(w), tops))
    # --all-locks: every lock; names as wide as needed, a long one elided in the middle
    alll = [l for l in alltxt.splitlines() if re.match(r"  mutex 0x", l)]
    check("--all-locks: 4 locks, 2 of them 'none contended'",
          len(alll) == 4 and sum("none contended" in l for l in alll) == 2, alll)
    check("--all-locks: the heading", "locks (all 4, by wait caused; 2 made a thread wait)" in alltxt)
    ah = rows(alltxt, "held by  ") + rows(alltxt, "waited by")
    longr = [r for r in ah if "quiet_lock_taken" in r[0]]
    check("--all-locks: the long name keeps its start and its whole location, the middle elided",
          len(longr) == 1 and re.match(r"pthread_mutex_lock at quiet_lock_taken_in_a_function.*\u2026 "
                                       r"\(lockrows_helper\.c:\d+\)$", longr[0][0]) is not None, longr)
    quiet = [r for r in ah if r[0].startswith("pthread_mutex_lock at quiet_locks (lockrows_helper.c:")]
    check("--all-locks: a short name is whole, 10 holds, no caused wait (nobody waited)",
          len(quiet) == 1 and quiet[0][2] == 10 and quiet[0][3] == "", quiet)
    cols = set()
    for line in alltxt.splitlines():
        m = re.match(r"    (held by  |waited by) .*? +%s in " % DUR, line)
        if m:
            cols.add(len(line[:m.start(2)]))
    check("--all-locks: the figures of every row start in one column (the name column is 100 wide)",
          len(cols) == 1 and cols.pop() == 4 + 10 + 100 + 1, cols)


def mode_html(d, page, allpage):
    busy, _ = setup(d, False)

    def table(p):
        m = re.search(r'<table id="locks-0">(.*?)</table>', p, re.S)
        if not m:
            return []
        out = []
        for tr in re.findall(r"<tr><td>(.*?)</tr>", m.group(1), re.S):
            out.append([htmlmod.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.split(r"</td><td[^>]*>", tr)])
        return out

    t, a = table(page), table(allpage)
    check("html: 2 locks in the table", len(t) == 2, len(t))
    check("html: the heading says what is listed", "locks that made a thread wait (top 2 of 2" in page)
    check("html: --all-locks lists 4", len(a) == 4, len(a))
    r = [x for x in t if len(x) > 7 and x[6].startswith("pthread_mutex_lock at take_busy")]
    if busy and len(r) == 1:
        want = sum(h["caused_wait_ns"] for h in busy["held_by"] if h["at"] == "take_busy")
        m = re.match(DUR, r[0][7])
        check("html: busy's top holder take_busy caused both sites' wait (%.0f ms)" % (want / 1e6),
              m and near(ns(m.group(1), m.group(2)), want), r[0][7])
    else:
        check("html: busy's top holder is take_busy", False, t)


def mode_untimed(d, txt, page):
    q = [s for s in d["sites"] if s["function"] == "pthread_mutex_lock" and s["stack"] and
         s["stack"][0]["function"] == "quiet_locks"]
    check("json: the quiet locks' p50 and p99 are 0 ns (numbers: one stamp, untimed)",
          len(q) == 1 and q[0]["calls"] == 10 and q[0]["p50_ns"] == 0 and q[0]["p99_ns"] == 0, q[:1])
    row = re.search(r"^ *\d+ pthread_mutex_lock +10 +\S+ \S+ +\S+ \S+ +(\S+) +(\S+) +(\S+) .*\n(?:    .*\n)*?"
                    r"    at quiet_locks ", txt, re.M)
    check("text: the quiet locks' p50, p99 and max read 'untimed'",
          row is not None and row.groups() == ("untimed",) * 3, row and row.groups())
    check("text: a note under the table says what untimed means",
          re.search(r"^untimed: calls recorded with one stamp .* did not wait", txt, re.M) is not None)
    timed = re.search(r"^ *\d+ pthread_mutex_lock +2 +.*\n    .*\n    top holder .*\n" + WAKE + "    at waiter ", txt, re.M)
    check("text: the waiter's contended locks show measured quantiles", timed is not None and
          "untimed" not in timed.group(0))
    check("html: untimed quantile cells explain themselves",
          re.search(r'<td title="untimed: calls recorded with one stamp[^"]*">untimed</td>', page) is not None)
    check("html: the histogram bar of untimed calls says so", "untimed (one stamp, did not wait): 10 calls" in page)


def mode_bytes(d, txt):
    lw = d["libwait"]
    parts = (lw["call_record_bytes"], lw["stack_record_bytes"], lw["other_record_bytes"])
    check("json: the records read add up to the bytes the recorder wrote (%d)" % lw["bytes"],
          sum(parts) == lw["bytes"], parts)
    check("json: and fit in the file (%d bytes)" % lw["trace_bytes"], sum(parts) <= lw["trace_bytes"])
    sz = r"(\d[\d.]*) (bytes|KiB|MiB|GiB)"
    m = re.search(r"^trace file %s: call records %s \(([\d,]+), ([\d.]+) bytes each\), stacks %s, other records %s, "
                  r"unused chunk space and headers %s$" % (sz, sz, sz, sz, sz), txt, re.M)
    if not m:
        check("text: the trace file line", False, [l for l in txt.splitlines() if l.startswith("trace")])
        return
    g = m.groups()
    b = lambda i: float(g[i]) * BYTES[g[i + 1]]
    calls = int(g[4].replace(",", ""))
    check("text: the calls are the calls read (%d)" % lw["calls_read"], calls == lw["calls_read"], calls)
    check("text: bytes each = call record bytes / calls (%.1f)" % (parts[0] / calls),
          g[5] == "%.1f" % (parts[0] / calls), g[5])
    rest = lw["trace_bytes"] - sum(parts)
    want = (lw["trace_bytes"], parts[0], parts[1], parts[2], rest)
    got = (b(0), b(2), b(6), b(8), b(10))
    check("text: file, call records, stacks, other records, the rest are the exact figures, rounded",
          all(near(x, y, 0.006) for x, y in zip(got, want)), (got, want))


if __name__ == "__main__":
    d = json.load(open(sys.argv[2]))
    files = [open(p).read() for p in sys.argv[3:]]
    {"text": mode_text, "html": mode_html, "untimed": mode_untimed, "bytes": mode_bytes}[sys.argv[1]](d, *files)
