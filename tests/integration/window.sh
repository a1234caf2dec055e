# window.sh: --since and --until (sourced by run.sh, which provides
# t/ok/notok/show/need/traced and $tmp, $WR, $root). window_helper waits
# in poll for 6 x 50 ms (phase A), then in usleep for 5 x 50 ms (phase B);
# window_check.py counts each window's calls against the ends of every call
# in the whole trace's Chrome export, so the expected counts are exact.
. "$root/tests/integration/lib.sh"
d=$tmp/window; mkdir -p "$d"
native "$d/n" build/tests/window_helper
traced "$d/p" "$d/w.bin" build/tests/window_helper
same_run "window: window_helper" "$d/n" "$d/p"
"$WR" --json "$d/w.bin" >"$d/all.json"
"$WR" --chrome "$d/all.chrome.json" --chrome-min-us 0 "$d/w.bin" 2>/dev/null
"$WR" --json --until 0.25 "$d/w.bin" >"$d/until.json" 2>"$d/err"
t "window: --until 0.25 exits 0" [ $? = 0 ] || show "$d/err"
"$WR" --json --since -0.2 "$d/w.bin" >"$d/since.json"
"$WR" --json --since=0.1 --until=400ms "$d/w.bin" >"$d/between.json"
for x in 0.1 0.2 0.3 0.4 0.5; do
  "$WR" --json --until $x "$d/w.bin" >"$d/u$x.json"
  "$WR" --json --since $x "$d/w.bin" >"$d/s$x.json"
done
check_relay window "$root/tests/integration/window_check.py" "$d/check.out" "$d"

# the text header says which window is shown, and how many calls ended in it
"$WR" --no-color --until 0.25 "$d/w.bin" >"$d/until.txt"
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["window_shown"]["calls"])' "$d/until.json")
t "window: text: 'window: 0 s to 0.25 s of the trace's ... (--until 0.25 s): $n of 11 calls ended in it'" \
  grep -q "^window: 0 s to 0.25 s of the trace's .* (--until 0.25 s): $n of 11 calls ended in it" "$d/until.txt" ||
  show "$d/until.txt"
t "window: text --until 0.25 has phase A's site, not phase B's" \
  [ "$(grep -c 'at phase_a' "$d/until.txt"):$(grep -c 'phase_b' "$d/until.txt")" = 1:0 ]

# every export counts the same calls
"$WR" --folded=calls --until 0.25 "$d/w.bin" >"$d/until.folded"
t "window: --folded=calls --until 0.25 is phase A's $n polls alone" \
  [ "$(grep -c . "$d/until.folded"):$(grep -c ";phase_a;poll $n\$" "$d/until.folded")" = 1:1 ] || show "$d/until.folded"
"$WR" --chrome "$d/until.chrome.json" --chrome-min-us 0 --until 0.25 "$d/w.bin" 2>/dev/null
t "window: --chrome --until 0.25 has $n call events, all polls" python3 -c '
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("ph") == "X" and e.get("cat") != "offcpu"]
assert [e["name"] for e in ev] == ["poll"] * int(sys.argv[2]), [e["name"] for e in ev]
off = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("cat") == "offcpu"]
assert all(float(e["ts"]) + float(e["dur"]) <= 250000.5 for e in off), "off-CPU past the window"' "$d/until.chrome.json" "$n"
"$WR" --html "$d/until.html" --until 0.25 "$d/w.bin" 2>/dev/null
html_a_only() { grep -q phase_a "$1" && ! grep -q phase_b "$1"; }
t "window: --html --until 0.25 shows phase_a, not phase_b" html_a_only "$d/until.html"
t "window: --html --until 0.25 says 'window 0 s to 0.25 s (--until 0.25 s): $n of 11 calls ended in it'" \
  grep -q "window 0 s to 0.25 s (--until 0.25 s): $n of 11 calls ended in it" "$d/until.html"
gopt=
need go golang-go && gopt=--go
"$WR" --pprof "$d/since.pb.gz" --since -0.2 "$d/w.bin" 2>/dev/null
check_relay "window pprof --since -0.2" "$root/tests/integration/pprof_check.py" "$d/since.pb.check" \
  "$d/since.pb.gz" "$d/since.json" $gopt

