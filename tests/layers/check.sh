#!/bin/bash
# check.sh [DIR]: the analyzer's layering rules, over DIR (default
# analyzer/ of this tree). Data flows one way, trace -> model -> analyses ->
# output -> cmd -> main.c, so a file may include headers of its own layer
# and of the layers before it, never of a later one; and no .c or .h file is
# longer than 600 lines. Prints each breach and exits 1 on any.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/analyzer}
max=600

rank() {
    case $1 in
    trace/*) echo 1 ;;
    model/*) echo 2 ;;
    analyses/*) echo 3 ;;
    output/*) echo 4 ;;
    cmd/*) echo 5 ;;
    main.c) echo 6 ;;
    *) echo 0 ;;
    esac
}

fail=0
cd "$dir" || exit 2
while IFS= read -r f; do
    f=${f#./}
    r=$(rank "$f")
    if [ "$r" = 0 ]; then
        echo "layers: $f is in no layer (trace/ model/ analyses/ output/ cmd/, or main.c)"
        fail=1
    fi
    n=$(wc -l <"$f")
    if [ "$n" -gt $max ]; then
        echo "layers: $f has $n lines (at most $max: split it by job)"
        fail=1
    fi
    while IFS= read -r inc; do
        case $inc in */*) ;; *) continue ;; esac # <system.h> and include/lw_*.h
        ir=$(rank "$inc")
        if [ "$ir" -gt "$r" ]; then
            echo "layers: $f includes $inc, a later layer"
            fail=1
        fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(find . -name '*.[ch]' | sort)
exit $fail
