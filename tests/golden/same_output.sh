#!/bin/bash
# same_output.sh BASE [TRACE...]: does this tree's waitreport print exactly
# what BASE's (a git revision) printed, for every output of every trace?
#
# A refactor of the analyzer must not change a byte of any report. Stored
# golden files cannot say that on another machine, because symbols come from
# the traced binaries and libraries as they are on disk; so the baseline is
# rebuilt from BASE and both analyzers read the same fresh traces here.
# Without TRACE arguments every example is recorded once. Exits 1 on the
# first difference, naming the output and showing the diff's head.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:?usage: same_output.sh BASE [TRACE...]}
shift
work=$(mktemp -d /tmp/lw-same.XXXXXX)
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1; rm -rf "$work"' EXIT

git -C "$root" worktree add -q --detach "$work/base" "$base" || exit 2
make -s -C "$work/base" waitreport >/dev/null || exit 2
make -s -C "$root" all >/dev/null || exit 2
old=$work/base/waitreport
new=$root/waitreport

traces=("$@")
if [ ${#traces[@]} = 0 ]; then
    for ex in "$root"/examples/*; do
        [ -x "$ex" ] && [ -f "$ex" ] || continue
        n=$(basename "$ex")
        (cd "$work" && WAIT_OUTPUT="$work/$n.bin" LD_PRELOAD="$root/libwait.so" \
            timeout 60 "$ex" >/dev/null 2>&1 </dev/null)
        [ -s "$work/$n.bin" ] && traces+=("$work/$n.bin")
    done
fi

# Each output as a command line after the analyzer's path; @T is the trace
# and @O a file the command writes.
outputs=("--no-color @T" "--no-color --top 0 --frames 8 @T" "--json @T" "--html @O @T"
         "--chrome @O @T" "top --once @T" "diff --no-color @T @T" "diff --json @T @T")
for k in wait cpu blocked runnable total calls bytes; do outputs+=("--folded=$k @T"); done

fail=0 n=0
for t in "${traces[@]}"; do
    for o in "${outputs[@]}"; do
        for side in old new; do
            a=${o//@T/$t}
            a=${a//@O/$work/out}
            rm -f "$work/out"
            bin=$old
            [ $side = new ] && bin=$new
            # shellcheck disable=SC2086
            $bin $a >"$work/$side.stdout" 2>"$work/$side.stderr"
            echo "rc $?" >>"$work/$side.stderr"
            [ -f "$work/out" ] && cat "$work/out" >>"$work/$side.stdout"
        done
        n=$((n + 1))
        if ! cmp -s "$work/old.stdout" "$work/new.stdout" || ! cmp -s "$work/old.stderr" "$work/new.stderr"; then
            echo "DIFFERENT: waitreport $o  (trace $t)"
            diff "$work/old.stdout" "$work/new.stdout" | head -20
            diff "$work/old.stderr" "$work/new.stderr" | head -5
            fail=1
        fi
    done
done
echo "$n outputs compared over ${#traces[@]} traces: $([ $fail = 0 ] && echo identical || echo DIFFERENT)"
exit $fail
