# top.sh: `waitreport top` (live view, --once, --replay), run-time control
# (WAIT_START, SIGUSR2, include/libwait.h) and marks. Sourced by run.sh,
# which provides t/ok/notok/show/native/traced/same_run, $tmp, $WR, $LIB.
TC=$root/tests/integration/top_check.py
d=$tmp/top
mkdir -p "$d"
not() { ! "$@"; }
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
# calls_at JSON FUNC FRAME: calls of FUNC whose stack has FRAME (any depth)
calls_at() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(s["calls"] for s in d["sites"] if s["function"] == sys.argv[2]
          and any(f["function"] == sys.argv[3] for f in s["stack"])))
PY
}

# --- libwait.h: pause/resume/mark from the program, exact counts ---
native "$d/api.n" examples/phases api
traced "$d/api.p" "$d/api.bin" examples/phases api
same_run "api" "$d/api.n" "$d/api.p"
t "api: runs without libwait (prints api done)" grep -q "api done 440" "$d/api.n.out"
"$WR" --json "$d/api.bin" >"$d/api.json"
t "api: 100 locks recorded in shown() (50 per thread, resumed)" [ "$(calls_at "$d/api.json" pthread_mutex_lock shown)" = 100 ]
t "api: 100 unlocks recorded in shown()" [ "$(calls_at "$d/api.json" pthread_mutex_unlock shown)" = 100 ]
t "api: nothing recorded in hidden() (paused)" [ "$(calls_at "$d/api.json" pthread_mutex_lock hidden)" = 0 ]
t "api: marks in order with names" [ "$(jq_py "$d/api.json" '",".join(m["kind"]+":"+(m["name"] or m["source"]) for m in d["marks"])')" = "pause:api,mark:start,resume:api,mark:phase A,mark:phase B,pause:api" ]
t "api: mark times increase from 0" python3 -c "
import json,sys; m=json.load(open('$d/api.json'))['marks']; w=json.load(open('$d/api.json'))['process']['wall_ns']
sys.exit(0 if all(0 < a['t_ns'] <= b['t_ns'] <= w for a,b in zip(m,m[1:])) else 1)"
"$WR" "$d/api.bin" >"$d/api.txt"
t "api: text report has a marks section naming phase A" grep -A8 '^marks (time since start)' "$d/api.txt" | grep -q 'phase A'
"$WR" --chrome "$d/api.chrome.json" "$d/api.bin" 2>/dev/null
t "api: the Chrome trace has the marks as instant events, in order" [ "$(jq_py "$d/api.chrome.json" '",".join(e["name"] for e in d["traceEvents"] if e.get("cat") == "mark" and e["ph"] == "i")')" = "[recording paused (libwait_pause)],start,[recording resumed (libwait_resume)],phase A,phase B,[recording paused (libwait_pause)]" ]

