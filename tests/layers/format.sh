#!/bin/bash
# format.sh (make layers): every C file and header git tracks is as
# .clang-format lays it out (clang-format --dry-run). Prints each file that
# is not, with the command that fixes it, and exits 1 on any. Without
# clang-format (`make deps` installs it) it says so and passes: formatting
# is not behaviour.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
if ! command -v clang-format >/dev/null; then
    echo "format: clang-format not installed (make deps); not checked"
    exit 0
fi
bad=0
for f in $(git ls-files '*.c' '*.h'); do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "format: $f differs from .clang-format (clang-format -i $f)"
        bad=1
    fi
done
[ $bad = 0 ] && echo "format: every C file and header as .clang-format lays it out"
exit $bad
