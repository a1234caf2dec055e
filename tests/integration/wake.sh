# wake.sh: the records a waker analysis needs (doc/wakers.md), checked on
# traces of tests/helpers/wake_helper by wake_check.py, which decodes them
# on its own (sourced by run.sh; uses lib.sh): the releasing calls name the
# objects the waits name, fd ends share an identity, pthread_create and
# pthread_join name the thread's own start record, a thread's life starts
# at its birth, its end carries its page faults; and the analyzer reads
# the new records without a warning.
. "$root/tests/integration/lib.sh"
WAKE_CHECK=$root/tests/integration/wake_check.py
h=build/tests/wake_helper
d=$tmp/wake; mkdir -p "$d"
for m in cond pipe join mutex sem eventfd socketpair cycle life; do
  native "$d/$m.n" $h $m
  traced "$d/$m.p" "$d/$m.bin" $h $m
  same_run "wake $m" "$d/$m.n" "$d/$m.p"
  t "wake $m: the helper says ok" grep -qx "$m: ok" "$d/$m.p.out"
  check_relay "wake $m" "$WAKE_CHECK" "$d/$m.check" "$d/$m.bin" $m
  report "wake $m" "$d/$m.bin"
  [ "$m" = life ] || check_relay "wake $m" "$root/tests/integration/wake_answers.py" "$d/$m.answers" "$d/$m.bin.json" $m
  t "wake $m: the analyzer reads the new records without a warning" \
    python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["libwait"]["warnings"] != 0)' "$d/$m.bin.json" ||
    show "$d/$m.bin.err"
done
# the known answers can fail: the condvar answers on the semaphore case's report do
python3 "$root/tests/integration/wake_answers.py" "$d/sem.bin.json" cond >"$d/neg.answers" 2>&1
t "wake: a known answer fails on a report without it" grep -q '^not ok - ' "$d/neg.answers"
# the text report says who woke the waits and why, under the top site
"$WR" "$d/pipe.bin" >"$d/pipe.txt" 2>/dev/null
t "wake pipe: the text report's top site says 'woken by write in stage_b'" grep -q 'woken by write in stage_b' "$d/pipe.txt" || show "$d/pipe.txt"
t "wake pipe: 'because of usleep in stage_c' and 'why threads waited' list C's sleep" \
  sh -c 'grep -q "because of usleep in stage_c" "$1" && grep -A1 "^why threads waited" "$1" | grep -q "usleep in stage_c"' _ "$d/pipe.txt"
# the checks can fail: the condvar check on the semaphore case's trace does
python3 "$WAKE_CHECK" "$d/sem.bin" cond >"$d/neg.check" 2>&1
t "wake: a check fails on a trace without what it looks for" grep -q '^not ok - ' "$d/neg.check"
# the thread's first frame is the program's start function: libwait's
# start routine tail-calls it, so no libwait frame lies under the stacks
"$WR" --folded=calls "$d/life.bin" >"$d/life.folded" 2>/dev/null
t "wake life: the worker's stack runs from start_thread to late_caller directly" \
  grep -q 'start_thread;late_caller;usleep ' "$d/life.folded" || show "$d/life.folded"
# the report's thread table counts the 100 ms before the first call in the
# worker's life (life_ns is there when context switches were collected)
if python3 -c 'import json,sys; sys.exit("life_ns" not in json.load(open(sys.argv[1]))["threads"][0])' "$d/life.bin.json"; then
  t "wake life: the worker's life in the report is 100-150 ms (its calls took ~1 ms)" python3 -c '
import json, sys
th = [t for t in json.load(open(sys.argv[1]))["threads"] if t["calls"] == 1]
sys.exit(not (len(th) == 1 and 90e6 <= th[0]["life_ns"] <= 150e6))' "$d/life.bin.json"
else
  echo "# SKIP: wake life: life_ns in the report needs context switches (perf_event_open refused here)"
  skipped=$((skipped + 1))
fi
