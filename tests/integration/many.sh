# many.sh: a directory of 2,001 small traces (one per process, as `make -j`
# writes them) is reported in bounded time and memory (sourced by run.sh,
# which provides t/ok/notok/show and $tmp, $WR, $LIB, $root).
d=$tmp/many; mkdir -p "$d/traces"
N=2000
timeout -k 5 120 env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/traces/t.%p.bin" build/tests/fork_many "$N" >"$d/gen.out" 2>"$d/gen.err"
t "many: fork_many $N runs under the preload (rc $?)" grep -qx "$N children" "$d/gen.out" || show "$d/gen.err"
shopt -s nullglob
files=("$d"/traces/*.bin)
shopt -u nullglob
t "many: $((N + 1)) traces written (${#files[@]})" [ "${#files[@]}" = $((N + 1)) ]

# measured OUT ARGS...: waitreport ARGS > OUT.out (stderr OUT.err), its
# seconds and peak RSS in KB in OUT.time. The limits leave room for a loaded
# 2-core machine: unloaded, either report takes about 1 s and 21 MB.
measured() {
  local o=$1; shift
  if [ -x /usr/bin/time ]; then
    timeout -k 5 120 /usr/bin/time -f '%e %M' -o "$o.time" "$WR" "$@" >"$o.out" 2>"$o.err"
  else # the same figures from python3's view of its child
    python3 - "$o.time" timeout -k 5 120 "$WR" "$@" >"$o.out" 2>"$o.err" <<'PY'
import resource, subprocess, sys, time
a = time.monotonic()
rc = subprocess.call(sys.argv[2:])
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write("%.2f %d\n" % (time.monotonic() - a, kb))
sys.exit(rc)
PY
  fi
}
for kind in json text; do
  o=$d/report_$kind
  if [ $kind = json ]; then measured "$o" --json "$d/traces"; else measured "$o" --no-color "$d/traces"; fi
  rc=$?
  t "many: waitreport ($kind) of $((N + 1)) traces exits 0 (rc $rc)" [ $rc = 0 ] || show "$o.err"
  read -r secs kb <"$o.time" 2>/dev/null
  t "many: $kind in under 20 s (${secs:-?} s)" awk -v s="${secs:-999}" 'BEGIN { exit !(s < 20) }'
  t "many: $kind under 500 MB peak RSS (${kb:-?} KB)" [ "${kb:-999999999}" -lt 512000 ]
done
if python3 - "$d/report_json.out" "$N" >"$d/msg" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
ps = d["processes"]
assert d["multi"] and len(ps) == n + 1, "processes: %d" % len(ps)
assert len({p["process"]["pid"] for p in ps}) == n + 1, "pids"
def site(at):
    ss = [s for s in d["sites"] if s["key"].endswith(";%s;malloc" % at)]
    assert len(ss) == 1, "%s: %d merged sites" % (at, len(ss))
    return ss[0]
c, e, p = site("child_site"), site("even_site"), site("parent_site")
assert c["calls"] == 5 * n and len(c["pids"]) == n, ("child_site", c["calls"], len(c["pids"]))
assert e["calls"] == 5 * ((n + 1) // 2) and len(e["pids"]) == (n + 1) // 2, ("even_site", e["calls"])
assert p["calls"] == 5 and len(p["pids"]) == 1, ("parent_site", p["calls"])
print("%d processes; child_site %d calls in %d pids" % (len(ps), c["calls"], len(c["pids"])))
PY
then ok "many: $(cat "$d/msg")"
else notok "many: merged sites of $((N + 1)) processes ($(tr '\n' ' ' <"$d/msg"))"; fi
t "many: the text report counts $((N + 1)) processes" grep -q "^libwait report: $((N + 1)) processes" "$d/report_text.out"
t "many: the text report has a section per process" [ "$(grep -c '^== process ' "$d/report_text.out")" = $((N + 1)) ]
t "many: the text report lists every process at its top" \
  [ "$(sed -n '2,/^$/p' "$d/report_text.out" | grep -c '^  pid ')" = $((N + 1)) ]
