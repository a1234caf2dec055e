/* model.h: a trace aggregated into sites (wrapped function, stack),
 * threads, stacks and modules, with stamps converted to nanoseconds. */
#ifndef WR_MODEL_H
#define WR_MODEL_H

#include <uthash.h>

#include "reader.h"
#include "symbols.h"

struct wr_site {
    UT_hash_handle hh;
    uint64_t key;            /* stack << 8 | func */
    unsigned func;
    uint32_t stack;
    uint64_t calls, total_ticks, max_ticks, bytes, errors;
};

struct wr_stackdef {
    UT_hash_handle hh;
    uint32_t id, depth;
    uint64_t frames[];
};

struct wr_module {
    char *path;
    uint64_t base;
    uint8_t build_id[64];
    size_t build_id_len;
    uint64_t ranges[64][2];
    size_t nranges;
};

struct wr_thread {
    uint32_t stream, tid;
    char name[17];
    uint64_t first_tsc, last_tsc; /* first and last stamps seen */
    int started, ended;           /* THREAD start / end records seen */
    uint64_t calls;
};

struct wr_model {
    struct wr_trace *trace;
    struct wr_site *sites;       /* hash by key */
    struct wr_site **sorted;     /* by total time, descending */
    size_t nsites;
    struct wr_stackdef *stacks;  /* hash by id */
    struct wr_module *mods;
    size_t nmods, capmods;
    struct wr_thread *threads;   /* one per stream, in stream order */
    size_t nthreads;
    uint64_t calls, records, dropped_records;
    uint64_t pair_lo[2], pair_hi[2]; /* (tsc, mono ns) at the lowest/highest tsc */
    double ns_per_tick;
    int rate_estimated;          /* no two clock pairs far enough apart */
    uint64_t first_tsc, last_tsc;
    uint64_t wall_ns;
    struct wr_symbols *sym;      /* created on first use */
    /* walk state */
    size_t cur_thread;
    struct wr_site *last_site;
};

/* wr_model_build: aggregate trace t (already open). 0, or -1 on out of
 * memory. Damage in t is warned about by the reader and skipped. */
int wr_model_build(struct wr_model *m, struct wr_trace *t);

/* wr_model_ns: a tick count as nanoseconds. */
uint64_t wr_model_ns(const struct wr_model *m, uint64_t ticks);

/* wr_model_frames: the symbolized frames of stack id, caller first,
 * inlined frames expanded; at most max. 0 for an unknown stack. */
size_t wr_model_frames(struct wr_model *m, uint32_t stack, struct wr_frame *out, size_t max);

/* wr_model_family: the family name of function id f. */
const char *wr_model_family(unsigned f);

void wr_model_free(struct wr_model *m);

#endif
