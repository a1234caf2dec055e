#!/bin/bash
# soak.sh: `make soak` (not part of make test). redis-server runs under the
# preload with a capped trace (WAIT_MAX_SIZE) while redis-benchmark loads
# it for SOAK_SECONDS; every SOAK_EVERY seconds one line gives the trace
# file's size, its blocks on disk and the calls recorded so far. Then the
# server shuts down cleanly, and waitreport reads the trace: the time it
# took and the window the report holds are printed.
# Exits 1 when the file ever grew past the cap plus one chunk per thread
# (redis-server runs 4 threads here), or the report cannot be read.
#   SOAK_SECONDS (default 60), SOAK_MAX_SIZE (default 16M), SOAK_EVERY (5)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${SOAK_SECONDS:-60} cap=${SOAK_MAX_SIZE:-16M} every=${SOAK_EVERY:-5}
for p in redis-server redis-benchmark redis-cli python3; do
    command -v $p >/dev/null || { echo "soak: $p is not installed (apt-get install redis-server)"; exit 2; }
done
work=$(mktemp -d /tmp/lw-soak.XXXXXX)
trap 'kill $srv 2>/dev/null; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
trace=$work/redis.bin

# header: chunk_size at byte 16, stats.records at byte 256
hdr() { python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(264); print(*struct.unpack_from("<I",b,16), *struct.unpack_from("<Q",b,256))' "$1"; }

WAIT_MAX_SIZE=$cap WAIT_OUTPUT=$trace LD_PRELOAD=$root/libwait.so \
    redis-server --port $port --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
srv=$!
for _ in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "soak: redis-server (pid $srv) under libwait, WAIT_MAX_SIZE=$cap, redis-benchmark for $secs s"
timeout "$secs" redis-benchmark -p $port -q -l -t set,get,incr,lpush,lpop -c 50 >"$work/bench.log" 2>&1 &
bench=$!
max=0 start=$SECONDS
printf "%8s %12s %12s %14s\n" "seconds" "file bytes" "disk bytes" "calls recorded"
while kill -0 $bench 2>/dev/null; do
    sleep "$every"
    size=$(stat -c %s "$trace") disk=$(($(stat -c %b "$trace") * $(stat -c %B "$trace")))
    read -r chunk records < <(hdr "$trace")
    [ "$size" -gt "$max" ] && max=$size
    printf "%8d %12d %12d %14d\n" $((SECONDS - start)) "$size" "$disk" "$records"
done
wait $bench
tr '\r' '\n' <"$work/bench.log" | grep -a "requests per second" | tail -5 | sed 's/^/  /'
redis-cli -p $port shutdown nosave >/dev/null 2>&1
wait $srv
size=$(stat -c %s "$trace")
[ "$size" -gt "$max" ] && max=$size
t0=$(date +%s.%N)
"$root/waitreport" --json "$trace" >"$work/report.json" 2>"$work/report.err"
rc=$?
t1=$(date +%s.%N)
if [ $rc != 0 ]; then
    echo "soak: FAIL: waitreport exited $rc"; cat "$work/report.err"; exit 1
fi
python3 - "$work/report.json" "$t0" "$t1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); p = d["process"]
print("report: read in %.2f s; the run %.1f s, the trace holds its last %.1f s; %d calls read, %d overwritten"
      % (float(sys.argv[3]) - float(sys.argv[2]), p["wall_ns"] / 1e9, p.get("window_ns", p["wall_ns"]) / 1e9,
         d["libwait"]["calls_read"], p.get("dropped_events", 0)))
PY
read -r chunk records < <(hdr "$trace")
limit=$(python3 -c "
import sys; s=sys.argv[1]; m={'K':10,'M':20,'G':30}
v=int(s[:-1]) << m[s[-1].upper()] if s[-1].upper() in m else int(s)
print(v + 4 * $chunk)" "$cap")
echo "largest file: $max bytes; the cap plus a chunk per thread: $limit bytes"
[ "$max" -le "$limit" ] || { echo "soak: FAIL: the trace outgrew its cap"; exit 1; }
echo "soak: ok"
