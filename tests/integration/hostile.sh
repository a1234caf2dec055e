# hostile.sh: programs that do unusual things to their own process (take
# fd 2 for a file, run under a tiny fd limit, jump out of signal handlers,
# fork from a signal handler) are unharmed, and what can be recorded is
# (sourced by run.sh, which provides t/ok/notok/native/traced/same_run
# and $tmp, $WR, $root).
HH=$root/build/tests/hostile_helper
. "$root/tests/integration/lib.sh"

# ---- a program that closes fd 2 and opens a file in its place: libwait's
# messages (the default path's "trace written to", a stop on the file size
# limit) go nowhere rather than into the program's file
d=$tmp/stderr_taken; mkdir -p "$d/n" "$d/p" "$d/s"
(cd "$d/n" && native "$d/native" "$HH" stderr "$d/n/file" 1000)
(cd "$d/p" && traced "$d/traced" "" "$HH" stderr "$d/p/file" 1000)
same_run "fd 2 taken" "$d/native" "$d/traced"
t "fd 2 taken: the program's file got fd 2" grep -q "file fd 2" "$d/traced.out"
t "fd 2 taken: the file holds only the program's lines" cmp -s "$d/n/file" "$d/p/file" || show "$d/p/file"
shopt -s nullglob
files=("$d"/p/wait.*.bin)
shopt -u nullglob
t "fd 2 taken: the trace is still written (${#files[@]} file)" [ "${#files[@]}" = 1 ]
[ "${#files[@]}" = 1 ] && report "fd 2 taken" "${files[0]}" &&
  expect "fd 2 taken" "${files[0]}.json" 'malloc@churn=1000' 'free@churn=1000'
# recording stops at the file size limit while fd 2 is the program's file
(ulimit -f 300 && cd "$d/s" && traced "$d/stop" "$d/s/t.bin" WAIT_CHUNK_KB=64 "$HH" stderr "$d/s/file" 300000) 2>/dev/null
(ulimit -f 300 && native "$d/stopn" "$HH" stderr "$d/n/file2" 300000) 2>/dev/null
same_run "fd 2 taken, recording stopped" "$d/stopn" "$d/stop"
t "fd 2 taken, recording stopped: the file holds only the program's lines" cmp -s "$d/n/file2" "$d/s/file" ||
  show "$d/s/file"
report "fd 2 taken, recording stopped" "$d/s/t.bin"
expect "fd 2 taken, recording stopped" "$d/s/t.bin.json" stopped=true

# ---- low open-file limits: the program's fds number exactly as without
# libwait. From 16 up libwait records with its fds at the top of the
# limit; below it libwait does not record and holds no fd at all (nor does
# it when it cannot create its file).
d=$tmp/nofile; mkdir -p "$d"
for n in 5 7 16 64; do
  (ulimit -n $n && native "$d/n$n" "$HH" fds 5)
  (ulimit -n $n && traced "$d/p$n" "$d/t$n.bin" "$HH" fds 5)
  t "ulimit -n $n: the same fd numbers and errors under the preload" cmp -s "$d/n$n.out" "$d/p$n.out" ||
    diff "$d/n$n.out" "$d/p$n.out" | sed -n '1,6s/^/#   /p'
  t "ulimit -n $n: same exit code ($(cat "$d/p$n.rc"))" [ "$(cat "$d/n$n.rc")" = "$(cat "$d/p$n.rc")" ]
done
t "ulimit -n 5: the natively expected fds (3, 4, then EMFILE)" \
  [ "$(head -3 "$d/n5.out" | tr -s ' ' | tr '\n' '|')" = "open 0: 3 |open 1: 4 |open 2: -1 Too many open files|" ]
for n in 5 7; do
  t "ulimit -n $n: libwait says it is not recording, in one line" [ "$(grep -c "ulimit -n.*not recording" "$d/p$n.err")" = 1 ] ||
    show "$d/p$n.err"
  t "ulimit -n $n: no trace file left" [ ! -e "$d/t$n.bin" ]
done
for n in 16 64; do
  t "ulimit -n $n: nothing on stderr" [ ! -s "$d/p$n.err" ] || show "$d/p$n.err"
  report "ulimit -n $n" "$d/t$n.bin"
  expect "ulimit -n $n" "$d/t$n.bin.json" 'malloc@churn=50' 'open@mode_fds=5'
