# waits_io.sh: polls, I/O, sleeps, anonymous mmap and stdio:
# every call of examples/all_io_waits at its own site with its known count,
# bytes and wait/CPU split, in text and JSON; EINTR, cancellation, closing
# every fd and fork under the preload; redis-server's event loop, accepts
# and connection I/O (sourced by run.sh; uses lib.sh).
. "$root/tests/integration/lib.sh"
IOH=build/tests/io_safety_helper
# traced4 OUT WAIT_OUTPUT CMD...: traced, with 4 KiB chunks
traced4() {
  local o=$1 w=$2; shift 2
  timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$w" WAIT_CHUNK_KB=4 "$@" >"$o.out" 2>"$o.err"
  echo $? >"$o.rc"
}

# ---- all_io_waits: the table of known answers is in waits_io_check.py
# (4 KiB chunks: libwait maps and unmaps several, none of it recorded)
d=$tmp/waits_io; mkdir -p "$d"
native "$d/native" examples/all_io_waits
traced4 "$d/traced" "$d/t.bin" examples/all_io_waits
same_run all_io_waits "$d/native" "$d/traced"
t "all_io_waits: no stderr under the preload" [ ! -s "$d/traced.err" ] || show "$d/traced.err"
t "all_io_waits: closed its 26 fds" grep -q "^closed 26 fds" "$d/traced.out"
report all_io_waits "$d/t.bin"
"$WR" --top 0 --frames 1 --no-color "$d/t.bin" >"$d/t.txt" 2>"$d/t.txt.err"
t "all_io_waits: text report exits 0" [ $? = 0 ] || show "$d/t.txt.err"
python3 "$root/tests/integration/waits_io_check.py" "$d/t.bin.json" "$d/t.txt" >"$d/check.txt" 2>&1
relay all_io_waits "$d/check.txt"
grep -q '^ok - ' "$d/check.txt" || notok "all_io_waits: waits_io_check.py ran"
expect all_io_waits "$d/t.bin.json" complete=true warnings=0 dropped=0

# ---- a program built with _FORTIFY_SOURCE=2 calls the checked entry points
# (__read_chk, __open_2, ...): recorded under the plain names at their sites
FH=build/tests/fortify_helper
chk=$(nm -D --undefined-only "$FH" | grep -c -E ' (__read_chk|__pread_chk|__recv_chk|__recvfrom_chk|__open_2|__openat_2|__fread_chk|__fgets_chk)@')
t "fortify: the helper imports the 8 checked entry points ($chk)" [ "$chk" = 8 ]
native "$d/fortify.n" "$FH" "$d/fortify.n.txt"
traced "$d/fortify.p" "$d/fortify.bin" "$FH" "$d/fortify.p.txt"
same_run fortify "$d/fortify.n" "$d/fortify.p"
report fortify "$d/fortify.bin"
expect fortify "$d/fortify.bin.json" read@site_read=3 pread@site_pread=2 recv@site_recv=2 recvfrom@site_recvfrom=2 \
  open@site_open=2 openat@site_openat=1 poll@site_poll=2 fread@site_fread=2 fgets@site_fgets=2 \
  complete=true warnings=0

# ---- EINTR: a signal without SA_RESTART interrupts poll, nanosleep and
# sleep exactly as natively (the helper prints the results and errno)
native "$d/eintr.n" "$IOH" eintr
traced "$d/eintr.p" "$d/eintr.bin" "$IOH" eintr
same_run eintr "$d/eintr.n" "$d/eintr.p"
t "eintr: poll and nanosleep gave -1 EINTR" [ "$(grep -c -- '-1 Interrupted system call' "$d/eintr.p.out")" = 2 ] ||
  show "$d/eintr.p.out"
report eintr "$d/eintr.bin"
sites_err() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = {s["function"]: s["errors"] for s in d["sites"] if s["stack"] and s["stack"][0]["function"] == "run_eintr"
     and s["function"] in ("poll", "nanosleep", "sleep")}
print(e)
sys.exit(0 if e == {"poll": 1, "nanosleep": 1, "sleep": 0} else 1)' "$1"
}
sites_err "$d/eintr.bin.json" >"$d/eintr.txt" 2>&1
t "eintr: poll and nanosleep recorded with their error, sleep with its unslept time ($(cat "$d/eintr.txt"))" \
  [ $? = 0 ]

