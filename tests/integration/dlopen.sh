# dlopen.sh: a library loaded after start is in the load map, so its frames
# symbolize (sourced by run.sh).
d=$tmp/dlopen; mkdir -p "$d"
traced "$d/run" "$d/t.bin" build/tests/dlopen_helper
t "dlopen: helper ran" grep -q "deflate ok" "$d/run.out"
"$WR" --json "$d/t.bin" >"$d/t.json"
t "dlopen: malloc inside libz resolves to deflateInit_ in libz.so.1" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(f["module"].startswith("libz.so") and f["function"].startswith("deflateInit")
                  for s in d["sites"] if s["family"] == "malloc" for f in s["stack"]) else 1)' "$d/t.json"
