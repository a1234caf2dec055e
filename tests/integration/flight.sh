# flight.sh: the flight recorder, WAIT_MAX_SIZE (sourced by run.sh, which
# provides t/ok/notok/show/native/traced/same_run and $tmp, $WR, $LIB).
#
# flight_helper: 4 threads lock and unlock their own mutex FIRST times at
# site_first, BULK times at site_bulk, then (after a barrier) FINAL times
# at site_final. Its trace would be ~200 MB (15 bytes a pair); the cap is
# 16 MiB, so the report must hold the last part of the run: every
# site_final call (4 x FINAL, 1.2 MB of records), no site_first call, and
# the calls read plus those overwritten must be every call recorded.
d=$tmp/flight; mkdir -p "$d"
h=build/tests/flight_helper
FIRST=1000 BULK=3600000 FINAL=20000

# fl_check JSON DESC PY_EXPR: one check; PY_EXPR sees d (the report), p
# (its process), calls(fn, caller) and hdr (the trace's chunk size, cap)
fl_check() {
  local j=$1 desc=$2 expr=$3
  if python3 - "$j" "$expr" >"$d/msg" 2>&1 <<'PY'
import json, os, struct, sys
d = json.load(open(sys.argv[1]))
p = d["process"]
trace = sys.argv[1][:-len(".json")]
chunk = struct.unpack_from("<I", open(trace, "rb").read(24), 16)[0]
size = os.path.getsize(trace)
def calls(fn, caller):
    return sum(s["calls"] for s in d["sites"]
               if s["function"] == fn and s["stack"] and s["stack"][0]["function"] == caller)
ok = eval(sys.argv[2])
if not ok:
    print("window_ns %s of wall %s, dropped %s, read %s, records %s, size %d, chunk %d" % (
        p.get("window_ns"), p["wall_ns"], p.get("dropped_events"), d["libwait"]["calls_read"],
        d["libwait"]["records"], size, chunk))
sys.exit(0 if ok else 1)
PY
  then ok "$desc"; else notok "$desc ($(tr '\n' ' ' <"$d/msg"))"; fi
}

native "$d/cap.n" "$h" 4 $FIRST $BULK $FINAL
WAIT_MAX_SIZE=16M traced "$d/cap.p" "$d/cap.bin" "$h" 4 $FIRST $BULK $FINAL
same_run "flight 16M" "$d/cap.n" "$d/cap.p"
t "flight 16M: nothing on stderr" [ ! -s "$d/cap.p.err" ] || show "$d/cap.p.err"
"$WR" --json "$d/cap.bin" >"$d/cap.bin.json" 2>"$d/cap.err"
t "flight 16M: waitreport reads it without a warning" [ ! -s "$d/cap.err" ] || show "$d/cap.err"
j=$d/cap.bin.json
fl_check "$j" "flight 16M: ~200 MB recorded (libwait.bytes > 190 MB)" 'd["libwait"]["bytes"] > 190e6'
fl_check "$j" "flight 16M: file at most 16 MiB plus a chunk per thread" 'size <= 16 * 2**20 + 4 * chunk'
fl_check "$j" "flight 16M: max_size 16 MiB" 'p["max_size"] == 16 * 2**20'
fl_check "$j" "flight 16M: dropped_events > 0" 'p["dropped_events"] > 0'
fl_check "$j" "flight 16M: calls read + dropped_events = calls recorded" \
  'd["libwait"]["calls_read"] + p["dropped_events"] == d["libwait"]["records"]'
fl_check "$j" "flight 16M: the window is the end of the run (0 < window_ns < wall_ns, ends at wall_ns)" \
  '0 < p["window_ns"] < p["wall_ns"] and p["window_start_ns"] + p["window_ns"] == p["wall_ns"]'
fl_check "$j" "flight 16M: site_final lock calls exactly 4 x $FINAL" "calls('pthread_mutex_lock', 'site_final') == 4 * $FINAL"
fl_check "$j" "flight 16M: site_final unlock calls exactly 4 x $FINAL" "calls('pthread_mutex_unlock', 'site_final') == 4 * $FINAL"
fl_check "$j" "flight 16M: no site_first call (overwritten)" "calls('pthread_mutex_lock', 'site_first') == 0"
fl_check "$j" "flight 16M: fewer site_bulk calls than made, some" \
  "0 < calls('pthread_mutex_lock', 'site_bulk') < 4 * $BULK"
fl_check "$j" "flight 16M: the threads keep their names (set before the overwritten chunks)" \
  'sorted(t["name"] for t in d["threads"] if t["name"].startswith("flight-")) == ["flight-%d" % i for i in range(4)]'
fl_check "$j" "flight 16M: no chunk torn" 'p["torn_chunks"] == 0'
"$WR" --no-color "$d/cap.bin" >"$d/cap.txt" 2>&1
t "flight 16M: the text report says which window and how much was overwritten" \
  grep -q "^flight recorder (WAIT_MAX_SIZE 16.0 MiB): the trace holds the last .* calls were overwritten" "$d/cap.txt" ||
  show "$d/cap.txt"
