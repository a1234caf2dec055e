# safety.sh: the profiled program is never harmed and its records are
# never lost: fork, exec, posix_spawn/vfork, _exit/abort/SIGKILL/crash,
# dlclose, many short threads, pthread_exit, cancellation, signal handlers
# inside wrapped calls (sourced by run.sh, which provides t/ok/notok/
# native/traced/same_run and $tmp, $WR, $root).
LH=$root/build/tests/life_helper
. "$root/tests/integration/lib.sh"

# ---- fork: a multi-threaded parent forks while two threads are inside
# the recorder; each child starts a thread and forks a grandchild.
d=$tmp/fork; mkdir -p "$d/traces"
native "$d/native" "$LH" fork
traced "$d/traced" "$d/traces/t.%p.bin" "$LH" fork
same_run fork "$d/native" "$d/traced"
t "fork: no stderr" [ ! -s "$d/traced.err" ] || show "$d/traced.err"
for f in "$d"/traces/*.bin; do "$WR" --json "$f" >"$f.json" 2>"$f.err" || notok "fork: waitreport $(basename "$f")"; done
python3 - "$d/traces" >"$d/check.txt" 2>&1 <<'PY'
import glob, json, os, sys
def calls(rep, at, fn=None):
    return sum(s["calls"] for s in rep["sites"] if s["stack"] and s["stack"][0]["function"] == at
               and (fn is None or s["function"] == fn))
reps = {}
for f in glob.glob(sys.argv[1] + "/*.bin.json"):
    r = json.load(open(f))
    reps[r["process"]["pid"]] = (os.path.basename(f)[:-5], r)
def ok(c, d):
    print(("ok - " if c else "not ok - ") + d)
ok(len(reps) == 25, "one trace per process: 1 parent + 12 children + 12 grandchildren (got %d)" % len(reps))
ok(all(n == "t.%d.bin" % p for p, (n, r) in reps.items()), "every file is named t.<its pid>.bin")
top = [p for p, (n, r) in reps.items() if r["process"]["ppid"] not in reps]
ok(len(top) == 1, "exactly one parent")
P = reps[top[0]][1] if top else {"sites": []}
kids = [r for n, r in reps.values() if top and r["process"]["ppid"] == top[0]]
kpids = {r["process"]["pid"] for r in kids}
grand = [r for n, r in reps.values() if r["process"]["ppid"] in kpids]
ok(len(kids) == 12 and len(grand) == 12, "12 children and 12 grandchildren")
ok(calls(P, "site_parent", "malloc") == 100 and calls(P, "site_parent", "free") == 100,
   "parent: exactly 100 malloc+free at site_parent")
ok(calls(P, "busy_at") > 0, "parent: its busy threads are recorded")
ok(all(calls(P, s) == 0 for s in ("site_child", "site_child_thread", "site_grandchild")),
   "parent's file holds no record of a child or grandchild")
ok(all(calls(r, "site_child", "malloc") == 100 and calls(r, "site_child", "free") == 100
       and calls(r, "site_child_thread", "malloc") == 50 for r in kids),
   "each child: exactly 100 pairs at site_child and 50 at its own thread")
ok(all(calls(r, "busy_at") == 0 and calls(r, "site_parent") == 0 and calls(r, "site_grandchild") == 0
       for r in kids), "children's files hold nothing of the parent's threads or of the grandchild")
ok(all(calls(r, "site_grandchild", "malloc") == 100 and calls(r, "site_child") == 0
       and calls(r, "site_child_thread") == 0 and calls(r, "busy_at") == 0 for r in grand),
   "each grandchild: exactly 100 at site_grandchild, nothing inherited")
ok(all(r["process"]["complete"] and r["libwait"]["warnings"] == 0 for n, r in reps.values()),
   "every trace is complete, with no warning")
PY
relay fork "$d/check.txt"
grep -q '^ok - \|^not ok - ' "$d/check.txt" || notok "fork: checker ran"

# ---- posix_spawn, vfork and fork children that exec (their own files,
# no stray file or message from a fork child that only execs) and a vfork
# child that writes and _exits are unharmed
d=$tmp/spawn; mkdir -p "$d/traces"
native "$d/native" "$LH" spawn "$LH"
traced "$d/traced" "$d/traces/t.%p.bin" "$LH" spawn "$LH"
same_run spawn "$d/native" "$d/traced"
t "spawn: the vfork child's write reached stdout" grep -q "vfork child wrote this" "$d/traced.out"
t "spawn: no stderr" [ ! -s "$d/traced.err" ] || show "$d/traced.err"
n=$(ls "$d"/traces/ | wc -l)
t "spawn: four traces, parent + the three exec'd children, none renamed ($n)" [ "$n" = 4 ]
nafter=0
for f in "$d"/traces/*.bin; do
  "$WR" --json "$f" >"$f.json" 2>/dev/null
  python3 "$EXPECT" "$f.json" malloc@site_after=100 complete=true >/dev/null && nafter=$((nafter + 1))
done
t "spawn: the three exec'd children traced exactly 100 calls into their own complete files" [ "$nafter" = 3 ]

# ---- exec without exit: same pid, the old image's trace is read as
# incomplete, the new image writes the name with ".1" before its extension
d=$tmp/exec; mkdir -p "$d"
native "$d/native" "$LH" exec "$LH"
traced "$d/traced" "$d/t.bin" "$LH" exec "$LH"
same_run exec "$d/native" "$d/traced"
t "exec: stderr only announces the renamed trace (no %p in the name)" \
  [ "$(grep -vc 'trace name was taken' "$d/traced.err")" = 0 -a "$(grep -c 'trace name was taken' "$d/traced.err")" = 1 ]
if [ -f "$d/t.bin" ] && [ -f "$d/t.1.bin" ]; then
  report exec "$d/t.bin"
  expect "exec: old image" "$d/t.bin.json" malloc@site_before=100 complete=true ended_in_exec=true '*@site_after=0'
  "$WR" "$d/t.bin" >"$d/t.txt" 2>/dev/null
  t "exec: the old image's text report says it ended in an exec, not that it is incomplete" \
    sh -c 'grep -q "^note: the process image ended in an exec" "$1" && ! grep -q "incomplete" "$1"' _ "$d/t.txt"
  report "exec: new image" "$d/t.1.bin"
  expect "exec: new image" "$d/t.1.bin.json" malloc@site_after=100 complete=true '*@site_before=0'
else
  notok "exec: t.bin and t.1.bin written (got: $(ls "$d" | tr '\n' ' '))"
fi
# with %p in the name the renamed trace of an exec is expected: no message
traced "$d/traced_p" "$d/p.%p.bin" "$LH" exec "$LH"
same_run "exec, %p name" "$d/native" "$d/traced_p"
t "exec, %p name: nothing on stderr" [ ! -s "$d/traced_p.err" ] || show "$d/traced_p.err"
t "exec, %p name: p.<pid>.bin and p.<pid>.1.bin written ($(ls "$d" | grep '^p\.' | tr '\n' ' '))" \
  [ "$(ls "$d" | grep -cE '^p\.[0-9]+(\.1)?\.bin$')" = 2 ]
# a name without an extension gets the generation at its end; "%p" last
# is no extension either
traced "$d/traced_n" "$d/noext" "$LH" exec "$LH"
traced "$d/traced_q" "$d/q.%p" "$LH" exec "$LH"
t "exec, names without an extension: noext, noext.1, q.<pid> and q.<pid>.1 ($(ls "$d" | grep '^noext\|^q\.' | tr '\n' ' '))" \
  [ -f "$d/noext" -a -f "$d/noext.1" -a "$(ls "$d" | grep -cE '^q\.[0-9]+(\.1)?$')" = 2 ]
# a chain of 11 execs in one pid (pyenv's python3 shim makes 7): 12 traces,
# c.PID.bin then c.PID.1.bin to c.PID.11.bin, listed in the order they ran
mkdir -p "$d/chain"
chain='[ "$1" -lt 11 ] && exec sh -c "$0" "$0" "$(($1 + 1))"; echo end'
traced "$d/traced_c" "$d/chain/c.%p.bin" sh -c "$chain" "$chain" 0
"$WR" --no-color "$d/chain" >"$d/chain.txt" 2>&1
order=$(sed -n 's/^  pid .*(.*\/c\.[0-9]*\(\.[0-9]*\)\?\.bin)$/\1/p' "$d/chain.txt" | tr '\n' ' ')
t "exec chain: 12 images of one pid, listed from the first to the 11th ($order)" \
  [ "$order" = " .1 .2 .3 .4 .5 .6 .7 .8 .9 .10 .11 " ]
t "exec chain: the 11 images that exec'd say so, the last does not ($(grep -c "\[exec'd\]" "$d/chain.txt"))" \
  sh -c '[ "$(grep -c "\[exec.d\]" "$1")" = 11 ] && ! grep "c\.[0-9]*\.11\.bin" "$1" | grep -q "exec.d"' _ "$d/chain.txt"
t "exec chain: no image reads as incomplete" lacks "incomplete" "$d/chain.txt"

# an exec that fails: the image goes on, and its trace is an ordinary one
d=$tmp/execfail; mkdir -p "$d"
native "$d/native" "$LH" execfail
traced "$d/traced" "$d/t.bin" "$LH" execfail
same_run "execfail" "$d/native" "$d/traced"
report execfail "$d/t.bin"
expect execfail "$d/t.bin.json" malloc@site_before=100 malloc@site_after=100 complete=true
t "execfail: the report does not say the image ended in an exec" lacks "ended_in_exec" "$d/t.bin.json"

# one line on stderr for a run of many processes: the first traced
# process announces its trace (default name) and the glob of the others;
# its children, whose parent is traced, say nothing
d=$tmp/announce; mkdir -p "$d"
(cd "$d" && env -u WAIT_OUTPUT LD_PRELOAD="$LIB" "$root/build/tests/fork_many" 5 >out 2>err)
t "announce: fork_many 5 wrote 6 traces under the default name ($(ls "$d" | grep -c '^wait\.'))" \
  [ "$(ls "$d" | grep -c '^wait\.[0-9]*\.bin$')" = 6 ]
t "announce: one line on stderr, the parent's, with the glob of the others ($(wc -l <"$d/err") lines)" \
  sh -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "trace written to wait\.[0-9]*\.bin; .*other processes: waitreport wait\.\*\.bin" "$1"' _ "$d/err" ||
  show "$d/err"
(cd "$d" && env LD_PRELOAD="$LIB" WAIT_OUTPUT=fixed.bin "$root/build/tests/fork_many" 5 >out2 2>err2)
t "announce: a shared WAIT_OUTPUT name: 6 traces, nothing on stderr (the parent took the name)" \
  sh -c '[ "$(ls "$1" | grep -c "^fixed")" = 6 ] && [ ! -s "$1/err2" ]' _ "$d" || show "$d/err2"

# ---- _exit, abort, SIGKILL, a real SIGSEGV: same status and every
# committed call; the trace reads as complete after _exit (libwait closes
# it there), as incomplete after the others
for m in _exit abort kill segv; do
  done_=false; [ $m = _exit ] && done_=true
  d=$tmp/end_$m; mkdir -p "$d"
  { native "$d/native" "$LH" $m; traced "$d/traced" "$d/t.bin" "$LH" $m; } 2>/dev/null # bash's "Killed"
  t "$m: same exit status under the preload ($(cat "$d/native.rc") vs $(cat "$d/traced.rc"))" \
    [ "$(cat "$d/native.rc")" = "$(cat "$d/traced.rc")" ]
  t "$m: same stdout" cmp -s "$d/native.out" "$d/traced.out"
  report "$m" "$d/t.bin"
  expect "$m" "$d/t.bin.json" malloc@site_before=100 free@site_before=100 complete=$done_
  "$WR" "$d/t.bin" >"$d/t.txt" 2>/dev/null
  if [ $m = _exit ]; then
    t "$m: text report does not say incomplete" lacks "incomplete" "$d/t.txt"
  else
    t "$m: text report says incomplete" grep -q "trace is incomplete" "$d/t.txt"
  fi
done

# ---- dlclose: allocations inside a library that was unloaded still
# symbolize; the trace closes cleanly
d=$tmp/dlclose; mkdir -p "$d"
native "$d/native" "$LH" dlclose
traced "$d/traced" "$d/t.bin" "$LH" dlclose
same_run dlclose "$d/native" "$d/traced"
report dlclose "$d/t.bin"
expect dlclose "$d/t.bin.json" 'malloc@~libz>=10' 'free@~libz>=10' malloc@site_after=100 complete=true warnings=0

# ---- threads: 1000 short threads leave no mapping behind (the helper
# checks /proc/self/maps), pthread_exit and cancelled threads keep theirs
d=$tmp/threads; mkdir -p "$d"
native "$d/native" build/tests/threads_helper 1000
traced "$d/traced" "$d/t.bin" build/tests/threads_helper 1000
same_run threads "$d/native" "$d/traced"
t "threads: mappings stay bounded under the preload" grep -q "mappings stayed bounded" "$d/traced.out" ||
  show "$d/traced.out"
disk=$(( $(stat -c '%b * %B' "$d/t.bin") / 1048576 ))
t "threads: 1061 finished threads leave their unused chunk space to the file system (${disk} MiB on disk)" \
  [ "$disk" -lt 64 ]
report threads "$d/t.bin"
expect threads "$d/t.bin.json" malloc@site_short=1000 free@site_short=1000 malloc@site_exit=120 free@site_exit=120 \
  malloc@site_cancel=100 free@site_cancel=100 threads'>='1061 complete=true warnings=0 dropped=0

# ---- signals: handlers calling malloc/write/free hit both threads inside
# wrapped calls; the loop's counts stay exact, handler records are whole
d=$tmp/signals; mkdir -p "$d"
native "$d/native" build/tests/signal_helper "$d/native.count"
traced "$d/traced" "$d/t.bin" build/tests/signal_helper "$d/traced.count"
same_run signals "$d/native" "$d/traced"
t "signals: no stderr" [ ! -s "$d/traced.err" ] || show "$d/traced.err"
report signals "$d/t.bin"
h=$(cat "$d/traced.count" 2>/dev/null || echo 0)
echo "# signals: $h handler runs under the preload"
expect signals "$d/t.bin.json" malloc@site_loop=200000 write@site_loop=200000 free@site_loop=200000 \
  pthread_mutex_lock@site_loop=200000 pthread_mutex_unlock@site_loop=200000 complete=true warnings=0 dropped=0 \
  "malloc@site_handler<=$h" "malloc@site_handler>=1" "write@site_handler<=$h"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = {}
for s in d["sites"]:
    if s["stack"] and s["stack"][0]["function"] == "site_handler":
        c[s["function"]] = c.get(s["function"], 0) + s["calls"]
print(c)
sys.exit(0 if len(set(c.values())) == 1 and len(c) == 3 else 1)' "$d/t.bin.json" >"$d/h.txt" 2>&1
t "signals: each recorded handler run has all three of its calls ($(cat "$d/h.txt"))" [ $? = 0 ]
