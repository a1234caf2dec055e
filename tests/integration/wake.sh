# wake.sh: the records a waker analysis needs (doc/wakers.md), checked on
# traces of tests/helpers/wake_helper by wake_check.py, which decodes them
# on its own (sourced by run.sh; uses lib.sh): the releasing calls name the
# objects the waits name, fd ends share an identity, pthread_create and
# pthread_join name the thread's own start record, a thread's life starts
# at its birth, its end carries its page faults; and the analyzer reads
# the new records without a warning. Then the analysis's known answers
# (wake_answers.py): wakers, causes, the critical path, thread lives.
. "$root/tests/integration/lib.sh"
WAKE_CHECK=$root/tests/integration/wake_check.py
h=build/tests/wake_helper
d=$tmp/wake; mkdir -p "$d"
for m in cond pipe join mutex sem eventfd socketpair cycle life fault barrier alone mark busy poll epoll listen; do
  native "$d/$m.n" $h $m
  traced "$d/$m.p" "$d/$m.bin" $h $m
  same_run "wake $m" "$d/$m.n" "$d/$m.p"
  t "wake $m: the helper says ok" grep -qx "$m: ok" "$d/$m.p.out"
  check_relay "wake $m" "$WAKE_CHECK" "$d/$m.check" "$d/$m.bin" $m
  report "wake $m" "$d/$m.bin"
  case $m in life | fault | mark) ;; *) check_relay "wake $m" "$root/tests/integration/wake_answers.py" "$d/$m.answers" "$d/$m.bin.json" $m ;; esac
  t "wake $m: the analyzer reads the new records without a warning" \
    python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["libwait"]["warnings"] != 0)' "$d/$m.bin.json" ||
    show "$d/$m.bin.err"
done
# the known answers can fail: the condvar answers on the semaphore case's report do
python3 "$root/tests/integration/wake_answers.py" "$d/sem.bin.json" cond >"$d/neg.answers" 2>&1
t "wake: a known answer fails on a report without it" grep -q '^not ok - ' "$d/neg.answers"
python3 "$root/tests/integration/wake_answers.py" "$d/join.bin.json" barrier >"$d/neg.barrier" 2>&1
t "wake: the barrier's answer fails on a report without a barrier" grep -q '^not ok - barrier' "$d/neg.barrier"
python3 "$root/tests/integration/wake_answers.py" "$d/poll.bin.json" epoll >"$d/neg.epoll" 2>&1
t "wake: the epoll answer fails on the poll case's report" grep -q '^not ok - epoll' "$d/neg.epoll"
python3 "$root/tests/integration/wake_answers.py" "$d/poll.bin.json" listen >"$d/neg.listen" 2>&1
t "wake: the listen answer fails on the poll case's report (a write woke it)" grep -q '^not ok - listen' "$d/neg.listen"
python3 "$WAKE_CHECK" "$d/poll.bin" epoll >"$d/neg.epctl" 2>&1
t "wake: the EPCTL check fails on a trace without epoll" grep -q '^not ok - one EPCTL record' "$d/neg.epctl"
# a ping-pong through two eventfds, each side waiting in select: each
# select site is woken by the other thread's eventfd_write, and the pair
# is a wait loop (its answers fail on the cycle case, which has no select)
traced "$d/efs" "$d/efs.bin" examples/eventfd_select
t "wake eventfd_select: exits 0 under the preload" [ "$(cat "$d/efs.rc")" = 0 ] || show "$d/efs.err"
report "wake eventfd_select" "$d/efs.bin"
check_relay "wake eventfd_select" "$root/tests/integration/wake_answers.py" "$d/efs.answers" "$d/efs.bin.json" \
  eventfd_select
"$WR" "$d/efs.bin" >"$d/efs.txt" 2>/dev/null
t "wake eventfd_select: the text report has a 'woken by eventfd_write' line under each select site and a loop:" \
  sh -c '[ "$(grep -c "woken by eventfd_write in p[io]nger" "$1")" = 2 ] && grep -q "^  loop: tid" "$1"' _ "$d/efs.txt" ||
  show "$d/efs.txt"
python3 "$root/tests/integration/wake_answers.py" "$d/cycle.bin.json" eventfd_select >"$d/neg.efs" 2>&1
t "wake: the eventfd_select answers fail on a report without its selects" \
  grep -q '^not ok - eventfd_select: the select in pinger' "$d/neg.efs"
# the text report says who woke the waits and why, under the top site
"$WR" "$d/pipe.bin" >"$d/pipe.txt" 2>/dev/null
t "wake pipe: the text report's top site says 'woken by write in stage_b'" grep -q 'woken by write in stage_b' "$d/pipe.txt" || show "$d/pipe.txt"
t "wake pipe: 'because of usleep in stage_c' and 'why threads waited' list C's sleep" \
  sh -c 'grep -q "because of usleep in stage_c" "$1" && grep -A1 "^why threads waited" "$1" | grep -q "usleep in stage_c"' _ "$d/pipe.txt"