# ---- cancellation: threads cancelled while blocked in read, poll and
# nanosleep; the other threads keep recording and the trace reads back
native "$d/cancel.n" "$IOH" cancel
traced "$d/cancel.p" "$d/cancel.bin" "$IOH" cancel
same_run cancel "$d/cancel.n" "$d/cancel.p"
t "cancel: 3 of 3 threads cancelled under the preload" grep -q "^3 of 3" "$d/cancel.p.out"
report cancel "$d/cancel.bin"
expect cancel "$d/cancel.bin.json" poll@site_after_cancel=200 complete=true warnings=0 dropped=0

# ---- a program that closes every fd: close refuses libwait's own fds
# (EBADF, as natively), so recording goes on through new chunks (4 KiB
# each), and libunwind's pipe never reads or writes the program's files
native "$d/closeall.n" "$IOH" closeall
traced4 "$d/closeall.p" "$d/closeall.bin" "$IOH" closeall
same_run closeall "$d/closeall.n" "$d/closeall.p"
t "closeall: no stderr" [ ! -s "$d/closeall.p.err" ] || show "$d/closeall.p.err"
report closeall "$d/closeall.bin"
expect closeall "$d/closeall.bin.json" write@site_after_close=2000 complete=true warnings=0 dropped=0 stopped=false

# closefrom(3) goes through close_range without libwait's fds
native "$d/closefrom.n" "$IOH" closefrom
traced4 "$d/closefrom.p" "$d/closefrom.bin" "$IOH" closefrom
same_run closefrom "$d/closefrom.n" "$d/closefrom.p"
t "closefrom: no stderr" [ ! -s "$d/closefrom.p.err" ] || show "$d/closefrom.p.err"
report closefrom "$d/closefrom.bin"
expect closefrom "$d/closefrom.bin.json" write@site_after_close=2000 complete=true warnings=0 dropped=0 stopped=false

# dup2 of the program's file onto the trace fd: libwait never extends,
# punches or maps that file; recording stops, said once
native "$d/dup2.n" "$IOH" dup2
traced4 "$d/dup2.p" "$d/dup2.bin" "$IOH" dup2
same_run dup2 "$d/dup2.n" "$d/dup2.p"
t "dup2: the program's file holds only its own 2000 bytes" grep -q "2000 bytes, 0 foreign" "$d/dup2.p.out"
t "dup2: recording stopped, said once on stderr" \
  [ "$(grep -c 'closed or replaced the file descriptor of.*recording stopped' "$d/dup2.p.err")" = 1 ] ||
  show "$d/dup2.p.err"
report dup2 "$d/dup2.bin"
expect dup2 "$d/dup2.bin.json" stopped=true

# ---- fork: the child drops the parent's chunks with the real munmap (never
# recorded into them) and records its own maps in its own trace
mkdir -p "$d/fork"
native "$d/fork.n" "$IOH" fork
traced "$d/fork.p" "$d/fork/t.%p.bin" "$IOH" fork
same_run fork "$d/fork.n" "$d/fork.p"
t "fork: no stderr" [ ! -s "$d/fork.p.err" ] || show "$d/fork.p.err"
ppid=$(ls "$d/fork" | sed -n 's/^t\.\([0-9]*\)\.bin$/\1/p' | sort -n | head -1)
cpid=$(ls "$d/fork" | sed -n 's/^t\.\([0-9]*\)\.bin$/\1/p' | sort -n | tail -1)
t "fork: two traces, parent and child ($(ls "$d/fork" | tr '\n' ' '))" [ "$(ls "$d/fork" | wc -l)" = 2 -a "$ppid" != "$cpid" ]
report "fork parent" "$d/fork/t.$ppid.bin"
report "fork child" "$d/fork/t.$cpid.bin"
expect "fork parent" "$d/fork/t.$ppid.bin.json" mmap@site_parent_map=1 '*@site_child_map=0' complete=true warnings=0
expect "fork child" "$d/fork/t.$cpid.bin.json" mmap@site_child_map=2 munmap@site_child_map=2 \
  '*@site_parent_map=0' complete=true warnings=0

