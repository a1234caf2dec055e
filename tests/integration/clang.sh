# clang.sh: a program built by clang (no .debug_aranges) still symbolizes
# to file:line (sourced by run.sh).
if need clang clang; then
  d=$tmp/clang; mkdir -p "$d"
  clang -g -O1 -fno-omit-frame-pointer -pthread examples/pipe_rw.c -o "$d/pipe_rw"
  traced "$d/run" "$d/t.bin" "$d/pipe_rw"
  "$WR" --json "$d/t.bin" >"$d/t.json"
  t "clang build: the write site resolves to producer at pipe_rw.c with a line" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [s for s in d["sites"] if s["function"] == "write" and s["stack"] and s["stack"][0]["function"] == "producer"]
f = s[0]["stack"][0] if s else {}
sys.exit(0 if (f.get("file") or "").endswith("pipe_rw.c") and f.get("line", 0) > 0 else 1)' "$d/t.json"
fi
