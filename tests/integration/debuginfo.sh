# debuginfo.sh: names for a stripped program (sourced by run.sh). The
# helper's debug information is split off as Debian's -dbgsym packages
# have it (objcopy --only-keep-debug into .build-id/xx/rest.debug), the
# program is stripped and traced, and waitreport finds the names and lines
# again through --debuginfo-path, through the default .debug directory
# beside the program, and from a debuginfod server (a local HTTP server
# holding the file). Without any of them it names what .dynsym has and
# gives the others' module and offset.
. "$root/tests/integration/lib.sh"
if need objcopy binutils && need strip binutils; then
  d=$tmp/debuginfo
  mkdir -p "$d/a" "$d/b/.debug"
  src=tests/helpers/strip_helper.c
  le=$(grep -n 'site: exported' "$src" | cut -d: -f1)
  ll=$(grep -n 'site: local' "$src" | cut -d: -f1)
  full=build/tests/strip_helper
  bid=$(readelf -n "$full" | awk '/Build ID/ {print $3}')
  mkdir -p "$d/dbg/.build-id/${bid:0:2}"
  objcopy --only-keep-debug "$full" "$d/dbg/.build-id/${bid:0:2}/${bid:2}.debug"
  strip -o "$d/a/strip_helper" "$full"
  t "debuginfo: the stripped helper has no .symtab and no DWARF" \
    [ -z "$(readelf -S "$d/a/strip_helper" | grep -E '\.symtab|\.debug_')" -a -n "$bid" ]
  # strip_local's code range in the unstripped helper: the known answer
  # for the offset the stripped one is named by.
  read -r lo size < <(nm -S "$full" | awk '$4 == "strip_local" {print $1, $2}')

  traced "$d/a/run" "$d/a/t.bin" "$d/a/strip_helper"
  t "debuginfo: the stripped helper runs under the preload" [ "$(cat "$d/a/run.rc")" = 0 ] || show "$d/a/run.err"
  wr() { env -u DEBUGINFOD_URLS "$WR" "$@"; }

  (cd "$d" && wr --no-color --debuginfo-path dbg a/t.bin) >"$d/named.txt" 2>"$d/named.err"
  t "debuginfo: --debuginfo-path dbg (relative): strip_exported at strip_helper.c:$le" \
    grep -q "^    at strip_exported (strip_helper.c:$le)$" "$d/named.txt" || show "$d/named.txt"
  t "debuginfo: --debuginfo-path dbg: strip_local (static) at strip_helper.c:$ll" \
    grep -q "^    at strip_local (strip_helper.c:$ll)$" "$d/named.txt"
  t "debuginfo: --debuginfo-path: main is named too" grep -q "^    <- main (strip_helper.c:" "$d/named.txt"
  t "debuginfo: --debuginfo-path: no sanitizer complaint" lacks "runtime error\|Sanitizer" "$d/named.err"
  wr diff --no-color --debuginfo-path "$d/dbg" "$d/a/t.bin" "$d/a/t.bin" >"$d/diff.txt" 2>&1
  t "debuginfo: waitreport diff --debuginfo-path names strip_local" grep -q "at strip_local (strip_helper.c:$ll)" \
    "$d/diff.txt" || show "$d/diff.txt"
  wr top --once --debuginfo-path "$d/dbg" "$d/a/t.bin" >"$d/top.txt" 2>&1
  t "debuginfo: waitreport top --debuginfo-path names strip_local" grep -q "strip_local (strip_helper.c:$ll)" \
    "$d/top.txt" || show "$d/top.txt"
  # The default path stays after the option: where this system has the
  # debug file of its libc in /usr/lib/debug (libc6-dbg), libc's frames
  # keep their source lines.
  libc=$(ldd "$full" | awk '/libc\.so/ {print $3}')
  lbid=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ {print $3}')
  if [ -n "$lbid" ] && [ -f "/usr/lib/debug/.build-id/${lbid:0:2}/${lbid:2}.debug" ]; then
    t "debuginfo: with --debuginfo-path, libc's frames are still named from /usr/lib/debug" \
      grep -q "^    <- __libc_start_call_main (libc_start_call_main.h:[0-9]*)$" "$d/named.txt"
  else
    echo "# debuginfo: no /usr/lib/debug file for $libc (libc6-dbg): the /usr/lib/debug check is left out"
  fi

  wr --no-color "$d/a/t.bin" >"$d/bare.txt" 2>"$d/bare.err"
  rc=$?
  t "debuginfo: no debug file: waitreport exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/bare.err"
  t "debuginfo: no debug file: no sanitizer complaint" lacks "runtime error\|Sanitizer" "$d/bare.err"
  t "debuginfo: no debug file: strip_exported is named from .dynsym, without a line" \
    grep -q "^    at strip_exported (strip_helper+0x[0-9a-f]*)$" "$d/bare.txt" || show "$d/bare.txt"
  off=$(sed -n 's/^    at ?? (strip_helper+0x\([0-9a-f]*\))$/\1/p' "$d/bare.txt" | head -1)
  inside=no
  [ -n "$off" ] && [ -n "$lo" ] && [ $((0x$off - 1)) -ge $((0x$lo)) ] && [ $((0x$off - 1)) -lt $((0x$lo + 0x$size)) ] &&
    inside=yes
  t "debuginfo: no debug file: strip_local is ?? at strip_helper+0x$off, inside strip_local (0x$lo, $((0x${size:-0})) bytes)" \
    [ "$inside" = yes ] || show "$d/bare.txt"

  # The default .debug directory beside the program, found by the
  # .gnu_debuglink name, also when --debuginfo-path names another place.
  cp "$d/dbg/.build-id/${bid:0:2}/${bid:2}.debug" "$d/b/.debug/strip_helper.debug"
  objcopy --add-gnu-debuglink="$d/b/.debug/strip_helper.debug" "$d/a/strip_helper" "$d/b/strip_helper"
  traced "$d/b/run" "$d/b/t.bin" "$d/b/strip_helper"
  wr --no-color --debuginfo-path "$d/empty" "$d/b/t.bin" >"$d/b/named.txt" 2>&1
  t "debuginfo: .debug/ beside the program (default path, kept after the option): strip_local at strip_helper.c:$ll" \
    grep -q "^    at strip_local (strip_helper.c:$ll)$" "$d/b/named.txt" || show "$d/b/named.txt"

  # debuginfod: a local server holding the debug file by build-id, the
  # protocol's /buildid/ID/debuginfo. libdw loads libdebuginfod.so.1.
  if ldconfig -p | grep -q 'libdebuginfod\.so\.1 '; then
    mkdir -p "$d/srv/buildid/$bid"
    cp "$d/dbg/.build-id/${bid:0:2}/${bid:2}.debug" "$d/srv/buildid/$bid/debuginfo"
    python3 -c '
