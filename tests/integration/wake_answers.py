#!/usr/bin/env python3
"""wake_answers.py JSON MODE: the known answers of the waker analysis
(doc/wakers.md) on the report of a tests/helpers/wake_helper MODE trace.
Prints one "ok - " or "not ok - " line per check."""
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
    elif mode == 'pipe':
        s = site(d, 'read', 'main')
        ok = check(s is not None and s['wakers'] and s['wakers'][0]['function'] == 'write' and
                   at(s['wakers'][0], 'stage_b'), 'pipe: A\'s read was woken by B\'s write')
        if ok:
            c = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'stage_c'))
            check(near(c, 300 * ms), 'pipe: A\'s cause is C\'s usleep, %.0f ms (~300)' % (c / ms))
    elif mode == 'join':
        s = site(d, 'pthread_join', 'main')
        ok = check(s is not None and s['wakers'] and s['wakers'][0]['function'] == 'exit' and
                   at(s['wakers'][0], 'sleeper'), 'join: the join was woken by the worker\'s end (exit)')
        if ok:
            c = sum(x['ns'] for x in s['causes'] if x['function'] == 'usleep' and at(x, 'sleeper'))
            check(near(c, 300 * ms), 'join: the cause is the worker\'s usleep, %.0f ms (~300)' % (c / ms))
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
    else:
        check(False, 'unknown mode ' + mode)


main()
