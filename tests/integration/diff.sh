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
  "$WR" diff --threshold 50 --floor-ms 100000 --floor-calls 100000 --metric total,wait,calls "$d/w4a.bin" "$d/w16.bin"
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
assert d["sites"][0] is sel or d["sites"][0]["total_ns_delta"] >= sel["total_ns_delta"], "sorted by growth"
deltas = [s["total_ns_delta"] for s in d["sites"]]
assert deltas == sorted(deltas, reverse=True), "rows sorted by total_ns_delta"
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