# --- WAIT_START=0 + SIGUSR2 from outside: only the window between the signals ---
# (WAIT_LOCKS=all here and for ctl: phases has one thread, whose locks the
# lone-thread rule would count instead of recording)
WAIT_LOCKS=all python3 "$TC" stdin_run "$d/sig.out" "$d/sig.bin" "$LIB" examples/phases stdin
t "signal: program ran to the end under WAIT_START=0 (got: $(cat "$d/sig.out"))" [ "$(cat "$d/sig.out")" = "1 2 3" ]
"$WR" --json "$d/sig.bin" >"$d/sig.json"
t "signal: 40 locks recorded in second() (the resumed window)" [ "$(calls_at "$d/sig.json" pthread_mutex_lock second)" = 40 ]
t "signal: 0 in first() (started paused)" [ "$(calls_at "$d/sig.json" pthread_mutex_lock first)" = 0 ]
t "signal: 0 in third() (paused again)" [ "$(calls_at "$d/sig.json" pthread_mutex_lock third)" = 0 ]
# the resume arrives on a thread with no stream yet (it started paused): its
# record is written when the thread starts recording, with the signal's time
t "signal: resume and pause records from the signal" [ "$(jq_py "$d/sig.json" '",".join(m["kind"]+":"+m["source"] for m in d["marks"])')" = "resume:signal,pause:signal" ]
printf 'a\nb\n' | env -u LD_PRELOAD examples/phases stdin >"$d/sig.n.out"
t "signal: the same program runs natively" [ "$(tr '\n' ' ' <"$d/sig.n.out")" = "1 2 3 " ]
# the same window through the trace header: `waitreport ctl`, no signal
WR=$WR WAIT_LOCKS=all python3 "$TC" stdin_ctl "$d/ctl.out" "$d/ctl.bin" "$LIB" examples/phases stdin
t "ctl: resume/pause from another process (got: $(cat "$d/ctl.out"))" [ "$(cat "$d/ctl.out")" = "1 recording 2 paused 3" ]
"$WR" --json "$d/ctl.bin" >"$d/ctl.json"
t "ctl: 40 locks recorded in second()" [ "$(calls_at "$d/ctl.json" pthread_mutex_lock second)" = 40 ]
t "ctl: 0 in first() and third()" [ "$(calls_at "$d/ctl.json" pthread_mutex_lock first)$(calls_at "$d/ctl.json" pthread_mutex_lock third)" = 00 ]
t "ctl: status of a finished trace says exited (paused)" [ "$("$WR" ctl "$d/ctl.bin" status)" = "$d/ctl.bin: exited (paused)" ]
cp "$d/ctl.bin" "$d/ctl.copy"
"$WR" ctl "$d/ctl.bin" resume >"$d/ctl.res.out" 2>"$d/ctl.res.err"
t "ctl: resume on a finished trace exits 1 (rc $?)" [ $? = 1 ]
t "ctl: ... says the process has exited, prints no state" grep -q 'has exited' "$d/ctl.res.err" && [ ! -s "$d/ctl.res.out" ]
t "ctl: ... and leaves the file as it was" cmp -s "$d/ctl.bin" "$d/ctl.copy"
# a replay shows the pause state of its records (none: ctl leaves none),
# not the file's word (paused at the end by ctl). The run spans a few ms to
# a second: its replay speed is set so the replay takes ~0.5 s (~10 snapshots)
rp_speed=$(jq_py "$d/ctl.json" 'max(0.001, d["process"]["wall_ns"] / 5e8)')
"$WR" top --replay "${rp_speed:-1}" -d 0.05 "$d/ctl.bin" >"$d/ctl.rp" 2>&1
t "ctl: replay snapshots before the end (x$rp_speed: $(grep -c ', replaying' "$d/ctl.rp"))" grep -q ', replaying,' "$d/ctl.rp"
t "ctl: no replay snapshot says PAUSED (the file's current state)" not grep -q 'PAUSED' "$d/ctl.rp"
t "ctl: refuses a file that is not a trace" not "$WR" ctl "$d/ctl.out" pause 2>/dev/null
# the program's own SIGUSR2 handler is never taken over
native "$d/own.n" examples/phases ownsig
timeout 30 env LD_PRELOAD="$LIB" WAIT_START=1 WAIT_OUTPUT="$d/own.bin" examples/phases ownsig >"$d/own.p.out" 2>"$d/own.p.err"
echo $? >"$d/own.p.rc"
same_run "own SIGUSR2 handler with WAIT_START=1" "$d/own.n" "$d/own.p"

