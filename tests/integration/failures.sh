# failures.sh: when libwait cannot record (full disk, file size limit,
# missing directory, read-only file system, bad settings) it says so once
# on stderr and the program runs on unchanged; without perf the split is
# reported unavailable; setuid programs are never traced; no program data
# reaches the trace (sourced by run.sh).
. "$root/tests/integration/lib.sh"
N=$tmp/failures_native
native "$N" examples/lock_contend

# hdr TRACE: "chunk_size flags depth" from the file header
hdr() {
  python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(36)
v, hs, chunk, flags, pid, ppid, depth = struct.unpack_from("<7I", b, 8)
print(chunk, flags, depth)' "$1" 2>/dev/null
}
# one_line NAME ERRFILE PATTERN: stderr is exactly one line matching PATTERN
one_line() {
  t "$1: exactly one line on stderr ($(wc -l <"$2"))" [ "$(wc -l <"$2")" = 1 ] || show "$2"
  t "$1: it says: $3" grep -q "$3" "$2"
}

# ---- full disk: a 320 KiB tmpfs (root only; skipped where mount is refused)
d=$tmp/enospc; mkdir -p "$d/fs"
if mount -t tmpfs -o size=320k lwtest "$d/fs" 2>/dev/null; then
  traced "$d/run" "$d/fs/t.bin" WAIT_CHUNK_KB=64 examples/lock_contend
  same_run "full disk" "$N" "$d/run"
  one_line "full disk" "$d/run.err" "No space left on device; recording stopped"
  cp "$d/fs/t.bin" "$d/t.bin"
  report "full disk" "$d/t.bin"
  t "full disk: waitreport warns that recording stopped" grep -q "recording was stopped early" "$d/t.bin.err"
  expect "full disk" "$d/t.bin.json" stopped=true complete=false 'pthread_mutex_lock@worker>=1000'
  # the disk fills inside the threads' first chunks (1 MiB each on a 320 KiB
  # disk): their blocks are reserved just ahead of the writer, so the
  # records up to that point are kept, and no page past them is touched
  # (a SIGBUS would end the run)
  rm -f "$d/fs/t.bin"
  traced "$d/grow" "$d/fs/t.bin" WAIT_CHUNK_KB=1024 examples/lock_contend
  same_run "disk full inside a chunk" "$N" "$d/grow"
  one_line "disk full inside a chunk" "$d/grow.err" "No space left on device; recording stopped"
  cp "$d/fs/t.bin" "$d/tg.bin"
  rm -f "$d/fs/t.bin"
  report "disk full inside a chunk" "$d/tg.bin"
  expect "disk full inside a chunk" "$d/tg.bin.json" stopped=true complete=false 'pthread_mutex_lock@worker>=1000'
  # disk already full at start: the header cannot be reserved
  dd if=/dev/zero of="$d/fs/fill" bs=4k status=none 2>/dev/null
  traced "$d/full" "$d/fs/t2.bin" examples/lock_contend
  same_run "disk full at start" "$N" "$d/full"
  one_line "disk full at start" "$d/full.err" "No space left on device; not recording"
  t "disk full at start: no trace file left behind" [ ! -e "$d/fs/t2.bin" ]
  umount "$d/fs"
  # read-only file system
  if mount -t tmpfs -o ro lwtest "$d/fs" 2>/dev/null; then
    traced "$d/ro" "$d/fs/t.bin" examples/lock_contend
    same_run "read-only fs" "$N" "$d/ro"
    one_line "read-only fs" "$d/ro.err" "Read-only file system; not recording"
    umount "$d/fs"
  fi
else
  echo "# full disk: cannot mount a tmpfs here (not root?); skipped, the file size limit below covers it"
fi

# ---- file size limit: growing past ulimit -f would raise SIGXFSZ, which
# kills by default; libwait checks the limit first and stops instead
d=$tmp/fsize; mkdir -p "$d"
(ulimit -f 300 && traced "$d/run" "$d/t.bin" WAIT_CHUNK_KB=64 examples/lock_contend) 2>/dev/null
same_run "ulimit -f" "$N" "$d/run"
one_line "ulimit -f" "$d/run.err" "file size limit (ulimit -f) reached"
report "ulimit -f" "$d/t.bin"
expect "ulimit -f" "$d/t.bin.json" stopped=true complete=false 'pthread_mutex_lock@worker>=1000'
"$WR" "$d/t.bin" >"$d/t.txt" 2>/dev/null
t "ulimit -f: text report notes the early stop" grep -q "stopped recording early" "$d/t.txt"
# the program lowers its own limit below the trace's size mid-run: the
# next step of its chunk is reserved only after checking it (a write past
# the limit would raise SIGXFSZ)
native "$d/lower.n" build/tests/io_safety_helper fsize
traced "$d/lower" "$d/t3.bin" build/tests/io_safety_helper fsize
same_run "limit lowered by the program" "$d/lower.n" "$d/lower"
one_line "limit lowered by the program" "$d/lower.err" "file size limit (ulimit -f) reached"
report "limit lowered by the program" "$d/t3.bin"
expect "limit lowered by the program" "$d/t3.bin.json" stopped=true poll@site_before_limit=10 'poll@site_after_limit>=100'
(ulimit -f 2 && traced "$d/tiny" "$d/t2.bin" examples/lock_contend) 2>/dev/null
same_run "ulimit -f below the header" "$N" "$d/tiny"
one_line "ulimit -f below the header" "$d/tiny.err" "not recording"

