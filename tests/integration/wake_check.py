"""wake_check.py TRACE MODE: decode, independently of the analyzer, the
records a waker analysis needs from a trace of tests/helpers/wake_helper
MODE, and print ok/not ok lines (wake.sh). The format is read from
include/lw_format.h itself (function ids and schemas), so a renumbering
there cannot pass unnoticed here."""
import os, re, struct, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
HDR = open(os.path.join(ROOT, 'include', 'lw_format.h')).read()
FUNCS = {int(i): (n, s) for i, n, s in re.findall(r'X\((\d+), (\w+), LW_FAM_\w+, LW_S_(\w+)\)', HDR)}
ID = {n: i for i, (n, s) in FUNCS.items()}
def define(name):
    return int(re.search(r'#define %s +(0x[0-9a-f]+|\d+)' % name, HDR).group(1), 0)
REC_THREAD, REC_TIME, REC_FDID, REC_EPCTL = 0x81, 0x82, define('LW_REC_FDID'), define('LW_REC_EPCTL')
READY_MAX = define('LW_READY_MAX')
THR_END, THR_BORN, THR_FAULTS = define('LW_THR_END'), define('LW_THR_BORN'), define('LW_THR_FAULTS')
FD_PIPE, FD_SOCKPAIR, FD_EVENTFD = define('LW_FD_PIPE'), define('LW_FD_SOCKPAIR'), define('LW_FD_EVENTFD')

def uv(b, p):
    v = s = 0
    while True:
        x = b[p]; p += 1
        v |= (x & 0x7f) << s; s += 7
        if not x & 0x80:
            return v, p
def sv(b, p):
    v, p = uv(b, p)
    return (v >> 1) ^ -(v & 1), p

# argument fields per schema: 'u' varint, 's' zigzag, 'a' address delta, '?' optional trailing varint
SCHEMA = {'ALLOC': 'ua', 'REALLOC': 'aua', 'FREE': 'a', 'MEMALIGN': 'uau', 'LOCK': 'au?', 'IO': 'us',
          'SELECT': 'usu', 'EVENTFD': 'uus', 'FDOP': 'ss', 'SLEEP': 'us', 'MMAP': 'uau', 'MREMAP': 'auuau',
          'COND': 'aau', 'SYNC': 'au?'}

def read(path):
    d = open(path, 'rb').read()
    chunk = struct.unpack_from('<I', d, 16)[0]
    calls, threads, fdids, times, epctls = [], [], [], [], []
    for off in range(4096, len(d) - 63, chunk):
        magic, stream, seq, tid, base = struct.unpack_from('<IIIIQ', d, off)
        if magic != 0x4b4e4843:
            continue
        p, end, last, addr = off + 64, off + chunk, base, 0
        while p < end and d[p]:
            kind = d[p]
            n, q = uv(d, p + 1)
            e = q + n
            if kind == 0x80:
                break
            if kind in FUNCS:
                name, sch = FUNCS[kind]
                stack, q = uv(d, q)
                dt, q = sv(d, q)
                dur, q = uv(d, q)
                last += dt
                args = []
                for f in SCHEMA[sch]:
                    if f == '?':
                        if q < e:
                            v, q = uv(d, q); args.append(v)
                        continue
                    v, q = (uv if f == 'u' else sv)(d, q)
                    if f == 'a':
                        addr = (addr + v) & (2**64 - 1); v = addr
                    args.append(v)
                ready = None
                if sch == 'SELECT' and q < e:  # optional: (epfd, n, n values)
                    ep, q = sv(d, q); n, q = uv(d, q)
                    vals = []
                    for _ in range(n):
                        v, q = uv(d, q); vals.append(v)
                    ready = dict(epfd=ep, values=vals)
                calls.append(dict(f=name, tid=tid, t0=last, t1=last + dur, args=args, ready=ready))
            elif kind == REC_THREAD:
                t, q = uv(d, q); fl, q = uv(d, q); dt, q = sv(d, q)
                last += dt
                nl, q = uv(d, q); q += nl
                ex = []
                while q < e:
                    v, q = uv(d, q); ex.append(v)
                threads.append(dict(tid=t, flags=fl, tsc=last, extra=ex))
            elif kind == REC_TIME:
                a, q = uv(d, q); b, q = uv(d, q); times.append((a, b))
            elif kind == REC_FDID:
                ts, q = uv(d, q); fd, q = sv(d, q)
                vals = []
                while q < e:
                    v, q = uv(d, q); vals.append(v)
                fdids.append(dict(tsc=ts, fd=fd, type=vals[0], dev=vals[1], ino=vals[2], peer=vals[3]))
            elif kind == REC_EPCTL:
                ts, q = uv(d, q); ep, q = sv(d, q); op, q = uv(d, q); fd, q = sv(d, q); data, q = uv(d, q)
                epctls.append(dict(tsc=ts, epfd=ep, op=op, fd=fd, data=data))
            p = e
    times.sort()
    rate = (times[-1][1] - times[0][1]) / (times[-1][0] - times[0][0]) if len(times) > 1 and times[-1][0] > times[0][0] else None
    return calls, threads, fdids, rate, epctls

