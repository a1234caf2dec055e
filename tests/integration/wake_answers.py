#!/usr/bin/env python3
"""wake_answers.py JSON MODE: the known answers of the waker analysis
(doc/wakers.md) on the report of a tests/helpers/wake_helper MODE trace:
wakers, causes, the critical path, thread lives (MODE mark: a report made
with --critical-path wait). Prints one "ok - " or "not ok - " line per
check."""
import json
import sys


def check(ok, what):
    print(('ok - ' if ok else 'not ok - ') + what)
    return ok


def at(entry, fn):
    """whether stack (innermost first) has function fn in its first frames"""
    return any(f.get('function') == fn for f in entry.get('stack', [])[:3])


def site(d, func, caller):
    s = [x for x in d['sites'] if x['function'] == func and at(x, caller)]
    s.sort(key=lambda x: (bool(x.get('wakers')), x['total_ns']), reverse=True)
    return s[0] if s else None


def loaded():
    """whether the machine is busy (load over 1.5): threads then wait for a
    CPU before they run, which lengthens a wait but never shortens it"""
    try:
        return float(open('/proc/loadavg').read().split()[0]) >= 1.5
    except (OSError, ValueError, IndexError):
        return False


def near(v, want, tol=0.10):
    """v within tol of want; under load, up to 35% over it (see loaded)"""
    return (1 - tol) * want <= v <= (1 + (max(tol, 0.35) if loaded() else tol)) * want


def crit(d, what):
    """the critical path's entries and their sum, checked against the life
    of the thread it is of (within 1%); None when there is none"""
    c, of = d.get('critical_path'), d.get('critical_path_of')
    if not check(c and of, '%s: the report has a critical path' % what):
        return None
    total = sum(x['ns'] for x in c)
    byt = sum(x['ns'] for x in of.get('by_thread', []))
    check(abs(byt - total) <= 0.01 * total and of['threads'] == len([x for x in of['by_thread'] if x['tid']]),
          '%s: the path by thread sums to it too (%.1f of %.1f ms, %d threads)' % (what, byt / 1e6, total / 1e6,
                                                                                  of['threads']))
    th = [t for t in d['threads'] if t['tid'] == of['tid']]
    life = th[0].get('life_ns') if th else None
    if of['mark'] is None:
        check(th and th[0]['tid'] == d['process']['pid'], '%s: the path is of the main thread' % what)
        check(life is not None and abs(total - life) <= 0.01 * life,
              '%s: the path sums to %.1f ms, the main thread\'s life %s ms (within 1%%)' %
              (what, total / 1e6, '%.1f' % (life / 1e6) if life is not None else '?'))
    return c


