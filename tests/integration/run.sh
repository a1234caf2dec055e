#!/usr/bin/env bash
# Integration tests: every example runs natively and under the preload with
# the same stdout and exit code, and the trace's report matches the known
# answers (check.py). Run from the repo root after `make`:
#   bash tests/integration/run.sh
# Prints `ok - ...`/`not ok - ...` per check and ends with one line
# `N passed, M failed`; exits nonzero on any failure. LW_KEEP=1 keeps the
# temporary directory.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
LIB=$root/libwait.so
WR=$root/waitreport
CHECK=$root/tests/integration/check.py
TMO=${LW_TIMEOUT:-60}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lw_integration.XXXXXX") || exit 2
if [ "${LW_KEEP:-0}" = 1 ]; then
  echo "# keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi

pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
# t DESC CMD...: one check from a command's status
t() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; return 1; fi; }
# show FILE: the first lines of FILE as a diagnostic
show() { [ -s "$1" ] && sed -n '1,5s/^/#   /p' "$1"; return 0; }
skipped=0
finish() {
  if [ "$skipped" -gt 0 ]; then echo "$pass passed, $fail failed, $skipped skipped"; else echo "$pass passed, $fail failed"; fi
  [ "$fail" -eq 0 ]; exit $?
}
# need PROG PACKAGE: whether PROG is installed. Where it is not, the checks
# that use it are skipped with one line naming its Debian package, except
# under CI (CI=true) or with LW_NO_SKIP=1: there a missing program is a
# failure, so that nothing is ever skipped in CI.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "${CI:-}" = true ] || [ "${LW_NO_SKIP:-0}" = 1 ]; then
    notok "$1 is installed (Debian package $2; sudo make deps installs it)"
  else
    echo "# SKIP: $1 is not installed, its checks are skipped (Debian package $2; sudo make deps installs it)"
    skipped=$((skipped + 1))
  fi
  return 1
}
mode_of() { stat -c %a "$1" 2>/dev/null; }
json_pid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["pid"])' "$1" 2>/dev/null; }

# native OUT CMD...: run CMD without the preload; OUT.out, OUT.err, OUT.rc
native() {
  local o=$1; shift
  timeout -k 5 "$TMO" env -u LD_PRELOAD "$@" >"$o.out" 2>"$o.err"
  echo $? >"$o.rc"
}
# traced OUT WAIT_OUTPUT CMD...: the same under the preload (empty
# WAIT_OUTPUT: unset). env, not timeout, is what sets LD_PRELOAD, so only
# CMD itself is preloaded (env execs it, keeping its pid).
traced() {
  local o=$1 w=$2; shift 2
  if [ -n "$w" ]; then
    timeout -k 5 "$TMO" env -u WAIT_DEPTH -u WAIT_CHUNK_KB LD_PRELOAD="$LIB" WAIT_OUTPUT="$w" "$@" >"$o.out" 2>"$o.err"
  else
    timeout -k 5 "$TMO" env -u WAIT_DEPTH -u WAIT_CHUNK_KB -u WAIT_OUTPUT LD_PRELOAD="$LIB" "$@" >"$o.out" 2>"$o.err"
  fi
  echo $? >"$o.rc"
}
# same_run NAME N P: preloaded run P behaves like native run N
same_run() {
  local n=$1 a=$2 b=$3
  t "$n: native run exits 0" [ "$(cat "$a.rc")" = 0 ] || show "$a.err"
  t "$n: same exit code under the preload ($(cat "$b.rc"))" [ "$(cat "$a.rc")" = "$(cat "$b.rc")" ]
  t "$n: same stdout under the preload" cmp -s "$a.out" "$b.out" || { show "$a.out"; show "$b.out"; }
}

for f in "$LIB" "$WR"; do
  [ -e "$f" ] || { notok "$(basename "$f") is built (run make first)"; finish; }
done
command -v python3 >/dev/null || { notok "python3 is installed"; finish; }
for e in lock_contend malloc_churn pipe_rw eventfd_select; do
  [ -x "examples/$e" ] || { notok "examples/$e is built (run make first)"; finish; }
done

