#!/usr/bin/env python3
"""bench/run.py: `make bench`. Runs the micro cases natively (A) and under
libwait.so (B), interleaved A B A B ... for PAIRS pairs (env BENCH_PAIRS,
default 5), and the real-program corpus natively, under libwait and under
heaptrack, interleaved N L H N L H ... for PAIRS rounds (bench_corpus).
Prints medians and min-max, and rewrites the generated part of BENCH.md
(everything above the "<!-- notes -->" line; the notes below it are kept).
Work files go to build/bench/. Exit 0 after writing BENCH.md, 1 when a run
fails (a wrong exit code or missing output): a benchmark that did not run is
never reported; heaptrack failing on a case is reported as such. A corpus
case whose program is not installed is skipped with a note. Timing is wall
clock in the same sitting; the machine may be shared, so min-max is printed
next to every median. BENCH_QUICK=1: small sizes, for trying the driver;
BENCH_ONLY=micro,callgrind,corpus,analyzer: a subset; the other sections
are kept from the last sitting's build/bench/results.json, marked so."""
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


def clean_env():
    """os.environ without LD_PRELOAD and WAIT_OUTPUT."""
    e = dict(os.environ)
    for k in ("LD_PRELOAD", "WAIT_OUTPUT"):
        e.pop(k, None)
    return e


def run(cmd, env=None, preload=False, stdin=None, trace=None, tool=None, timeout=None):
    """Run cmd once; returns (wall s, stdout). preload traces into trace;
    tool prefixes another profiler's command line; timeout (s) bounds it."""
    e = clean_env()
    e.update(env or {})
    if preload:
        e["LD_PRELOAD"] = LIB
        e["WAIT_OUTPUT"] = trace
        if os.path.exists(trace):
            os.unlink(trace)
    full = (tool or []) + cmd
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(full, env=e, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(p)
        p.communicate()
        raise BenchError("%s:\ntimed out after %d s" % (" ".join(full), timeout))
    finally:
        if stdin:
            fin.close()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise BenchError("%s exited %d: %s" % (" ".join(full), p.returncode, err.decode(errors="replace")[-500:]))
    return wall, out.decode(errors="replace")


def kill_group(p):
    """SIGKILLs p's process group (p was started in a session of its own, so
    a wrapper script's children go too)."""
    try:
        os.killpg(p.pid, 9)
    except ProcessLookupError:
        pass


def cpu_run(cmd, env=None, preload=False, stdin=None, trace=None, tool=None, timeout=None):
    """Like run, plus the child's user+sys seconds (from RUSAGE_CHILDREN)."""
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, out = run(cmd, env, preload, stdin, trace, tool, timeout)
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
    ("mutex lock+unlock, uncontended, 1 thread, WAIT_LOCKS=all (recorded)", "lock", 2000000, {"WAIT_LOCKS": "all"}, 2),
    ("mutex lock+unlock, uncontended, main thread alone (lone-thread rule: counted)", "lock", 2000000,
     {"THREADS": "0"}, 2),
    ("mutex lock+unlock, uncontended, 2 threads", "lock", 2000000, {"THREADS": "2"}, 2),
    ("mutex lock+unlock, contended (2 threads, one mutex)", "lockshared", 1000000, {"THREADS": "2"}, 2),
    ("pipe write+read 1 B, 1 thread", "pipe", 200000, {}, 2),
    ("eventfd+select ping-pong round trip, 2 threads", "pingpong", 20000, {}, 6),
    ("thread create+join, empty thread (churn), 1 thread", "churn", 2000, {}, 2),
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
                             "self_ns_call": lw.get("self_ns", 0) / max(lw["records"], 1),
                             "records": lw["records"]})
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
                                      ("mutex lock+unlock, uncontended, WAIT_LOCKS=all", "lock", 100000,
                                       {"WAIT_LOCKS": "all"}, 2),
                                      ("mutex lock+unlock, uncontended, main thread alone (counted)", "lock", 100000,
                                       {"THREADS": "0"}, 2)]:
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


