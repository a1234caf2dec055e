#!/usr/bin/env bash
# top_overhead.sh: does `waitreport top` watching a trace slow the traced
# program down? Interleaved runs of bench/micro (malloc+free, or lock) in
# the same sitting: native, under the preload, and under the preload with
# `waitreport top -d 0.5` attached in a tmux terminal for the whole run.
# Prints each run's ns/op and the medians. Usage (after make):
#   bash bench/top_overhead.sh [ROUNDS=7] [MODE=malloc] [N=20000000]
set -u
cd "$(dirname "$0")/.." || exit 2
rounds=${1:-7} mode=${2:-malloc} n=${3:-20000000}
tmp=$(mktemp -d /tmp/lw_topbench.XXXXXX)
trap 'tmux -S "$tmp/s" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
cc -std=gnu11 -O2 -g -fno-omit-frame-pointer -pthread bench/micro.c -o "$tmp/micro" || exit 2
lib=$PWD/libwait.so wr=$PWD/waitreport
run_traced() { # $1: with top (1) or not (0); prints ns/op
  local tr=$tmp/t.$RANDOM.bin
  env LD_PRELOAD="$lib" WAIT_OUTPUT="$tr" "$tmp/micro" "$mode" "$n" >"$tmp/out" &
  local pid=$!
  if [ "$1" = 1 ]; then
    while [ ! -s "$tr" ]; do sleep 0.01; done
    tmux -S "$tmp/s" new-session -d -s top -x 160 -y 40 "$wr top -d 0.5 $tr"
  fi
  wait "$pid"
  [ "$1" = 1 ] && { tmux -S "$tmp/s" capture-pane -p -t top >"$tmp/screen"; tmux -S "$tmp/s" kill-server 2>/dev/null; }
  rm -f "$tr"
  cat "$tmp/out"
}
for i in $(seq "$rounds"); do
  nat=$("$tmp/micro" "$mode" "$n")
  pre=$(run_traced 0)
  top=$(run_traced 1)
  echo "round $i: native $nat  preload $pre  preload+top $top ns/op"
  echo "$nat $pre $top" >>"$tmp/all"
done
grep -q "$mode" "$tmp/screen" 2>/dev/null || grep -q "malloc\|pthread" "$tmp/screen" && echo "(top showed the program's sites)"
python3 - "$tmp/all" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = [statistics.median(c) for c in zip(*rows)]
print("median ns/op: native %.2f, preload %.2f, preload+top %.2f" % tuple(med))
print("overhead vs native: preload %.2f ns/op, preload+top %.2f ns/op; top changes it by %+.1f%%"
      % (med[1] - med[0], med[2] - med[0], 100.0 * (med[2] - med[1]) / med[1]))
PY