# the Chrome trace's flow arrows: one per wake of the JSON report, each from
# the producer's pthread_cond_signal to the consumer's pthread_cond_wait
# (the main thread); with the default --chrome-min-us the signals (~20 us)
# are written for them all the same; a join's arrow starts at the worker's end
"$WR" --chrome "$d/cond.chrome" --chrome-min-us 0 "$d/cond.bin" 2>"$d/cond.chrome.err" &&
  "$WR" --chrome "$d/cond10.chrome" "$d/cond.bin" 2>>"$d/cond.chrome.err" &&
  "$WR" --chrome "$d/join.chrome" "$d/join.bin" 2>>"$d/cond.chrome.err"
t "wake chrome: --chrome of the cond and join traces exits 0" [ $? = 0 ] || show "$d/cond.chrome.err"
check_relay "wake cond chrome" "$root/tests/integration/chrome_check.py" "$d/cond.chrome.check" "$d/cond.chrome" \
  --wakes "$d/cond.bin.json"
cat >"$d/arrows.py" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
rep = json.load(open(sys.argv[2]))
src_name, dst_name, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
pid = rep["process"]["pid"]
wk = [w["tid"] for s in rep["sites"] if s["function"] == dst_name for w in s["wakers"] if w["tid"]]
xs = [e for e in ev if e["ph"] == "X"]
def slice_at(e, start):
    for x in xs:
        if x["tid"] == e["tid"] and x["cat"] != "offcpu" and (
                -1e-4 < e["ts"] - x["ts"] < 2e-3 if start else x["ts"] <= e["ts"] <= x["ts"] + x["dur"]):
            return x["name"]
s = {e["id"]: e for e in ev if e["ph"] == "s"}
f = {e["id"]: e for e in ev if e["ph"] == "f"}
arrows = [(s[i]["tid"], slice_at(s[i], False), f[i]["tid"], slice_at(f[i], True)) for i in s if i in f]
arrows = [a for a in arrows if a[3] == dst_name]  # the join's arrow may be there too (see chrome_check --wakes)
want = [(wk[0] if wk else None, src_name, pid, dst_name)] * n
sys.exit("arrows: %s" % arrows if arrows != want else 0)
PY
t "wake cond chrome: 3 arrows, each from the producer's pthread_cond_signal to the main thread's pthread_cond_wait" \
  python3 "$d/arrows.py" "$d/cond.chrome" "$d/cond.bin.json" pthread_cond_signal pthread_cond_wait 3
t "wake cond chrome: the same 3 arrows with the default --chrome-min-us 10 (the signals are shorter)" \
  python3 "$d/arrows.py" "$d/cond10.chrome" "$d/cond.bin.json" pthread_cond_signal pthread_cond_wait 3
t "wake join chrome: 1 arrow, from the worker's 'thread end' to the main thread's pthread_join" \
  python3 "$d/arrows.py" "$d/join.chrome" "$d/join.bin.json" "thread end" pthread_join 1
python3 "$root/tests/integration/chrome_check.py" "$d/cond.chrome" --wakes "$d/sem.bin.json" >"$d/neg.chrome" 2>&1
t "wake chrome: the arrows check fails against another trace's report" grep -q '^not ok - chrome: the arrows' "$d/neg.chrome"
t "wake pipe: the text report names the critical path of the main thread, C's usleep first" \
  sh -c 'grep -A2 "^critical path of tid $2 " "$1" | grep -q "usleep in stage_c"' _ "$d/pipe.txt" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["pid"])' "$d/pipe.bin.json")" ||
  show "$d/pipe.txt"
# one thread: its path is its own time, shown only when asked for
"$WR" "$d/alone.bin" >"$d/alone.txt" 2>/dev/null
t "wake alone: the text report has no critical path section for a single thread" lacks "^critical path" "$d/alone.txt"
"$WR" --tid "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["pid"])' "$d/alone.bin.json")" \
  "$d/alone.bin" >"$d/alone.tid.txt" 2>/dev/null
t "wake alone: with --tid it has, led by main's usleep or cpu" \
  sh -c 'grep -A3 "^critical path of tid" "$1" | grep -q "usleep in main"' _ "$d/alone.tid.txt" || show "$d/alone.tid.txt"
# the page faults of a thread that spent its life outside any call: one
# minor fault per page it touched, in the JSON and under its row of the text
pages=$(sed -n 's/^pages touched: //p' "$d/fault.p.out")
check_relay "wake fault" "$root/tests/integration/wake_answers.py" "$d/fault.answers" "$d/fault.bin.json" fault "${pages:-0}"
"$WR" "$d/fault.bin" >"$d/fault.txt" 2>/dev/null
t "wake fault: the thread table says the toucher's life was outside any call, with its page faults" \
  grep -q "of its life outside any recorded call.*[0-9] minor and [0-9,]* major page faults" "$d/fault.txt" ||
  show "$d/fault.txt"
