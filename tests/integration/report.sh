# report.sh: the report's bytes per I/O site, the thread filters (--tid,
# --thread) and --merge line, on report_helper's named threads with known
# work (sourced by run.sh, which provides t/ok/notok/native/traced/same_run
# and $tmp, $WR, $root).
d=$tmp/report; mkdir -p "$d"
native "$d/n" build/tests/report_helper
traced "$d/p" "$d/rh.bin" build/tests/report_helper
same_run "report: report_helper" "$d/n" "$d/p"
"$WR" --json "$d/rh.bin" >"$d/all.json" 2>"$d/err"
t "report: --json exits 0" [ $? = 0 ] || show "$d/err"
writer=$(python3 -c 'import json,sys; print([t["tid"] for t in json.load(open(sys.argv[1]))["threads"] if t["name"] == "lw_writer"][0])' "$d/all.json")
alloc=$(python3 -c 'import json,sys; print([t["tid"] for t in json.load(open(sys.argv[1]))["threads"] if t["name"] == "lw_alloc"][0])' "$d/all.json")

# bytes in the text report: 500 writes of 3 bytes at each of two sites, 1,000 at one once merged
# under ROW FILE: the lines under the rows of FILE's site table matching ROW
under() { grep -A1 "^ *[0-9]* $1" "$2" | grep -v "^ *[0-9]* $1\|^--"; }
"$WR" --top 0 "$d/rh.bin" >"$d/all.txt"
t "report: text: each write site of 500 calls says 1,500 bytes written, 3.0 per call" \
  [ "$(under 'write  *500 ' "$d/all.txt" | tr '\n' '|')" = "    1,500 bytes written, 3.0 per call|    1,500 bytes written, 3.0 per call|" ]
t "report: text: the malloc site of 200 calls says 20,000 bytes allocated" \
  [ "$(under 'malloc  *200 ' "$d/all.txt" | cut -d, -f1-2)" = "    20,000 bytes allocated" ]
"$WR" --top 0 --merge line "$d/rh.bin" >"$d/merged.txt"
t "report: text --merge line: one write site, of 1,000 calls: 3,000 bytes written, 3.0 per call" \
  [ "$(grep -c '^ *[0-9]* write ' "$d/merged.txt"):$(under 'write  *1,000 ' "$d/merged.txt")" = \
    "1:    3,000 bytes written, 3.0 per call" ]
# two stacks merge: one_write's two calls, and main's pthread_create with
# its pthread_join (one line of main, two addresses)
t "report: text --merge line says what it merged" grep -q '^sites merged by file:line (--merge line): 2 stacks differed' "$d/merged.txt"

# --merge line: the two stacks of one_write's two calls on one line become one site with their sums
"$WR" --json --merge line "$d/rh.bin" >"$d/merged.json"
if python3 - "$d/all.json" "$d/merged.json" >"$d/msg" 2>&1 <<'PY'
import json, sys
a, m = (json.load(open(p)) for p in sys.argv[1:3])
def writes(r):
    return [s for s in r["sites"] if s["function"] == "write"]
w, mw = writes(a), writes(m)
assert len(w) == 2 and [s["calls"] for s in w] == [500, 500], [s["calls"] for s in w]
assert w[0]["stack"][1]["line"] == w[1]["stack"][1]["line"] and w[0]["stack"][1]["addr"] != w[1]["stack"][1]["addr"]
assert len(mw) == 1, len(mw)
s = mw[0]
assert s["calls"] == 1000 and s["bytes"] == 3000, (s["calls"], s["bytes"])
assert abs(s["total_ns"] - sum(x["total_ns"] for x in w)) <= 2, "total"
assert s["cpu_ns"] is not None and abs(s["cpu_ns"] - sum(x["cpu_ns"] for x in w)) <= 2, "cpu"
assert s["max_ns"] == max(x["max_ns"] for x in w) and sum(h["count"] for h in s["hist"]) == 1000, "hist"
assert m["merge"] == "line" and m["stacks_merged"] == 2 and a["merge"] == "stack", (m["merge"], m["stacks_merged"])
others = lambda r: sorted((s["function"], s["calls"]) for s in r["sites"] if s["function"] != "write")
assert others(a) == others(m), "the other sites changed"
print("1,000 calls, 3,000 bytes, %.3f ms in one site; the other sites unchanged" % (s["total_ns"] / 1e6))
PY
then ok "report: --merge line: $(cat "$d/msg")"
else notok "report: --merge line sums the two write sites ($(tr '\n' ' ' <"$d/msg"))"; fi

