# locks.sh: the lock lists of the text and HTML reports, the quantiles of
# calls recorded with one stamp, and the trace file line (sourced by
# run.sh; uses lib.sh). tests/helpers/lockrows_helper holds two locks from
# sites whose rows read the same (one line reached by two stacks; two calls
# on one line, as an unrolled loop gives) while a thread waits, and two
# locks nobody waits on, one locked in a function with a long name;
# locks_check.py has the known answers.
. "$root/tests/integration/lib.sh"
LOCKS_CHECK=$root/tests/integration/locks_check.py

# locks_relay PREFIX MODE JSON FILE...: locks_check.py's lines as checks
locks_relay() { check_relay "$1" "$LOCKS_CHECK" "$3.$2.check" "${@:2}"; }

d=$tmp/locks; mkdir -p "$d"
native "$d/n" build/tests/lockrows_helper
# the quiet locks are taken while the helper has one thread: recorded
# only with WAIT_LOCKS=all (the lone-thread rule would count them)
WAIT_LOCKS=all traced "$d/p" "$d/t.bin" build/tests/lockrows_helper
same_run "locks" "$d/n" "$d/p"
report "locks" "$d/t.bin"
"$WR" --no-color --top 0 "$d/t.bin" >"$d/t.txt" 2>"$d/t.err"
t "locks: text report exits 0" [ $? = 0 ] || show "$d/t.err"
"$WR" --no-color --all-locks "$d/t.bin" >"$d/all.txt" 2>"$d/all.err"
t "locks: --all-locks exits 0" [ $? = 0 ] || show "$d/all.err"
"$WR" --html "$d/t.html" "$d/t.bin" 2>"$d/h.err" && "$WR" --html "$d/all.html" --all-locks "$d/t.bin" 2>>"$d/h.err"
t "locks: --html, with and without --all-locks, exits 0" [ $? = 0 ] || show "$d/h.err"
locks_relay "locks" text "$d/t.bin.json" "$d/t.txt" "$d/all.txt"
locks_relay "locks" html "$d/t.bin.json" "$d/t.html" "$d/all.html"
locks_relay "untimed" untimed "$d/t.bin.json" "$d/t.txt" "$d/t.html"
locks_relay "trace bytes" bytes "$d/t.bin.json" "$d/t.txt"
t "locks: --help names --all-locks" bash -c '"$1" --help | grep -q -- "--all-locks"' _ "$WR"

# a trace with locks but none waited on says so in one line
WAIT_LOCKS=all traced "$d/q" "$d/q.bin" build/tests/lockrows_helper quiet
"$WR" --no-color "$d/q.bin" >"$d/q.txt" 2>/dev/null
t "locks: 2 locks, none waited on: one line says so" \
  grep -qx "locks: no thread waited on any of the 2 locks (--all-locks lists them)" "$d/q.txt"

# by default the quiet run's one thread takes its locks under the
# lone-thread rule: counted, and the header says how many
traced "$d/ql" "$d/ql.bin" build/tests/lockrows_helper quiet
"$WR" --no-color "$d/ql.bin" >"$d/ql.txt" 2>/dev/null
t "locks: quiet, by default: the one thread's lock calls are counted, not recorded (the 'lone thread' line)" \
  grep -q "^lone thread: [0-9,]* lock and unlock calls that found their lock free" "$d/ql.txt"

# a lock taken under the lone-thread rule and held across pthread_create:
# the new thread's ~200 ms wait is blamed on the unlock that ended it (the
# lock was not recorded); with WAIT_LOCKS=all, on the lock itself
for mode in lone all; do
  if [ $mode = all ]; then
    WAIT_LOCKS=all traced "$d/h$mode" "$d/h$mode.bin" build/tests/lone_hold_helper
  else
    traced "$d/h$mode" "$d/h$mode.bin" build/tests/lone_hold_helper
  fi
  report "locks, hold across pthread_create ($mode)" "$d/h$mode.bin"
  want=$([ $mode = all ] && echo pthread_mutex_lock || echo pthread_mutex_unlock)
  t "locks, hold across pthread_create ($mode): the waiter's ~200 ms are blamed on $want in hold_then_start" \
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
w = [s for s in d["sites"] if s["function"] == "pthread_mutex_lock" and s["stack"] and s["stack"][0]["function"] == "waiter"]
h = [h for s in w for h in s.get("holders", [])]
ok = any(x["function"] == sys.argv[2] and x["at"].startswith("hold_then_start") and 150e6 <= x["wait_ns"] <= 400e6 for x in h)
sys.exit(0 if ok else "holders: %s" % [(x["function"], x["at"], x["wait_ns"]) for x in h])
' "$d/h$mode.bin.json" "$want"
done

# threads coming and going: every lock and unlock call is either recorded
# or counted under the lone-thread rule, exactly once (40,000 in all)
traced "$d/churn" "$d/churn.bin" build/tests/lone_churn_helper
report "locks, lone-thread rule as threads come and go" "$d/churn.bin"
t "locks, lone-thread rule as threads come and go: recorded + counted = the 40,000 calls made" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rec = sum(s["calls"] for s in d["sites"] if s["function"] in ("pthread_mutex_lock", "pthread_mutex_unlock"))
lone = d["libwait"]["lone_locks"]
sys.exit(0 if rec + lone == 40000 and lone >= 10000 else "recorded %d + counted %d" % (rec, lone))
' "$d/churn.bin.json"
