# install.sh: `make install` and `make uninstall` into a staged tree
# (DESTDIR), as a packager runs them, and what the installed files do there:
# the man pages, libwait.pc, a program built against the installed header,
# and the installed `waitreport record` finding the installed libwait.so
# (sourced by run.sh).
d=$tmp/install
stage=$d/stage
mkdir -p "$d"
MK=${MAKE:-make}
pre=$stage/usr/local

"$MK" -s -C "$root" install DESTDIR="$stage" PREFIX=/usr/local >"$d/install.out" 2>&1
rc=$?
t "install: make install DESTDIR=... PREFIX=/usr/local exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/install.out"
printf '%s\n' ./usr/local/bin/waitreport ./usr/local/include/libwait.h ./usr/local/lib/libwait/libwait.so \
  ./usr/local/lib/pkgconfig/libwait.pc ./usr/local/share/man/man1/waitreport.1 \
  ./usr/local/share/man/man7/libwait.7 >"$d/files.want"
(cd "$stage" && find . \( -type f -o -type l \) | LC_ALL=C sort) >"$d/files.got"
t "install: exactly bin/waitreport, lib/libwait/libwait.so, include/libwait.h, lib/pkgconfig/libwait.pc and the two man pages" \
  cmp -s "$d/files.want" "$d/files.got" || show "$d/files.got"
modes=$(cd "$stage" && while read -r f; do mode_of "$f"; done <"$d/files.want" | tr '\n' ' ')
t "install: waitreport is mode 755, the other files 644 (got $modes)" [ "$modes" = "755 644 644 644 644 644 " ]
t "install: the installed waitreport is the built one" cmp -s "$WR" "$pre/bin/waitreport"
t "install: the installed libwait.so is the built one" cmp -s "$LIB" "$pre/lib/libwait/libwait.so"

# The installed waitreport record finds the installed libwait.so, by its
# path relative to the staged binary (not the build tree's).
(cd "$d" && "$pre/bin/waitreport" record -o "$d/rec.%p.bin" -- env) >"$d/rec.out" 2>"$d/rec.err"
rc=$?
t "install: the installed waitreport record exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/rec.err"
t "install: record preloads the installed lib/libwait/libwait.so" \
  grep -qx "LD_PRELOAD=$pre/lib/libwait/libwait.so" "$d/rec.out" || { grep LD_PRELOAD "$d/rec.out" >"$d/rec.env"; show "$d/rec.env"; }
t "install: record names the trace it wrote" grep -q "^waitreport record: trace $d/rec\.[0-9]*\.bin$" "$d/rec.err" ||
  show "$d/rec.err"

# Man pages: groff's warnings (-ww) where groff is installed, and always the
# sections, and every option of `waitreport --help` and its subcommands'
# and every variable of README's Environment table named in them.
man1=$pre/share/man/man1/waitreport.1
man7=$pre/share/man/man7/libwait.7
if need groff groff-base; then
  for m in "$man1" "$man7"; do
    groff -man -ww -z -Tutf8 "$m" >"$d/groff.err" 2>&1
    t "install: $(basename "$m") formats without a groff warning" [ ! -s "$d/groff.err" ] || show "$d/groff.err"
  done
fi
t "install: waitreport.1 has .TH WAITREPORT 1" grep -q '^\.TH WAITREPORT 1 ' "$man1"
t "install: libwait.7 has .TH LIBWAIT 7" grep -q '^\.TH LIBWAIT 7 ' "$man7"
: >"$d/man1.missing"
for s in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
  grep -qx "\.SH $s" "$man1" || echo "$s" >>"$d/man1.missing"
done
t "install: waitreport.1 has every section (NAME ... SEE ALSO)" [ ! -s "$d/man1.missing" ] || show "$d/man1.missing"
: >"$d/man7.missing"
for s in NAME SYNOPSIS DESCRIPTION ENVIRONMENT SIGNALS API FILES EXAMPLES "SEE ALSO"; do
  grep -qx "\.SH $s" "$man7" || echo "$s" >>"$d/man7.missing"
done
t "install: libwait.7 has every section (NAME ... SEE ALSO)" [ ! -s "$d/man7.missing" ] || show "$d/man7.missing"
sed 's/\\-/-/g' "$man1" >"$d/man1.txt"
for sub in "" diff top record ctl; do
  # shellcheck disable=SC2086
  "$WR" $sub --help 2>/dev/null
done | grep -oE '(^|[ [|])--?[a-z][a-z-]*' | sed 's/^[ [|]//' | sort -u >"$d/help.opts"
: >"$d/man1.lacks"
while read -r o; do
  grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" "$d/man1.txt" || echo "$o" >>"$d/man1.lacks"