# Each case runs native, libwait and heaptrack interleaved (N, L, H, N, L, H,
# ...) for PAIRS rounds in one sitting, through bench_corpus alone.
MODES = ("native", "libwait", "heaptrack")
HTOUT = os.path.join(WORK, "heaptrack.out")
SRC = os.path.join(WORK, "src")
MAKE_TRACES = os.path.join(WORK, "make_traces")
DBFILE = os.path.join(WORK, "autocommit.db")
REDIS_SOCK = os.path.join(WORK, "redis.sock")
TIMEOUT = 600  # seconds; every corpus run is bounded (the traced make: ~160 s at load 11)
# The traced build takes ~90 s on the 2-vCPU host (every cc1 unwinds ~20 k
# distinct stacks), so make runs one round unless BENCH_MAKE_ROUNDS says more.
MAKE_ROUNDS = min(PAIRS, int(os.environ.get("BENCH_MAKE_ROUNDS", "1")))
PY_IMPORTS = ("import json, email.parser, http.client, decimal, asyncio, xml.dom.minidom, argparse, logging, "
              "csv, sqlite3, unittest, difflib; [json.dumps({'a': [i, str(i)]}) for i in range(20000)]")


def case(name, cmd, target=None, **kw):
    """One corpus case: cmd timed as a whole (wall s, lower is better) unless
    measure is given. Keys: stdin, prep (run untimed before every run),
    multi (trace per process, %p), check (native and libwait stdout must
    match), needs ({program: Debian package}), ht_note, measure, unit,
    higher (a higher figure is better)."""
    c = {"name": name, "cmd": cmd, "target": target, "stdin": None, "prep": None, "multi": False,
         "check": False, "needs": {}, "ht_note": None, "measure": None, "unit": "s", "higher": False,
         "rounds": PAIRS}
    c.update(kw)
    return c


def make_corpus_inputs():
    """Inputs of the new corpus cases: cc1's preprocessed input (analyzer/analyses/
    locks.c), a copy of this source tree for the make case, and the
    autocommit INSERT script for the file database."""
    cc1_in = os.path.join(WORK, "cc1.i")
    if shutil.which("gcc"):
        subprocess.run(["gcc", "-E", "-I" + os.path.join(ROOT, "include"), "-I" + os.path.join(ROOT, "analyzer"),
                        os.path.join(ROOT, "analyzer", "analyses", "locks.c"), "-o", cc1_in], check=True)
    shutil.rmtree(SRC, ignore_errors=True)
    os.makedirs(SRC)
    subprocess.run("git -C '%s' archive HEAD | tar -x -C '%s'" % (ROOT, SRC), shell=True, check=True)
    ins = os.path.join(WORK, "autocommit.sql")
    with open(ins, "w") as f:
        f.write("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v INTEGER);\n")
        for i in range(50 if QUICK else 500):
            f.write("INSERT INTO t VALUES(%d,'n%d',%d);\n" % (i, i, i * 7))
        f.write("SELECT count(*) FROM t;\n")
    return cc1_in, ins