# name|check.py test|command
cases=(
  "lock_contend|lock_contend|examples/lock_contend"
  "lock_hold|lock_hold|examples/lock_contend hold"
  "malloc_churn|malloc_churn|examples/malloc_churn"
  "pipe_rw|pipe_rw|examples/pipe_rw"
  "eventfd_select|eventfd_select|examples/eventfd_select"
  "heap_leaks|heap_leaks|examples/heap_leaks"
)

# ONLY="name ..." runs just those sections (files under tests/integration/)
# and skips the core cases below: for quick runs while working on one area
section() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
# sections reuse the core's lock_contend trace
[ -z "${ONLY:-}" ] || traced "$tmp/lc_only" "$tmp/lock_contend.bin" examples/lock_contend
if section core; then
for c in "${cases[@]}"; do
  IFS='|' read -r name test cmd <<<"$c"
  read -r -a argv <<<"$cmd"
  d=$tmp/$name
  mkdir -p "$d/traces"
  native "$d/native" "${argv[@]}"
  traced "$d/traced" "$d/traces/$name.%p.bin" "${argv[@]}"
  same_run "$name" "$d/native" "$d/traced"
  t "$name: no stderr under the preload with WAIT_OUTPUT" [ ! -s "$d/traced.err" ] || show "$d/traced.err"

  shopt -s nullglob
  files=("$d"/traces/*)
  shopt -u nullglob
  if [ "${#files[@]}" -ne 1 ]; then
    notok "$name: exactly one trace file written (got ${#files[@]})"
    continue
  fi
  tr=${files[0]}
  tb=$(basename "$tr")
  if [[ $tb =~ ^$name\.([0-9]+)\.bin$ ]]; then
    ok "$name: %p in WAIT_OUTPUT expands to a pid ($tb)"
    fpid=${BASH_REMATCH[1]}
  else
    notok "$name: %p in WAIT_OUTPUT expands to a pid (got $tb)"
    fpid=
  fi
  t "$name: trace mode is 0600" [ "$(mode_of "$tr")" = 600 ]

  "$WR" --json "$tr" >"$d/report.json" 2>"$d/report.err"
  rc=$?
  t "$name: waitreport --json exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/report.err"
  [ -n "$fpid" ] && t "$name: process.pid matches the file name" [ "$(json_pid "$d/report.json")" = "$fpid" ]
  python3 "$CHECK" "$d/report.json" "$test" >"$d/check.txt" 2>&1
  crc=$?
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "$name: ${line#ok - }" ;;
      "not ok - "*) notok "$name: ${line#not ok - }" ;;
      *) echo "# $line" ;;
    esac
  done <"$d/check.txt"
  if [ "$crc" -ne 0 ] && ! grep -q '^not ok - ' "$d/check.txt"; then
    notok "$name: check.py ran (rc $crc)"
  fi

  if [ "$name" = lock_contend ]; then
    "$WR" "$tr" >"$d/report.txt" 2>"$d/report_txt.err"
    rc=$?
    t "$name: waitreport (text) exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/report_txt.err"
    t "$name: text report mentions worker" grep -q worker "$d/report.txt"
    cp "$tr" "$tmp/lock_contend.bin"
  fi
done

# Default output: no WAIT_OUTPUT, wait.<pid>.bin in the working directory,
# mode 0600, announced in exactly one line on stderr.
d=$tmp/default
mkdir -p "$d/cwd"
(cd "$d/cwd" && traced "$d/traced" "" "$root/examples/lock_contend")
same_run default "$tmp/lock_contend/native" "$d/traced"
shopt -s nullglob
files=("$d"/cwd/*)
shopt -u nullglob
if [ "${#files[@]}" -eq 1 ] && [[ $(basename "${files[0]}") =~ ^wait\.([0-9]+)\.bin$ ]]; then
  tb=$(basename "${files[0]}")
  fpid=${BASH_REMATCH[1]}
  ok "default: one wait.<pid>.bin in the working directory ($tb)"
  t "default: trace mode is 0600" [ "$(mode_of "${files[0]}")" = 600 ]
  t "default: stderr is exactly one line" [ "$(wc -l <"$d/traced.err")" = 1 ] || show "$d/traced.err"
  t "default: the stderr line names $tb" grep -q "wait\.$fpid\.bin" "$d/traced.err"
  "$WR" --json "${files[0]}" >"$d/report.json" 2>/dev/null
  t "default: report pid is the one in the file name" [ "$(json_pid "$d/report.json")" = "$fpid" ]
else
  notok "default: one wait.<pid>.bin in the working directory (got: $(ls "$d/cwd" | tr '\n' ' '))"
  show "$d/traced.err"
fi

# O_EXCL|O_NOFOLLOW: a symlink at WAIT_OUTPUT is never written through.
d=$tmp/symlink
mkdir -p "$d"
printf 'precious\n' >"$d/target"
ln -s "$d/target" "$d/trace.bin"
traced "$d/traced" "$d/trace.bin" examples/lock_contend
same_run symlink "$tmp/lock_contend/native" "$d/traced"
t "symlink: target is not overwritten" [ "$(cat "$d/target")" = precious ]
t "symlink: the symlink itself is left in place" [ -L "$d/trace.bin" ]
echo "# symlink: directory now holds: $(ls "$d" | tr '\n' ' ')"

ln -s "$d/absent" "$d/dangling.bin"
traced "$d/dangling" "$d/dangling.bin" examples/lock_contend
same_run dangling "$tmp/lock_contend/native" "$d/dangling"
t "dangling symlink: its target is not created" [ ! -e "$d/absent" ]

fi

# the wait/CPU split's known answers
section split && . "$root/tests/integration/split.sh"
# symbols of a clang-built program
section clang && . "$root/tests/integration/clang.sh"
# a library loaded with dlopen after start
section dlopen && . "$root/tests/integration/dlopen.sh"

section stacks && . "$root/tests/integration/stacks.sh"

section record && . "$root/tests/integration/record.sh"
# waitreport diff and its gate
section diff && . "$root/tests/integration/diff.sh"
# folded stacks, Chrome trace, several processes
section exports && . "$root/tests/integration/exports.sh"
# --pprof: profile.proto, read back by go tool pprof
section pprof && . "$root/tests/integration/pprof.sh"
# a directory of 2,001 traces in bounded time and memory
section many && . "$root/tests/integration/many.sh"
# bytes per site, thread filters and --merge line
section report && . "$root/tests/integration/report.sh"
# the HTML report in headless Chromium
section html && . "$root/tests/integration/html.sh"
# fork/exec/spawn, abnormal ends, threads, signals
section safety && . "$root/tests/integration/safety.sh"
# full disk, bad paths and values, no perf, setuid, secrets
section failures && . "$root/tests/integration/failures.sh"
# fd 2 taken, low fd limits, siglongjmp out of wrapped calls, fork in a handler
section hostile && . "$root/tests/integration/hostile.sh"
# real programs under the preload
section programs && . "$root/tests/integration/programs.sh"
# condvars, rwlocks, semaphores, spinlocks, joins, barriers
section waits_sync && . "$root/tests/integration/waits_sync.sh"
# the lock lists: locks that made a thread wait, rows merged as shown,
# names fitted; untimed quantiles; what the trace file's bytes hold
section locks && . "$root/tests/integration/locks.sh"
# the warning that libwait's own time distorts the timings
section distort && . "$root/tests/integration/distort.sh"
# waitreport top, run-time control and marks
section top && . "$root/tests/integration/top.sh"
# polls, I/O, sleeps, mmap and stdio at known sites; redis's event loop
section waits_io && . "$root/tests/integration/waits_io.sh"
# make install/uninstall into a staged tree: files, man pages, libwait.pc, record
section install && . "$root/tests/integration/install.sh"
# names for stripped programs: --debuginfo-path, .debug, debuginfod
section debuginfo && . "$root/tests/integration/debuginfo.sh"
# what wakers need: releasing calls, fd identities, thread births and ends
section wake && . "$root/tests/integration/wake.sh"
# the flight recorder (WAIT_MAX_SIZE): a capped trace keeps the run's end
section flight && . "$root/tests/integration/flight.sh"
# time windows (--since, --until) of every output
section window && . "$root/tests/integration/window.sh"

finish
