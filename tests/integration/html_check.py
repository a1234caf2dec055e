#!/usr/bin/env python3
"""html_check.py HTML DOM PNG [FE_DOM [ZOOM_DOM]]: check a `waitreport
--html` report of `lock_contend hold`: the file is self-contained; the DOM
that headless Chromium dumped after running the page's script has the flame
graph (the waiter's frame carries ~600 ms of wait), the site table,
histograms and the thread table; the screenshot is not blank.
html_check.py --width|--flame|--threads ...: the checks of mode_width,
mode_flame and mode_threads (see each). Standard library only."""
import json
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

failed = 0


def check(cond, desc, detail=""):
    global failed
    print(("ok - " if cond else "not ok - ") + desc + ("" if cond or not detail else " (" + detail + ")"))
    failed += 0 if cond else 1


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.frames, self.tables, self.hists, self.body = [], [], {}, 0, {}
        self.table = None
        self.svg = {}
        self.frame_divs, self.details, self.options = [], [], []
        self.div = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "g" and "fr" in (a.get("class") or "").split():
            self.frames.append(a)
        if tag == "rect" and self.frames and "rect_w" not in self.frames[-1]:
            self.frames[-1]["rect_w"] = a.get("width")
        if tag == "svg" and a.get("id") == "flamegraph":
            self.svg = a
        if tag == "table" and a.get("id"):
            self.table = a["id"]
            self.tables[self.table] = {"rows": 0, "text": ""}
        if tag == "tr" and self.table:
            self.tables[self.table]["rows"] += 1
            self.tables[self.table].setdefault("cells", []).append([])
            self.tables[self.table].setdefault("rowattrs", []).append(a)
        if tag == "div" and self.table and "title" in a:
            self.div = [a["title"], ""]
            self.frame_divs.append(self.div)
        if tag == "details":
            self.details.append(a.get("id"))
        if tag == "option":
            self.options.append(a.get("value"))
        if tag in ("td", "th") and self.table and self.tables[self.table].get("cells"):
            self.tables[self.table]["cells"][-1].append("")
        if tag == "svg" and "hist" in (a.get("class") or "").split():
            self.hists += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None
        if tag == "div":
            self.div = None

    def handle_data(self, data):
        if self.div is not None:
            self.div[1] += data
        if self.table:
            self.tables[self.table]["text"] += data
            cells = self.tables[self.table].get("cells")
            if cells and cells[-1]:
                cells[-1][-1] += data


def parse(path):
    d = Dom()
    d.feed(open(path, encoding="utf-8", errors="replace").read())
    return d


def column(table, name):
    """the index of the column headed name in table (a Dom table), or -1"""
    head = [h.strip() for h in (table or {}).get("cells", [[]])[0]]
    return head.index(name) if name in head else -1


def rows_of(table):
    """the rows of a Dom table after its header, as {column name: text}"""
    cells = (table or {}).get("cells", [])
    return [dict(zip([h.strip() for h in cells[0]], [c.strip() for c in r])) for r in cells[1:]] if cells else []


def num(text):
    return int(text.replace(",", ""))


def mode_width(dom):
    """--width DOM: a report with long C++ names (cpp_waits) dumped at a
    1400 px window fits it; long names are cut in the middle, whole in the
    frame's title"""
    d = parse(dom)
    w = int(d.body.get("data-scroll-width") or 99999)
    check(w <= 1400, "html: the cpp_waits report fits a 1400 px window (document scrollWidth %d px)" % w)
    cut = [(t, x) for t, x in d.frame_divs if "\u2026" in x]
    bad = []
    for title, text in cut:
        fn = text.split(" ", 1)[1].rsplit(" (", 1)[0]  # "at NAME (file:line)"
        head, tail = fn.split("\u2026")
        if len(fn) > 81 or not title.startswith(head) or tail not in title or len(title) <= len(text):
            bad.append((title, text))
    check(cut and not bad, "html: %d long frame names cut in the middle to 80 characters, whole in the title" % len(cut),
          "cut %d, wrong %s" % (len(cut), bad[:2]))