# ---- missing directory
d=$tmp/nodir; mkdir -p "$d"
traced "$d/run" "$d/absent/t.bin" examples/lock_contend
same_run "missing directory" "$N" "$d/run"
one_line "missing directory" "$d/run.err" "No such file or directory; not recording"

# ---- settings: each bad value is rejected with one message, the default
# is used, the program is unharmed
d=$tmp/env; mkdir -p "$d"
i=0
for kv in "WAIT_DEPTH=abc" "WAIT_DEPTH=0" "WAIT_DEPTH=257" "WAIT_DEPTH=12x" "WAIT_DEPTH= 5" "WAIT_DEPTH=-1" \
  "WAIT_DEPTH=" "WAIT_DEPTH=0x10" "WAIT_DEPTH=99999999999999999999" "WAIT_SWITCHES=2" "WAIT_SWITCHES=yes" \
  "WAIT_CHUNK_KB=3" "WAIT_CHUNK_KB=100" "WAIT_CHUNK_KB=131072" "WAIT_CHUNK_KB=+64"; do
  i=$((i + 1))
  var=${kv%%=*}
  traced "$d/r$i" "$d/t$i.bin" "$kv" examples/lock_contend
  same_run "$kv" "$N" "$d/r$i"
  one_line "$kv" "$d/r$i.err" "ignoring $var="
  want="1048576 3 32" # chunk 1 MiB, closed + switches, depth 32
  t "$kv: the default is in force (chunk flags depth: $(hdr "$d/t$i.bin"))" [ "$(hdr "$d/t$i.bin")" = "$want" ]
done
# good values are taken as given
traced "$d/good" "$d/good.bin" WAIT_DEPTH=7 WAIT_CHUNK_KB=16 examples/lock_contend
t "good values: no stderr" [ ! -s "$d/good.err" ] || show "$d/good.err"
t "good values: chunk 16 KiB, depth 7 ($(hdr "$d/good.bin"))" [ "$(hdr "$d/good.bin")" = "16384 3 7" ]
long=$(printf 'x%.0s' $(seq 600))
for w in "$d/t.%x.bin" "$d/t.bin%" "$d/$long.bin"; do
  i=$((i + 1))
  traced "$d/r$i" "$w" examples/lock_contend
  same_run "WAIT_OUTPUT=${w:0:40}" "$N" "$d/r$i"
  one_line "WAIT_OUTPUT=${w:0:40}" "$d/r$i.err" "not a usable path"
done
t "bad WAIT_OUTPUT: no file was created" [ -z "$(ls "$d" | grep -v '^r[0-9]*\.\|^t[0-9]*\.bin$\|^good')" ]

# ---- perf refused by seccomp: one message, the header flag, the text
# report says the split is unavailable, JSON split fields are null
d=$tmp/noperf; mkdir -p "$d"
native "$d/native" examples/lock_contend hold
# the launcher itself is not preloaded: it sets LD_PRELOAD for the example
timeout -k 5 "$TMO" env -u LD_PRELOAD -u WAIT_DEPTH -u WAIT_CHUNK_KB build/tests/noperf LD_PRELOAD="$LIB" \
  WAIT_OUTPUT="$d/t.bin" examples/lock_contend hold >"$d/run.out" 2>"$d/run.err"
echo $? >"$d/run.rc"
same_run "no perf" "$d/native" "$d/run"
one_line "no perf" "$d/run.err" "perf_event_open refused (Permission denied)"
f=$(hdr "$d/t.bin" | cut -d' ' -f2)
t "no perf: header flags say closed + perf refused, no switches ($f)" [ "$f" = 5 ]
report "no perf" "$d/t.bin"
expect "no perf" "$d/t.bin.json" split=unavailable complete=true pthread_mutex_lock@waiter=3
"$WR" "$d/t.bin" >"$d/t.txt" 2>"$d/t.txt.err"
t "no perf: text report says the split is unavailable" grep -q "wait/CPU split unavailable: perf_event_open was refused" "$d/t.txt"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
keys = ("wait_ns", "blocked_ns", "runnable_ns", "cpu_ns", "switches", "fast_calls", "slow_calls")
bad = [k for s in d["sites"] for k in keys if s.get(k, 0) is not None]
bad += [k for th in d["threads"] for k in ("wait_ns", "blocked_ns", "runnable_ns", "cpu_ns") if th.get(k, 0) is not None]
print(bad[:5]); sys.exit(1 if bad else 0)' "$d/t.bin.json" >"$d/null.txt" 2>&1
t "no perf: every JSON split field is null ($(cat "$d/null.txt"))" [ $? = 0 ]
# the lock waiter's 3 x 200 ms is still there, as wall time
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = sum(s["total_ns"] for s in d["sites"] if s["function"] == "pthread_mutex_lock" and s["stack"][0]["function"] == "waiter")
print(v / 1e6); sys.exit(0 if 540e6 <= v <= 720e6 else 1)' "$d/t.bin.json" >"$d/wall.txt" 2>&1
t "no perf: the waiter's lock site still totals ~600 ms of wall time ($(cat "$d/wall.txt") ms)" [ $? = 0 ]