done <"$d/help.opts"
t "install: waitreport.1 names all $(wc -l <"$d/help.opts") options of the --help texts" \
  [ -s "$d/help.opts" -a ! -s "$d/man1.lacks" ] || show "$d/man1.lacks"
sed -n '/^## Environment/,/^## /p' README.md | grep -o '^| `WAIT_[A-Z_]*`' | tr -d '|` ' >"$d/env.vars"
: >"$d/man7.lacks"
while read -r v; do grep -q "^\.B $v$" "$man7" || echo "$v" >>"$d/man7.lacks"; done <"$d/env.vars"
t "install: libwait.7 describes all $(wc -l <"$d/env.vars") WAIT_ variables of README's Environment table" \
  [ "$(wc -l <"$d/env.vars")" -ge 6 -a ! -s "$d/man7.lacks" ] || show "$d/man7.lacks"

# libwait.pc: the staged tree is the sysroot, so its paths are the staged
# files; PKG_CONFIG_LIBDIR keeps any libwait.pc of the system out.
if need pkg-config pkg-config; then
  pc() { PKG_CONFIG_LIBDIR=$pre/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage pkg-config "$@"; }
  cflags=$(pc --cflags libwait 2>"$d/pc.err" | sed 's/ *$//')
  t "install: pkg-config --cflags libwait is -I of the installed include/ (got '$cflags')" \
    [ "$cflags" = "-I$pre/include" ] || show "$d/pc.err"
  t "install: pkg-config --libs libwait is empty (header only)" [ -z "$(pc --libs libwait | tr -d ' ')" ]
  t "install: pkg-config --variable=preload libwait is the installed libwait.so" \
    [ "$(pc --variable=preload libwait)" = "$pre/lib/libwait/libwait.so" ]
  t "install: libwait.pc's Version is the Makefile's" grep -qx 'Version: [0-9][0-9.]*' "$pre/lib/pkgconfig/libwait.pc"
  # A program built against the installed header alone: it pauses nothing
  # natively, and under the installed preload started paused it sees the
  # pause and leaves a mark.
  cat >"$d/api.c" <<'EOF'
#include <libwait.h>
#include <stdio.h>
int main(void)
{
    libwait_mark("installed");
    printf("paused %d\n", libwait_paused());
    return 0;
}
EOF
  # shellcheck disable=SC2046
  cc -Wall -Wextra -Werror $(pc --cflags --libs libwait) "$d/api.c" -o "$d/api" 2>"$d/api.err"
  t "install: a program includes <libwait.h> with pkg-config's flags alone" [ -x "$d/api" ] || show "$d/api.err"
  t "install: without the preload libwait_paused() is 0" [ "$("$d/api")" = "paused 0" ]
  out=$(WAIT_START=0 WAIT_OUTPUT=$d/api.bin LD_PRELOAD=$pre/lib/libwait/libwait.so "$d/api")
  t "install: under the installed preload with WAIT_START=0 libwait_paused() is 1 (got '$out')" [ "$out" = "paused 1" ]
  "$pre/bin/waitreport" --json "$d/api.bin" >"$d/api.json" 2>"$d/api.json.err"
  t "install: the installed waitreport reads its trace with the mark 'installed'" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["marks"]
sys.exit(0 if [x for x in m if x["kind"] == "mark" and x["name"] == "installed"] else 1)' "$d/api.json" ||
    show "$d/api.json.err"
fi

# Another PREFIX: the files and libwait.pc follow it.
"$MK" -s -C "$root" install DESTDIR="$d/opt" PREFIX=/opt/lw >"$d/opt.out" 2>&1
t "install: PREFIX=/opt/lw puts waitreport in /opt/lw/bin and libwait.pc says prefix=/opt/lw" \
  [ -x "$d/opt/opt/lw/bin/waitreport" -a -f "$d/opt/opt/lw/lib/libwait/libwait.so" ] &&
  grep -qx 'prefix=/opt/lw' "$d/opt/opt/lw/lib/pkgconfig/libwait.pc"

"$MK" -s -C "$root" uninstall DESTDIR="$stage" PREFIX=/usr/local >"$d/uninstall.out" 2>&1
rc=$?
t "install: make uninstall exits 0 (rc $rc)" [ "$rc" = 0 ] || show "$d/uninstall.out"
t "install: make uninstall leaves no file and no lib/libwait directory" \
  [ -z "$(find "$stage" \( -type f -o -type l \))" -a ! -e "$pre/lib/libwait" ]
