# diff.sh: `waitreport diff` and its gate (sourced by run.sh, which provides
# t/ok/notok/native/traced/same_run and $tmp, $WR, $root).
# examples/work N: N selects of 10 ms (blocked) and 100 N malloc/free pairs.
d=$tmp/diff; mkdir -p "$d"
native "$d/w4.n" examples/work 4
traced "$d/w4a.p" "$d/w4a.bin" examples/work 4
traced "$d/w4b.p" "$d/w4b.bin" examples/work 4
traced "$d/w16.p" "$d/w16.bin" examples/work 16
same_run "diff: work 4" "$d/w4.n" "$d/w4a.p"

# rc_of EXPECTED DESC CMD...: one check on CMD's exit status
rc_of() {
  local want=$1 desc=$2; shift 2
  "$@" >"$d/rc.out" 2>"$d/rc.err"; local rc=$?
  t "$desc (rc $rc, want $want)" [ "$rc" = "$want" ] || { show "$d/rc.out"; show "$d/rc.err"; }
}
rc_of 1 "diff: --threshold 50 trips on 4x the work (total,wait)" "$WR" diff --threshold 50 "$d/w4a.bin" "$d/w16.bin"
rc_of 1 "diff: --threshold 50 --metric calls trips on 4x the work" "$WR" diff --threshold 50 --metric calls "$d/w4a.bin" "$d/w16.bin"
# identical runs: calls are exact and blocked time does not grow with CPU
# load, so noise on a busy machine cannot trip these
rc_of 0 "diff: --threshold 50 --metric calls,blocked passes two identical runs" \
  "$WR" diff --threshold 50 --metric calls,blocked "$d/w4a.bin" "$d/w4b.bin"
rc_of 0 "diff: --threshold 100 with the default gate (total,wait) passes two identical runs" \
  "$WR" diff --threshold 100 "$d/w4a.bin" "$d/w4b.bin"
rc_of 0 "diff: without --threshold the exit status is 0" "$WR" diff "$d/w4a.bin" "$d/w16.bin"
rc_of 0 "diff: a floor above the growth keeps the gate shut" \
  "$WR" diff --threshold 50 --floor 100000 --floor-calls 100000 --metric total,wait,calls "$d/w4a.bin" "$d/w16.bin"
rc_of 2 "diff: a missing trace exits 2" "$WR" diff "$d/w4a.bin" "$d/nonexistent.bin"
t "diff: the message names the missing file" grep -q nonexistent.bin "$d/rc.err"
printf 'not a trace at all\n' >"$d/junk.bin"
rc_of 2 "diff: a file that is not a trace exits 2" "$WR" diff --threshold 5 "$d/junk.bin" "$d/w4a.bin"
rc_of 2 "diff: a bad --metric exits 2" "$WR" diff --metric speed "$d/w4a.bin" "$d/w4b.bin"
rc_of 2 "diff: one trace only exits 2" "$WR" diff "$d/w4a.bin"

# the same program built twice (-O1 example, -O0 here) and run with two ASLR
# layouts: sites match by symbolized stack
cc -std=gnu11 -O0 -g -fno-omit-frame-pointer -fno-inline -o "$d/work_O0" examples/work.c
traced "$d/w4o0.p" "$d/w4o0.bin" "$d/work_O0" 4
"$WR" diff --json --threshold 50 "$d/w4a.bin" "$d/w16.bin" >"$d/d16.json"
"$WR" diff --json "$d/w4a.bin" "$d/w4o0.bin" >"$d/dO0.json"
if python3 - "$d/d16.json" "$d/dO0.json" >"$d/diff.msg" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o0 = json.load(open(sys.argv[2]))
def row(doc, fn, at):
    rs = [s for s in doc["sites"] if s["function"] == fn and s["stack"] and s["stack"][0]["function"] == at]
    assert len(rs) == 1, "%s at %s: %d rows" % (fn, at, len(rs))
    return rs[0]
sel = row(d, "select", "nap")
assert sel["status"] == "both" and sel["regressed"], sel
assert (sel["calls_old"], sel["calls_new"], sel["calls_delta"]) == (4, 16, 12), sel
for k in ("total_ns", "wait_ns", "cpu_ns", "blocked_ns", "runnable_ns"):
    assert sel[k + "_delta"] == sel[k + "_new"] - sel[k + "_old"], k
