/* top_model.h: the live model behind `waitreport top`: sites and threads
 * aggregated from a trace followed with live.c, per refresh interval and
 * since the start, with the wait/CPU split from context switches. */
#ifndef WR_TOP_H
#define WR_TOP_H

#include "model/hist.h"
#include "model/model.h"
#include "trace/live.h"

struct wr_top_acc {
    uint64_t calls, total_ns, blocked_ns, runnable_ns;
    struct wr_hist hist;
};

struct wr_top_site {
    UT_hash_handle hh;
    uint64_t key; /* stack << 8 | func */
    unsigned func;
    uint32_t stack;
    struct wr_top_acc cur, last, cum; /* this interval, the last one, since start */
    char where[128];                  /* "worker (x.c:21)", resolved lazily */
    int labelled;
};

struct wr_top_pend {
    struct wr_top_site *site;
    uint64_t a, b, dur_ns; /* monotonic ns */
    uint64_t bytes;        /* wr_call_bytes */
};

struct wr_top_thread {
    uint32_t stream, tid;
    char name[17];
    struct wr_top_acc cur, last, cum;
    struct wr_top_pend *pend; /* calls waiting for their switches, oldest first */
    size_t p0, np, cappend;   /* live entries are [p0, np) */
    struct wr_offcpu *off;    /* off-CPU intervals not yet needed, sorted */
    size_t o0, noff, capoff;
    uint64_t out_ns; /* open switch-out */
    uint32_t out_fl;
    int have_out;
    uint64_t covered; /* every switch before this is in */
    uint64_t cand;    /* covered once a non-SWITCH record follows */
    int have_cand, ended;
    uint64_t last_b;
};

/* wr_top_part: the calls of one site by one thread in one interval, for
 * a profile per interval (wr_top.parts_on). */
struct wr_top_part {
    UT_hash_handle hh;
    uintptr_t key[2]; /* site, thread */
    struct wr_top_site *site;
    struct wr_top_thread *th;
    uint64_t calls, total_ns, blocked_ns, runnable_ns, bytes;
};

#define WR_TOP_MARKS 256

struct wr_top {
    struct wr_live live;
    struct wr_model sym; /* only stacks and modules, for labels */
    size_t sym_mods;     /* modules given to sym.sym so far */
    int sym_made;        /* sym.sym exists and sym_mods counts for it */
    struct wr_top_site *sites;
    size_t nsites;
    struct wr_top_site *last_site;  /* the site of the previous call */
    struct wr_top_thread **threads; /* in order of appearance */
    size_t nthreads, capthreads;
    int have_switches;
    int replay;                         /* time comes from a horizon, not the clock */
    uint64_t t_start, t_prev, t_now;    /* monotonic ns: run start, interval */
    uint64_t rec_prev, events_last;     /* records: at the last refresh, in it */
    struct wr_mark marks[WR_TOP_MARKS]; /* the latest marks (ring) */
    size_t nmarks;                      /* marks seen in all */
    uint64_t lost;                      /* switch records the kernel lost */
    int rec_paused;                     /* the last PAUSE/RESUME record taken was a PAUSE */
    uint64_t end_ns;                    /* gone unclosed: its latest stamp, 0 = not known */
    int parts_on;                       /* keep the parts of each interval (set before the first update) */
    struct wr_top_part *parts;          /* this interval's, by (site, thread) */
    struct wr_top_part *last_parts;     /* the interval the last update closed */
    struct wr_top_part *last_part;      /* the part of the previous call counted */
    int oom;
};

/* wr_top_open: follow path. 0, or -1 with a message in err. */
int wr_top_open(struct wr_top *t, const char *path, char *err, size_t errlen);

/* wr_top_update: take what was written up to horizon (UINT64_MAX = now),
 * settle the calls whose switches are in, and close the interval at
 * now_ns (the last interval becomes `last`, and its parts last_parts;
 * now_ns is clamped to the end of a run that is over). Each call counts in
 * the interval where it settles, so the intervals split the calls exactly:
 * once the run is over and read, every call has counted in one of them.
 * 0, or -1 on out of memory or a file cut short. */
int wr_top_update(struct wr_top *t, uint64_t horizon, uint64_t now_ns);

/* wr_top_sync_modules: hand the modules read since the last call to the
 * symbolizer of t->sym, so that stacks through a library loaded since
 * resolve (site labels made before are made again). Call it before and
 * after resolving stacks of t->sym: the first wr_model_frames makes the
 * symbolizer with the modules read until then. */
void wr_top_sync_modules(struct wr_top *t);

/* wr_top_label: the site's first frame as "function (file:line)". */
const char *wr_top_label(struct wr_top *t, struct wr_top_site *s);

/* wr_top_end_ns: when the traced process ended (the header's end; for a
 * process gone without closing its trace, the latest stamp in the file),
 * or 0 while it runs or before an update found it gone. */
uint64_t wr_top_end_ns(const struct wr_top *t);

void wr_top_close(struct wr_top *t);

#endif