# filters: the report counts the calls of the threads asked for
"$WR" --json --thread lw_writer "$d/rh.bin" >"$d/writer.json" 2>"$d/err"
t "report: --thread lw_writer exits 0" [ $? = 0 ] || show "$d/err"
"$WR" --json --tid "$writer" "$d/rh.bin" >"$d/tid.json"
"$WR" --json --tid "$alloc,$writer" "$d/rh.bin" >"$d/tids.json"
"$WR" --json --thread 'lw_*' "$d/rh.bin" >"$d/glob.json"
"$WR" --json --thread lw_writer --tid "$alloc" "$d/rh.bin" >"$d/none.json"
if python3 - "$d" >"$d/msg" 2>&1 <<'PY'
import json, sys
d = sys.argv[1]
r = {n: json.load(open("%s/%s.json" % (d, n))) for n in ("all", "writer", "tid", "tids", "glob", "none")}
thr = {t["name"]: t for t in r["all"]["threads"]}
w = r["writer"]
assert [t["name"] for t in w["threads"]] == ["lw_writer"], w["threads"]
assert {s["function"] for s in w["sites"]} == {"write"}, {s["function"] for s in w["sites"]}
assert sum(s["calls"] for s in w["sites"]) == 1000 == thr["lw_writer"]["calls"]
assert sum(s["bytes"] for s in w["sites"]) == 3000
allw = [s for s in r["all"]["sites"] if s["function"] == "write"]
assert sorted(s["total_ns"] for s in w["sites"]) == sorted(s["total_ns"] for s in allw), "totals"
assert w["filter"] == {"tids": [], "threads": ["lw_writer"], "threads_kept": 1, "calls_kept": 1000}, w["filter"]
assert r["all"]["filter"] is None
assert r["tid"]["sites"] == w["sites"] and r["tid"]["filter"]["tids"] == [thr["lw_writer"]["tid"]], "--tid"
for n in ("tids", "glob"):
    assert sorted(t["name"] for t in r[n]["threads"]) == ["lw_alloc", "lw_writer"], n
    assert sum(s["calls"] for s in r[n]["sites"]) == 1400, n
    assert sorted((s["function"], s["calls"]) for s in r[n]["sites"]) == \
        [("free", 200), ("malloc", 200), ("write", 500), ("write", 500)], n
assert r["none"]["threads"] == [] and r["none"]["sites"] == [], "both filters must pass"
assert r["all"]["libwait"]["calls_read"] == w["libwait"]["calls_read"]
print("lw_writer: 1,000 calls, 3,000 bytes; --tid the same; lw_* and a tid list: 1,400 calls")
PY
then ok "report: filters: $(cat "$d/msg")"
else notok "report: filters count only the threads asked for ($(tr '\n' ' ' <"$d/msg"))"; fi
"$WR" --thread lw_writer "$d/rh.bin" >"$d/writer.txt"
t "report: text: the filter is named in the header" \
  grep -q "^filter: thread 'lw_writer': 1 of 3 threads, 1,000 of [0-9,]* calls" "$d/writer.txt"
t "report: text: the threads section lists lw_writer only" \
  [ "$(sed -n '/^threads/,/^$/p' "$d/writer.txt" | grep -c ' calls ')" = 1 ]
"$WR" --folded=calls --thread lw_alloc "$d/rh.bin" >"$d/alloc.folded"
t "report: --folded=calls --thread lw_alloc: one_alloc's 200 malloc and 200 free, nothing else" \
  [ "$(sed 's/.*;one_alloc;//' "$d/alloc.folded" | sort | tr '\n' ' ')" = "free 200 malloc 200 " ]
"$WR" --chrome - --chrome-min-us 0 --tid "$alloc" "$d/rh.bin" >"$d/alloc.chrome" 2>/dev/null
t "report: --chrome --tid: only that thread's calls (200 malloc)" python3 -c '
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] in ("X", "i") or e["name"] == "thread_name"]
assert {e["tid"] for e in ev} == {int(sys.argv[2])}, {e["tid"] for e in ev}
assert sum(e["name"] == "malloc" for e in ev) == 200' "$d/alloc.chrome" "$alloc"
"$WR" --tid 12x "$d/rh.bin" >/dev/null 2>&1
t "report: a bad --tid exits 2" [ $? = 2 ]
"$WR" --merge name "$d/rh.bin" >/dev/null 2>&1
t "report: --merge other than stack or line exits 2" [ $? = 2 ]
"$WR" --thread nosuch "$d/rh.bin" >"$d/nosuch.txt"
t "report: text: a --thread that keeps nothing lists the names there are" \
  grep -qx "filter: no thread kept; the threads are named 'report_helper', 'lw_writer', 'lw_alloc'" "$d/nosuch.txt"