# 12 more naps of 10 ms, all blocked (+-15% for a loaded machine)
assert 0.85 * 120e6 <= sel["wait_ns_delta"] <= 1.15 * 120e6 + 10e6, sel["wait_ns_delta"]
# every nap is one 10 ms select: p50 ~10 ms in both runs (+-20%, bucket width and load)
assert all(8e6 <= sel[k] <= 14e6 for k in ("p50_ns_old", "p50_ns_new")), sel
assert sel["max_ns_new"] >= sel["p99_ns_new"] >= sel["p50_ns_new"], sel
m = row(d, "malloc", "churn")
assert (m["calls_old"], m["calls_new"]) == (400, 1600), m
sizes = [abs(s["total_ns_delta"]) for s in d["sites"]]
assert sizes == sorted(sizes, reverse=True), "rows sorted by the size of total_ns_delta"
assert d["sites"][0] is sel, "the 12 more naps are the largest change"
assert d["gate"]["regressed"] >= 1 and d["gate"]["threshold_pct"] == 50
# across builds: every site of nap and churn matched, none new or gone
for fn, at in (("select", "nap"), ("malloc", "churn"), ("free", "churn")):
    r = row(o0, fn, at)
    assert r["status"] == "both" and r["calls_delta"] == 0, r
print("select at nap: wait +%.1f ms for 12 more naps; -O0 vs -O1 build: %d sites, all of nap/churn matched"
      % (sel["wait_ns_delta"] / 1e6, len(o0["sites"])))
PY
then ok "diff: JSON deltas, order and matching across builds ($(cat "$d/diff.msg"))"
else notok "diff: JSON deltas, order and matching across builds ($(tr '\n' ' ' <"$d/diff.msg"))"; fi
"$WR" diff --no-color --threshold 50 "$d/w4a.bin" "$d/w16.bin" >"$d/d16.txt"
t "diff: text marks the regressed site" grep -q "REGRESSED" "$d/d16.txt"

# A fix that moves work to new, cheaper sites (tests/helpers/diff_helper.c):
# slow sleeps 600 ms (200 at settle, 8 x 50 at drain_slowly) and writes
# 2,000 single bytes at put_bytes; fixed sleeps 250 ms (200 at settle, 50 at
# drain_batched) and writes the bytes once at put_buffered, two new sites;
# "fixed 100" adds a poll of 100 ms at extra_wait, a function slow never
# called. The checked figures are sleeps, which hold on a loaded machine.
h=build/tests/diff_helper
traced "$d/hs.p" "$d/hs.bin" "$h" slow
traced "$d/hf.p" "$d/hf.bin" "$h" fixed
traced "$d/hx.p" "$d/hx.bin" "$h" fixed 100
t "diff: diff_helper slow, fixed and fixed 100 exit 0 under the preload" \
  [ "$(cat "$d/hs.p.rc" "$d/hf.p.rc" "$d/hx.p.rc" | tr -d '\n')" = 000 ]
rc_of 0 "diff: slow -> fixed passes --threshold 20: its new sites (a 50 ms nanosleep, a write) carry work moved from shrunk functions" \
  "$WR" diff --no-color --threshold 20 "$d/hs.bin" "$d/hf.bin"
cp "$d/rc.out" "$d/sf.txt"
t "diff: the new 50 ms nanosleep site is marked as moved work, with nanosleep's change over all sites" \
  grep -q "^  2 nanosleep .* new (moved: nanosleep total -[34][0-9][0-9] ms)$" "$d/sf.txt" || show "$d/sf.txt"
rc_of 1 "diff: fixed -> slow fails --threshold 20" "$WR" diff --no-color --threshold 20 "$d/hf.bin" "$d/hs.bin"
t "diff: fixed -> slow: the first line marks the run's wall and wait as regressed" \
  grep -q "^wall .*  REGRESSED wall,wait$" "$d/rc.out" || show "$d/rc.out"
t "diff: fixed -> slow: the gate line names the totals and the sites" \
  grep -q "^gate: --threshold 20% --floor 5.00 ms on total,wait: FAIL: the run's wall,wait grew, [12] sites\? regressed$" \
  "$d/rc.out" || show "$d/rc.out"
