# waits_sync.sh: the sync calls with known answers (sourced by
# run.sh; uses lib.sh): examples/all_sync_waits makes a known number of each
# call from its own function, with known waits (sync_check.py); threads
# cancelled inside cond_wait, sem_wait and join leave libwait consistent;
# python3's GIL (pthread_cond_timedwait under take_gil) and threading.Lock
# (sem_wait/sem_clockwait in PyThread_acquire_lock_timed) are seen; a C++
# program's std::mutex/condition_variable reach the wrappers and its
# symbols are demangled in every output.
. "$root/tests/integration/lib.sh"
SYNC_CHECK=$root/tests/integration/sync_check.py

# sync_relay PREFIX MODE JSON [TXT]: sync_check.py's lines as checks
sync_relay() { check_relay "$1" "$SYNC_CHECK" "$3.sync" "${@:2}"; }

d=$tmp/waits_sync; mkdir -p "$d"
native "$d/n" examples/all_sync_waits
# every lock call recorded (WAIT_LOCKS=all): most of them are made while
# the program has one thread, and the lone-thread rule would count them
WAIT_LOCKS=all traced "$d/p" "$d/all.bin" examples/all_sync_waits
same_run "sync all" "$d/n" "$d/p"
t "sync all: every call gave the expected result" grep -q "^all sync calls made: ok$" "$d/p.out"
report "sync all" "$d/all.bin"
"$WR" --top 0 --all-locks "$d/all.bin" >"$d/all.txt" 2>/dev/null # the spinlock is never waited on
sync_relay "sync all" all "$d/all.bin.json" "$d/all.txt"
# folded stacks and the Chrome trace carry the new calls too
"$WR" --folded=calls "$d/all.bin" >"$d/all.folded" 2>/dev/null
t "sync all: folded stacks count 5 cond waits at cond_waiter" \
  [ "$(grep ';cond_waiter;pthread_cond_wait ' "$d/all.folded" | awk '{n += $NF} END {print n + 0}')" = 5 ]
"$WR" --chrome "$d/all.chrome.json" "$d/all.bin" >/dev/null 2>&1
t "sync all: the Chrome trace has the cond waits with their condvar and mutex" \
  python3 -c 'import json,sys; e=[x for x in json.load(open(sys.argv[1]))["traceEvents"] if x.get("name")=="pthread_cond_wait"]; sys.exit(not (len(e)==5 and all("cond" in x["args"] and "mutex" in x["args"] for x in e)))' "$d/all.chrome.json"

# by default (the lone-thread rule) the waits and the contended locks are
# the same, and the header says how many lock calls were counted instead
traced "$d/pl" "$d/lone.bin" examples/all_sync_waits
same_run "sync lone" "$d/n" "$d/pl"
report "sync lone" "$d/lone.bin"
"$WR" --top 0 "$d/lone.bin" >"$d/lone.txt" 2>/dev/null
sync_relay "sync lone" lone "$d/lone.bin.json" "$d/lone.txt"

# cancellation inside the waits
native "$d/cn" examples/all_sync_waits cancel
traced "$d/cp" "$d/cancel.bin" examples/all_sync_waits cancel
same_run "sync cancel" "$d/cn" "$d/cp"
t "sync cancel: the three threads were cancelled and their cleanup handlers ran" \
  grep -q "^cancelled: 1 1 1, cleanups 3, timedwait after: " "$d/cp.out"
report "sync cancel" "$d/cancel.bin"
sync_relay "sync cancel" cancel "$d/cancel.bin.json"

# python3: 4 threads contending the GIL and a threading.Lock (blocking and timed acquires)
PY3=/usr/bin/python3
[ -x $PY3 ] || PY3=$(command -v python3)
cat >"$d/gil.py" <<'PYEOF'
import threading, time
lock = threading.Lock()
def spin(n):
    s = 0
    for i in range(n):
        s += i
    return s
# the GIL: two CPU-bound threads hand it over every 5 ms (take_gil waits)
ts = [threading.Thread(target=spin, args=(2000000,)) for _ in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
# threading.Lock: held 30 ms by the main thread while a thread asks for it,
# twice with a timeout (sem_clockwait), twice without (sem_wait)
got = []
for timeout in (5, 5, -1, -1):
    lock.acquire()
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=timeout)) or lock.release())
    t.start()
    time.sleep(0.03)
    lock.release()
    t.join()
print(got, spin(1000))
PYEOF
native "$d/pyn" $PY3 "$d/gil.py"
traced "$d/pyp" "$d/py.bin" $PY3 "$d/gil.py"
same_run "sync python3" "$d/pyn" "$d/pyp"
report "sync python3" "$d/py.bin"
sync_relay "sync python3" python "$d/py.bin.json"

# C++: std::mutex, std::condition_variable, new/delete reach the wrappers;
# names are demangled in the text, JSON, folded and HTML outputs
native "$d/xn" examples/cpp_waits
traced "$d/xp" "$d/cpp.bin" examples/cpp_waits
same_run "sync C++" "$d/xn" "$d/xp"
report "sync C++" "$d/cpp.bin"
"$WR" "$d/cpp.bin" >"$d/cpp.txt" 2>/dev/null
"$WR" --folded=wait "$d/cpp.bin" >"$d/cpp.folded" 2>/dev/null
"$WR" --html "$d/cpp.html" "$d/cpp.bin" >/dev/null 2>&1
WF='demo::Waiter::wait_for_items(demo::Queue&, int)'
t "sync C++: 4 pthread_cond_wait under $WF, 70..300 ms" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ss = [s for s in d["sites"] if s["function"] == "pthread_cond_wait" and any(f["function"] == sys.argv[2] for f in s["stack"][:3])]
n, t = sum(s["calls"] for s in ss), sum(s["total_ns"] for s in ss) / 1e6
print("#   calls", n, "total ms", t)
sys.exit(not (n == 4 and 70 <= t <= 300))' "$d/cpp.bin.json" "$WF"
t "sync C++: new reaches malloc (4 allocations under demo::Producer::produce)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = sum(s["calls"] for s in d["sites"] if s["function"] == "malloc" and any(f["function"].startswith("demo::Producer::produce") for f in s["stack"][:3]))
sys.exit(n != 4)' "$d/cpp.bin.json"
t "sync C++: text report demangles" grep -qF "<- $WF (cpp_waits.cpp:" "$d/cpp.txt"
t "sync C++: folded stacks demangle" grep -qF ";$WF;" "$d/cpp.folded"
t "sync C++: HTML demangles" grep -qF "demo::Waiter::wait_for_items(demo::Queue&amp;, int)" "$d/cpp.html"
t "sync C++: no mangled name left in the text report" lacks "_ZN4demo" "$d/cpp.txt"

# a program bound to the old condvar ABI (GLIBC_2.2.5) is not handed to the
# new functions (it crashed so before the wrappers were versioned)
native "$d/on" build/tests/old_cond_abi
WAIT_LOCKS=all traced "$d/op" "$d/old.bin" build/tests/old_cond_abi
same_run "sync old condvar ABI" "$d/on" "$d/op"
report "sync old condvar ABI" "$d/old.bin"
expect "sync old condvar ABI" "$d/old.bin.json" "pthread_cond_timedwait@main=0" "pthread_mutex_lock@main=1"
