# programs.sh: real programs run unharmed under the preload (identical
# output and status) and their reports show sensible sites (sourced by
# run.sh; uses lib.sh). Needs pigz, python3, sqlite3, redis-server and
# redis-tools (.ci/run installs them).
. "$root/tests/integration/lib.sh"

# sites_py JSON DESC PY_EXPR: one check; PY_EXPR sees `d` (the report) and
# `calls(fn, where)`: calls of wrapped function fn whose first 3 frames
# satisfy where(frame) for some frame; `nbytes(fn)`: bytes over all sites.
sites_py() {
  python3 - "$1" "$3" >"$1.py.txt" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def calls(fn, where=lambda f: True):
    return sum(s["calls"] for s in d["sites"] if s["function"] == fn and any(where(f) for f in s["stack"][:3]))
def nbytes(fn):
    return sum(s["bytes"] for s in d["sites"] if s["function"] == fn)
def mod(name):
    return lambda f: f.get("module", "").startswith(name)
def fun(name):
    return lambda f: f.get("function") == name
r = eval(sys.argv[2])
print(r)
sys.exit(0 if r is True else 1)  # "cond or (what was got)" must give True itself
PY
  t "$2 ($(tail -1 "$1.py.txt" | cut -c1-120))" [ $? = 0 ]
}

for p in pigz:pigz sqlite3:sqlite3 redis-server:redis-server redis-cli:redis-tools redis-benchmark:redis-tools; do
  need "${p%%:*}" "${p#*:}"
done
PY3=/usr/bin/python3
[ -x $PY3 ] || PY3=$(command -v python3)

# ---- pigz -p 2: compress and decompress; every byte read and written is
# counted by the read/write sites
d=$tmp/pigz; mkdir -p "$d"
seq 1 1500000 >"$d/data"
native "$d/cn" pigz -p 2 -c "$d/data"
traced "$d/cp" "$d/c.bin" pigz -p 2 -c "$d/data"
same_run "pigz compress" "$d/cn" "$d/cp"
native "$d/dn" pigz -p 2 -d -c "$d/cn.out"
traced "$d/dp" "$d/d.bin" pigz -p 2 -d -c "$d/cp.out"
same_run "pigz decompress" "$d/dn" "$d/dp"
t "pigz: the round trip gives the input back" cmp -s "$d/dp.out" "$d/data"
report "pigz compress" "$d/c.bin"
report "pigz decompress" "$d/d.bin"
in=$(stat -c %s "$d/data")
gz=$(stat -c %s "$d/cp.out")
sites_py "$d/c.bin.json" "pigz compress: read bytes == input size $in, write bytes == output size $gz" \
  "(nbytes('read'), nbytes('write')) == ($in, $gz) or (nbytes('read'), nbytes('write'))"
sites_py "$d/c.bin.json" "pigz compress: its threads' mutex lock sites are recorded" \
  "calls('pthread_mutex_lock', mod('pigz')) >= 10 and d['process']['threads'] >= 3"
sites_py "$d/d.bin.json" "pigz decompress: read bytes == $gz, write bytes == $in" \
  "(nbytes('read'), nbytes('write')) == ($gz, $in) or (nbytes('read'), nbytes('write'))"

# ---- python3: 4 worker threads over a queue.Queue
d=$tmp/python; mkdir -p "$d"
cat >"$d/q.py" <<'EOF'
import queue, threading
q, out = queue.Queue(), queue.Queue()
def worker():
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            break
        out.put((item, sum(i * i for i in range(item % 500))))
        q.task_done()
ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts:
    t.start()
for i in range(20000):
    q.put(i)
for _ in ts:
    q.put(None)
q.join()
for t in ts:
    t.join()
