# pprof.sh: `waitreport --pprof` (sourced by run.sh, which provides
# t/ok/notok/show/need/traced and $tmp, $WR, $root). Each profile is checked
# against `waitreport --json` of the same traces by pprof_check.py: decoded
# with Python's standard library always, and read back by `go tool pprof`
# where Go is installed (else one SKIP line naming golang-go; a failure
# under CI).
. "$root/tests/integration/lib.sh"
d=$tmp/pprof; mkdir -p "$d"
PPCHECK=$root/tests/integration/pprof_check.py
gopt=
need go golang-go && gopt=--go

# pp_check NAME PROFILE JSON [OPTION]: pprof_check.py's checks as NAME: ...
pp_check() {
  local n=$1 p=$2 j=$3; shift 3
  python3 "$PPCHECK" "$p" "$j" $gopt "$@" >"$p.check" 2>&1
  relay "pprof $n" "$p.check"
  grep -q '^ok - \|^not ok - ' "$p.check" || { notok "pprof $n: pprof_check.py ran"; show "$p.check"; }
}

# the three examples: the totals of every sample type equal the JSON's
for c in "lock_contend|examples/lock_contend" "pipe_rw|examples/pipe_rw" "malloc_churn|examples/malloc_churn"; do
  n=${c%%|*}
  read -r -a argv <<<"${c#*|}"
  traced "$d/$n.p" "$d/$n.bin" "${argv[@]}"
  "$WR" --pprof "$d/$n.pb.gz" "$d/$n.bin" >"$d/$n.out" 2>"$d/$n.err"
  t "pprof $n: --pprof FILE exits 0 (rc $?)" [ $? = 0 ] || show "$d/$n.err"
  t "pprof $n: only the profile is written (nothing on stdout)" [ ! -s "$d/$n.out" ]
  t "pprof $n: the file written is named on stderr" grep -q "wrote $d/$n.pb.gz" "$d/$n.err"
  "$WR" --json "$d/$n.bin" >"$d/$n.json" 2>/dev/null
  pp_check "$n" "$d/$n.pb.gz" "$d/$n.json"
done
# malloc_churn's known answer: site_calloc's 160,000 bytes in its own sample(s)
python3 - "$d/malloc_churn.pb.gz" >"$d/mc.msg" 2>&1 <<'PY'
import sys
sys.path.insert(0, "tests/integration")
from pprof_check import decode, key_of
p = decode(sys.argv[1])
b = sum(s["value"][5] for s in p["sample"] if key_of(p, s).endswith(";site_calloc;calloc"))
print(b)
sys.exit(0 if b == 160000 else 1)
PY
t "pprof malloc_churn: site_calloc's calloc samples hold 160,000 bytes ($(cat "$d/mc.msg"))" [ $? = 0 ]

# the output is the same on stdout, and deterministic (gzip header without a time)
"$WR" --pprof - "$d/lock_contend.bin" >"$d/stdout.pb.gz" 2>"$d/stdout.err"
t "pprof: --pprof - writes the same bytes to stdout" cmp -s "$d/stdout.pb.gz" "$d/lock_contend.pb.gz" || show "$d/stdout.err"
"$WR" --pprof - --folded=wait "$d/lock_contend.bin" >/dev/null 2>"$d/two.err"
t "pprof: --pprof - with --folded exits 2 (one output on stdout)" [ $? = 2 ]
t "pprof: ... and says why" grep -q "only one output can go to stdout" "$d/two.err"

# several processes: fork, then exec in the child; one profile, a pid label
m=$d/multi; mkdir -p "$m/traces"
traced "$m/p" "$m/traces/fe.%p.bin" examples/fork_exec
"$WR" --pprof "$m/fe.pb.gz" "$m/traces" 2>"$m/err"
t "pprof multi: a directory of 3 traces gives one profile (rc $?)" [ -s "$m/fe.pb.gz" ] || show "$m/err"
"$WR" --json "$m/traces" >"$m/fe.json" 2>/dev/null
pp_check multi "$m/fe.pb.gz" "$m/fe.json"

# no wait/CPU split (perf refused): the time values are 0, calls the default
n=$d/noperf
timeout -k 5 "$TMO" env -u LD_PRELOAD -u WAIT_DEPTH -u WAIT_CHUNK_KB build/tests/noperf LD_PRELOAD="$LIB" \
  WAIT_OUTPUT="$n.bin" examples/lock_contend hold >/dev/null 2>&1
"$WR" --pprof "$n.pb.gz" "$n.bin" 2>"$n.err"
t "pprof noperf: --pprof of a trace without the split exits 0 (rc $?)" [ -s "$n.pb.gz" ] || show "$n.err"
t "pprof noperf: stderr says the time values are 0" grep -q "no wait/CPU split in this trace; its wait, cpu" "$n.err"
"$WR" --json "$n.bin" >"$n.json" 2>/dev/null
pp_check noperf "$n.pb.gz" "$n.json" --nosplit