def check(ok, what):
    print(('ok - ' if ok else 'not ok - ') + what)
    return ok

def main():
    path, mode = sys.argv[1], sys.argv[2]
    calls, threads, fdids, rate, epctls = read(path)
    by = lambda f: [c for c in calls if c['f'] == f]
    fd_of = lambda fd: [x for x in fdids if x['fd'] == fd]
    born = [t for t in threads if t['flags'] & THR_BORN]
    ends = [t for t in threads if t['flags'] & THR_END]
    creates = by('pthread_create')
    if mode == 'cond':
        waits = by('pthread_cond_wait')
        conds = {w['args'][0] for w in waits}
        sig = [c for c in by('pthread_cond_signal') if c['args'][0] in conds]
        check(len(conds) == 1 and len(sig) >= 3, '%d signal records on the condvar the %d waits name (want >= 3)'
              % (len(sig), len(waits)))
        check(len({c['tid'] for c in sig} & {w['tid'] for w in waits}) == 0, 'the signals come from another thread')
    elif mode in ('pipe', 'socketpair'):
        reads, writes = by('read'), by('write')
        want = FD_PIPE if mode == 'pipe' else FD_SOCKPAIR
        pairs = 0
        for w in writes:
            wid = [x for x in fd_of(w['args'][0]) if x['type'] == want]
            for r in reads:
                rid = [x for x in fd_of(r['args'][0]) if x['type'] == want]
                if wid and rid and r['tid'] != w['tid'] and wid[0]['dev'] == rid[0]['dev'] and \
                   (wid[0]['ino'] == rid[0]['ino'] if mode == 'pipe' else wid[0]['ino'] == rid[0]['peer']):
                    pairs += 1
        n = 2 if mode == 'pipe' else 1
        check(pairs == n, '%d write/read pairs on the two ends of one %s across threads (want %d)' % (pairs, mode, n))
    elif mode == 'eventfd':
        made = [x for x in fdids if x['type'] == FD_EVENTFD]
        fds = {x['fd'] for x in made}
        rw = [c for c in by('eventfd_read') + by('eventfd_write') if c['args'][0] in fds]
        check(len(made) == 1 and len(rw) == 2, 'the eventfd has an identity and its read and write name it')
    elif mode == 'sem':
        w, p = by('sem_wait'), by('sem_post')
        check(len(w) == 1 and len(p) == 1 and w[0]['args'][0] == p[0]['args'][0] and w[0]['tid'] != p[0]['tid'],
              'sem_post names the semaphore sem_wait waited on, from another thread')
    elif mode == 'mutex':
        # the holder unlocks the mutex 3 times, the waiter twice; under load
        # the holder's own lock may find the mutex taken by the waiter too
        locks = [c for c in by('pthread_mutex_lock') if len(c['args']) > 2 and c['args'][2] & 1]
        m = {c['args'][0] for c in locks}
        per = {}
        for c in by('pthread_mutex_unlock'):
            if c['args'][0] in m:
                per[c['tid']] = per.get(c['tid'], 0) + 1
        holder = max(per, key=per.get) if per else None
        waiters = {l['tid'] for l in locks if l['tid'] != holder}
        check(len(locks) >= 1 and waiters and per.get(holder, 0) == 3,
              '%d contended locks (by %d threads besides the holder), %d unlocks of that mutex by the holder'
              % (len(locks), len(waiters), per.get(holder, 0)))
    elif mode in ('join', 'mark', 'busy'):
        j = by('pthread_join')
        selfs = {t['extra'][0]: t for t in born if len(t['extra']) >= 2}
        ok = len(j) == 1 and len(creates) == 1 and creates[0]['args'][0] == j[0]['args'][0] in selfs
        check(ok, 'pthread_create and pthread_join name the pthread_t the worker\'s start record gives')
        if ok:
            w = selfs[j[0]['args'][0]]
            e = [t for t in ends if t['tid'] == w['tid']]
            check(w['extra'][1] == creates[0]['tid'], 'the worker\'s creator is the thread that called pthread_create')
            check(len(e) == 1 and creates[0]['t0'] <= w['tsc'] <= e[0]['tsc'] <= j[0]['t1'],
                  'create <= birth <= end <= join return')
            check(len(e) == 1 and e[0]['flags'] & THR_FAULTS and len(e[0]['extra']) == 2 and e[0]['extra'][0] > 0,
                  'the end record carries the page faults (minor > 0)')
    elif mode == 'life':
        w = [t for t in born if len(t['extra']) >= 2 and t['extra'][1] != 0]
        first = [c for c in calls if w and c['tid'] == w[0]['tid']]
        ok = len(w) == 1 and first and rate
        ms = (min(c['t0'] for c in first) - w[0]['tsc']) * rate / 1e6 if ok else 0
        check(ok and 90 <= ms <= 400, 'birth to first call %.1f ms (want 100 ms of CPU: 90 ms .. 400 ms of a loaded machine)' % ms)
        main = [t for t in born if len(t['extra']) >= 2 and t['extra'][1] == 0]
        check(len(main) == 1, 'the main thread\'s start record is its birth (creator 0)')
    elif mode == 'barrier':
        b = by('pthread_barrier_wait')
        check(len(b) == 6 and len({c['args'][0] for c in b}) == 1 and len({c['tid'] for c in b}) == 3,
              '%d barrier waits name one barrier, from 3 threads (want 6)' % len(b))
    elif mode == 'alone':
        check(len({c['tid'] for c in calls}) == 1 and len(by('usleep')) == 1, 'one thread, one usleep')
    elif mode == 'fault':
        pages = (256 << 20) // os.sysconf('SC_PAGE_SIZE')
        w = [t for t in born if len(t['extra']) >= 2 and t['extra'][1] != 0]
        e = [t for t in ends if w and t['tid'] == w[0]['tid'] and t['flags'] & THR_FAULTS and len(t['extra']) == 2]
        minor = e[0]['extra'][0] if e else 0
        check(abs(minor - pages) <= 0.1 * pages, 'the toucher\'s end record: %d minor page faults (%d pages touched)'
              % (minor, pages))
    elif mode == 'poll':
        p = by('poll')
        ready = p[0]['ready'] if len(p) == 1 else None
        rid = [x for x in fd_of(ready['values'][0]) if x['type'] == FD_PIPE] if ready and ready['values'] else []
        check(ready is not None and ready['epfd'] == -1 and len(ready['values']) == 1 and rid,
              'the poll record names the pipe end it found ready (%s)' % ready)
        w = [c for c in by('write') if rid and c['tid'] != p[0]['tid'] and
             any(x['ino'] == rid[0]['ino'] for x in fd_of(c['args'][0]) if x['type'] == FD_PIPE)]
        check(len(w) == 1 and p[0]['t0'] <= w[0]['t0'] <= p[0]['t1'],
              'a write on the other end of that pipe, by another thread, lies inside the poll')
    elif mode == 'listen':
        p = by('poll')
        ready = p[0]['ready'] if len(p) == 1 else None
        lis = [x for x in fdids if x['type'] == define('LW_FD_LISTEN')]
        check(len(lis) == 1 and ready is not None and ready['values'] == [lis[0]['fd']],
              'the listening socket has an identity and the poll record names it ready (%s)' % ready)
    elif mode == 'epoll':
        p = by('epoll_wait')
        ready = p[0]['ready'] if len(p) == 1 else None
        add = [x for x in epctls if x['op'] == 1]
        efd = [x for x in fdids if x['type'] == FD_EVENTFD]
        check(len(add) == 1 and efd and add[0]['fd'] == efd[0]['fd'] and add[0]['data'] != add[0]['fd'],
              'one EPCTL record: the eventfd added with its data (a pointer, not the fd)')
        check(ready is not None and add and ready['epfd'] == add[0]['epfd'] and ready['values'] == [add[0]['data']],
              'the epoll_wait record names its epoll fd and the data of the event it returned (%s)' % ready)
        check(all(len(c['ready']['values']) <= READY_MAX for c in calls if c['ready']), 'no ready list is too long')
    elif mode == 'cycle':
        s = by('pthread_cond_signal')
        check(len({c['args'][0] for c in s}) == 2 and len(s) >= 18 and len({c['tid'] for c in s}) == 2,
              '%d signals on two condvars from two threads' % len(s))
    else:
        check(False, 'unknown mode ' + mode)

main()
