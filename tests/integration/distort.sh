# distort.sh: the warning that libwait's own time distorts the timings
# (sourced by run.sh, which provides t/ok/notok/native/traced/same_run and
# $tmp, $WR). Both cases sit far from the 25% threshold, so load on the
# machine cannot move them across it: distort_helper spends most of its
# thread time in libwait's stack walks (every call has a stack of its own),
# lock_contend hold about 0.1% (three threads that mostly sleep or wait, a
# handful of calls).
. "$root/tests/integration/lib.sh"
d=$tmp/distort; mkdir -p "$d"

# every call of distort_helper has a new stack: a walk and a stack record
native "$d/deep.n" build/tests/distort_helper
traced "$d/deep.p" "$d/deep.bin" build/tests/distort_helper
same_run "distort deep" "$d/deep.n" "$d/deep.p"
report "distort deep" "$d/deep.bin"
expect "distort deep" "$d/deep.bin.json" distorted=true self_share'>=0.5' distort_threshold=0.25 malloc@bottom=20000
"$WR" "$d/deep.bin" >"$d/deep.txt" 2>"$d/deep.err"
t "distort deep: the text report's second line is the warning" \
  grep -q "^WARNING: timings distorted: libwait's own time is [0-9]*% of the process's thread time" \
  <(sed -n 2p "$d/deep.txt") || show "$d/deep.txt"
"$WR" --html "$d/deep.html" "$d/deep.bin" 2>"$d/err"
t "distort deep: --html exits 0" [ $? = 0 ] || show "$d/err"
t "distort deep: the HTML banner comes right after the title" \
  grep -q '^<div id="distortion" class="distorted"' <(sed -n '/<h1>/{n;p;q}' "$d/deep.html")
t "distort deep: the banner says the share" grep -q 'Timings distorted: libwait.s own time is <span class="share"' \
  "$d/deep.html"

traced "$d/hold.p" "$d/hold.bin" examples/lock_contend hold
t "distort hold: lock_contend hold runs (rc $(cat "$d/hold.p.rc"))" [ "$(cat "$d/hold.p.rc")" = 0 ]
report "distort hold" "$d/hold.bin"
expect "distort hold" "$d/hold.bin.json" distorted=false self_share'<=0.05' 'pthread_mutex_lock@waiter=3'
"$WR" "$d/hold.bin" >"$d/hold.txt" 2>"$d/hold.err"
t "distort hold: no warning in the text report" lacks "WARNING" "$d/hold.txt"
"$WR" --html "$d/hold.html" "$d/hold.bin" 2>"$d/err"
t "distort hold: no banner in the HTML report" lacks 'id="distortion"' "$d/hold.html"

# several traces: the listing at the top marks the distorted process only
mkdir -p "$d/both" && cp "$d/deep.bin" "$d/hold.bin" "$d/both/"
"$WR" "$d/both" >"$d/both.txt" 2>"$d/both.err"
t "distort both: the listing marks distort_helper" \
  grep -q "distort_helper \[WARNING: timings distorted, libwait [0-9]*%\]" "$d/both.txt" || show "$d/both.txt"
t "distort both: the listing does not mark lock_contend" lacks "lock_contend hold \[WARNING" "$d/both.txt"