def mode_flame(html, report, cpudom):
    """--flame HTML JSON DOM: the flame graph's embedded data has every kind
    of --folded, each path's weights equal the JSON report's sites of that
    key summed; the page drawn at #kind=cpu shows the CPU time"""
    src = open(html, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="flame-data">(.*?)</script>', src, re.S)
    D = json.loads(m.group(1)) if m else {"kinds": [], "nodes": []}
    kinds = ["wait", "cpu", "blocked", "runnable", "total", "calls", "bytes"]
    check(D["kinds"] == kinds, "html: the flame graph data has every kind (%s)" % ",".join(D["kinds"]))
    check(re.findall(r'<option value="([a-z]+)"', src) == kinds, "html: the flame graph's selector offers every kind")
    path, flame = [], {}
    for i, n in enumerate(D["nodes"]):
        path.append("" if n[0] < 0 else (path[n[0]] + ";" if n[0] > 0 else "") + n[1])
        if len(n) > 2:
            flame[path[i]] = dict(zip(D["kinds"], n[2:]))
    rep = json.load(open(report))
    field = {"wait": "wait_ns", "cpu": "cpu_ns", "blocked": "blocked_ns", "runnable": "runnable_ns",
             "total": "total_ns", "calls": "calls", "bytes": "bytes"}
    want = {}
    for st in rep["sites"]:
        w = want.setdefault(st["key"], dict.fromkeys(kinds, 0))
        for k in kinds:
            w[k] += st[field[k]]
    wrong = [(k, flame.get(k), w) for k, w in want.items() if flame.get(k) != w]
    check(want and not wrong and len(flame) == len(want),
          "html: the flame data's weights of all %d paths equal the JSON sites' in every kind" % len(want),
          str(wrong[:2]))
    wk = [k for k in want if k.endswith(";writer;one_write;write")]
    cpu = want[wk[0]]["cpu"] if wk else 0
    check(len(wk) == 1 and cpu > 0 and flame.get(wk[0], {}).get("cpu") == cpu,
          "html: the writer's write path carries its %.3f ms of CPU in the flame data" % (cpu / 1e6))
    d = parse(cpudom)
    fr = [f for f in d.frames if f.get("data-n") == "one_write"]
    check(d.svg.get("data-kind") == "cpu" and len(fr) == 1 and int(fr[0]["data-v"]) == cpu,
          "html: drawn at #kind=cpu, the graph's one_write frame holds that CPU time",
          "svg %s, frames %s" % (d.svg.get("data-kind"), fr[:1]))


def mode_threads(dom, report, filtered):
    """--threads DOM JSON HTML: report_helper's page: the bytes column, the
    thread rows that open each thread's sites, and those sites' figures;
    HTML (--thread lw_writer) shows one thread and says it is filtered"""
    d = parse(dom)
    rep = json.load(open(report))
    tid = {t["name"]: t["tid"] for t in rep["threads"]}
    st = d.tables.get("sites-0")
    wr = [r for r in rows_of(st) if r.get("function") == "write"]
    check(len(wr) == 2 and all(r["bytes"] == "1,500" and r["calls"] == "500" for r in wr),
          "html: the site table's bytes column: 1,500 for each of the two write sites of 500 calls",
          str([(r.get("calls"), r.get("bytes")) for r in wr]))
    mc = [r for r in rows_of(st) if r.get("function") == "malloc" and r.get("calls") == "200"]
    check(len(mc) == 1 and mc[0]["bytes"] == "20,000", "html: the malloc site of 200 calls: 20,000 bytes")
    ths = [a.get("data-th") for a in d.tables.get("threads-0", {}).get("rowattrs", [])]
    check("0-%d" % tid.get("lw_writer", -1) in ths and "0-%d" % tid.get("lw_alloc", -1) in ths,
          "html: the rows of lw_writer and lw_alloc open their sites", str(ths))
    w = rows_of(d.tables.get("thread-sites-0-%d" % tid.get("lw_writer", -1)))
    check(w and all(r["function"] == "write" for r in w) and sum(num(r["calls"]) for r in w) == 1000
          and sum(num(r["bytes"]) for r in w) == 3000 and "thread-0-%d" % tid["lw_writer"] in d.details,
          "html: lw_writer's sites: write only, 1,000 calls, 3,000 bytes",
          str([(r.get("function"), r.get("calls"), r.get("bytes")) for r in w]))
    a = {r["function"]: r for r in rows_of(d.tables.get("thread-sites-0-%d" % tid.get("lw_alloc", -1)))}
    check(sorted(a) == ["free", "malloc"] and a["malloc"]["calls"] == "200" and a["free"]["calls"] == "200"
          and a["malloc"]["bytes"] == "20,000",
          "html: lw_alloc's sites: 200 malloc (20,000 bytes) and 200 free",
          str({k: (v.get("calls"), v.get("bytes")) for k, v in a.items()}))
    f = parse(filtered)
    fsrc = open(filtered, encoding="utf-8").read()
    names = [r.get("name") for r in rows_of(f.tables.get("threads-0"))]
    fw = rows_of(f.tables.get("sites-0"))
    check(names == ["lw_writer"] and len(fw) == 2 and all(r["function"] == "write" for r in fw)
          and "filter thread &#39;lw_writer&#39;: 1 of 3 threads, 1,000 of" in fsrc,
          "html: --thread lw_writer: one thread, its two write sites, the filter named under the summary",
          "threads %s, sites %s" % (names, [r.get("function") for r in fw]))


def mode_waitgraph(html, report, dom, errs):
    """--waitgraph HTML JSON DOM ERRS: the page of `wake_helper pipe` has the
    wait-for graph near the top: a box per thread of the chain and arrows
    A -> B and B -> C of ~300 ms each (A, the main thread, reads what B
    writes; B reads what C writes after its 300 ms sleep), the widest arrow
    the heaviest; the page's script ran to its end in Chromium (its marks
    are in the DOM) and Chromium's log (ERRS) has no uncaught JS error"""
    src = open(html, encoding="utf-8").read()
    m = re.search(r'<svg class="waitgraph"[^>]*>(.*?)</svg>', src, re.S)
    check(m is not None, "html waitgraph: the page has the wait-for graph")
    svg = m.group(1) if m else ""
    check(m is not None and src.find("waitgraph") < src.find('id="flamegraph"'),
          "html waitgraph: the graph comes before the flame graph")
    edges = {(int(a), int(b)): (int(ns), float(w)) for a, b, ns, w in re.findall(
        r'<g class="wedge" data-from="(\d+)" data-to="(\d+)" data-ns="(\d+)"[^>]*>.*?stroke-width="([\d.]+)"', svg, re.S)}
    nodes = {int(t) for t in re.findall(r'<g class="wnode[^"]*"[^>]*data-tid="(\d+)"', svg)}
    rep = json.load(open(report))
    main = rep["process"]["pid"]

    def waker(fn):
        s = [s for s in rep["sites"] if s["function"] == "read" and s["stack"] and s["stack"][0]["function"] == fn]
        return s[0]["wakers"][0]["tid"] if s and s[0]["wakers"] else None
    b, c = waker("main"), waker("stage_b")
    for x, y, what in ((main, b, "A -> B"), (b, c, "B -> C")):
        ns = edges.get((x, y), (0, 0))[0]
        check(270e6 <= ns <= 330e6, "html waitgraph: arrow %s (tid %s -> %s) of 300 ms +-10%% (%.1f ms)" % (
            what, x, y, ns / 1e6), "arrows %s" % sorted(edges))
    check({main, b, c} <= nodes, "html waitgraph: a box for each thread of the chain", "boxes %s" % sorted(nodes))
    if edges:
        top = max(edges.values())
        check(top[1] == max(w for _, w in edges.values()), "html waitgraph: the heaviest arrow is the widest")
    d = parse(dom)
    check("data-scroll-width" in d.body and d.body.get("data-flame") == "ready",
          "html waitgraph: the page's script ran to its end in Chromium", str(d.body))
    log = open(errs, encoding="utf-8", errors="replace").read()
    bad = [l for l in log.splitlines() if "Uncaught" in l or "CONSOLE" in l and "rror" in l]
    check(not bad, "html waitgraph: no JS error in Chromium's log", "; ".join(bad[:2]))


if len(sys.argv) > 1 and sys.argv[1].startswith("--"):
    {"--width": mode_width, "--flame": mode_flame, "--threads": mode_threads,
     "--waitgraph": mode_waitgraph}[sys.argv[1]](*sys.argv[2:])
    sys.exit(1 if failed else 0)

src = open(sys.argv[1], encoding="utf-8").read()
ext = re.findall(r'(?:src|href)\s*=\s*["\']?[^"\'>\s]+|@import|url\(|<link\b', src, re.I)
check(not ext, "html: self-contained (no src=, href=, @import, url(), <link>)", str(ext[:3]))


d = parse(sys.argv[2])
check(d.body.get("data-flame") == "ready", "html: the page's script ran in Chromium (body data-flame=ready)",
      "body attributes: %s" % d.body)
names = [f.get("data-n") for f in d.frames]
check("waiter" in names and "pthread_mutex_lock" in names and "all" in names,
      "html: the flame graph SVG has frames all, waiter, pthread_mutex_lock", str(names[:10]))
w = [int(f["data-v"]) for f in d.frames if f.get("data-n") == "waiter"]
check(len(w) == 1 and 540e6 <= w[0] <= 660e6, "html: the waiter's flame frame holds ~600 ms of wait",
      "got %s" % w)
st = d.tables.get("sites-0")
check(st is not None and st["rows"] >= 3 and "pthread_mutex_lock" in st["text"] and "waiter" in st["text"],
      "html: the site table renders with pthread_mutex_lock at waiter", str(st)[:200])
def ms(cell):
    v, unit = cell.split()
    return float(v) * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


C = {n: column(st, n) for n in ("function", "calls", "blocked", "p50", "max", "stack")}
rows = [r for r in (st or {}).get("cells", []) if len(r) > 15 and r[C["function"]] == "pthread_mutex_lock"
        and r[C["stack"]].startswith("at waiter")]
if rows and min(C.values()) >= 0:
    r = rows[0]
    check(r[C["calls"]] == "3" and 540 <= ms(r[C["blocked"]]) <= 660 and 170 <= ms(r[C["p50"]]) <= 230
          and 170 <= ms(r[C["max"]]) <= 240,
          "html: the waiter's lock row: 3 calls, ~600 ms blocked, p50 and max ~200 ms", str(r[:14]))
else:
    check(False, "html: the waiter's lock row is in the table", str((st or {}).get("cells", [])[:3]))
check(d.hists >= 3, "html: per-site latency histograms (%d)" % d.hists)
th = d.tables.get("threads-0")
check(th is not None and th["rows"] == 4, "html: the thread table has the 3 threads", str(th)[:200])
lk = d.tables.get("locks-0")
lr = (lk or {}).get("cells", [])[1:]
# columns: mutex locks contended wait held max-hold top-holder caused top-waiter waited
check(len(lr) == 1 and lr[0][1] == "6" and lr[0][2] == "3" and 540 <= ms(lr[0][3]) <= 660
      and 540 <= ms(lr[0][4]) <= 700 and lr[0][6].startswith("pthread_mutex_lock at holder")
      and 540 <= ms(lr[0][7]) <= 660 and lr[0][8].startswith("pthread_mutex_lock at waiter"),
      "html: the locks table: 6 locks, 3 contended, ~600 ms wait and hold, holder blamed, waiter named",
      str(lr)[:300])

# the screenshot: decode the PNG (8-bit RGB/RGBA, no interlace) and look
# for more than one colour
png = open(sys.argv[3], "rb").read()
ok = png[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, hdr = 8, b"", None
while ok and pos < len(png):
    n, typ = struct.unpack(">I4s", png[pos:pos + 8])
    body = png[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
colours = 0
if ok and hdr:
    raw = zlib.decompress(idat)
    colours = len(set(raw[i:i + 3] for i in range(1, min(len(raw), 4_000_000), 97)))
check(ok and hdr and hdr[0] >= 800 and colours > 20, "html: the screenshot is not blank",
      "png header %s, %d sampled colours" % (hdr, colours))
if len(sys.argv) > 5:  # the hold report opened at #zoom=waiter
    z = Dom()
    z.feed(open(sys.argv[5], encoding="utf-8", errors="replace").read())
    w = [f for f in z.frames if f.get("data-n") == "waiter"]
    lo, hi = (float(w[0]["data-x"]), float(w[0]["data-x"]) + float(w[0]["data-w"])) if w else (0, 0)
    bad = [f.get("data-n") for f in z.frames
           if ("display: none" in f.get("style", "")) == (float(f["data-x"]) + float(f["data-w"]) > lo + 1e-6
                                                          and float(f["data-x"]) < hi - 1e-6)]
    check(z.svg.get("data-zoom") == "waiter" and w and w[0]["rect_w"] == "1200.00" and not bad,
          "html: the flame graph zooms (#zoom=waiter: it fills the width, frames off its span are hidden)",
          "svg %s, waiter %s, wrongly shown/hidden %s" % (z.svg, w[:1], bad[:5]))
if len(sys.argv) > 4:  # fork_exec's three images
    z = Dom()
    z.feed(open(sys.argv[4], encoding="utf-8", errors="replace").read())
    check("sites-all" in z.tables and "child_work" in z.tables["sites-all"]["text"]
          and all("sites-%d" % i in z.tables for i in range(3)),
          "html: several processes get the merged table and a table each", str(sorted(z.tables)))
sys.exit(1 if failed else 0)