def main():
    d = json.load(open(sys.argv[1]))
    mode = sys.argv[2]
    ms = 1e6
    if mode == 'cond':
        s = site(d, 'pthread_cond_wait', 'consume')
        if not check(s is not None and s['wakers'], 'cond: the consumer\'s wait has wakers'):
            return
        w, total = s['wakers'][0], sum(x['wait_ns'] for x in s['wakers'])
        check(w['function'] == 'pthread_cond_signal' and at(w, 'producer') and w['wait_ns'] >= 0.9 * total,
              'cond: the producer\'s signal woke >= 90%% of the wait (%.0f of %.0f ms)' % (w['wait_ns'] / ms, total / ms))
        cpu = sum(c['ns'] for c in s['causes'] if c['function'] == 'cpu' and at(c, 'producer'))
        check(near(total, 300 * ms) and cpu >= 0.9 * total,
              'cond: cause: the producer\'s CPU, %.0f ms of %.0f ms (~300)' % (cpu / ms, total / ms))
        p = crit(d, 'cond')
        if p:
            cpu = sum(x['ns'] for x in p if x['function'] == 'cpu' and at(x, 'producer') and x['tid'] == w['tid'])
            check(near(cpu, 300 * ms), 'cond: the critical path goes through the producer\'s CPU, %.0f ms (~300)'
                  % (cpu / ms))
    elif mode == 'pipe':
        s = site(d, 'read', 'main')
        ok = check(s is not None and s['wakers'] and s['wakers'][0]['function'] == 'write' and
                   at(s['wakers'][0], 'stage_b'), 'pipe: A\'s read was woken by B\'s write')
        if ok:
            c = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'stage_c'))
            check(near(c, 300 * ms), 'pipe: A\'s cause is C\'s usleep, %.0f ms (~300)' % (c / ms))
            tid = [x['tid'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'stage_c')][0]
            p = crit(d, 'pipe')
            if p:
                check(p[0]['function'] == 'usleep' and at(p[0], 'stage_c') and p[0]['tid'] == tid and
                      near(p[0]['ns'], 300 * ms), 'pipe: the critical path\'s largest entry is C\'s usleep '
                      '(tid %d), %.0f ms (~300): %s %s tid %d' % (tid, p[0]['ns'] / ms, p[0]['function'],
                                                                 [f.get('function') for f in p[0]['stack'][:1]],
                                                                 p[0]['tid']))
    elif mode == 'join':
        s = site(d, 'pthread_join', 'main')
        ok = check(s is not None and s['wakers'] and s['wakers'][0]['function'] == 'exit' and
                   at(s['wakers'][0], 'sleeper'), 'join: the join was woken by the worker\'s end (exit)')
        if ok:
            c = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'sleeper'))
            check(near(c, 300 * ms), 'join: the cause is the worker\'s usleep, %.0f ms (~300)' % (c / ms))
            p = crit(d, 'join')
            if p:
                c = sum(x['ns'] for x in p if x['function'] == 'usleep' and at(x, 'sleeper'))
                check(near(c, 300 * ms), 'join: the critical path has the worker\'s usleep, %.0f ms (~300)' % (c / ms))
    elif mode == 'busy':
        s = site(d, 'pthread_join', 'main')
        ok = check(s is not None and s['causes'], 'busy: the join has causes')
        if ok:
            w = sum(x['ns'] for x in s['causes'])
            sl = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'busy'))
            cpu = sum(x['ns'] for x in s['causes'] if x['function'] == 'cpu')
            unk = sum(x['ns'] for x in s['causes'] if x['function'] == 'unknown')
            check(near(sl, 100 * ms), 'busy: the worker\'s usleep is a cause, %.0f ms (~100)' % (sl / ms))
            check(near(cpu, 100 * ms), 'busy: its CPU among ~10,000 calls is a cause, %.0f ms (~100)' % (cpu / ms))
            check(unk <= 0.02 * w, 'busy: none of it is unknown (%.1f ms of %.0f ms): the worker\'s calls were kept'
                  % (unk / ms, w / ms))
    elif mode == 'mutex':
        s = site(d, 'pthread_mutex_lock', 'main')
        ok = check(s is not None and s['wakers'] and s['wakers'][0]['function'] == 'pthread_mutex_unlock' and
                   at(s['wakers'][0], 'holder'), 'mutex: the wait was woken by the holder\'s unlock')
        if ok:
            total = sum(x['ns'] for x in s['causes'])
            c = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'holder'))
            check(total >= 150 * ms and c >= 0.95 * total,
                  'mutex: the holder\'s usleep inside its hold is >= 95%% of the cause (%.0f of %.0f ms)' %
                  (c / ms, total / ms))
    elif mode in ('sem', 'eventfd', 'socketpair'):
        wait, rel, who = {'sem': ('sem_wait', 'sem_post', 'poster'),
                          'eventfd': ('eventfd_read', 'eventfd_write', 'efd_writer'),
                          'socketpair': ('read', 'write', 'pair_writer')}[mode]
        s = site(d, wait, 'main')
        ok = check(s is not None and s['wakers'] and s['wakers'][0]['function'] == rel and at(s['wakers'][0], who),
                   '%s: %s was woken by %s in %s' % (mode, wait, rel, who))
        if ok:
            c = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, who))
            check(near(c, 200 * ms), '%s: the cause is %s\'s usleep, %.0f ms (~200)' % (mode, who, c / ms))
    elif mode in ('poll', 'epoll', 'listen'):
        wait, rel, who, cause = {'poll': ('poll', 'write', 'cpu_writer', 'cpu'),
                                 'epoll': ('epoll_wait', 'eventfd_write', 'efd_writer', 'usleep'),
                                 'listen': ('poll', 'connect', 'connector', 'usleep')}[mode]
        s = site(d, wait, 'main')
        ok = s is not None and s['wakers']
        total = sum(x['wait_ns'] for x in s['wakers']) if ok else 0
        w = s['wakers'][0] if ok else {}
        ok = check(ok and w['function'] == rel and at(w, who) and w['wait_ns'] >= 0.9 * total,
                   '%s: %s was woken by %s in %s, >= 90%% of the wait (%s)' %
                   (mode, wait, rel, who, '%.0f of %.0f ms' % (w['wait_ns'] / ms, total / ms) if w else 'no waker'))
        if ok:
            c = sum(x['ns'] for x in s['causes'] if x['function'] == cause and at(x, who))
            check(near(c, 200 * ms), '%s: the cause is %s\'s %s, %.0f ms (~200)' % (mode, who, cause, c / ms))
    elif mode == 'eventfd_select':
        # examples/eventfd_select: pinger and ponger hand a token through two
        # eventfds, each waiting in select for the other's eventfd_write
        tids = set()
        for who, other in (('pinger', 'ponger'), ('ponger', 'pinger')):
            s = site(d, 'select', who)
            w = s['wakers'][0] if s and s['wakers'] else {}
            total = sum(x['wait_ns'] for x in s['wakers']) if w else 0
            check(w.get('function') == 'eventfd_write' and at(w, other) and w['wait_ns'] >= 0.5 * total,
                  'eventfd_select: the select in %s was woken by eventfd_write in %s (%s)' %
                  (who, other, '%.0f%% of the wait' % (100.0 * w['wait_ns'] / total) if w and total else 'no waker'))
            tids.add(w.get('tid'))
        loops = [sorted(x['tids']) for x in d.get('wait_loops', [])]
        check(len(tids) == 2 and sorted(tids) in loops,
              'eventfd_select: pinger and ponger are reported as a wait loop (%s; wakers %s)' % (loops, sorted(tids, key=str)))
        # main's join of the pinger (6,000 calls, more than the 1,024 a
        # thread keeps at least) is explained by the pinger's calls
        j = site(d, 'pthread_join', 'main')
        total = sum(c['ns'] for c in j['causes']) if j else 0
        unk = sum(c['ns'] for c in j['causes'] if c['function'] in ('unknown', 'other')) if j else 0
        check(total > 0 and unk <= 0.1 * total and j['causes'][0]['function'] not in ('unknown', 'other'),
              'eventfd_select: main\'s join is explained by the threads\' calls, unknown %s' %
              ('%.0f%% (<= 10%%)' % (100.0 * unk / total) if total else 'no causes'))
    elif mode == 'cycle':
        s = site(d, 'pthread_cond_wait', 'cycler')
        check(s is not None and s['wakers'] and all(w['function'] == 'pthread_cond_signal' and at(w, 'cycler')
                                                     for w in s['wakers']),
              'cycle: the token waits were woken by the other cycler\'s signal')
        tids = sorted({w['tid'] for w in s['wakers']}) if s else []
        loops = [sorted(x['tids']) for x in d.get('wait_loops', [])]
        check(len(tids) == 2 and tids in loops or len(tids) == 1 and d.get('wake_cycles', 0) >= 0 and
              any(tids[0] in l for l in loops),
              'cycle: the two cyclers are reported as a loop (%s; wakers %s)' % (loops, tids))
    elif mode == 'barrier':
        ss = [x for x in d['sites'] if x['function'] == 'pthread_barrier_wait' and at(x, 'main')]
        wk = [w for x in ss for w in x['wakers']]
        total = sum(w['wait_ns'] for w in wk)
        by = sum(w['wait_ns'] for w in wk if w['function'] == 'pthread_barrier_wait' and at(w, 'barrier_worker'))
        check(wk and by >= 0.9 * total and len({w['tid'] for w in wk if w['function'] == 'pthread_barrier_wait'}) == 2,
              'barrier: main\'s waits were woken by the last arrival, each worker once (%.0f of %.0f ms)'
              % (by / ms, total / ms))
        cpu = sum(c['ns'] for x in ss for c in x['causes'] if c['function'] == 'cpu' and at(c, 'barrier_worker'))
        check(near(cpu, 200 * ms), 'barrier: the cause is the workers\' CPU before they arrived, %.0f ms (~200)'
              % (cpu / ms))
        w = [x for x in d['sites'] if x['function'] == 'pthread_barrier_wait' and at(x, 'barrier_worker')]
        ww = sum(y['wait_ns'] for x in w for y in x['wakers'] if y['function'] == 'pthread_barrier_wait')
        check(near(ww, 200 * ms), 'barrier: the early worker\'s waits were woken by the other, %.0f ms (~200)'
              % (ww / ms))
    elif mode == 'alone':
        p = crit(d, 'alone')
        if p:
            sl = sum(x['ns'] for x in p if x['function'] == 'usleep' and at(x, 'main'))
            cpu = sum(x['ns'] for x in p if x['function'] == 'cpu' and x['tid'] == d['process']['pid'])
            check(near(sl, 100 * ms) and 90 * ms <= cpu <= 130 * ms and d['critical_path_of']['threads'] == 1,
                  'alone: the path is main\'s own: usleep %.0f ms (~100), cpu %.0f ms (100 and its start and exit, '
                  '90 .. 130)' % (sl / ms, cpu / ms))
    elif mode == 'life':
        th = [t for t in d['threads'] if t['calls'] == 1]
        o = th[0].get('outside_cpu_ns') if len(th) == 1 else None
        check(o is not None and near(o, 100 * ms), 'life: the worker\'s CPU outside any call is %s ms (~100)'
              % ('%.1f' % (o / ms) if o is not None else '?'))
        check(len(th) == 1 and th[0]['outside_ns'] >= 0.9 * th[0]['life_ns'],
              'life: its time outside any call is most of its life')
    elif mode == 'fault':
        pages = int(sys.argv[3])
        th = max(d['threads'], key=lambda t: t['outside_ns'])
        minor = th.get('minor_faults')
        check(minor is not None and abs(minor - pages) <= 0.1 * pages,
              'fault: the toucher had %s minor page faults for %d pages touched (within 10%%)' % (minor, pages))
        check(th.get('major_faults') is not None, 'fault: its major page faults are reported')
    elif mode == 'mark':
        p = crit(d, 'mark')
        of = d.get('critical_path_of') or {}
        marks = {k['name']: k['t_ns'] for k in d.get('marks', []) if k['kind'] == 'mark'}
        want = marks.get('after', 0) - marks.get('wait', 0)
        if p:
            total = sum(x['ns'] for x in p)
            check(of.get('mark') == 'wait' and of.get('intervals') == 1 and want > 0 and
                  abs(total - want) <= 0.01 * want, 'mark: the path of mark \'wait\' sums to %.1f ms, the interval '
                  'to the next mark %.1f ms (within 1%%)' % (total / ms, want / ms))
            check(p[0]['function'] == 'usleep' and at(p[0], 'sleeper') and near(p[0]['ns'], 200 * ms),
                  'mark: its largest entry is the worker\'s usleep, %.0f ms (~200)' % (p[0]['ns'] / ms))
    else:
        check(False, 'unknown mode ' + mode)


main()
