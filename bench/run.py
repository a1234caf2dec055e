#!/usr/bin/env python3
"""bench/run.py: `make bench`. Runs every case natively (A) and under
libwait.so (B), interleaved A B A B ... for PAIRS pairs (env BENCH_PAIRS,
default 5), prints medians and min-max, and rewrites the generated part of
BENCH.md (everything above the "<!-- notes -->" line; the notes below it are
kept). Work files go to build/bench/. Exit 0 after writing BENCH.md, 1 when a
run fails (a wrong exit code or missing output): a benchmark that did not run
is never reported. Timing is wall clock in the same sitting; the machine may
be shared, so min-max is printed next to every median."""
import datetime
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "libwait.so")
REPORT = os.path.join(ROOT, "waitreport")
WORK = os.path.join(ROOT, "build", "bench")
MICRO = os.path.join(WORK, "micro")
PAIRS = int(os.environ.get("BENCH_PAIRS", "5"))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
QUICK = os.environ.get("BENCH_QUICK") == "1"  # smaller sizes, for trying the driver


class BenchError(Exception):
    pass


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def run(cmd, env=None, preload=False, stdin=None, trace=None, tool=None):
    """Run cmd once; returns (wall s, stdout, cpu s of the child). preload
    traces into trace; tool prefixes another profiler's command line."""
    e = dict(os.environ)
    for k in ("LD_PRELOAD", "WAIT_OUTPUT"):
        e.pop(k, None)
    e.update(env or {})
    if preload:
        e["LD_PRELOAD"] = LIB
        e["WAIT_OUTPUT"] = trace
        if os.path.exists(trace):
            os.unlink(trace)
    full = (tool or []) + cmd
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(full, env=e, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if stdin:
        fin.close()
    if p.returncode != 0:
        raise BenchError("%s exited %d: %s" % (" ".join(full), p.returncode, err.decode(errors="replace")[-500:]))
    return wall, out.decode(errors="replace")


def cpu_run(cmd, env=None, preload=False, stdin=None, trace=None):
    """Like run, plus the child's user+sys seconds (from RUSAGE_CHILDREN)."""
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, out = run(cmd, env, preload, stdin, trace)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, out, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def last_float(out):
    vals = [float(x) for x in re.findall(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*$", out, re.M)]
    if not vals:
        raise BenchError("no figure in output: %r" % out[-300:])
    return vals[-1]


def stats(xs):
    return statistics.median(xs), min(xs), max(xs)


def fmt(xs, unit="", nd=1):
    m, lo, hi = stats(xs)
    return "%.*f%s (%.*f–%.*f)" % (nd, m, unit, nd, lo, nd, hi)


def trace_stats(trace):
    """The libwait block of waitreport --json on trace."""
    out = subprocess.run([REPORT, "--json", trace], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    rep = json.loads(out.stdout)
    return rep["libwait"], rep["process"]


# ---------------------------------------------------------------- micro
MICRO_CASES = [
    # name, mode, iterations, env, intercepted calls per op
    ("malloc+free 64 B, depth 5, 1 thread", "malloc", 2000000, {"SIZE": "64", "DEPTH": "5"}, 2),
    ("malloc+free 16 B, depth 5, 1 thread", "malloc", 2000000, {"SIZE": "16", "DEPTH": "5"}, 2),
    ("malloc+free 4 KiB, depth 5, 1 thread", "malloc", 2000000, {"SIZE": "4096", "DEPTH": "5"}, 2),
    ("malloc+free 64 B, depth 15, 1 thread", "malloc", 2000000, {"SIZE": "64", "DEPTH": "15"}, 2),
    ("malloc+free 64 B, depth 30, 1 thread", "malloc", 2000000, {"SIZE": "64", "DEPTH": "30"}, 2),
    ("malloc+free 64 B, depth 5, 2 threads", "malloc", 2000000, {"SIZE": "64", "DEPTH": "5", "THREADS": "2"}, 2),
    ("malloc+free 64 B, depth 30, 2 threads", "malloc", 2000000, {"SIZE": "64", "DEPTH": "30", "THREADS": "2"}, 2),
    ("mutex lock+unlock, uncontended, 1 thread", "lock", 2000000, {}, 2),
    ("mutex lock+unlock, uncontended, 2 threads", "lock", 2000000, {"THREADS": "2"}, 2),
    ("mutex lock+unlock, contended (2 threads, one mutex)", "lockshared", 1000000, {"THREADS": "2"}, 2),
    ("pipe write+read 1 B, 1 thread", "pipe", 200000, {}, 2),
    ("eventfd+select ping-pong round trip, 2 threads", "pingpong", 20000, {}, 6),
]


def bench_micro(res):
    trace = os.path.join(WORK, "micro.bin")
    for name, mode, n, env, calls in MICRO_CASES:
        if QUICK:
            n //= 10
        nat, pre, added = [], [], []
        for _ in range(PAIRS):
            a = last_float(run([MICRO, mode, str(n)], env)[1])
            b = last_float(run([MICRO, mode, str(n)], env, preload=True, trace=trace)[1])
            nat.append(a)
            pre.append(b)
            added.append((b - a) / calls)
        lw, _ = trace_stats(trace)
        res["micro"].append({"name": name, "mode": mode, "iters": n, "env": env, "calls_per_op": calls,
                             "native_ns_op": nat, "libwait_ns_op": pre, "added_ns_call": added,
                             "bytes_per_record": lw["bytes"] / max(lw["records"], 1),
                             "self_ns_call": lw.get("self_ns", 0) / max(lw["records"], 1)})
        log("micro %-55s native %s  libwait %s  added/call %s" % (name, fmt(nat), fmt(pre), fmt(added)))


def callgrind_ir(cmd, env, preload):
    """Instructions executed (callgrind's total Ir) by cmd."""
    out = os.path.join(WORK, "cg.out")
    tr = os.path.join(WORK, "cg.bin")
    e = dict(env)
    for f in os.listdir(WORK):  # valgrind's launcher takes cg.bin, the guest cg.bin.N
        if f.startswith("cg.bin"):
            os.unlink(os.path.join(WORK, f))
    if preload:
        e["LD_PRELOAD"] = LIB
        e["WAIT_OUTPUT"] = tr
    full = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd
    env2 = dict(os.environ)
    env2.pop("LD_PRELOAD", None)
    env2.update(e)
    p = subprocess.run(full, env=env2, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise BenchError("callgrind failed: " + p.stderr.decode(errors="replace")[-300:])
    err = p.stderr.decode(errors="replace")
    if "not recording" in err or "recording stopped" in err:
        raise BenchError("libwait did not record under callgrind: " + err[-300:])
    m = re.search(r"Collected\s*:\s*([0-9]+)", err)
    if not m:
        raise BenchError("no callgrind total")
    return int(m.group(1))


def bench_callgrind(res):
    """Instructions per intercepted call: the difference between N and 2N
    operations cancels start-up and exit."""
    if not shutil.which("valgrind"):
        return
    for name, mode, n, env, calls in [("malloc+free 64 B, depth 5", "malloc", 100000, {"DEPTH": "5"}, 2),
                                      ("malloc+free 64 B, depth 30", "malloc", 100000, {"DEPTH": "30"}, 2),
                                      ("mutex lock+unlock, uncontended", "lock", 100000, {}, 2)]:
        row = {"name": name}
        for pre in (False, True):
            a = callgrind_ir([MICRO, mode, str(n)], env, pre)
            b = callgrind_ir([MICRO, mode, str(2 * n)], env, pre)
            row["libwait" if pre else "native"] = (b - a) / (n * calls)
        row["added"] = row["libwait"] - row["native"]
        res["callgrind"].append(row)
        log("callgrind %-35s native %.1f  libwait %.1f  added %.1f instructions/call" %
            (name, row["native"], row["libwait"], row["added"]))


# ---------------------------------------------------------------- programs
def make_inputs():
    """Deterministic inputs: 48 MB of word text (compressible, not trivial),
    the sqlite3 insert script, the python queue script."""
    txt = os.path.join(WORK, "pigz.in")
    size = (8 if QUICK else 48) * 1000 * 1000
    if not os.path.exists(txt) or os.path.getsize(txt) != size:
        rng = random.Random(20261122)
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 11)))
                 for _ in range(20000)]
        weights = [1.0 / (i + 1) for i in range(len(vocab))]  # Zipf-like
        buf = bytearray()
        while len(buf) < size:
            words = rng.choices(vocab, weights, k=200000)
            line = []
            for i, w in enumerate(words):
                line.append(w)
                if i % 12 == 11:
                    line.append("%d\n" % rng.randint(0, 99999))
            buf += " ".join(line).encode()
        with open(txt, "wb") as f:
            f.write(buf[:size])
    sql = os.path.join(WORK, "sqlite.sql")
    rows = 20000 if QUICK else 200000
    with open(sql, "w") as f:
        f.write("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v INTEGER, w REAL);\n"
                "CREATE INDEX t_name ON t(name);\nBEGIN;\n")
        rng = random.Random(7)
        for i in range(rows):
            f.write("INSERT INTO t VALUES(%d,'%s',%d,%.3f);\n" %
                    (i, "n%08x" % rng.getrandbits(32), rng.randint(0, 10**6), rng.random()))
        f.write("COMMIT;\nSELECT count(*), sum(v) FROM t;\n")
    py = os.path.join(WORK, "queue4.py")
    with open(py, "w") as f:
        f.write("""import queue, threading
N = %d
q, r = queue.Queue(maxsize=64), queue.Queue()
def producer(k):
    for i in range(N // 2):
        q.put((k, i, [i] * 4))
    q.put(None)
def consumer():
    s = 0
    while True:
        it = q.get()
        if it is None:
            break
        s += sum(it[2])
    r.put(s)
ts = [threading.Thread(target=producer, args=(k,)) for k in range(2)]
ts += [threading.Thread(target=consumer) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
print(r.get() + r.get())
""" % (20000 if QUICK else 200000))
    return txt, sql, py


def programs(txt, sql, py):
    return [
        ("pigz -p 2, 48 MB text", ["pigz", "-p", "2", "-c", txt], None, 1.10),
        ("sqlite3 :memory:, 200 k-row insert", ["sqlite3", ":memory:"], sql, 2.0),
        ("python3, 4 threads through queue.Queue", [PYTHON, py], None, None),
    ]


def bench_programs(res, progs):
    trace = os.path.join(WORK, "prog.bin")
    for name, cmd, stdin, target in progs:
        nat, pre, ratio, cpu = [], [], [], []
        for _ in range(PAIRS):
            a, oa, _ = cpu_run(cmd, stdin=stdin)
            b, ob, cb = cpu_run(cmd, stdin=stdin, preload=True, trace=trace)
            if oa != ob and cmd[0] != "pigz":
                raise BenchError("%s: output differs under libwait" % name)
            nat.append(a)
            pre.append(b)
            ratio.append(b / a)
            cpu.append(cb)
        lw, proc = trace_stats(trace)
        row = {"name": name, "native_s": nat, "libwait_s": pre, "ratio": ratio, "target": target,
               "records": lw["records"], "bytes": lw["bytes"], "trace_bytes": lw["trace_bytes"],
               "bytes_per_event": lw["bytes"] / max(lw["records"], 1),
               "self_ns": lw.get("self_ns", 0), "cpu_s_last": cpu[-1],
               "self_share": lw.get("self_ns", 0) / 1e9 / max(cpu[-1], 1e-9),
               "stack_hit_rate": lw["stack_cache_hits"] / max(lw["stack_cache_hits"] + lw["unwinds"], 1)}
        res["programs"].append(row)
        log("prog  %-45s native %s  libwait %s  ratio %s  %.1f B/event  self %.1f%%" %
            (name, fmt(nat, " s", 3), fmt(pre, " s", 3), fmt(ratio, "×", 2), row["bytes_per_event"],
             100 * row["self_share"]))


def bench_heaptrack(res, sql):
    """heaptrack and libwait on the same malloc micro and sqlite3 cases, in
    one sitting: native, libwait, heaptrack, repeated."""
    ht = shutil.which("heaptrack")
    if not ht:
        return
    n = 100000 if QUICK else 1000000
    trace = os.path.join(WORK, "ht.bin")
    htout = os.path.join(WORK, "heaptrack.out")
    cases = [("malloc+free 64 B, depth 5, 2 threads", [MICRO, "malloc", str(n)], {"THREADS": "2"}, None),
             ("sqlite3 :memory:, 200 k-row insert", ["sqlite3", ":memory:"], {}, sql)]
    for name, cmd, env, stdin in cases:
        w = {"native": [], "libwait": [], "heaptrack": []}
        for _ in range(max(3, PAIRS - 2)):
            w["native"].append(run(cmd, env, stdin=stdin)[0])
            w["libwait"].append(run(cmd, env, preload=True, stdin=stdin, trace=trace)[0])
            for f in os.listdir(WORK):
                if f.startswith("heaptrack.out"):
                    os.unlink(os.path.join(WORK, f))
            w["heaptrack"].append(run(cmd, env, stdin=stdin, tool=[ht, "-o", htout])[0])
        row = {"name": name, **w}
        res["heaptrack"].append(row)
        log("heaptrack %-40s native %s  libwait %s  heaptrack %s" %
            (name, fmt(w["native"], " s", 3), fmt(w["libwait"], " s", 3), fmt(w["heaptrack"], " s", 3)))


# ---------------------------------------------------------------- analyzer
def peak_rss_run(cmd):
    """(wall s, peak RSS KiB, user+sys CPU s) of cmd. Measured through
    /usr/bin/time: a child forked from this (large) python process starts
    with python's high-water RSS, which wait4 would report instead."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "maxrss %M cpu %U %S"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    m = re.search(r"^maxrss ([0-9]+) cpu ([0-9.]+) ([0-9.]+)$", p.stderr, re.M)
    if p.returncode != 0 or not m:
        raise BenchError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr[-300:]))
    return wall, int(m.group(1)), float(m.group(2)) + float(m.group(3))


def bench_analyzer(res):
    rows = []
    for label, mode, n, env in [("malloc micro, 1 thread", "malloc", 25000000, {}),
                                ("malloc micro, 1 thread (half)", "malloc", 12500000, {}),
                                ("eventfd ping-pong (switch-heavy)", "pingpong", 100000, {})]:
        if QUICK:
            n //= 10
        trace = os.path.join(WORK, "an_%s.bin" % mode + ("_half" if "half" in label else ""))
        run([MICRO, mode, str(n)], env, preload=True, trace=trace)
        lw, proc = trace_stats(trace)
        walls, rss, cpus = [], [], []
        for _ in range(3):
            w, r, c = peak_rss_run([REPORT, "--json", trace])
            walls.append(w)
            rss.append(r)
            cpus.append(max(c, 0.01))
        events = lw["records"]
        row = {"name": label, "records": events, "trace_bytes": lw["trace_bytes"],
               "switches": proc.get("switches"), "wall_s": walls,
               "events_per_s": [events / w for w in walls], "peak_rss_kib": rss,
               "events_per_cpu_s": [events / c for c in cpus]}
        rows.append(row)
        log("analyzer %-35s %d events, %s events/s, peak RSS %d KiB" %
            (label, events, fmt([x / 1e6 for x in row["events_per_s"]], "M", 1), max(rss)))
        os.unlink(trace)
    res["analyzer"] = rows


# ---------------------------------------------------------------- BENCH.md
def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, %d CPUs (nproc), Linux %s" % (model, os.cpu_count(), platform.release())


def mm(xs, nd=1, unit=""):
    m, lo, hi = stats(xs)
    return "%.*f%s | %.*f–%.*f" % (nd, m, unit, nd, lo, nd, hi)


def verdict(ok):
    return "**met**" if ok else "**NOT met**"


def write_md(res):
    L = []
    L.append("# libwait benchmarks\n")
    L.append("Generated by `make bench` (bench/run.py): %d interleaved pairs (native A, libwait B, A, B, ...) "
             "per case, median and min–max. Machine: %s. Date: %s. Commit: %s. Load average at start: %s.\n" %
             (PAIRS, machine(), res["date"], res["commit"], res["load"]))
    L.append("## Targets\n")
    L.append("| target | measured (median) | verdict |")
    L.append("|---|---|---|")
    tg = []
    for key, label in (("malloc+free 64 B, depth 30, 1 thread", "≤ 100 ns added per malloc+free call (depth 30, full stacks, timings)"),
                       ("malloc+free 64 B, depth 5, 1 thread", "≤ 100 ns added per malloc+free call (depth 5)"),
                       ("mutex lock+unlock, uncontended, 1 thread", "≤ 100 ns added per lock+unlock call")):
        r = next((x for x in res["micro"] if x["name"] == key), None)
        if r:
            m = statistics.median(r["added_ns_call"])
            tg.append((label, "%.1f ns per call (%.1f per pair)" % (m, 2 * m), m <= 100))
    for r in res["programs"]:
        if r["target"]:
            m = statistics.median(r["ratio"])
            tg.append(("≤ %.2f× wall on %s" % (r["target"], r["name"]), "%.2f×" % m, m <= r["target"]))
    pp = next((x for x in res["micro"] if x["mode"] == "pingpong"), None)
    if pp:
        rr = [b / a for a, b in zip(pp["native_ns_op"], pp["libwait_ns_op"])]
        m = statistics.median(rr)
        tg.append(("≤ 1.10× wall on the eventfd ping-pong", "%.2f×" % m, m <= 1.10))
    if res["programs"]:
        avg = statistics.mean(r["bytes_per_event"] for r in res["programs"])
        tg.append(("≤ 16 bytes per event, averaged over the real programs", "%.1f B/event" % avg, avg <= 16))
    big = [r for r in res["analyzer"] if "half" not in r["name"] and "ping" not in r["name"]]
    if big:
        m = statistics.median(big[0]["events_per_s"])
        c = statistics.median(big[0]["events_per_cpu_s"])
        tg.append(("analyzer ≥ 50 M events/s on one core (%d M events)" % (big[0]["records"] // 1000000),
                   "%.1f M events/s wall, %.1f M per CPU second" % (m / 1e6, c / 1e6), m >= 50e6))
    half = [r for r in res["analyzer"] if "half" in r["name"]]
    if big and half:
        a, b = max(half[0]["peak_rss_kib"]), max(big[0]["peak_rss_kib"])
        tg.append(("analyzer memory grows with sites/stacks, not events (2× the events, same sites)",
                   "peak RSS %.1f MiB → %.1f MiB" % (a / 1024, b / 1024), b <= a * 1.10 + 2048))
    for label, val, ok in tg:
        L.append("| %s | %s | %s |" % (label, val, verdict(ok)))
    L.append("")
    L.append("## Microbenchmarks (bench/micro.c, ns per operation; added = (libwait − native) / calls per op)\n")
    L.append("| case | native ns/op | min–max | libwait ns/op | min–max | added ns per call | min–max | "
             "self estimate ns/call | B/record |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for r in res["micro"]:
        L.append("| %s | %s | %s | %s | %.1f | %.1f |" % (r["name"], mm(r["native_ns_op"]), mm(r["libwait_ns_op"]),
                                                          mm(r["added_ns_call"]), r["self_ns_call"],
                                                          r["bytes_per_record"]))
    L.append("")
    if res["callgrind"]:
        L.append("Instructions per intercepted call (callgrind, N vs 2N operations, so start-up cancels):\n")
        L.append("| case | native | libwait | added |")
        L.append("|---|---|---|---|")
        for r in res["callgrind"]:
            L.append("| %s | %.1f | %.1f | %.1f |" % (r["name"], r["native"], r["libwait"], r["added"]))
        L.append("")
    L.append("## Real programs (wall seconds)\n")
    L.append("| program | native s | min–max | libwait s | min–max | ratio | min–max | events | B/event | "
             "trace file B/event | libwait's own share of CPU | stack cache hits |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res["programs"]:
        L.append("| %s | %s | %s | %s | %d | %.1f | %.1f | %.1f%% | %.2f%% |" %
                 (r["name"], mm(r["native_s"], 3), mm(r["libwait_s"], 3), mm(r["ratio"], 3, "×"), r["records"],
                  r["bytes_per_event"], r["trace_bytes"] / max(r["records"], 1), 100 * r["self_share"],
                  100 * r["stack_hit_rate"]))
    L.append("")
    L.append("B/event counts every record byte written (calls, stacks, modules, clock pairs, context switches) "
             "per call record; the trace file is larger by the unused tails of each thread's last chunks. "
             "libwait's own share: the self-time estimate (libwait.self_ns) over the traced run's user+sys CPU.\n")
    if res["heaptrack"]:
        L.append("## heaptrack, same cases, same sitting (wall seconds of the whole command)\n")
        L.append("| case | native | libwait | heaptrack | libwait ratio | heaptrack ratio | heaptrack / libwait |")
        L.append("|---|---|---|---|---|---|---|")
        for r in res["heaptrack"]:
            n, l, h = (statistics.median(r[k]) for k in ("native", "libwait", "heaptrack"))
            L.append("| %s | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | %.2f× | %.2f× | %.1f× |" %
                     (r["name"], n, min(r["native"]), max(r["native"]), l, min(r["libwait"]), max(r["libwait"]),
                      h, min(r["heaptrack"]), max(r["heaptrack"]), l / n, h / n, h / l))
        L.append("")
    L.append("## Analyzer (`waitreport --json`, one thread, 3 runs)\n")
    L.append("| trace | call records | trace MB | switches | wall s | min–max | M events/s | min–max "
             "| M events per CPU s | min–max | peak RSS MiB |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res["analyzer"]:
        L.append("| %s | %d | %.0f | %s | %s | %s | %s | %.1f |" %
                 (r["name"], r["records"], r["trace_bytes"] / 1e6, r["switches"], mm(r["wall_s"], 2),
                  mm([x / 1e6 for x in r["events_per_s"]], 1), mm([x / 1e6 for x in r["events_per_cpu_s"]], 1),
                  max(r["peak_rss_kib"]) / 1024))
    L.append("")
    path = os.path.join(ROOT, "BENCH.md")
    notes = "<!-- notes -->\n"
    if os.path.exists(path):
        old = open(path).read()
        if "<!-- notes -->" in old:
            notes = old[old.index("<!-- notes -->"):]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n" + notes)
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(res, f, indent=1)


def main():
    for f in (LIB, REPORT):
        if not os.path.exists(f):
            log("bench: %s missing; run make first" % f)
            return 1
    os.makedirs(WORK, exist_ok=True)
    subprocess.run(["cc", "-O2", "-pthread", os.path.join(ROOT, "bench", "micro.c"), "-o", MICRO], check=True)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                            text=True).stdout.strip()
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
           "load": open("/proc/loadavg").read().split()[0], "pairs": PAIRS,
           "micro": [], "callgrind": [], "programs": [], "heaptrack": [], "analyzer": []}
    only = os.environ.get("BENCH_ONLY", "micro,callgrind,programs,heaptrack,analyzer").split(",")
    t0 = time.time()
    try:
        txt, sql, py = make_inputs()
        if "micro" in only:
            bench_micro(res)
        if "programs" in only:
            bench_programs(res, programs(txt, sql, py))
        if "heaptrack" in only:
            bench_heaptrack(res, sql)
        if "analyzer" in only:
            bench_analyzer(res)
        if "callgrind" in only:
            bench_callgrind(res)
    except BenchError as e:
        log("bench: FAILED: %s" % e)
        return 1
    write_md(res)
    log("bench: done in %.0f s; wrote BENCH.md" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
