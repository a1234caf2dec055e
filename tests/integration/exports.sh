# exports.sh: --folded, --chrome and multi-trace reports (sourced by run.sh,
# which provides t/ok/notok/native/traced/same_run and $tmp, $WR, $root).
d=$tmp/exports; mkdir -p "$d"
traced "$d/hold.p" "$d/hold.bin" examples/lock_contend hold
"$WR" --folded=wait "$d/hold.bin" >"$d/wait.folded"
t "folded: --folded=wait exits 0" [ $? = 0 ]
# the hold mode's waiter waits 3 x 200 ms on the lock: ~600 ms, root first
if python3 - "$d/wait.folded" >"$d/folded.msg" 2>&1 <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no lines"
for l in lines:
    assert re.fullmatch(r"[^ ].*;?[^;]+ [0-9]+", l), "bad line: " + l
w = [int(l.rsplit(" ", 1)[1]) for l in lines if l.rsplit(" ", 1)[0].endswith(";waiter;pthread_mutex_lock")]
assert len(w) == 1, "waiter lines: %d" % len(w)
assert 540e6 <= w[0] <= 660e6, "waiter wait %d ns" % w[0]
assert "start_thread;waiter" in [l for l in lines if ";waiter;" in l][0], "root first"
print("waiter's lock path %.1f ms of wait" % (w[0] / 1e6))
PY
then ok "folded: $(cat "$d/folded.msg")"
else notok "folded: waiter's lock path ~600 ms ($(tr '\n' ' ' <"$d/folded.msg"))"; fi
"$WR" --json "$d/hold.bin" >"$d/hold.report.json"
t "folded: the JSON site key is the folded path, with the same wait" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
fold = dict(l.rsplit(" ", 1) for l in open(sys.argv[2]).read().splitlines())
s = [s for s in d["sites"] if s["key"].endswith(";waiter;pthread_mutex_lock")]
assert len(s) == 1 and int(fold[s[0]["key"]]) == s[0]["wait_ns"], (s, fold)' "$d/hold.report.json" "$d/wait.folded"
"$WR" --folded=calls "$d/hold.bin" >"$d/calls.folded"
t "folded: --folded=calls gives the waiter's 3 locks" grep -q ";waiter;pthread_mutex_lock 3$" "$d/calls.folded"
"$WR" --folded=speed "$d/hold.bin" >/dev/null 2>&1
t "folded: an unknown kind exits 2" [ $? = 2 ]

traced "$d/mc.p" "$d/mc.bin" examples/malloc_churn
"$WR" --folded=bytes "$d/mc.bin" >"$d/bytes.folded"
t "folded: --folded=bytes gives site_calloc's 160,000 bytes" grep -q ";site_calloc;calloc 160000$" "$d/bytes.folded"

"$WR" --chrome "$d/hold.json" "$d/hold.bin" 2>"$d/chrome.err"
t "chrome: --chrome FILE exits 0" [ $? = 0 ] || show "$d/chrome.err"
python3 tests/integration/chrome_check.py "$d/hold.json" pthread_mutex_lock:lock:170:260 blocked:offcpu:170:260 \
  >"$d/chrome.txt" 2>&1
while IFS= read -r line; do
  case $line in "ok - "*) ok "hold: ${line#ok - }" ;; "not ok - "*) notok "hold: ${line#not ok - }" ;; *) echo "# $line" ;; esac
done <"$d/chrome.txt"
traced "$d/lc.p" "$d/lc.bin" examples/lock_contend
"$WR" --chrome - --chrome-min-us 0 --chrome-max-events 5000 "$d/lc.bin" >"$d/lc.json" 2>"$d/lc.err"
python3 tests/integration/chrome_check.py "$d/lc.json" >"$d/chrome.txt" 2>&1
t "chrome: a 160k-call trace under --chrome-max-events 5000 is valid and nested" [ $? = 0 ] || show "$d/chrome.txt"
n=$(python3 -c 'import json,sys; print(sum(e["ph"]=="X" for e in json.load(open(sys.argv[1]))["traceEvents"]))' "$d/lc.json")
t "chrome: at most 5000 X events ($n)" [ "${n:-999999}" -le 5000 ]
t "chrome: the raised threshold is announced" grep -q "kept the" "$d/lc.err"