def prep_make():
    """Untimed before every make run: `make clean` in the copy and no traces."""
    subprocess.run(["make", "-s", "-C", SRC, "clean"], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(MAKE_TRACES, ignore_errors=True)
    os.makedirs(MAKE_TRACES)


def prep_db():
    """Untimed before every autocommit run: no database file."""
    for suffix in ("", "-journal", "-wal"):
        if os.path.exists(DBFILE + suffix):
            os.unlink(DBFILE + suffix)


def corpus(txt, sql, py):
    """The real-program corpus, in the order of BENCH.md's table."""
    cc1_in, ins = make_corpus_inputs()
    gcc = shutil.which("gcc")
    cc1 = subprocess.run([gcc, "-print-prog-name=cc1"], stdout=subprocess.PIPE, text=True).stdout.strip() \
        if gcc else "cc1"
    n = 2000 if QUICK else 20000
    return [
        case("gcc's cc1 -O2 on analyzer/analyses/locks.c, preprocessed (%d KB)" % (os.path.getsize(cc1_in) // 1000
                                                                          if os.path.exists(cc1_in) else 0),
             [cc1, "-quiet", "-O2", cc1_in, "-o", "/dev/null"], 1.5, needs={"gcc": "gcc"}),
        case("make -j2 libwait.so from clean (whole process tree traced; rounds: %d)" % MAKE_ROUNDS,
             ["make", "-s", "-j2", "-C", SRC, "libwait.so"], prep=prep_make, multi=True, rounds=MAKE_ROUNDS,
             needs={"make": "make", "cc": "gcc"}, ht_note="heaptrack follows the make process only"),
        case("python3 import-heavy start-up (12 modules, 20 k json.dumps)", [PYTHON, "-c", PY_IMPORTS], 1.3,
             needs={PYTHON: "python3"}),
        case("python3, 4 threads through queue.Queue", [PYTHON, py], check=True, needs={PYTHON: "python3"}),
        case("sqlite3 :memory:, %s-row insert in one transaction" % ("20 k" if QUICK else "200 k"),
             ["sqlite3", ":memory:"], 1.6, stdin=sql, check=True, needs={"sqlite3": "sqlite3"}),
        case("sqlite3 file database, %d autocommit INSERTs (an fsync each)" % (50 if QUICK else 500),
             ["sqlite3", DBFILE], stdin=ins, prep=prep_db, check=True, needs={"sqlite3": "sqlite3"}),
        case("redis-server, redis-benchmark -n %d -t set,get -P 1 over a unix socket (client not traced)"
             % (5000 if QUICK else 30000), None, 0.9, measure=run_redis, unit="req/s", higher=True,
             needs={"redis-server": "redis-server", "redis-benchmark": "redis-tools", "redis-cli": "redis-tools"}),
        case("pigz -p 2, %d MB text" % (os.path.getsize(txt) // 1000000), ["pigz", "-p", "2", "-c", txt], 1.05,
             needs={"pigz": "pigz"}),
        case("eventfd+select ping-pong, %d round trips (bench/micro pingpong)" % n, [MICRO, "pingpong", str(n)],
             1.10),
        case("malloc+free 64 B, depth 5, 2 threads (bench/micro malloc, %d)" % (n * 50),
             [MICRO, "malloc", str(n * 50)], env={"THREADS": "2"}),
    ]


def missing(c):
    """The one-line note for a case whose program is not installed, or None."""
    for prog, pkg in c["needs"].items():
        if not (shutil.which(prog) or os.path.exists(prog)):
            return "%s: skipped, %s is not installed (Debian package %s)" % (c["name"], prog, pkg)
    return None


def clear_heaptrack():
    """Deletes heaptrack's output files in build/bench."""
    for f in os.listdir(WORK):
        if f.startswith("heaptrack."):
            os.unlink(os.path.join(WORK, f))


def mode_args(c, mode):
    """run()'s keyword arguments for one mode of case c."""
    if mode == "heaptrack":
        return {"tool": [shutil.which("heaptrack"), "-o", HTOUT]}
    if mode == "libwait":
        trace = os.path.join(MAKE_TRACES, "t.%p.bin") if c["multi"] else os.path.join(WORK, "corpus.bin")
        return {"preload": True, "trace": trace}
    return {}


def run_wall(c, mode, limit=TIMEOUT):
    """Wall seconds of c's command in mode, killed after limit s; returns
    (s, stdout, CPU s)."""
    return cpu_run(c["cmd"], c.get("env"), stdin=c["stdin"], timeout=limit, **mode_args(c, mode))


def wait_for(pred, secs, what):
    """Polls pred every 20 ms for up to secs seconds."""
    t0 = time.time()
    while not pred():
        if time.time() - t0 > secs:
            raise BenchError("timed out waiting for " + what)
        time.sleep(0.02)


def run_redis(c, mode, limit=TIMEOUT):
    """Requests/s of redis-benchmark (mean of SET and GET) against a
    redis-server on a unix socket in build/bench, the server alone native,
    preloaded or under heaptrack; the server is shut down (NOSAVE) and
    reaped, so libwait flushes its trace. Returns (req/s, "", server CPU s)."""
    if os.path.exists(REDIS_SOCK):
        os.unlink(REDIS_SOCK)
    n = "5000" if QUICK else "30000"
    server = ["redis-server", "--port", "0", "--unixsocket", REDIS_SOCK, "--save", "", "--appendonly", "no"]
    e = clean_env()
    a = mode_args(c, mode)
    if a.get("preload"):
        e.update({"LD_PRELOAD": LIB, "WAIT_OUTPUT": a["trace"]})
        if os.path.exists(a["trace"]):
            os.unlink(a["trace"])
    log_path = os.path.join(WORK, "redis.log")
    with open(log_path, "wb") as lf:
        p = subprocess.Popen(a.get("tool", []) + server, env=e, stdout=lf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: os.path.exists(REDIS_SOCK) or p.poll() is not None, min(limit, 60), "redis-server's socket")
        if p.poll() is not None:
            raise BenchError("redis-server exited %d: %s" % (p.returncode, open(log_path).read()[-300:]))
        try:
            b = subprocess.run(["redis-benchmark", "-s", REDIS_SOCK, "-q", "-n", n, "-t", "set,get", "-P", "1"],
                               env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=limit)
        except subprocess.TimeoutExpired:
            raise BenchError("redis-benchmark timed out after %d s" % limit)
        text = b.stdout.replace("\r", "\n")  # -q redraws its progress line with \r
        rates = [float(x) for x in re.findall(r"^(?:SET|GET): ([0-9.]+) requests per second", text, re.M)]
        subprocess.run(["redis-cli", "-s", REDIS_SOCK, "shutdown", "nosave"], env=clean_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        _, status, ru = wait4_timeout(p, 60)
    finally:
        if p.returncode is None and p.poll() is None:
            kill_group(p)
            p.wait()
    if len(rates) != 2:
        raise BenchError("redis-benchmark printed no SET/GET rates: %r" % b.stdout[-300:])
    if status != 0:
        raise BenchError("redis-server exited %d: %s" % (status, open(log_path).read()[-300:]))
    return statistics.mean(rates), "", ru.ru_utime + ru.ru_stime


def wait4_timeout(p, secs):
    """Reaps p, SIGTERMing it after secs seconds and SIGKILLing its group 10 s
    later; returns (pid, exit code, rusage of p and its reaped descendants)."""
    t0, sig = time.time(), 0
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(st)
            return pid, p.returncode, ru
        if time.time() - t0 > secs + 10 and sig < 9:
            kill_group(p)
            sig = 9
        elif time.time() - t0 > secs and sig == 0:
            p.terminate()
            sig = 15
        time.sleep(0.02)


def failure_reason(err):
    """A short reason from a failed run's message (its last stderr line)."""
    lines = [x.strip() for x in str(err).splitlines() if x.strip()]
    return (lines[-1] if lines else "no message")[:80].replace("|", "/")


def header_stats(paths):
    """libwait's stats summed over the headers of several traces (one per
    process); self time from each header's TSC rate hint."""
    import struct
    tot = {"records": 0, "bytes": 0, "trace_bytes": 0, "stacks": 0, "unwinds": 0, "stack_cache_hits": 0,
           "self_ns": 0, "processes": 0}
    for path in paths:
        with open(path, "rb") as f:
            h = f.read(256 + 80)
        hz = struct.unpack_from("<Q", h, 80)[0]
        rec, byt, stk, unw, hit, _nest, _drop, self_t = struct.unpack_from("<8Q", h, 256)
        tot["records"] += rec
        tot["bytes"] += byt
        tot["trace_bytes"] += os.path.getsize(path)
        tot["stacks"] += stk
        tot["unwinds"] += unw
        tot["stack_cache_hits"] += hit
        tot["self_ns"] += self_t * 1e9 / hz if hz else 0
        tot["processes"] += 1
    return tot


def libwait_stats(c):
    """The libwait block for the last traced run of c (summed over its
    processes for a traced process tree)."""
    if c["multi"]:
        return header_stats([os.path.join(MAKE_TRACES, f) for f in sorted(os.listdir(MAKE_TRACES))])
    lw, _ = trace_stats(mode_args(c, "libwait")["trace"])
    return lw


def corpus_round(c, w, cpu, outs, ht_fail, stats_out=None):
    """One round of case c: native, libwait, heaptrack in that order; with
    stats_out, libwait's stats of this round's traced run go into it (read
    at once: the next run's prep may delete the traces). Returns heaptrack's
    failure reason (or the one given)."""
    for mode in MODES:
        if mode == "heaptrack" and (ht_fail or not shutil.which("heaptrack")):
            continue
        if c["prep"]:
            c["prep"]()
        if mode == "heaptrack":
            clear_heaptrack()
        try:
            # heaptrack hangs on what it cannot trace (a static binary): a tighter bound
            limit = max(60, 40 * w["native"][-1]) if mode == "heaptrack" and not c["higher"] else TIMEOUT
            fig, out, cs = (c["measure"] or run_wall)(c, mode, limit)
        except (BenchError, subprocess.TimeoutExpired) as e:
            if mode != "heaptrack":
                raise
            return failure_reason(e)
        finally:
            if mode == "heaptrack":
                clear_heaptrack()
        w[mode].append(fig)
        cpu[mode] = cs
        outs[mode] = out
        if mode == "libwait" and stats_out is not None:
            stats_out.update(libwait_stats(c))
    if c["check"] and outs["native"] != outs["libwait"]:
        raise BenchError("%s: output differs under libwait" % c["name"])
    return ht_fail


def bench_corpus(res, cases):
    """Every corpus case: PAIRS rounds of native, libwait, heaptrack, then
    libwait's own figures from the last traced run."""
    for c in cases:
        note = missing(c)
        if note:
            res["skipped"].append(note)
            log("corpus " + note)
            continue
        w = {m: [] for m in MODES}
        cpu, outs, ht_fail = {}, {}, None
        lw = {}
        for i in range(c["rounds"]):
            ht_fail = corpus_round(c, w, cpu, outs, ht_fail, lw if i == c["rounds"] - 1 else None)
        row = {"name": c["name"], "target": c["target"], "unit": c["unit"], "higher": c["higher"],
               "ht_note": c["ht_note"], "rounds": c["rounds"], **w,
               "heaptrack_status": ("not installed" if not shutil.which("heaptrack") else
                                    "failed (%s)" % ht_fail if ht_fail else "ok"),
               "records": lw["records"], "stacks": lw["stacks"], "bytes": lw["bytes"],
               "trace_bytes": lw["trace_bytes"], "processes": lw.get("processes", 1),
               "bytes_per_event": lw["bytes"] / max(lw["records"], 1), "cpu_s_last": cpu["libwait"],
               "self_share": lw.get("self_ns", 0) / 1e9 / max(cpu["libwait"], 1e-9),
               "stack_hit_rate": lw["stack_cache_hits"] / max(lw["stack_cache_hits"] + lw["unwinds"], 1)}
        res["corpus"].append(row)
        log("corpus %-60s native %s  libwait %s  heaptrack %s" %
            (c["name"][:60], fmt(w["native"], "", 3), fmt(w["libwait"], "", 3),
             fmt(w["heaptrack"], "", 3) if w["heaptrack"] else row["heaptrack_status"]))


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


def ratios(r, mode):
    """Per-round ratios of mode's figure to native's (same round)."""
    return [b / a for a, b in zip(r["native"], r[mode])]


def target_text(r):
    """The target of a corpus row as text ("—" when it has none)."""
    if r["target"] is None:
        return "—"
    if r["higher"]:
        return "≥ %.2f× native %s" % (r["target"], r["unit"])
    return "≤ %.2f× wall" % r["target"]


def target_met(r):
    """Whether the libwait median ratio meets the row's target (None: no target)."""
    if r["target"] is None:
        return None
    m = statistics.median(ratios(r, "libwait"))
    return m >= r["target"] if r["higher"] else m <= r["target"]


def ht_rule(r):
    """Whether libwait's median ratio is at or better than heaptrack's (None
    when heaptrack did not run the case, or traced only part of it)."""
    if not r["heaptrack"] or r["heaptrack_status"] != "ok" or r["ht_note"]:
        return None
    lw, ht = statistics.median(ratios(r, "libwait")), statistics.median(ratios(r, "heaptrack"))
    return lw >= ht if r["higher"] else lw <= ht


def corpus_cell(r, mode):
    """Median (min–max) of mode's figures, and its ratio to native."""
    xs = r[mode]
    nd = 0 if r["unit"] == "req/s" else 3
    s = "%.*f (%.*f–%.*f)" % (nd, statistics.median(xs), nd, min(xs), nd, max(xs))
    if mode == "native":
        return s
    s += ", **%.2f×**" % statistics.median(ratios(r, mode))
    if mode == "heaptrack" and r["heaptrack_status"] != "ok":
        s += "; then " + r["heaptrack_status"]
    return s


def corpus_md(L, res):
    """The corpus table (and skipped cases) of BENCH.md."""
    L.append("## Real-program corpus (native, libwait, heaptrack interleaved in one sitting)\n")
    L.append("Each round runs native, then libwait, then heaptrack (`heaptrack -o build/bench/heaptrack.out`, its "
             "files deleted between runs); rounds: %d unless the case says otherwise. Figures are wall seconds of "
             "the whole command (start-up and exit included), except redis: requests/s, the mean of SET and GET, "
             "higher is better. Median (min–max); the ratio is the median of per-round ratios to native.\n"
             % PAIRS)
    L.append("| case | native | libwait (ratio) | heaptrack (ratio) | target | verdict | libwait vs heaptrack | "
             "events | distinct stacks | B/event | libwait's own share of CPU | stack cache hits |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in res["corpus"]:
        if r["heaptrack"]:
            ht = corpus_cell(r, "heaptrack") + ("; " + r["ht_note"] if r["ht_note"] else "")
        else:
            ht = r["heaptrack_status"]
        ok, rule = target_met(r), ht_rule(r)
        procs = " in %d processes" % r["processes"] if r["processes"] > 1 else ""
        L.append("| %s | %s%s | %s | %s | %s | %s | %s | %d%s | %d | %.1f | %.1f%% | %.2f%% |" %
                 (r["name"], corpus_cell(r, "native"), " " + r["unit"], corpus_cell(r, "libwait"), ht,
                  target_text(r), "—" if ok is None else verdict(ok),
                  "n/a" if rule is None else ("at or better" if rule else "**worse**"), r["records"], procs,
                  r["stacks"], r["bytes_per_event"], 100 * r["self_share"], 100 * r["stack_hit_rate"]))
    L.append("")
    for note in res["skipped"]:
        L.append("- " + note)
    L.append("")
    L.append("Events, stacks and B/event come from the last libwait run (summed over its processes for make). "
             "B/event counts every record byte written (calls, stacks, modules, clock pairs, context switches) "
             "per call record. libwait's own share: the self-time estimate (libwait.self_ns) over the traced "
             "run's user+sys CPU (the server's alone for redis); it counts TSC ticks, so time a thread spent "
             "descheduled inside libwait counts too, and on a loaded machine it can exceed 100%. "
             "The make case sets `WAIT_OUTPUT` with `%p`, "
             "so every process of the build writes a trace; heaptrack follows only the make process itself, "
             "so its figure is not compared.\n")


def write_md(res):
    L = []
    L.append("# libwait benchmarks\n")
    L.append("Generated by `make bench` (bench/run.py): %d interleaved pairs (native A, libwait B, A, B, ...) "
             "per micro case, median and min–max. Machine: %s. Date: %s. Commit: %s. Load average at start: %s.\n" %
             (PAIRS, machine(), res["date"], res["commit"], res["load"]))
    if res.get("kept"):
        L.append("Sections from an earlier sitting (`BENCH_ONLY` measured the rest): %s.\n" %
                 "; ".join("%s (%s)" % (k, v) for k, v in sorted(res["kept"].items())))
    L.append("## Targets\n")
    L.append("| target | measured (median) | verdict |")
    L.append("|---|---|---|")
    tg = []
    for key, label in (("malloc+free 64 B, depth 30, 1 thread", "≤ 100 ns added per malloc+free call (depth 30, full stacks, timings)"),
                       ("malloc+free 64 B, depth 5, 1 thread", "≤ 100 ns added per malloc+free call (depth 5)"),
                       ("mutex lock+unlock, uncontended, 1 thread, WAIT_LOCKS=all (recorded)", "≤ 100 ns added per lock+unlock call (recorded)")):
        r = next((x for x in res["micro"] if x["name"] == key), None)
        if r:
            m = statistics.median(r["added_ns_call"])
            tg.append((label, "%.1f ns per call (%.1f per pair)" % (m, 2 * m), m <= 100))
    for r in res["corpus"]:
        ok = target_met(r)
        if ok is not None:
            tg.append(("%s on %s" % (target_text(r), r["name"]), "%.2f×" % statistics.median(ratios(r, "libwait")),
                       ok))
    rule = [(r, ht_rule(r)) for r in res["corpus"]]
    rule = [(r, ok) for r, ok in rule if ok is not None]
    if rule:
        bad = [r["name"] for r, ok in rule if not ok]
        tg.append(("on every case heaptrack can run, libwait's ratio to native is at or below heaptrack's",
                   "%d of %d cases%s" % (len(rule) - len(bad), len(rule), "; not on: " + "; ".join(bad) if bad else ""),
                   not bad))
    pp = next((x for x in res["micro"] if x["mode"] == "pingpong"), None)
    if pp:
        rr = [b / a for a, b in zip(pp["native_ns_op"], pp["libwait_ns_op"])]
        m = statistics.median(rr)
        tg.append(("≤ 1.10× on the eventfd ping-pong (micro, ns per round trip)", "%.2f×" % m, m <= 1.10))
    real = [r for r in res["corpus"] if "bench/micro" not in r["name"]]
    if real:
        avg = statistics.mean(r["bytes_per_event"] for r in real)
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
        # per record: a case whose calls are counted, not recorded (the
        # lone-thread rule), writes a few start-up records only
        few = r.get("records", 1000) < 1000
        L.append("| %s | %s | %s | %s | %s | %s |" % (r["name"], mm(r["native_ns_op"]), mm(r["libwait_ns_op"]),
                                                      mm(r["added_ns_call"]),
                                                      "—" if few else "%.1f" % r["self_ns_call"],
                                                      "—" if few else "%.1f" % r["bytes_per_record"]))
    L.append("")
    if res["callgrind"]:
        L.append("Instructions per intercepted call (callgrind, N vs 2N operations, so start-up cancels):\n")
        L.append("| case | native | libwait | added |")
        L.append("|---|---|---|---|")
        for r in res["callgrind"]:
            L.append("| %s | %.1f | %.1f | %.1f |" % (r["name"], r["native"], r["libwait"], r["added"]))
        L.append("")
    corpus_md(L, res)
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
           "micro": [], "callgrind": [], "corpus": [], "skipped": [], "analyzer": []}
    only = os.environ.get("BENCH_ONLY", "micro,callgrind,corpus,analyzer").split(",")
    # A subset keeps the other sections of the last sitting (results.json),
    # each marked in BENCH.md with the sitting it comes from.
    res["kept"] = {}
    last = os.path.join(WORK, "results.json")
    if os.path.exists(last):
        with open(last) as f:
            prev = json.load(f)
        for k in ("micro", "callgrind", "corpus", "analyzer"):
            if k not in only and prev.get(k):
                res[k] = prev[k]
                res["kept"][k] = prev.get("kept", {}).get(k) or "%s, commit %s" % (prev["date"], prev["commit"])
    t0 = time.time()
    try:
        txt, sql, py = make_inputs()
        if "micro" in only:
            bench_micro(res)
        if "corpus" in only:
            bench_corpus(res, corpus(txt, sql, py))
        if "analyzer" in only:
            bench_analyzer(res)
        if "callgrind" in only:
            bench_callgrind(res)
    except BenchError as e:
        log("bench: FAILED: %s" % e)
        return 1
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    write_md(res)
    log("bench: done in %.0f s; wrote BENCH.md" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