# SIGUSR2 is libwait's only with WAIT_START=0 or WAIT_SIGNAL=1: with
# WAIT_START=1 (the default) or unset, a program raising it dies as natively
{ env -u LD_PRELOAD sh -c 'kill -USR2 $$; exit 0'; } 2>/dev/null
n_rc=$?
for ws in 1 unset; do
  if [ $ws = unset ]; then
    { env -u WAIT_START LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/usr2.bin" sh -c 'kill -USR2 $$; exit 0'; } 2>/dev/null
  else
    { env LD_PRELOAD="$LIB" WAIT_START=$ws WAIT_OUTPUT="$d/usr2.bin" sh -c 'kill -USR2 $$; exit 0'; } 2>/dev/null
  fi
  p_rc=$?
  t "SIGUSR2 with WAIT_START=$ws: the program dies of it as natively (rc $p_rc, native $n_rc)" [ $n_rc = 140 -a $p_rc = $n_rc ]
done
# ... and SIG_IGN inherited stays (even with WAIT_START=0): the program lives
n_out=$( (trap '' USR2; env -u LD_PRELOAD sh -c 'kill -USR2 $$; echo alive') 2>/dev/null)
p_out=$( (trap '' USR2; env LD_PRELOAD="$LIB" WAIT_START=0 WAIT_OUTPUT="$d/usr2.bin" sh -c 'kill -USR2 $$; echo alive') 2>/dev/null)
t "SIGUSR2 ignored by the parent: ignored under libwait too (WAIT_START=0)" [ "$n_out" = alive -a "$p_out" = alive ]

# include/libwait.h compiles as C89 (and later) with GCC and Clang
printf '#include "libwait.h"\nint main(void) { libwait_mark("x"); libwait_pause(); libwait_resume(); return libwait_paused(); }\n' >"$d/c89.c"
for std in c89 c99 gnu11; do
  t "libwait.h compiles with -std=$std -pedantic-errors" cc -std=$std -pedantic-errors -Wall -Wextra -Werror -Iinclude -c "$d/c89.c" -o "$d/c89.o"
done

# --- top --once on a finished trace: exact counts, known wait and p99 ---
traced "$d/hold" "$d/hold.bin" examples/lock_contend hold
"$WR" top --once "$d/hold.bin" >"$d/hold.top" 2>"$d/hold.top.err"
t "top --once: exits 0 on a finished trace" [ $? = 0 ] || show "$d/hold.top.err"
t "top --once: says the process exited" grep -q ', exited,' "$d/hold.top"
t "top --once: 3 calls at the waiter's lock" [ "$(python3 "$TC" rows "$d/hold.top" pthread_mutex_lock waiter)" = 3 ]
sp=$(python3 "$TC" span "$d/hold.top")
w=$(python3 "$TC" field "$d/hold.top" pthread_mutex_lock waiter wait/s)
p99=$(python3 "$TC" field "$d/hold.top" pthread_mutex_lock waiter p99)
t "top --once: waiter's wait/s x span ~600 ms (+-10%; got $((w / 1000)) us/s over $((sp / 1000000)) ms)" \
  python3 -c "import sys; v=$w*$sp/1e9; sys.exit(0 if 540e6 <= v <= 660e6 else 1)"
t "top --once: waiter's p99 ~200 ms (+-10%, got $((p99 / 1000)) us)" python3 -c "import sys; sys.exit(0 if 180e6 <= $p99 <= 220e6 else 1)"
"$WR" top --once "$tmp/lock_contend.bin" >"$d/lc.top"
t "top --once: 80,000 locks at worker (lock_contend)" [ "$(python3 "$TC" rows "$d/lc.top" pthread_mutex_lock worker)" = 80000 ]
"$WR" top --once --threads "$tmp/lock_contend.bin" >"$d/lc.thr"
t "top --once --threads: one row per thread with calls" [ "$(grep -c ' tid [0-9]' "$d/lc.thr")" = 5 ]
"$WR" top "$tmp/lock_contend.bin" </dev/null | cat >"$d/lc.notty"
t "top without a tty prints one snapshot" [ "$(grep -c '^libwait top' "$d/lc.notty")" = 1 ]

# --- untrusted text stays valid UTF-8 in JSON and free of control bytes on a terminal ---
# a mark name cut at 64 bytes is cut before a character, never inside one
mk="a$(python3 -c 'print("\u00e9" * 40)')"
timeout 30 env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/mk.bin" examples/phases mark "$mk" >/dev/null 2>&1
"$WR" --json "$d/mk.bin" >"$d/mk.json"
t "marks: a 81-byte UTF-8 name is cut to 63 bytes at a character boundary" python3 -c "
import json, sys
d = json.loads(open('$d/mk.json', 'rb').read().decode('utf-8'))
sys.exit(0 if [m['name'] for m in d['marks']] == ['a' + '\u00e9' * 31] else 1)"
# a header command with an escape sequence and bytes that are not UTF-8
python3 - "$d/hold.bin" "$d/evil.bin" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
old = b"examples/lock_contend hold"
i = b.index(old, 0, 4096)
new = b"\x1b[2J\xff\xfeevil\xc3"
b[i:i + len(old)] = new + b"\0" * (len(old) - len(new))
open(sys.argv[2], "wb").write(bytes(b))
PY
"$WR" --json "$d/evil.bin" >"$d/evil.json" 2>/dev/null
t "untrusted command: --json is valid UTF-8 with U+FFFD for the bad bytes" python3 -c "
import json, sys
d = json.loads(open('$d/evil.json', 'rb').read().decode('utf-8'))
sys.exit(0 if d['process']['command'] == '\x1b[2J\ufffd\ufffdevil\ufffd' else 1)"
"$WR" "$d/evil.bin" >"$d/evil.txt" 2>/dev/null
"$WR" top --once "$d/evil.bin" >"$d/evil.top" 2>/dev/null
t "untrusted command: no escape byte in the text report or top" python3 -c "
import sys
sys.exit(0 if all(b'\x1b' not in open(f, 'rb').read() and b'\\\\x1b[2J' in open(f, 'rb').read() for f in ('$d/evil.txt', '$d/evil.top')) else 1)"

# --- --replay on a finished trace: snapshots per interval add up to the run ---
traced "$d/rp" "$d/rp.bin" examples/phases run 2
"$WR" --json "$d/rp.bin" >"$d/rp.json"
want=$(calls_at "$d/rp.json" pthread_mutex_lock busy_worker)
s0=$(date +%s%N)
"$WR" top --replay 4 -d 0.1 "$d/rp.bin" >"$d/rp.top" 2>"$d/rp.err"
rc=$?
el=$((($(date +%s%N) - s0) / 1000000))
n=$(grep -c '^libwait top' "$d/rp.top")
t "replay x4: exits 0" [ $rc = 0 ] || show "$d/rp.err"
t "replay x4 of a 2 s run: about 0.5 s (took $el ms)" [ "$el" -ge 400 -a "$el" -le 2500 ]
t "replay x4 -d 0.1: one snapshot per interval (got $n, want 4..8)" [ "$n" -ge 4 -a "$n" -le 8 ]
t "replay: interval calls add up to the report's $want" [ "$(python3 "$TC" rows "$d/rp.top" pthread_mutex_lock busy_worker)" = "$want" ]
t "replay: the last snapshot says finished" [ "$(grep '^libwait top' "$d/rp.top" | tail -1 | grep -c 'replay finished')" = 1 ]
t "replay: marks (tick) shown" grep -q 'tick @' "$d/rp.top"

# switch records drained across a chunk boundary keep their stamps relative
# to the chunk they land in (small chunks make that frequent)
timeout 30 env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/sw.bin" WAIT_CHUNK_KB=4 examples/phases run 2 >/dev/null 2>&1
t "switch stamps all within the run (4 KiB chunks)" [ "$(python3 "$TC" bad_switches "$d/sw.bin")" = 0 ]

# --- live: top in a real terminal (tmux) on a running example ---
if need tmux tmux; then
  sock=$d/tmux.sock
  env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/live.bin" examples/phases run 9 >"$d/live.out" 2>&1 &
  lpid=$!
  sleep 1
  "$WR" top --once "$d/live.bin" >"$d/live.once"
  t "live --once: names busy_worker while running" grep -q 'busy_worker' "$d/live.once"
  t "live --once: says running" grep -q ', running,' "$d/live.once"
  tmux -S "$sock" new-session -d -s top -x 150 -y 30 "$WR top -d 0.5 $d/live.bin"
  sleep 1.5
  tmux -S "$sock" capture-pane -p -t top >"$d/cap1"
  sleep 1.6
  tmux -S "$sock" capture-pane -p -t top >"$d/cap2"
  t "tmux: first screen names the example's site" grep -q 'pthread_mutex_lock .*busy_worker (phases.c' "$d/cap1" || show "$d/cap1"
  t "tmux: second screen names it too" grep -q 'busy_worker' "$d/cap2"
  t "tmux: the screen changed between captures" not cmp -s "$d/cap1" "$d/cap2"
  # ... in a count, not only the clock: the example marks a tick each second
  mk1=$(sed -n 's/^marks (\([0-9]*\)).*/\1/p' "$d/cap1") mk2=$(sed -n 's/^marks (\([0-9]*\)).*/\1/p' "$d/cap2")
  t "tmux: the marks count grew between captures ($mk1 -> $mk2)" [ "${mk2:-0}" -gt "${mk1:-0}" ]
  tmux -S "$sock" send-keys -t top t
  sleep 0.4
  tmux -S "$sock" capture-pane -p -t top >"$d/cap3"
  t "tmux: key t shows threads" grep -q 'THREAD' "$d/cap3"
  tmux -S "$sock" send-keys -t top r
  sleep 0.7
  tmux -S "$sock" capture-pane -p -t top >"$d/cap5"
  t "tmux: key r pauses recording (header)" grep -q 'recording PAUSED' "$d/cap5" || show "$d/cap5"
  t "tmux: key r pauses recording (ctl status)" [ "$("$WR" ctl "$d/live.bin" status)" = "$d/live.bin: paused" ]
  tmux -S "$sock" send-keys -t top r
  sleep 0.3
  t "tmux: key r again resumes" [ "$("$WR" ctl "$d/live.bin" status)" = "$d/live.bin: recording" ]
  tmux -S "$sock" resize-window -t top -x 90 -y 20 2>/dev/null
  sleep 0.6
  tmux -S "$sock" capture-pane -p -t top >"$d/cap4"
  t "tmux: after a resize to 90 columns no line is wider" [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$d/cap4")" -le 90 ]
  tmux -S "$sock" send-keys -t top q
  sleep 0.5
  t "tmux: q quits" not tmux -S "$sock" has-session -t top 2>/dev/null
  tmux -S "$sock" kill-server 2>/dev/null
  wait "$lpid"
  # key r during a replay: the finished trace is not written
  cp "$d/rp.bin" "$d/rp.copy"
  tmux -S "$sock" new-session -d -s rp -x 150 -y 30 "$WR top --replay 0.5 -d 0.3 $d/rp.bin"
  sleep 1
  tmux -S "$sock" send-keys -t rp r
  sleep 0.7
  tmux -S "$sock" capture-pane -p -t rp >"$d/rp.cap"
  t "tmux replay: key r leaves the trace file as it was" cmp -s "$d/rp.bin" "$d/rp.copy"
  t "tmux replay: no r key offered, no PAUSED shown" not grep -qE 'r pause|PAUSED' "$d/rp.cap"
  tmux -S "$sock" kill-server 2>/dev/null
  # a trace cut to nothing under an interactive top (its writer "running":
  # the header names this shell, which started before it): a key redraws
  # the screen before the next poll, then the poll says cut short, exit 2
  python3 - "$d/hold.bin" "$d/cut.bin" $$ <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
flags, = struct.unpack_from("<I", b, 20)
struct.pack_into("<II", b, 20, flags & ~1, int(sys.argv[3]))  # not CLOSED; pid
open(sys.argv[2], "wb").write(b)
PY
  rm -f "$d/cut.rc"
  tmux -S "$sock" new-session -d -s cut -x 150 -y 30 "sh -c '$WR top -d 2.5 $d/cut.bin 2>$d/cut.err; echo \$? >$d/cut.rc'"
  sleep 1
  tmux -S "$sock" capture-pane -p -t cut >"$d/cut.cap"
  t "cut: top shows the running trace" grep -q 'pthread_mutex_lock' "$d/cut.cap" || show "$d/cut.cap"
  : >"$d/cut.bin"
  tmux -S "$sock" send-keys -t cut a
  sleep 3.5
  t "cut: top exits 2 when the trace is cut to nothing (rc $(cat "$d/cut.rc" 2>/dev/null))" [ "$(cat "$d/cut.rc" 2>/dev/null)" = 2 ]
  t "cut: says the file was cut short" grep -q 'cut short' "$d/cut.err"
  tmux -S "$sock" kill-server 2>/dev/null
  t "live: the example finished normally under top" grep -q 'run done' "$d/live.out"
fi

# --- without switch records: calls count at once, wait and CPU are "-" ---
timeout 30 env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/nosw.bin" WAIT_SWITCHES=0 examples/lock_contend >/dev/null 2>&1
"$WR" top --once "$d/nosw.bin" >"$d/nosw.top"
t "no switches: 80,000 locks at worker" [ "$(python3 "$TC" rows "$d/nosw.top" pthread_mutex_lock worker)" = 80000 ]
t "no switches: wait/s and cpu/s shown as -" grep -qE ' - +- +[0-9.]+ [num]?s +pthread_mutex_lock +worker' "$d/nosw.top" || show "$d/nosw.top"
t "no switches: the header says the split is unavailable" grep -q 'split: unavailable' "$d/nosw.top"

# --- a process killed with SIGKILL: its header never says closed; the pid is gone ---
env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/kill.bin" examples/phases run 5 >/dev/null 2>&1 &
kpid=$!
sleep 2
kill -9 "$kpid"
{ wait "$kpid"; } 2>/dev/null
sleep 2 # top runs 2 s after the end: the figures cover the 2 s run, not 4 s
"$WR" top --once "$d/kill.bin" >"$d/kill.top" 2>&1
t "killed: top --once says exited" grep -q ', exited,' "$d/kill.top" || show "$d/kill.top"
kc=$(python3 "$TC" rows "$d/kill.top" pthread_mutex_lock busy_worker)
t "killed: the calls before the kill are there" [ "$kc" -gt 100 ]
ks=$(python3 "$TC" span "$d/kill.top")
t "killed: the span is the run (~2 s), not until top ran (got $((ks / 1000000)) ms)" [ "$ks" -ge 1700000000 -a "$ks" -le 2600000000 ]
t "killed: 'since start' is the run too" grep -qE 'exited, (1\.[7-9]|2\.[0-5])[0-9]* s since start' "$d/kill.top"
kcs=$(python3 "$TC" field "$d/kill.top" pthread_mutex_lock busy_worker calls/s)
t "killed: calls/s = calls / run length (+-5%: $kcs vs $kc over $((ks / 1000000)) ms)" \
  python3 -c "import sys; w=$kc*1e9/$ks; sys.exit(0 if abs($kcs-w) <= 0.05*w else 1)"
# --replay of the killed run: it plays to its last record, then finishes
"$WR" top --replay 4 -d 0.1 "$d/kill.bin" >"$d/kill.rp" 2>&1
t "killed --replay x4: several snapshots ($(grep -c '^libwait top' "$d/kill.rp"))" [ "$(grep -c '^libwait top' "$d/kill.rp")" -ge 2 ]
t "killed --replay: the intervals add up to the calls" [ "$(python3 "$TC" rows "$d/kill.rp" pthread_mutex_lock busy_worker)" = "$kc" ]
t "killed --replay: the last snapshot says finished" [ "$(grep '^libwait top' "$d/kill.rp" | tail -1 | grep -c 'replay finished')" = 1 ]
# the pid is reused by a newer process: still exited, replay still ends
sleep 20 &
rpid=$!
python3 - "$d/kill.bin" "$d/reuse.bin" "$rpid" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 24, int(sys.argv[3]))  # header pid
open(sys.argv[2], "wb").write(b)
PY
"$WR" top --once "$d/reuse.bin" >"$d/reuse.top" 2>&1
t "reused pid: top --once says exited" grep -q ', exited,' "$d/reuse.top" || show "$d/reuse.top"
timeout 10 "$WR" top --replay 4 -d 0.1 "$d/reuse.bin" >"$d/reuse.rp" 2>&1
t "reused pid: --replay ends (rc $?)" [ "$(grep '^libwait top' "$d/reuse.rp" | tail -1 | grep -c 'replay finished')" = 1 ]
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null