# several processes: fork, then exec in the child (three traces, two pids)
m=$d/multi; mkdir -p "$m/traces"
native "$m/n" examples/fork_exec
traced "$m/p" "$m/traces/fe.%p.bin" examples/fork_exec
same_run "multi: fork_exec" "$m/n" "$m/p"
shopt -s nullglob
files=("$m"/traces/*)
shopt -u nullglob
t "multi: fork and exec wrote 3 traces (${#files[@]})" [ "${#files[@]}" = 3 ]
"$WR" --json "$m/traces" >"$m/dir.json" 2>"$m/err"
t "multi: a directory of traces reports (rc $?)" [ -s "$m/dir.json" ] || show "$m/err"
"$WR" --json "${files[@]}" >"$m/files.json" 2>/dev/null
t "multi: the files named one by one give the same report" cmp -s "$m/dir.json" "$m/files.json"
if python3 - "$m/dir.json" >"$m/msg" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ps = d["processes"]
assert len(ps) == 3, "processes: %d" % len(ps)
pids = [p["process"]["pid"] for p in ps]
parent = [p for p in ps if p["process"]["pid"] not in [q["process"]["ppid"] for q in ps]]
child_pid = [p["process"]["pid"] for p in ps if p["process"]["ppid"] in pids][0]
def comb(at):
    ss = [s for s in d["sites"] if s["function"] == "malloc" and len(s["stack"]) > 1 and s["stack"][1]["function"] == at]
    assert len(ss) == 1, "%s: %d combined sites" % (at, len(ss))
    return ss[0]
c = comb("common")
assert c["calls"] == 30 and len(c["pids"]) == 2, c
assert all(s["p50_ns"] <= s["p95_ns"] <= s["p99_ns"] <= s["p999_ns"] <= s["max_ns"] for s in d["sites"]), "quantiles"
assert comb("parent_work")["calls"] == 100
assert comb("child_work")["calls"] == 200 and comb("child_work")["pids"] == [child_pid]
assert comb("exec_work")["calls"] == 300 and comb("exec_work")["pids"] == [child_pid]
per = sum(s["calls"] for p in ps for s in p["sites"] if s["function"] == "malloc")
assert per == sum(s["calls"] for s in d["sites"] if s["function"] == "malloc"), "combined = sum of processes"
print("3 processes, common 30 calls over 2 pids, 100/200/300 at parent/child/exec work")
PY
then ok "multi: $(cat "$m/msg")"
else notok "multi: combined sites ($(tr '\n' ' ' <"$m/msg"))"; fi
cpid=$(python3 -c 'import json,sys; ps=json.load(open(sys.argv[1]))["processes"]; print([p["process"]["pid"] for p in ps if p["process"]["ppid"] in [q["process"]["pid"] for q in ps]][0])' "$m/dir.json")
"$WR" --json --pid "$cpid" "$m/traces" >"$m/pid.json"
t "multi: --pid picks the child's two images" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); assert len(d["processes"]) == 2
assert all(p["process"]["pid"] == int(sys.argv[2]) for p in d["processes"])' "$m/pid.json" "$cpid"
ppid=$(python3 -c 'import json,sys; ps=json.load(open(sys.argv[1]))["processes"]; print([p["process"]["pid"] for p in ps if p["process"]["ppid"] not in [q["process"]["pid"] for q in ps]][0])' "$m/dir.json")
"$WR" --json --pid "$ppid" "$m/traces" >"$m/one.json"
t "multi: --pid of the parent gives its single-process report" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); assert d["process"]["pid"] == int(sys.argv[2])' "$m/one.json" "$ppid"
"$WR" --pid 1 "$m/traces" >/dev/null 2>"$m/err"
t "multi: --pid of no trace exits 2" [ $? = 2 ]
"$WR" --no-color "$m/traces" >"$m/multi.txt"
t "multi: text has the merged table and a section per process" \
  bash -c 'grep -q "all processes" "$1" && [ "$(grep -c "== process" "$1")" = 3 ]' _ "$m/multi.txt"
"$WR" --chrome "$m/all.json" "$m/traces" 2>/dev/null
t "multi: one chrome trace holds the three images" python3 -c '
import json,sys; e=json.load(open(sys.argv[1]))["traceEvents"]
assert len([x for x in e if x["name"]=="process_name"]) == 3' "$m/all.json"
"$WR" diff --json --threshold 10 --metric calls "$m/traces" "$m/traces" >"$m/diff.json"
t "multi: diff of a directory with itself passes the calls gate" [ $? = 0 ]
t "multi: diff of two directories matches every merged site" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); s=d["sites"]
assert len(d["old"]["processes"]) == 3 and s and all(x["status"] == "both" and x["calls_delta"] == 0 for x in s)
assert [x for x in s if x["key"].endswith(";exec_work;allocs;malloc")][0]["calls_new"] == 300' "$m/diff.json"

# trace names: the exec'd image keeps ".bin" last (fe.PID.1.bin), so the
# glob a user types finds all three images; they are listed each process's
# images in the order they ran, whatever order the glob gives
cpid_files=$(cd "$m/traces" && ls | tr '\n' ' ')
t "names: fe.PARENT.bin, fe.CHILD.bin and fe.CHILD.1.bin ($cpid_files)" \
  [ -f "$m/traces/fe.$ppid.bin" -a -f "$m/traces/fe.$cpid.bin" -a -f "$m/traces/fe.$cpid.1.bin" ]
"$WR" --no-color "$m"/traces/fe.*.bin >"$m/glob.txt" 2>"$m/glob.err"
t "names: waitreport fe.*.bin reports the three processes, the exec'd image after its first" bash -c '
  grep -E "^  pid [0-9]+ " "$1" | sed -E "s/.*\((.*)\)$/\1/; s#.*/##" | tr "\n" " " >"$1.order"
  [ "$(grep -c "== process" "$1")" = 3 ] && grep -q "fe\.$2\.bin fe\.$2\.1\.bin" "$1.order"' _ "$m/glob.txt" "$cpid"
# traces from older recorders, named fe.PID.bin.1, are still read from a directory
mkdir -p "$m/old"
cp "$m/traces/fe.$cpid.bin" "$m/old/fe.$cpid.bin"
cp "$m/traces/fe.$cpid.1.bin" "$m/old/fe.$cpid.bin.1"
"$WR" --json "$m/old" >"$m/old.json" 2>"$m/old.err"
t "names: a directory with an older recorder's fe.PID.bin.1 reports both images, in the order they ran" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); ps=d["processes"]
assert [p["process"]["command"] for p in ps] == ["examples/fork_exec", "fork_exec exec"], [p["process"]["command"] for p in ps]' "$m/old.json"