res = sorted(out.get() for _ in range(out.qsize()))
print(len(res), sum(v for _, v in res))
EOF
native "$d/n" $PY3 "$d/q.py"
traced "$d/p" "$d/t.bin" $PY3 "$d/q.py"
same_run "python3 queue" "$d/n" "$d/p"
t "python3 queue: all 20000 items processed" grep -q "^20000 " "$d/p.out"
report "python3 queue" "$d/t.bin"
expect "python3 queue" "$d/t.bin.json" threads=5 complete=true
pymod=$(basename "$(readlink -f $PY3)")
sites_py "$d/t.bin.json" "python3 queue: the interpreter's mutex sites (GIL and locks), locks == unlocks" \
  "calls('pthread_mutex_lock', mod('$pymod')) >= 1000 and abs(calls('pthread_mutex_lock') - calls('pthread_mutex_unlock')) <= 4 or (calls('pthread_mutex_lock', mod('$pymod')), calls('pthread_mutex_unlock'))"
sites_py "$d/t.bin.json" "python3 queue: unlocks that hand the GIL over (PyEval_SaveThread) wait" \
  "sum(s['total_ns'] for s in d['sites'] if s['function'] == 'pthread_mutex_unlock' and s['stack'] and s['stack'][0]['function'] == 'PyEval_SaveThread') > 0"

# ---- sqlite3: a scripted workload on a database file
d=$tmp/sqlite; mkdir -p "$d"
cat >"$d/w.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
INSERT INTO t SELECT x, 'name' || x, x * 0.5 FROM c;
COMMIT;
CREATE INDEX tn ON t(name);
SELECT count(*), sum(v), max(name) FROM t;
UPDATE t SET v = v * 2 WHERE id % 7 = 0;
DELETE FROM t WHERE id % 11 = 0;
SELECT count(*), round(sum(v), 2) FROM t;
SELECT name FROM t WHERE name LIKE 'name1999%' ORDER BY id;
EOF
# (native/traced give the command no stdin: run them by hand)
timeout -k 5 "$TMO" env -u LD_PRELOAD sqlite3 -batch "$d/n.db" <"$d/w.sql" >"$d/n.out" 2>"$d/n.err"
echo $? >"$d/n.rc"
timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/t.bin" sqlite3 -batch "$d/p.db" <"$d/w.sql" >"$d/p.out" 2>"$d/p.err"
echo $? >"$d/p.rc"
same_run sqlite3 "$d/n" "$d/p"
t "sqlite3: the query results are there" grep -q "^18182|" "$d/p.out"
report sqlite3 "$d/t.bin"
# one thread: its mutex calls fall under the lone-thread rule, counted and
# not recorded; the header says how many
sites_py "$d/t.bin.json" "sqlite3: allocation sites inside libsqlite3; its mutex calls counted, not recorded" \
  "calls('malloc', mod('libsqlite3')) >= 20000 and calls('pthread_mutex_lock') == 0 and d['libwait']['lone_locks'] >= 40000 or (calls('malloc', mod('libsqlite3')), calls('pthread_mutex_lock'), d['libwait']['lone_locks'])"
"$WR" --no-color "$d/t.bin" >"$d/t.txt" 2>/dev/null
t "sqlite3: the text report's header counts the lone thread's lock calls" \
  grep -q "^lone thread: [0-9,]* lock and unlock calls that found their lock free while the process had one thread" "$d/t.txt"
# with every lock call recorded (WAIT_LOCKS=all): no lock was waited on;
# with --all-locks, the sites that read the same (sqlite3Malloc reached from
# many allocation paths) are one row
rm -f "$d/p.db"
timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/ta.bin" WAIT_LOCKS=all sqlite3 -batch "$d/p.db" <"$d/w.sql" >"$d/pa.out" 2>"$d/pa.err"
t "sqlite3, WAIT_LOCKS=all: same stdout" cmp -s "$d/n.out" "$d/pa.out"
report "sqlite3, WAIT_LOCKS=all" "$d/ta.bin"
sites_py "$d/ta.bin.json" "sqlite3, WAIT_LOCKS=all: allocation and mutex sites inside libsqlite3" \
  "calls('malloc', mod('libsqlite3')) >= 20000 and calls('pthread_mutex_lock', mod('libsqlite3')) >= 20000 or (calls('malloc', mod('libsqlite3')), calls('pthread_mutex_lock', mod('libsqlite3')))"