# ---- a fork child's thread takes a state (and its stack caches) that a
# thread of the parent finished with: the child's trace names every stack
# it uses (the caches knew the parent's stacks, written in the parent's file)
mkdir -p "$d/fspare"
native "$d/fspare.n" "$IOH" forkspare
traced "$d/fspare.p" "$d/fspare/t.%p.bin" "$IOH" forkspare
same_run "fork after a thread" "$d/fspare.n" "$d/fspare.p"
cpid=$(ls "$d/fspare" | sed -n 's/^t\.\([0-9]*\)\.bin$/\1/p' | sort -n | tail -1)
ppid=$(ls "$d/fspare" | sed -n 's/^t\.\([0-9]*\)\.bin$/\1/p' | sort -n | head -1)
report "fork after a thread, parent" "$d/fspare/t.$ppid.bin"
report "fork after a thread, child" "$d/fspare/t.$cpid.bin"
expect "fork after a thread, parent" "$d/fspare/t.$ppid.bin.json" poll@site_spare=10 complete=true warnings=0
expect "fork after a thread, child" "$d/fspare/t.$cpid.bin.json" poll@site_spare=10 complete=true warnings=0

# ---- redis-server: its event loop's epoll_wait, its accepts and the
# connection handlers' read/write, on a free port, shut down cleanly
if need redis-server redis-server && need redis-benchmark redis-tools; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/redis.bin" redis-server --port "$port" \
    --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile "$d/redis.log" &
  rpid=$!
  for i in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-benchmark -p "$port" -n 2000 -c 4 -t set,get -q >"$d/redis.bench" 2>&1
  t "redis: redis-benchmark -n 2000 against the preloaded server exits 0" [ $? = 0 ] || show "$d/redis.bench"
  redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
  wait $rpid
  rc=$?
  t "redis: the preloaded server exits 0 after SHUTDOWN NOSAVE ($rc)" [ "$rc" = 0 ] || show "$d/redis.log"
  report redis "$d/redis.bin"
  "$WR" --top 0 --no-color "$d/redis.bin" >"$d/redis.txt" 2>/dev/null
  expect redis "$d/redis.bin.json" complete=true warnings=0
  python3 - "$d/redis.bin.json" >"$d/redis.check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def sites(fn, names):
    return [s for s in d["sites"] if s["function"] == fn and any(f.get("function") in names for f in s["stack"][:3])]
def calls(fn, *names):
    return sum(s["calls"] for s in sites(fn, names))
ep = sites("epoll_wait", ("aeProcessEvents", "aeMain"))
slow = sum(s["slow_calls"] or 0 for s in ep)
for desc, ok, got in [
    ("epoll_wait at aeProcessEvents/aeMain, some of them blocked (slow path)",
     calls("epoll_wait", "aeProcessEvents", "aeMain") > 0 and slow > 0,
     (calls("epoll_wait", "aeProcessEvents", "aeMain"), slow)),
    ("accept4 at acceptTcpHandler >= 8 (4 clients x 2 tests)", calls("accept4", "acceptTcpHandler") >= 8,
     calls("accept4", "acceptTcpHandler")),
    ("read at readQueryFromClient >= 4000 (2 x 2000 requests)", calls("read", "readQueryFromClient") >= 4000,
     calls("read", "readQueryFromClient")),
    ("write at _writeToClient/writeToClient >= 4000", calls("write", "_writeToClient", "writeToClient") >= 4000,
     calls("write", "_writeToClient", "writeToClient")),
    ("close at freeClient/unlinkClient >= 8", calls("close", "freeClient", "unlinkClient") >= 8,
     calls("close", "freeClient", "unlinkClient")),
]:
    print("%s - %s (got %s)" % ("ok" if ok else "not ok", desc, got))
PY
  relay redis "$d/redis.check"
  grep -q '^ok - ' "$d/redis.check" || notok "redis: the site check ran"
  fastline() { grep -A1 '^ *[0-9]* epoll_wait ' "$1" | grep -q 'fast path (no switch)'; }
  t "redis: text report shows epoll_wait with its fast/slow path line" fastline "$d/redis.txt"
else
  notok "redis-server and redis-benchmark are installed (.ci/run installs them)"
fi