# the critical path of a mark's interval: main waits in it for a worker's sleep
"$WR" --json --critical-path wait "$d/mark.bin" >"$d/mark.cp.json" 2>"$d/mark.cp.err"
check_relay "wake mark" "$root/tests/integration/wake_answers.py" "$d/mark.answers" "$d/mark.cp.json" mark
"$WR" --critical-path wait "$d/mark.bin" >"$d/mark.txt" 2>/dev/null
t "wake mark: the text report has the path of mark 'wait', the worker's usleep first" \
  sh -c 'grep -A2 "^critical path of mark .wait. (1 interval" "$1" | grep -q "usleep in sleeper"' _ "$d/mark.txt" ||
  show "$d/mark.txt"
"$WR" --critical-path nosuch "$d/mark.bin" >"$d/mark.none.txt" 2>/dev/null
t "wake mark: --critical-path with a mark the trace lacks says so" grep -q "no mark named 'nosuch'" "$d/mark.none.txt"
# a critical-path answer fails on a report without it: the main thread's life is no mark's interval
python3 "$root/tests/integration/wake_answers.py" "$d/mark.bin.json" mark >"$d/neg.mark" 2>&1
t "wake: the mark's answer fails on the main thread's path" grep -q "^not ok - mark: the path of mark" "$d/neg.mark"
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
  t "wake life: the worker's life in the report is 100-400 ms (100 ms of CPU; its calls took ~1 ms)" python3 -c '
import json, sys
th = [t for t in json.load(open(sys.argv[1]))["threads"] if t["calls"] == 1]
sys.exit(not (len(th) == 1 and 90e6 <= th[0]["life_ns"] <= 400e6))' "$d/life.bin.json"
  check_relay "wake life" "$root/tests/integration/wake_answers.py" "$d/life.answers" "$d/life.bin.json" life
else
  echo "# SKIP: wake life: life_ns in the report needs context switches (perf_event_open refused here)"
  skipped=$((skipped + 1))
fi
# real programs: python3 threads handing items through a queue, and
# redis-server under redis-benchmark: the report (with wakers) is made in
# bounded time, without a crash
PY3=/usr/bin/python3
[ -x $PY3 ] || PY3=$(command -v python3)
cat >"$d/threads.py" <<'PY'
import threading, queue, time
q = queue.Queue()
def prod():
    for i in range(2000):
        q.put(i)
        if i % 100 == 0:
            time.sleep(0.001)
    q.put(None)
def cons():
    while q.get() is not None:
        pass
ts = [threading.Thread(target=prod), threading.Thread(target=cons)]
ts += [threading.Thread(target=lambda: sum(range(200000))) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
PY
traced "$d/py" "$d/py.bin" $PY3 "$d/threads.py"
t "wake python3: the threaded program exits 0 under the preload" [ "$(cat "$d/py.rc")" = 0 ] || show "$d/py.err"
timeout 60 "$WR" --json "$d/py.bin" >"$d/py.json" 2>"$d/py.wr.err"
t "wake python3: the report is made within 60 s, exit 0" [ $? = 0 ] || show "$d/py.wr.err"
t "wake python3: the queue's waits have wakers (a sem_post or cond signal of another thread)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(w["function"] in ("sem_post", "pthread_cond_signal") and w["tid"] for s in d["sites"] for w in s["wakers"]))' "$d/py.json"
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/redis.bin" redis-server --port "$port" --bind 127.0.0.1 \
    --save "" --appendonly no --daemonize no --logfile "$d/redis.log" &
  rpid=$!
  for i in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-benchmark -p "$port" -n 10000 -c 4 -t set,get -q >"$d/redis.bench" 2>&1
  redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
  wait $rpid
  timeout 60 "$WR" --json "$d/redis.bin" >"$d/redis.json" 2>"$d/redis.wr.err"
  t "wake redis: the report is made within 60 s, exit 0" [ $? = 0 ] || show "$d/redis.wr.err"
  t "wake redis: epoll_wait, woken by the benchmark's sockets outside the process, says peer and is its own cause" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [s for s in d["sites"] if s["function"] == "epoll_wait" and s["wakers"]]
w = s[0]["wakers"] if s else []
sys.exit(not (w and w[0]["function"] == "peer" and not any(x["tid"] for x in w) and
              s[0]["causes"][0]["function"] == "epoll_wait"))' "$d/redis.json"
else
  echo "# SKIP: wake redis: redis-server or redis-benchmark missing"
  skipped=$((skipped + 1))
fi