# a new function's site: its own time against the floor (the totals grow
# 100 ms on 250 ms, +40%, under the threshold of 100%)
rc_of 1 "diff: a new 100 ms poll fails the gate with --floor 50" \
  "$WR" diff --threshold 100 --floor 50 "$d/hf.bin" "$d/hx.bin"
rc_of 0 "diff: a new 100 ms poll passes the gate with --floor 200" \
  "$WR" diff --threshold 100 --floor 200 "$d/hf.bin" "$d/hx.bin"
rc_of 0 "diff: --floor-ms is --floor" "$WR" diff --threshold 100 --floor-ms 200 "$d/hf.bin" "$d/hx.bin"
"$WR" diff --json --threshold 20 "$d/hs.bin" "$d/hf.bin" >"$d/sf.json"
"$WR" diff --json --threshold 20 "$d/hf.bin" "$d/hs.bin" >"$d/fs.json"
"$WR" diff --json --threshold 100 --floor 50 "$d/hf.bin" "$d/hx.bin" >"$d/fx.json"
"$WR" --json "$d/hs.bin" >"$d/hs.json"
if python3 - "$d" >"$d/moved.msg" 2>&1 <<'PY'
import json, re, sys
d = sys.argv[1]
sf, fs, fx, rep = (json.load(open("%s/%s.json" % (d, n))) for n in ("sf", "fs", "fx", "hs"))
assert list(sf)[:2] == ["version", "totals"], list(sf)[:2]
T = sf["totals"]
# the old run's totals are the report's: wall, and the threads' wait and cpu summed
assert T["wall_ns_old"] == rep["process"]["wall_ns"], (T["wall_ns_old"], rep["process"]["wall_ns"])
assert T["wait_ns_old"] == sum(t["wait_ns"] for t in rep["threads"]), T
assert T["cpu_ns_old"] == sum(t["cpu_ns"] for t in rep["threads"]), T
assert T["calls_old"] == rep["libwait"]["calls_read"], T
for k in ("calls", "wall_ns", "wait_ns", "cpu_ns", "blocked_ns", "runnable_ns"):
    assert T[k + "_delta"] == T[k + "_new"] - T[k + "_old"], k
assert T["wait_ns_old"] == T["blocked_ns_old"] + T["runnable_ns_old"], T
assert T["wall_pct"] == round(100.0 * T["wall_ns_delta"] / T["wall_ns_old"], 2), T
# 350 ms less sleep: blocked -350 ms (+-50), wall -350 ms (+-80: start-up varies)
assert -400e6 <= T["blocked_ns_delta"] <= -300e6, T["blocked_ns_delta"]
assert -430e6 <= T["wall_ns_delta"] <= -270e6, T["wall_ns_delta"]
assert T["regressed"] == [] and sf["gate"]["failed"] is False and sf["gate"]["regressed"] == 0, sf["gate"]
# the text's first line gives the same totals
first = open(d + "/sf.txt").readline()
m = re.match(r"wall (\S+ \S+) -> (\S+ \S+) \(([-+]\S+) (\S+), ([-+]\d+)%\), wait .* -> .*, cpu .* -> .*\)$", first)
assert m, first
unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
shown = float(m.group(3)) * unit[m.group(4)]
assert abs(shown - T["wall_ns_delta"]) <= 0.01 * abs(T["wall_ns_delta"]), (first, T["wall_ns_delta"])
assert int(m.group(5)) == round(T["wall_pct"]), (first, T["wall_pct"])
# rows by the size of their change: the 400 ms of naps gone, then the 50 ms nap new
def at(s):
    return [f["function"] for f in s["stack"]]
