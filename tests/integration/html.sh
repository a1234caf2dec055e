# html.sh: `waitreport --html` rendered by headless Chromium (sourced by
# run.sh). Where chromium is missing the rendering checks are skipped with
# one line (run.sh's need), and fail under CI.
d=$tmp/html; mkdir -p "$d"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
traced "$d/hold.p" "$d/hold.bin" examples/lock_contend hold
"$WR" --html "$d/hold.html" "$d/hold.bin" 2>"$d/err"
t "html: --html FILE exits 0" [ $? = 0 ] || show "$d/err"
mkdir -p "$d/fe"
traced "$d/fe.p" "$d/fe/fe.%p.bin" examples/fork_exec
"$WR" --html "$d/fe.html" "$d/fe" 2>"$d/err"
t "html: --html of a directory of 3 traces exits 0" [ $? = 0 ] || show "$d/err"
# long C++ names (cpp_waits); named threads with known work (report_helper)
traced "$d/cpp.p" "$d/cpp.bin" examples/cpp_waits
"$WR" --html "$d/cpp.html" "$d/cpp.bin" 2>"$d/err"
t "html: --html of cpp_waits exits 0" [ $? = 0 ] || show "$d/err"
traced "$d/rh.p" "$d/rh.bin" build/tests/report_helper
"$WR" --html "$d/rh.html" "$d/rh.bin" 2>"$d/err" && "$WR" --json "$d/rh.bin" >"$d/rh.json" 2>>"$d/err" &&
  "$WR" --html "$d/rhw.html" --thread lw_writer "$d/rh.bin" 2>>"$d/err"
t "html: --html and --json of report_helper, and --html --thread lw_writer, exit 0" [ $? = 0 ] || show "$d/err"
# the wait-for graph: wake_helper pipe's chain of threads (A <- B <- C)
traced "$d/wk.p" "$d/wk.bin" build/tests/wake_helper pipe
"$WR" --html "$d/wk.html" "$d/wk.bin" 2>"$d/err" && "$WR" --json "$d/wk.bin" >"$d/wk.json" 2>>"$d/err"
t "html: --html and --json of wake_helper pipe exit 0" [ $? = 0 ] || show "$d/err"
if [ -z "$CHROMIUM" ]; then
  need chromium chromium
else
  copts=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --hide-scrollbars)
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" \
    --dump-dom "file://$d/hold.html" >"$d/hold.dom" 2>"$d/chromium.err"
  t "html: chromium --dump-dom ran (rc $?)" [ -s "$d/hold.dom" ] || show "$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" --window-size=1280,900 \
    --screenshot="$d/hold.png" "file://$d/hold.html" >/dev/null 2>>"$d/chromium.err"
  t "html: chromium --screenshot ran" [ -s "$d/hold.png" ] || show "$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" \
    --dump-dom "file://$d/fe.html" >"$d/fe.dom" 2>>"$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" \
    --dump-dom "file://$d/hold.html#zoom=waiter" >"$d/zoom.dom" 2>>"$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" --window-size=1400,900 \
    --dump-dom "file://$d/cpp.html" >"$d/cpp.dom" 2>>"$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" \
    --dump-dom "file://$d/rh.html" >"$d/rh.dom" 2>>"$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" \
    --dump-dom "file://$d/rh.html#kind=cpu" >"$d/rhcpu.dom" 2>>"$d/chromium.err"
  timeout -k 5 90 "$CHROMIUM" "${copts[@]}" --user-data-dir="$(mktemp -d "$d/prof.XXXX")" --enable-logging=stderr \
    --v=0 --dump-dom "file://$d/wk.html" >"$d/wk.dom" 2>"$d/wk.chromium.err"
  (
    python3 tests/integration/html_check.py --waitgraph "$d/wk.html" "$d/wk.json" "$d/wk.dom" "$d/wk.chromium.err"
    c0=$?
    python3 tests/integration/html_check.py "$d/hold.html" "$d/hold.dom" "$d/hold.png" "$d/fe.dom" "$d/zoom.dom"
    c1=$?
    python3 tests/integration/html_check.py --width "$d/cpp.dom"
    c2=$?
    python3 tests/integration/html_check.py --flame "$d/rh.html" "$d/rh.json" "$d/rhcpu.dom"
    c3=$?
    python3 tests/integration/html_check.py --threads "$d/rh.dom" "$d/rh.json" "$d/rhw.html"
    exit $((c0 | c1 | c2 | c3 | $?))
  ) >"$d/check.txt" 2>&1
  crc=$?
  while IFS= read -r line; do
    case $line in "ok - "*) ok "${line#ok - }" ;; "not ok - "*) notok "${line#not ok - }" ;; *) echo "# $line" ;; esac
  done <"$d/check.txt"
  [ "$crc" = 0 ] || grep -q '^not ok' "$d/check.txt" || notok "html: html_check.py ran (rc $crc)"
fi
