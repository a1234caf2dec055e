#!/usr/bin/env python3
"""html_check.py HTML DOM PNG: check a `waitreport --html` report of
`lock_contend hold`: the file is self-contained; the DOM that headless
Chromium dumped after running the page's script has the flame graph (the
waiter's frame carries ~600 ms of wait), the site table, histograms and the
thread table; the screenshot is not blank. Standard library only."""
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


src = open(sys.argv[1], encoding="utf-8").read()
ext = re.findall(r'(?:src|href)\s*=\s*["\']?[^"\'>\s]+|@import|url\(|<link\b', src, re.I)
check(not ext, "html: self-contained (no src=, href=, @import, url(), <link>)", str(ext[:3]))


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.frames, self.tables, self.hists, self.body = [], [], {}, 0, {}
        self.table = None
        self.svg = {}

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
        if tag in ("td", "th") and self.table and self.tables[self.table].get("cells"):
            self.tables[self.table]["cells"][-1].append("")
        if tag == "svg" and "hist" in (a.get("class") or "").split():
            self.hists += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.table:
            self.tables[self.table]["text"] += data
            cells = self.tables[self.table].get("cells")
            if cells and cells[-1]:
                cells[-1][-1] += data


d = Dom()
d.feed(open(sys.argv[2], encoding="utf-8", errors="replace").read())
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


rows = [r for r in (st or {}).get("cells", []) if len(r) > 15 and r[1] == "pthread_mutex_lock"
        and r[-1].startswith("at waiter")]
# columns: # function calls total wait cpu blocked runnable mean p50 p95 p99 max bar histogram stack
if rows:
    r = rows[0]
    check(r[2] == "3" and 540 <= ms(r[6]) <= 660 and 170 <= ms(r[9]) <= 230 and 170 <= ms(r[12]) <= 240,
          "html: the waiter's lock row: 3 calls, ~600 ms blocked, p50 and max ~200 ms", str(r[:13]))
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
