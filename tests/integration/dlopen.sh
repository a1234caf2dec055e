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

# Two libraries with the same code, loaded one after the other's dlclose at
# the same address, then the first again: each call is charged to the
# library that made it (natively 250 calls of work_a, 250 of work_b, 250 of
# work_a, and one constructor call per load).
traced "$d/reload" "$d/reload.bin" build/tests/reload_helper build/tests/libreload_a.so build/tests/libreload_b.so 250
t "reload: libb was loaded where liba had been" grep -q "libb where liba was: yes" "$d/reload.out"
"$WR" --json "$d/reload.bin" >"$d/reload.json"
t "reload: each library's calls are charged to it (malloc: work_a 500, work_b 250, constructors 2 and 1)" \
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = {}
for s in d["sites"]:
    if s["function"] != "malloc":
        continue
    for f in s["stack"]:
        if f.get("module", "").startswith("libreload_"):
            k = (f["function"], f["module"])
            got[k] = got.get(k, 0) + s["calls"]
            break
want = {("reload_work_a", "libreload_a.so"): 500, ("reload_work_b", "libreload_b.so"): 250,
        ("reload_init", "libreload_a.so"): 2, ("reload_init", "libreload_b.so"): 1}
if got != want:
    sys.exit("got %s" % got)' "$d/reload.json"