"$WR" --no-color "$d/ta.bin" >"$d/t.txt" 2>/dev/null
t "sqlite3: one thread, so the text report says no thread waited on its locks" \
  grep -q "^locks: no thread waited on any of the [0-9,]* locks (--all-locks lists them)$" "$d/t.txt"
"$WR" --no-color --all-locks "$d/ta.bin" >"$d/t.locks" 2>/dev/null
t "sqlite3: --all-locks: under each lock no two rows read the same, though sites in the JSON do" python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
same = [m for m in d["mutexes"] if len([h for h in m["held_by"] if h["at"] == "sqlite3Malloc"]) > 1]
assert same, "no lock held by sqlite3Malloc from several stacks: nothing to merge"
blocks = []
for l in open(sys.argv[2]).read().split("\nlocks (all ")[1].splitlines():
    if re.match(r"  (mutex|rwlock|spinlock) 0x", l):
        blocks.append([])
    r = re.match(r"    (held by  |waited by) (.*?) +\d[\d.]* (ns|us|ms|s) in ", l)
    if r and blocks:
        blocks[-1].append((r.group(1), r.group(2)))
assert blocks and all(b for b in blocks), blocks
assert all(len(b) == len(set(b)) for b in blocks), [b for b in blocks if len(b) != len(set(b))]
' "$d/ta.bin.json" "$d/t.locks"

# ---- redis-server on 127.0.0.1 (a free port) answering redis-benchmark,
# then SHUTDOWN NOSAVE: clean exit; the same session answers as natively
d=$tmp/redis; mkdir -p "$d"
# redis_run OUT [ENV...]: start a server, run the session and a bounded
# benchmark against it, shut it down; OUT.session, OUT.bench, OUT.rc
redis_run() {
  local o=$1 port i; shift
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  timeout -k 5 "$TMO" env -u LD_PRELOAD "$@" redis-server --port "$port" --bind 127.0.0.1 --save "" \
    --appendonly no --daemonize no --logfile "$o.log" &
  local pid=$!
  for i in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  printf 'SET k v1\nGET k\nINCR n\nINCR n\nRPUSH l a b c\nLRANGE l 0 -1\nDBSIZE\n' | redis-cli -p "$port" >"$o.session" 2>&1
  redis-benchmark -p "$port" -n 10000 -c 4 -t set,get -q >"$o.bench" 2>&1
  echo $? >"$o.bench.rc"
  redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
  wait $pid
  echo $? >"$o.rc"
}
if command -v redis-server >/dev/null; then # need: above
  redis_run "$d/n"
  redis_run "$d/p" LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/t.bin"
  t "redis: native server exits 0 after SHUTDOWN NOSAVE" [ "$(cat "$d/n.rc")" = 0 ]
  t "redis: preloaded server exits 0 after SHUTDOWN NOSAVE ($(cat "$d/p.rc"))" [ "$(cat "$d/p.rc")" = 0 ] || show "$d/p.log"
  t "redis: the same session answers" cmp -s "$d/n.session" "$d/p.session" || show "$d/p.session"
  t "redis: redis-benchmark against the preloaded server exits 0" [ "$(cat "$d/p.bench.rc")" = 0 ]
  t "redis: benchmark reports SET and GET" grep -q "GET: .*requests per second" "$d/p.bench"
  report redis "$d/t.bin"
  expect redis "$d/t.bin.json" complete=true warnings=0
  sites_py "$d/t.bin.json" "redis: 20000 requests read at readQueryFromClient, answered by write at writeToClient" \
    "calls('read', fun('readQueryFromClient')) >= 20000 and calls('write', lambda f: f.get('function') in ('writeToClient', '_writeToClient')) >= 20000 or (calls('read', fun('readQueryFromClient')), calls('write', fun('_writeToClient')))"
fi