import functools, http.server, os, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()' "$d/srv" "$d/port" 2>"$d/srv.log" &
    srv=$!
    for _ in $(seq 50); do [ -s "$d/port" ] && break; sleep 0.1; done
    port=$(cat "$d/port" 2>/dev/null)
    DEBUGINFOD_URLS=http://127.0.0.1:$port DEBUGINFOD_CACHE_PATH=$d/cache DEBUGINFOD_TIMEOUT=10 \
      "$WR" --no-color "$d/a/t.bin" >"$d/dfd.txt" 2>"$d/dfd.err"
    kill "$srv" 2>/dev/null
    wait "$srv" 2>/dev/null
    t "debuginfo: DEBUGINFOD_URLS: strip_local at strip_helper.c:$ll, from the server" \
      grep -q "^    at strip_local (strip_helper.c:$ll)$" "$d/dfd.txt" || { show "$d/dfd.txt"; show "$d/dfd.err"; }
    t "debuginfo: DEBUGINFOD_URLS: the server was asked for the helper's build-id" \
      grep -q "GET /buildid/$bid/debuginfo HTTP/1.1\" 200" "$d/srv.log" || show "$d/srv.log"
  elif [ "${CI:-}" = true ] || [ "${LW_NO_SKIP:-0}" = 1 ]; then
    notok "libdebuginfod.so.1 is installed (Debian package libdebuginfod1; sudo make deps installs it)"
  else
    echo "# SKIP: libdebuginfod.so.1 is not installed, the debuginfod check is skipped (Debian package libdebuginfod1)"
    skipped=$((skipped + 1))
  fi
fi