# --- untrusted input: damaged and truncated traces never crash top ---
python3 - "$d/rp.bin" "$d/bad" <<'PY'
import os, random, sys
src = open(sys.argv[1], "rb").read()
os.makedirs(sys.argv[2], exist_ok=True)
rnd = random.Random(7)
for i in range(40):
    b = bytearray(src)
    if i % 4 == 0:
        b = b[:rnd.randrange(len(b))]
    else:
        for _ in range(rnd.randrange(1, 50)):
            b[rnd.randrange(4096 if i % 3 == 0 else len(b))] = rnd.randrange(256)
    open(os.path.join(sys.argv[2], "%02d.bin" % i), "wb").write(b)
PY
crash=0
for f in "$d"/bad/*.bin; do
  timeout 20 "$WR" top --once "$f" >/dev/null 2>&1
  rc=$?
  [ $rc -le 2 ] || { crash=1; echo "# top --once $f: rc $rc"; }
done
t "damaged traces: top --once exits 0 or 2, never crashes (40 files)" [ $crash = 0 ]

# --- --pprof-every DIR: a profile per interval while following a run ---
# window_helper waits 30 x 50 ms in poll, then 30 x 50 ms in usleep (~3 s);
# top follows it without a terminal, a file every 0.5 s, to its end
. "$root/tests/integration/lib.sh"
TPC=$root/tests/integration/top_pprof_check.py
gopt=
need go golang-go && gopt=--go
rm -f "$d/every.bin"
LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/every.bin" build/tests/window_helper 30 30 50 &
hp=$!
for _ in $(seq 50); do [ -s "$d/every.bin" ] && break; sleep 0.02; done
timeout -k 5 60 "$WR" top --pprof-every "$d/every" -d 0.5 "$d/every.bin" >"$d/every.out" 2>"$d/every.err" </dev/null
rc=$?
wait $hp
t "top --pprof-every: follows the run to its end without a terminal, exit 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/every.err"
named=$(grep -c "^waitreport: wrote $d/every/profile-" "$d/every.err")
t "top --pprof-every: nothing on stdout; each file named on stderr ($named)" \
  [ ! -s "$d/every.out" -a "$named" = "$(ls "$d/every" | wc -l)" ]
"$WR" --json "$d/every.bin" >"$d/every.json"
check_relay "top --pprof-every (live)" "$TPC" "$d/every.check" "$d/every" "$d/every.json" 2 $gopt
# a replay writes a file per replayed interval, named by the trace's time
traced "$d/prw" "$d/prw.bin" examples/pipe_rw
"$WR" top --replay 2 -d 0.05 --pprof-every "$d/replay" "$d/prw.bin" >/dev/null 2>"$d/replay.err" </dev/null
"$WR" --json "$d/prw.bin" >"$d/prw.json"
check_relay "top --pprof-every (replay of pipe_rw)" "$TPC" "$d/replay.check" "$d/replay" "$d/prw.json" 1 $gopt
# a finished run: what it holds, in one file or two
"$WR" top --pprof-every "$d/done" "$d/every.bin" >/dev/null 2>"$d/done.err" </dev/null
check_relay "top --pprof-every (finished run)" "$TPC" "$d/done.check" "$d/done" "$d/every.json" 1 $gopt
# exits RC ERR PATTERN: status 2, PATTERN on stderr
exits2() { [ "$1" = 2 ] && grep -q "$3" "$2"; }
"$WR" top --once --pprof-every "$d/x" "$d/every.bin" >/dev/null 2>"$d/once.err"
t "top --pprof-every with --once: exit 2, says why" exits2 $? "$d/once.err" "follows the run"
: >"$d/afile"
"$WR" top --pprof-every "$d/afile" "$d/every.bin" >/dev/null 2>"$d/nodir.err"
t "top --pprof-every FILE (not a directory): exit 2, says why" exits2 $? "$d/nodir.err" "not a directory"