sizes = [abs(s["total_ns_delta"]) for s in sf["sites"]]
assert sizes == sorted(sizes, reverse=True), sizes
s0, s1 = sf["sites"][:2]
assert s0["function"] == "nanosleep" and "drain_slowly" in at(s0) and s0["status"] == "gone", s0
assert -440e6 <= s0["total_ns_delta"] <= -399e6, s0["total_ns_delta"]
assert s1["function"] == "nanosleep" and "drain_batched" in at(s1) and s1["status"] == "new", s1
assert 49e6 <= s1["total_ns_delta"] <= 90e6 and not s1["regressed"], s1
assert [r["status"] for r in sf["sites"] if "put_buffered" in at(r)] == ["new"]
# the other way: the totals and the 8 naps' new site regress, the gone one does not
assert fs["gate"]["failed"] is True and "wall" in fs["totals"]["regressed"], fs["totals"]
r = [s for s in fs["sites"] if "drain_slowly" in at(s)][0]
assert r["status"] == "new" and r["regressed"], r
r = [s for s in fs["sites"] if "drain_batched" in at(s)][0]
assert r["status"] == "gone" and not r["regressed"], r
# a new function: the poll alone regresses, the totals do not
assert fx["gate"]["failed"] is True and fx["gate"]["regressed"] == 1 and fx["totals"]["regressed"] == [], fx["gate"]
r = [s for s in fx["sites"] if s["regressed"]][0]
assert r["function"] == "poll" and "extra_wait" in at(r) and r["status"] == "new", r
assert 100e6 <= r["total_ns_new"] <= 150e6, r
print("slow -> fixed: wall %+.0f ms, blocked %+.0f ms; first rows %+.0f ms (gone), %+.0f ms (new)"
      % (T["wall_ns_delta"] / 1e6, T["blocked_ns_delta"] / 1e6, s0["total_ns_delta"] / 1e6, s1["total_ns_delta"] / 1e6))
PY
then ok "diff: totals, order by size and the gate on moved work ($(cat "$d/moved.msg"))"
else notok "diff: totals, order by size and the gate on moved work ($(tr '\n' ' ' <"$d/moved.msg"))"; fi

# directories: the sites of their processes merged; the calls summed; the
# wall time from the first start to the last end, so at least the two
# runs' walls (slow ran before fixed) and at most that plus the time between
mkdir -p "$d/dir_a" "$d/dir_b"
cp "$d/hs.bin" "$d/hf.bin" "$d/dir_a/"
cp "$d/hs.bin" "$d/hf.bin" "$d/dir_b/"
"$WR" --json "$d/hf.bin" >"$d/hf.json"
"$WR" diff --json "$d/dir_a" "$d/dir_b" >"$d/dirs.json"
"$WR" diff --no-color "$d/dir_a" "$d/dir_b" >"$d/dirs.txt"
t "diff: a directory's side names its processes and their threads" grep -q "^  old: 2 processes, 2 threads$" "$d/dirs.txt"
if python3 - "$d" >"$d/dirs.msg" 2>&1 <<'PY'
import json, sys
d = sys.argv[1]
D, hs, hf = (json.load(open("%s/%s.json" % (d, n))) for n in ("dirs", "hs", "hf"))
T = D["totals"]
assert T["calls_old"] == hs["libwait"]["calls_read"] + hf["libwait"]["calls_read"], T
assert T["wait_ns_old"] == sum(t["wait_ns"] for r in (hs, hf) for t in r["threads"]), T
walls = hs["process"]["wall_ns"] + hf["process"]["wall_ns"]
assert walls <= T["wall_ns_old"] <= walls + 30e9, (walls, T["wall_ns_old"])
assert T["wall_ns_delta"] == 0 and T["wait_ns_delta"] == 0 and all(s["total_ns_delta"] == 0 for s in D["sites"]), T
print("wall %.0f ms over two runs of %.0f ms together" % (T["wall_ns_old"] / 1e6, walls / 1e6))
PY
then ok "diff: directories' totals ($(cat "$d/dirs.msg"))"
else notok "diff: directories' totals ($(tr '\n' ' ' <"$d/dirs.msg"))"; fi

# without the wait/CPU split in one run (perf refused): the first line has
# the wall time only, and the gate judges what both runs measured
timeout -k 5 "$TMO" env -u LD_PRELOAD -u WAIT_DEPTH -u WAIT_CHUNK_KB build/tests/noperf LD_PRELOAD="$LIB" \
  WAIT_OUTPUT="$d/hn.bin" "$h" fixed >"$d/hn.out" 2>"$d/hn.err"