done
# not recording: every fd the process holds is one the program opened
(ulimit -n 8 && native "$d/ln" "$HH" fds 0 list)
(ulimit -n 8 && traced "$d/lp" "$d/tl.bin" "$HH" fds 0 list)
t "ulimit -n 8, not recording: the process holds exactly the native fds" cmp -s "$d/ln.out" "$d/lp.out" ||
  diff "$d/ln.out" "$d/lp.out" | sed -n '1,6s/^/#   /p'
native "$d/bn" "$HH" fds 1 list
traced "$d/bp" "$d/absent/t.bin" "$HH" fds 1 list
t "bad WAIT_OUTPUT, not recording: the process holds exactly the native fds" cmp -s "$d/bn.out" "$d/bp.out" ||
  diff "$d/bn.out" "$d/bp.out" | sed -n '1,6s/^/#   /p'

# ---- non-local exits: siglongjmp out of a signal handler that interrupted
# a wrapped read, poll, nanosleep, sleep and pthread_cond_wait leaves no
# guard behind (the thread's later calls are recorded, not counted as
# nested); the cleanup handlers of a thread cancelled inside a wrapped call
# are recorded; a handler on an alternate stack that lies above the
# thread's stack is still nested (never recorded into the middle of the
# interrupted call) and nothing deadlocks.
d=$tmp/jumps; mkdir -p "$d"
nested() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["libwait"]["nested"])' "$1" 2>/dev/null; }
for m in jumps cancel altstack; do
  native "$d/$m.n" "$HH" $m
  traced "$d/$m.p" "$d/$m.bin" "$HH" $m
  same_run "$m" "$d/$m.n" "$d/$m.p"
  report "$m" "$d/$m.bin"
done
expect jumps "$d/jumps.bin.json" 'malloc@churn=1000' 'free@churn=1000'
t "jumps: nested calls stay near the start-up's (got $(nested "$d/jumps.bin.json"), 2000 lost would be the guard left behind)" \
  [ "$(nested "$d/jumps.bin.json")" -lt 300 ]
t "jumps: every jump happened" grep -q "jumps: 5" "$d/jumps.p.out"
expect cancel "$d/cancel.bin.json" 'malloc@cleanup_churn=400' 'free@cleanup_churn=400'
expect altstack "$d/altstack.bin.json" 'malloc@handler_churn=0' 'malloc@churn=100' 'read@alt_thread=1'
t "altstack: the alternate stack lies above the thread's stack" grep -q "above the thread's stack: yes" "$d/altstack.p.out"
t "altstack: the handler ran on it" grep -q "handler ran on the alternate stack" "$d/altstack.p.out"

# ---- fork in a signal handler that interrupts wrapped calls (and libwait
# itself, holding its stack table's lock or inside libunwind): 20 runs,
# none hangs; the children of such forks do not record (one line each on
# stderr) and exit as natively. WAIT_LOCKS=all: the helper's locks, taken
# while it has one thread, are recorded (and interrupted) like any call
d=$tmp/forksig; mkdir -p "$d"
native "$d/n" "$HH" forksig
hung=0 differ=0
for i in $(seq 1 20); do
  mkdir -p "$d/$i"
  LW_TIMEOUT=20 WAIT_LOCKS=all traced "$d/p$i" "$d/$i/t.%p.bin" "$HH" forksig
  [ "$(cat "$d/p$i.rc")" = 124 ] || [ "$(cat "$d/p$i.rc")" = 137 ] && hung=$((hung + 1))
  cmp -s "$d/n.out" "$d/p$i.out" || differ=$((differ + 1))
done
t "fork in a handler: the native run exits 0" [ "$(cat "$d/n.rc")" = 0 ]
t "fork in a handler: no run of 20 hangs ($hung did)" [ "$hung" = 0 ]
t "fork in a handler: every run prints what the native run does ($differ differ)" [ "$differ" = 0 ] || show "$d/p1.out"
t "fork in a handler: stderr holds only libwait's one line per unrecorded child" \
  bash -c '! grep -v "forked by a signal handler that interrupted libwait; not recording in it" "$1"' _ "$d/p1.err" ||
  show "$d/p1.err"
# the parent's trace is the largest; it reads back whole
big=$(ls -S "$d"/1/*.bin 2>/dev/null | head -1)
[ -n "$big" ] && report "fork in a handler, the parent's trace" "$big" &&
  expect "fork in a handler, the parent's trace" "$big.json" 'pthread_mutex_lock@deep>=1'
