# hostile.sh: programs that do unusual things to their own process (take
# fd 2 for a file, run under a tiny fd limit, jump out of signal handlers,
# fork from a signal handler) are unharmed, and what can be recorded is
# (sourced by run.sh, which provides t/ok/notok/native/traced/same_run
# and $tmp, $WR, $root).
HH=$root/build/tests/hostile_helper
. "$root/tests/integration/lib.sh"

# ---- a program that closes fd 2 and opens a file in its place: libwait's
# messages (the default path's "trace written to", a stop on the file size
# limit) go nowhere rather than into the program's file
d=$tmp/stderr_taken; mkdir -p "$d/n" "$d/p" "$d/s"
(cd "$d/n" && native "$d/native" "$HH" stderr "$d/n/file" 1000)
(cd "$d/p" && traced "$d/traced" "" "$HH" stderr "$d/p/file" 1000)
same_run "fd 2 taken" "$d/native" "$d/traced"
t "fd 2 taken: the program's file got fd 2" grep -q "file fd 2" "$d/traced.out"
t "fd 2 taken: the file holds only the program's lines" cmp -s "$d/n/file" "$d/p/file" || show "$d/p/file"
shopt -s nullglob
files=("$d"/p/wait.*.bin)
shopt -u nullglob
t "fd 2 taken: the trace is still written (${#files[@]} file)" [ "${#files[@]}" = 1 ]
[ "${#files[@]}" = 1 ] && report "fd 2 taken" "${files[0]}" &&
  expect "fd 2 taken" "${files[0]}.json" 'malloc@churn=1000' 'free@churn=1000'
# recording stops at the file size limit while fd 2 is the program's file
(ulimit -f 300 && cd "$d/s" && traced "$d/stop" "$d/s/t.bin" WAIT_CHUNK_KB=64 "$HH" stderr "$d/s/file" 300000) 2>/dev/null
(ulimit -f 300 && native "$d/stopn" "$HH" stderr "$d/n/file2" 300000) 2>/dev/null
same_run "fd 2 taken, recording stopped" "$d/stopn" "$d/stop"
t "fd 2 taken, recording stopped: the file holds only the program's lines" cmp -s "$d/n/file2" "$d/s/file" ||
  show "$d/s/file"
report "fd 2 taken, recording stopped" "$d/s/t.bin"
expect "fd 2 taken, recording stopped" "$d/s/t.bin.json" stopped=true
