# record.sh: `waitreport record`, the launcher (sourced by run.sh, which
# provides t/ok/notok/native/same_run and $tmp, $WR).
. "$root/tests/integration/lib.sh"
d=$tmp/record; mkdir -p "$d/run"

# the program's stdout and exit status are its own; the trace lands where
# -o says, made absolute, and is named on stderr
native "$d/lc.n" examples/lock_contend
(cd "$d/run" && timeout -k 5 "$TMO" "$WR" record -o traces.%p.bin -- "$root/examples/lock_contend" \
  >"$d/lc.p.out" 2>"$d/lc.p.err"; echo $? >"$d/lc.p.rc")
same_run "record" "$d/lc.n" "$d/lc.p"
tr=$(sed -n 's/^waitreport record: trace //p' "$d/lc.p.err")
t "record: names one trace on stderr ($tr)" [ -n "$tr" ] && [ "$(printf '%s\n' "$tr" | wc -l)" = 1 ]
t "record: the trace is an absolute path in the directory it ran in" [ "${tr#"$d/run/traces."}" != "$tr" ]
report "record" "$tr"
expect "record" "$tr.json" 'pthread_mutex_lock@worker>=1000' complete=true

# a relative pattern stays in the launcher's directory after the program
# changes directory, for it and its children
(cd "$d/run" && "$WR" record -o cd.%p.bin -- sh -c 'cd / && exec "$0"' "$root/examples/work" \
  >/dev/null 2>"$d/cd.err")
t "record: a child that changed directory still writes beside the launcher" \
  grep -q "^waitreport record: trace $d/run/cd\.[0-9]*\.bin" "$d/cd.err"

# exit status: the program's own, and 128 + N for a signal
"$WR" record -o "$d/x.%p.bin" -- sh -c 'exit 7' 2>/dev/null
t "record: exit status 7 passed on ($?)" [ $? = 7 ]
"$WR" record -o "$d/x.%p.bin" -- sh -c 'kill -TERM $$' 2>/dev/null
rc=$?
t "record: a program ended by SIGTERM gives 143 ($rc)" [ "$rc" = 143 ]
"$WR" record -o "$d/x.%p.bin" -- "$d/no-such-program" 2>"$d/nf.err"
rc=$?
t "record: a missing program gives 127 and says so ($rc)" [ "$rc" = 127 ] && grep -q "no-such-program" "$d/nf.err"
# stdin reaches the program
out=$(printf 'abc\n' | "$WR" record -o "$d/x.%p.bin" -- cat 2>/dev/null)
t "record: stdin reaches the program" [ "$out" = abc ]

# without the launcher: a relative WAIT_OUTPUT is made absolute in the first
# process, so an exec'd image that changed directory first writes beside it
mkdir -p "$d/rel"
(cd "$d/rel" && timeout -k 5 "$TMO" env WAIT_OUTPUT=rel.%p.bin LD_PRELOAD="$LIB" \
  sh -c 'cd / && exec "$0"' "$root/examples/work" >/dev/null 2>"$d/rel.err")
t "relative WAIT_OUTPUT: the shell and the program it exec'd after cd / both write in the first directory" \
  [ "$(ls "$d/rel" | grep -cE '^rel\.[0-9]+(\.1)?\.bin$')" = 2 ]
t "relative WAIT_OUTPUT: nothing said on stderr" [ ! -s "$d/rel.err" ]

# a command line with a newline and a tab is shown on one line, escaped,
# in the report's header and in the listing of several processes
mkdir -p "$d/nl"
timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/nl/a.bin" sh -c 'true
true	x' 2>/dev/null
timeout -k 5 "$TMO" env LD_PRELOAD="$LIB" WAIT_OUTPUT="$d/nl/b.bin" examples/work >/dev/null 2>&1
"$WR" "$d/nl/a.bin" >"$d/nl.one" 2>/dev/null
t "command line: the header is one line, with \\n and \\t escaped" \
  grep -q '^libwait report: sh -c true\\ntrue\\tx (pid' "$d/nl.one"
"$WR" "$d/nl" >"$d/nl.two" 2>/dev/null
t "command line: the listing of two processes keeps it on one line" \
  grep -q '^  pid [0-9]* .*sh -c true\\ntrue\\tx' "$d/nl.two"

# the traces of a chain of 11 execs in one pid are all named, .1 to .11
mkdir -p "$d/chain"
chain='[ "$1" -lt 11 ] && exec sh -c "$0" "$0" "$(($1 + 1))"; echo end'
"$WR" record -o "$d/chain/c.%p.bin" -- sh -c "$chain" "$chain" 0 >/dev/null 2>"$d/chain.err"
n=$(grep -cE "^waitreport record: trace $d/chain/c\.[0-9]+(\.([1-9]|1[01]))?\.bin$" "$d/chain.err")
t "record: a chain of 11 execs: its 12 traces named ($n)" [ "$n" = 12 ]
