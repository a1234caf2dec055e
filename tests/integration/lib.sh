# lib.sh: checks shared by safety.sh, failures.sh and programs.sh (sourced
# by them; run.sh provides t/ok/notok/show and $WR).
EXPECT=$root/tests/integration/expect.py

# relay PREFIX FILE: turn ok/not ok lines of FILE into checks
relay() {
  local p=$1 line
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "$p: ${line#ok - }" ;;
      "not ok - "*) notok "$p: ${line#not ok - }" ;;
      *) echo "# $line" ;;
    esac
  done <"$2"
}
# check_relay PREFIX SCRIPT OUT ARGS...: python3 SCRIPT ARGS into OUT, its
# ok/not ok lines as checks (one failure when it printed none)
check_relay() {
  local p=$1 s=$2 o=$3; shift 3
  python3 "$s" "$@" >"$o" 2>&1
  relay "$p" "$o"
  grep -q '^ok - \|^not ok - ' "$o" || { notok "$p: $(basename "$s") $1 ran"; show "$o"; }
}
# lacks PATTERN FILE: FILE has no line matching PATTERN
lacks() { ! grep -q "$1" "$2"; }
# report NAME TRACE: waitreport --json TRACE > TRACE.json; must exit 0
# without a sanitizer complaint (under `make asan test`)
report() {
  "$WR" --json "$2" >"$2.json" 2>"$2.err"
  local rc=$?
  t "$1: waitreport exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$2.err"
  t "$1: waitreport has no sanitizer complaint" lacks "runtime error\|Sanitizer" "$2.err"
}
# expect NAME JSON ASSERTION...: exact expectations (see expect.py)
expect() {
  local n=$1 j=$2; shift 2
  python3 "$EXPECT" "$j" "$@" >"$j.expect" 2>&1
  relay "$n" "$j.expect"
  grep -q '^ok - \|^not ok - ' "$j.expect" || notok "$n: expect.py ran"
}