# a time window: before the kept part it says so; within it, --until and --since split the calls
"$WR" --no-color --until 0.001 "$d/cap.bin" >"$d/early.txt" 2>&1
t "flight 16M: --until 0.001 says the calls before the kept part were overwritten" \
  grep -q "^window: 0 s to 0.001 s .*; the calls before .* were overwritten (flight recorder)" "$d/early.txt" ||
  show "$d/early.txt"
mid=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["process"]; print("%.3f" % ((p["window_start_ns"] + p["window_ns"] / 2) / 1e9))' "$j")
"$WR" --json --until "$mid" "$d/cap.bin" >"$d/until.json"
"$WR" --json --since "$mid" "$d/cap.bin" >"$d/since.json"
t "flight 16M: --until $mid and --since $mid split the kept calls exactly" python3 -c '
import json, sys
a, u, s = (json.load(open(p)) for p in sys.argv[1:4])
c = lambda r: sum(x["calls"] for x in r["sites"])
assert c(u) > 0 and c(s) > 0 and c(u) + c(s) == c(a), (c(u), c(s), c(a))' "$j" "$d/until.json" "$d/since.json"
"$WR" top --once --rows 40 "$d/cap.bin" >"$d/top.txt" 2>&1
t "flight 16M: top shows site_final's 4 x $FINAL lock calls" \
  grep -q "^ *80,000 .*pthread_mutex_lock *site_final" "$d/top.txt" || show "$d/top.txt"

# without a cap: no flight fields (the reports of other traces are unchanged)
traced "$d/free.p" "$d/free.bin" "$h" 2 10 1000 10
"$WR" --json "$d/free.bin" >"$d/free.bin.json"
fl_check "$d/free.bin.json" "flight: a trace without WAIT_MAX_SIZE has no window_ns" '"window_ns" not in p'

# killed with SIGKILL while writing (and reading it while it runs first)
rm -f "$d/kill.bin"
env WAIT_FLIGHT_STOP=1 WAIT_MAX_SIZE=4M LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/kill.bin" "$h" 4 $FIRST 0 0 \
  >"$d/kill.out" 2>"$d/kill.err" &
kpid=$!
for _ in $(seq 100); do grep -q bulk "$d/kill.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
"$WR" --json "$d/kill.bin" >"$d/live.json" 2>"$d/live.err"
t "flight SIGKILL: a running capped trace reads (exit 0)" [ $? = 0 ] || show "$d/live.err"
kill -9 $kpid
wait $kpid 2>/dev/null
"$WR" --json "$d/kill.bin" >"$d/kill.bin.json" 2>"$d/kill.rep.err"
t "flight SIGKILL: the trace reads back (exit 0)" [ $? = 0 ] || show "$d/kill.rep.err"
fl_check "$d/kill.bin.json" "flight SIGKILL: incomplete, calls overwritten, site_bulk calls kept" \
  "p['complete'] is False and p['dropped_events'] > 0 and calls('pthread_mutex_lock', 'site_bulk') > 0"
fl_check "$d/kill.bin.json" "flight SIGKILL: file at most 4 MiB plus a chunk per thread" 'size <= 4 * 2**20 + 4 * chunk'

# bad values: said once on stderr, the program runs as natively
native "$d/bad.n" "$h" 2 10 1000 10
WAIT_MAX_SIZE=lots traced "$d/bad.p" "$d/bad.bin" "$h" 2 10 1000 10
same_run "flight WAIT_MAX_SIZE=lots" "$d/bad.n" "$d/bad.p"
t "flight WAIT_MAX_SIZE=lots: one line on stderr, recording without a cap" \
  [ "$(grep -c 'ignoring WAIT_MAX_SIZE=lots.*recording without a cap' "$d/bad.p.err")" = 1 ] || show "$d/bad.p.err"
"$WR" --json "$d/bad.bin" >"$d/bad.bin.json"
fl_check "$d/bad.bin.json" "flight WAIT_MAX_SIZE=lots: all calls recorded, no cap" \
  "'window_ns' not in p and calls('pthread_mutex_lock', 'site_bulk') == 2000"
WAIT_MAX_SIZE=1K traced "$d/small.p" "$d/small.bin" "$h" 2 10 1000 10
same_run "flight WAIT_MAX_SIZE=1K" "$d/bad.n" "$d/small.p"
t "flight WAIT_MAX_SIZE=1K: raised to the least cap, said once" \
  [ "$(grep -c 'WAIT_MAX_SIZE=1K is below the least cap that works here, 1024 KiB; using that' "$d/small.p.err")" = 1 ] ||
  show "$d/small.p.err"
"$WR" --json "$d/small.bin" >"$d/small.bin.json"
fl_check "$d/small.bin.json" "flight WAIT_MAX_SIZE=1K: a 1 MiB cap" "p['max_size'] == 2**20"
