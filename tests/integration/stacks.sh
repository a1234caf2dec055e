# stacks.sh: stack capture on small stacks, deep stacks and programs with
# many distinct stacks (sourced by run.sh, which provides t/ok/notok/native/
# traced/same_run and $tmp, $WR).
. "$root/tests/integration/lib.sh"
d=$tmp/stacks; mkdir -p "$d"

# A PTHREAD_STACK_MIN thread 170 levels deep (natively it overflows near
# 185 here) calls malloc, free and write at every level: libwait's slow path
# runs on its own stack, so only the wrappers' small frames are added.
native "$d/min.n" build/tests/small_stack_helper thread 170
traced "$d/min.p" "$d/min.bin" build/tests/small_stack_helper thread 170
same_run "stacks min" "$d/min.n" "$d/min.p"
report "stacks min" "$d/min.bin"
expect "stacks min" "$d/min.bin.json" 'malloc@level=171' 'write@level=171'

# a SIGUSR1 handler on an 8 KiB sigaltstack calls write, malloc and free:
# the stack walk crosses the signal frame (a full unwind, on libwait's own
# stack) and names the handler, then the program below the signal
native "$d/alt.n" build/tests/small_stack_helper altstack
traced "$d/alt.p" "$d/alt.bin" build/tests/small_stack_helper altstack
same_run "stacks altstack" "$d/alt.n" "$d/alt.p"
report "stacks altstack" "$d/alt.bin"
expect "stacks altstack" "$d/alt.bin.json" 'write@on_usr1=20' 'malloc@on_usr1=20'
t "stacks altstack: the handler's stack reaches main through the signal frame" python3 - "$d/alt.bin.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
ok = [s for s in rep["sites"] if s["stack"] and s["stack"][0].get("function") == "on_usr1"
      and any(f.get("function") == "main" for f in s["stack"])]
sys.exit(0 if ok else 1)
PY

# WAIT_DEPTH=128 on a 100-frame stack: 200,000 calls, all but the first few
# served by the verified cache (the cache has no depth limit)
timeout -k 5 "$TMO" env WAIT_DEPTH=128 LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/deep.bin" \
  build/tests/small_stack_helper deep 100000 >"$d/deep.out" 2>&1
t "stacks deep: runs (rc $?)" grep -q "^deep ok$" "$d/deep.out"
report "stacks deep" "$d/deep.bin"
expect "stacks deep" "$d/deep.bin.json" 'malloc@deep=100000' 'free@deep=100000' 'unwinds<=10' 'stacks<=10'
t "stacks deep: the stacks are 100 frames deep and more" python3 - "$d/deep.bin.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
s = [s for s in rep["sites"] if s["function"] == "malloc" and s["stack"][0].get("function") == "deep"]
sys.exit(0 if s and len(s[0]["stack"]) >= 100 else 1)
PY