rc_of 1 "diff: fixed without the split -> slow fails --threshold 20 on wall time" \
  "$WR" diff --no-color --threshold 20 "$d/hn.bin" "$d/hs.bin"
t "diff: without the split the first line has the wall time and says wait and cpu were not measured" \
  grep -q "^wall [0-9.]* m\?s -> [0-9.]* m\?s (+[0-9.]* m\?s, +[0-9.]*%), wait and cpu not measured in both runs  REGRESSED wall$" \
  "$d/rc.out" || show "$d/rc.out"
t "diff: without the split the gate line names the metric it judged" \
  grep -q "^gate: --threshold 20% --floor 5.00 ms on total: FAIL: the run's wall grew, [12] sites\? regressed$" "$d/rc.out" ||
  show "$d/rc.out"
rc_of 0 "diff: --metric wait without the split in both runs judges nothing" \
  "$WR" diff --no-color --threshold 20 --metric wait "$d/hn.bin" "$d/hs.bin"
t "diff: ... and says so" grep -q "^gate: --threshold 20% on nothing (the metrics asked for need the wait/CPU split): pass$" \
  "$d/rc.out"
"$WR" diff --json "$d/hn.bin" "$d/hs.bin" >"$d/hn.json"
t "diff: without the split the JSON totals' wait and cpu are null" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
assert t["wait_ns_old"] is None and t["cpu_ns_delta"] is None and t["wait_pct"] is None, t
assert t["wall_ns_delta"] > 250e6 and t["calls_delta"] >= 2000, t' "$d/hn.json"
# causes compared: wake_helper pipe with C's sleep of 300 ms, then 100 ms.
# The main thread's read (woken by B's write) has C's usleep as its cause:
# ~300 ms -> ~100 ms, a drop of ~200 ms (+-10%), in the text and the JSON
traced "$d/p300.p" "$d/p300.bin" build/tests/wake_helper pipe 300
traced "$d/p100.p" "$d/p100.bin" build/tests/wake_helper pipe 100
"$WR" diff --no-color "$d/p300.bin" "$d/p100.bin" >"$d/pc.txt" 2>"$d/pc.err" &&
  "$WR" diff --json "$d/p300.bin" "$d/p100.bin" >"$d/pc.json" 2>>"$d/pc.err"
t "diff causes: text and JSON of pipe 300 -> pipe 100 exit 0" [ $? = 0 ] || show "$d/pc.err"
t "diff causes: under main's read, 'because of: usleep in stage_c' falls by 180-220 ms" python3 -c '
import re, sys
txt = open(sys.argv[1]).read()
row = re.search(r"^ *\d+ read .*\n((?: {4}because of: .*\n)*) {4}at main ", txt, re.M)
assert row, txt
m = re.search(r"because of: usleep in stage_c \(wake_helper.c:\d+\) \S+ \S+ -> \S+ \S+ \(-(\S+) (ms|s)\)", row.group(1))
assert m, row.group(1)
ms = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
assert 180 <= ms <= 220, ms' "$d/pc.txt" || show "$d/pc.txt"
t "diff causes: JSON: main's read has the cause usleep in stage_c, ns_old ~300 ms, ns_new ~100 ms, the largest" python3 -c '
import json, sys
s = [s for s in json.load(open(sys.argv[1]))["sites"] if s["function"] == "read" and s["stack"][0]["function"] == "main"]
c = [c for c in s[0]["causes"] if c["function"] == "usleep" and c["at"].startswith("stage_c ")]
assert len(c) == 1 and 270e6 <= c[0]["ns_old"] <= 330e6 and 90e6 <= c[0]["ns_new"] <= 110e6, c
assert -220e6 <= c[0]["ns_delta"] <= -180e6 and c[0]["ns_delta"] == c[0]["ns_new"] - c[0]["ns_old"], c
assert s[0]["causes"][0] is c[0], "not the largest cause: %s" % s[0]["causes"]' "$d/pc.json"
t "diff causes: a sleep that is its own cause gets no 'because of' line" python3 -c '
import re, sys
txt = open(sys.argv[1]).read()
assert re.search(r"^ *\d+ usleep .*\n {4}at stage_c ", txt, re.M), txt' "$d/pc.txt" || show "$d/pc.txt"