# a trace compressed with zstd reads as the trace itself
failed_with() { [ "$1" = 2 ] && grep -q "$2" "$3"; } # failed_with RC MESSAGE STDERR: exit 2 saying MESSAGE
if need zstd zstd; then
  zstd -q -3 -c "$d/rh.bin" >"$d/rh.bin.zst"
  "$WR" --json "$d/rh.bin.zst" >"$d/zst.json" 2>"$d/err"
  t "report: a .zst trace (zstd -3) gives the same JSON as the trace" cmp -s "$d/zst.json" "$d/all.json" || show "$d/err"
  zstd -q -1 -c "$d/rh.bin" | cat >"$d/pipe.zst" # from a pipe: no content size in the frame
  t "report: ... also compressed from a pipe (no size in the frame)" \
    eval "\"$WR\" --json \"$d/pipe.zst\" 2>/dev/null | cmp -s - \"$d/all.json\""
  head -c 2000 "$d/rh.bin.zst" >"$d/cut.zst"
  "$WR" "$d/cut.zst" >"$d/cut.out" 2>"$d/cut.err"
  rc=$?
  t "report: a .zst cut short: exit 2 (rc $rc), 'cannot decompress (zstd): the compressed data ends inside a frame'" \
    failed_with "$rc" "cut.zst: cannot decompress (zstd): the compressed data ends inside a frame" "$d/cut.err"
  head -c 100000 /dev/urandom | zstd -q -c >"$d/noise.zst"
  "$WR" "$d/noise.zst" >/dev/null 2>"$d/noise.err"
  rc=$?
  t "report: a .zst of something else: exit 2 (rc $rc), 'not a libwait trace'" \
    failed_with "$rc" "noise.zst: not a libwait trace" "$d/noise.err"
fi

# rows that print alike over --frames frames: deep_sites_helper's two usleep
# sites agree over their first five frames; each row shows the frame that
# tells it apart, after a line counting the one skipped (l5)
traced "$d/dp" "$d/deep.bin" build/tests/deep_sites_helper
"$WR" "$d/deep.bin" >"$d/deep.txt"
tail_of() { grep -A7 "^ *[0-9]* usleep  *$1 " "$d/deep.txt" | tail -2 | sed 's/ (.*//' | tr '\n' '|'; }
t "report: text: the 3-call usleep row ends '... 1 frame ...', from_a" [ "$(tail_of 3)" = "    <- ... 1 frame ...|    <- from_a|" ]
t "report: text: the 2-call usleep row ends '... 1 frame ...', from_b" [ "$(tail_of 2)" = "    <- ... 1 frame ...|    <- from_b|" ]
"$WR" --frames 6 "$d/deep.bin" >"$d/deep6.txt"
t "report: text --frames 6: l5 shown, nothing skipped" \
  [ "$(grep -c '<- l5 ' "$d/deep6.txt"):$(grep -c '\.\.\. .* frame' "$d/deep6.txt")" = "2:0" ]
mkdir -p "$d/two" && cp "$d/deep.bin" "$d/two/a.bin" && cp "$d/deep.bin" "$d/two/b.bin"
"$WR" "$d/two" >"$d/two.txt" 2>"$d/err"
t "report: several traces: the all-processes rows end from_a and from_b too" \
  [ "$(sed -n '/^all processes/,/^== process/p' "$d/two.txt" | grep -c '<- from_[ab] ')" = 2 ] || show "$d/err"
# rows whose frames print alike to the end: report_helper's two write sites
# (one line of one_write, two return addresses) say which row they look like
first=$(grep -m1 '^ *[0-9]* write  *500 ' "$d/all.txt" | awk '{print $1}')
t "report: text: the second write row says it prints as row $first, and what tells them apart" \
  grep -q "^    (as row $first: the stacks differ only in return addresses; --merge line adds such rows up)" "$d/all.txt"

# "why threads waited": one row per printed line (report_helper's two write
# sites in one_write, one line, are one cause), threads by their own names
why=$(sed -n '/^why threads waited/,/^$/p' "$d/all.txt")
t "report: text: 'why threads waited' has one 'write in one_write' row, named lw_writer" \
  [ "$(grep -c 'write in one_write (report_helper.c:[0-9]*), tid [0-9]* (lw_writer)$' <<<"$why")" = 1 ]

# a wait no thread ended and that is its own cause (the disk's fsync) gets
# no "woken by"/"because of" lines: they would repeat the row
traced "$d/io" "$d/io.bin" examples/all_io_waits
"$WR" --top 0 "$d/io.bin" >"$d/io.txt"
"$WR" --json "$d/io.bin" >"$d/io.json"
t "report: JSON: all_io_waits' fsync sites are woken by 'file', their own cause" python3 -c '
import json, sys
f = [s for s in json.load(open(sys.argv[1]))["sites"] if s["function"] == "fsync"]
assert f and all(s["wakers"][0]["function"] == "file" and s["causes"][0]["function"] == "fsync" for s in f), f' "$d/io.json"
t "report: text: no fsync row of all_io_waits has a 'woken by' or 'because of' line" \
  [ "$(grep -A2 '^ *[0-9]* fsync ' "$d/io.txt" | grep -c 'woken by\|because of')" = 0 ]