# several traces: each window counts from its own process's start and end
mkdir -p "$d/two"
traced "$d/p1" "$d/two/a.bin" build/tests/window_helper 6 5 50
traced "$d/p2" "$d/two/b.bin" build/tests/window_helper 2 5 50
"$WR" --json --since -0.2 "$d/two" >"$d/two.json" 2>"$d/err"
t "window: two traces, --since -0.2: each process's report is its last 200 ms, phase B's usleep alone" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
ps = r["processes"]
assert len(ps) == 2, len(ps)
for p in ps:
    w = p["process"]["window_shown"]
    assert w["end_ns"] == w["trace_ns"] and w["start_ns"] == w["trace_ns"] - 200000000, w
    assert {s["function"] for s in p["sites"]} == {"usleep"}, [s["function"] for s in p["sites"]]
assert {s["function"] for s in r["sites"]} == {"usleep"}' "$d/two.json" || show "$d/err"
"$WR" --no-color --since -0.2 "$d/two" >"$d/two.txt" 2>&1
t "window: two traces, text: the header says the window is each process's" \
  grep -q "^window: --since -0.2 s, of each process's own run: only the calls that ended in it are counted" "$d/two.txt"
t "window: two traces, text: each process's own report says its window" \
  [ "$(grep -c "^window: 0\.[0-9]* s to 0\.[0-9]* s of the trace's .* (--since -0.2 s)" "$d/two.txt")" = 2 ]

# a window outside the trace, and bad values: a message and exit 2
# refused RC OUT ERR PATTERN: exit 2, nothing on stdout, PATTERN on stderr
refused() { [ "$1" = 2 ] && [ ! -s "$2" ] && grep -q -- "$4" "$3"; }
bad() { # bad DESC PATTERN ARGS...
  local desc=$1 pat=$2; shift 2
  "$WR" "$@" >"$d/bad.out" 2>"$d/bad.err"
  local rc=$?
  t "window: $desc: exit 2 (rc $rc), nothing on stdout, says '$pat'" \
    refused "$rc" "$d/bad.out" "$d/bad.err" "$pat" || show "$d/bad.err"
}
bad "--since 100 (past the end)" "w.bin: --since 100 s is outside the trace, which is 0.5" --since 100 "$d/w.bin"
bad "--until 0" "--until 0 s is outside the trace" --json --until 0 "$d/w.bin"
bad "--until -10 (before the start)" "--until -10 s is outside the trace" --until -10 "$d/w.bin"
bad "--since abc" "--since 'abc': give seconds" --since abc "$d/w.bin"
bad "--until 1.5x" "--until '1.5x': give seconds" --until 1.5x "$d/w.bin"
bad "--since ''" "--since '': give seconds" --since '' "$d/w.bin"
bad "--since 0.3 --until 0.2" "--since must come before --until" --since 0.3 --until 0.2 "$d/w.bin"
bad "--since -0.1 --until -0.2" "--since must come before --until" --since -0.1 --until -0.2 "$d/w.bin"
bad "--pprof with --since past the end" "outside the trace" --pprof "$d/x.pb.gz" --since 100 "$d/w.bin"
t "window: ... and writes no profile" [ ! -e "$d/x.pb.gz" ]
"$WR" --help >"$d/help"
t "window: --help describes --since and --until" grep -q -- "--since T, --until T  count only the calls that ended" "$d/help"

# a process killed before its exit path: the end is its latest stamp
build/tests/window_helper 4 100 50 >/dev/null & # warm the page cache: the kill below is timed
wait
LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/k.bin" build/tests/window_helper 4 100 50 &
kpid=$!
sleep 0.7
kill -KILL $kpid
wait $kpid 2>/dev/null
"$WR" --json "$d/k.bin" >"$d/k.json" 2>/dev/null
"$WR" --json --since -0.2 "$d/k.bin" >"$d/ks.json" 2>/dev/null
"$WR" --json --until 0.3 "$d/k.bin" >"$d/ku.json" 2>/dev/null
"$WR" --json --since 0.3 "$d/k.bin" >"$d/kr.json" 2>/dev/null
t "window: killed trace: --since -0.2 ends at its latest stamp, usleeps alone; --until/--since 0.3 split its calls" python3 -c '
import json, sys
a, s, u, r = (json.load(open(p)) for p in sys.argv[1:5])
assert not a["process"]["complete"]
w = s["process"]["window_shown"]
assert abs(w["trace_ns"] - a["process"]["wall_ns"]) < 1000000, (w, a["process"]["wall_ns"])
assert {x["function"] for x in s["sites"]} == {"usleep"} and w["calls"] >= 3, s["sites"]
c = lambda rep: sum(x["calls"] for x in rep["sites"])
assert c(u) + c(r) == c(a), (c(u), c(r), c(a))' "$d/k.json" "$d/ks.json" "$d/ku.json" "$d/kr.json"