# ---- AT_SECURE: a setuid copy of a program linked against libwait.so
# (the loader would ignore LD_PRELOAD there) never writes a trace; a plain
# copy does (the control)
d=$tmp/secure; mkdir -p "$d/run"
chmod 1777 "$d/run"
cp build/tests/secure_helper "$d/suid"
if chown nobody "$d/suid" 2>/dev/null && chmod 4755 "$d/suid" && (cd "$d/run" && WAIT_OUTPUT="$d/run/s.%p.bin" "$d/suid" >"$d/suid.out" 2>"$d/suid.err") &&
  grep -q "AT_SECURE=1" "$d/suid.out"; then
  t "setuid: no trace written" [ -z "$(ls "$d/run")" ] || ls -l "$d/run"
  t "setuid: nothing on stderr" [ ! -s "$d/suid.err" ]
  (cd "$d/run" && WAIT_OUTPUT="$d/run/c.%p.bin" "$root/build/tests/secure_helper" >"$d/plain.out" 2>&1)
  t "setuid: the same program without setuid is traced (control)" [ -n "$(ls "$d/run")" ]
else
  echo "# setuid: cannot make a setuid copy that runs with AT_SECURE here (not root, or nosuid); skipped"
fi
# the same without a setuid file (works on nosuid mounts): effective uid
# nobody, real uid root at exec also makes the kernel set AT_SECURE
mkdir -p "$d/run2" && chmod 1777 "$d/run2"
if (cd "$d/run2" && WAIT_OUTPUT="$d/run2/e.%p.bin" python3 -c '
import os, sys
os.setresuid(0, 65534, 0)
os.execv(sys.argv[1], [sys.argv[1]])' "$root/build/tests/secure_helper" >"$d/euid.out" 2>"$d/euid.err"); then
  t "euid != uid: AT_SECURE is set" grep -q "AT_SECURE=1" "$d/euid.out"
  t "euid != uid: no trace written" [ -z "$(ls "$d/run2")" ] || ls -l "$d/run2"
else
  echo "# euid != uid: cannot switch the effective uid here (not root); skipped"
fi

# ---- the program's data is never recorded: a unique secret moved through
# write/read, malloc/calloc/realloc'd buffers and a mutex's neighbour
d=$tmp/secret; mkdir -p "$d"
sec="LWSECRET-$$-$RANDOM$RANDOM-q7Zx"
traced "$d/run" "$d/t.bin" LW_SECRET="$sec" build/tests/secret_helper
t "secret: helper ran under the preload" grep -q "round trip ok" "$d/run.out"
t "secret: the trace holds calls ($(stat -c %s "$d/t.bin" 2>/dev/null) bytes)" [ -s "$d/t.bin" ]
t "secret: the secret is nowhere in the trace" lacks "$sec" "$d/t.bin"
t "secret: nor its first 12 bytes" lacks "${sec:0:12}" "$d/t.bin"
report secret "$d/t.bin"
expect secret "$d/t.bin.json" write@main=1 read@main=1 'malloc@main>=2'

# ---- the analyzer refuses anything but a regular file, before opening it
# for a read that could block: a FIFO with no writer, a character device,
# a directory's entry that is a socket. Every subcommand that opens a
# trace (report, diff, top, ctl) says "not a regular file" and exits 2
# at once; none waits for a writer.
d=$tmp/nonreg; mkdir -p "$d"
mkfifo "$d/fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/sock" 2>/dev/null
for f in "$d/fifo" /dev/zero /dev/null "$d/sock"; do
  [ -e "$f" ] || continue
  b=$(basename "$f")
  for cmd in "report" "diff" "top" "ctl"; do
    case $cmd in
      report) argv=("$f") ;;
      diff) argv=(diff "$f" "$f") ;;
      top) argv=(top --once "$f") ;;
      ctl) argv=(ctl "$f" status) ;;
    esac
    timeout -k 2 10 "$WR" "${argv[@]}" </dev/null >"$d/$b.$cmd.out" 2>"$d/$b.$cmd.err"
    rc=$?
    t "$b: waitreport $cmd refuses it at once (rc $rc, not a timeout)" [ "$rc" = 2 ] || show "$d/$b.$cmd.err"
    t "$b: waitreport $cmd says: not a regular file" grep -q "not a regular file" "$d/$b.$cmd.err"
  done
done
