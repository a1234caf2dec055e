/* sitekey.h: sites keyed by their symbolized stack instead of their stack
 * id, so sites from different processes, builds and ASLR layouts can be
 * merged (multi-trace reports, exports) and matched (diff).
 *
 * The key is the folded path "root;...;caller;function": the names of the
 * frames, outermost first, then the wrapped function. Frames are function
 * names only (inlined frames included), not lines or addresses, so an edit
 * that moves lines still matches; two calls of one wrapped function from
 * the same function with the same callers therefore share a key. A frame
 * with no symbol is "[module]". ';' and line breaks in names become '_'. */
#ifndef WR_SITEKEY_H
#define WR_SITEKEY_H

#include <uthash.h>

#include "model/model.h"

/* The measures of a keyed site, summed over the sites that share its key. */
struct wr_kval {
    uint64_t calls, total_ns, max_ns, bytes, errors;
    uint64_t blocked_ns, runnable_ns, switches;
};

struct wr_ksite {
    UT_hash_handle hh;
    char *key;        /* the folded path (owned) */
    const char *leaf; /* the wrapped function's name, inside key */
    size_t nframes;   /* frames before the leaf */
    unsigned func;    /* function id */
    /* the symbolized frames of its stack in the first model it was seen in,
     * innermost first: a copy, so the table outlives its models; the
     * strings are the symbolizer's (wr_symbols_resolve), so a table of
     * models that share a wr_symlib may outlive them but not it */
    struct wr_frame *frames;
    size_t nsym;
    struct wr_kval v;
    struct wr_hist hist; /* call durations, merged */
    int split;           /* wait/CPU measured in every model that had it */
    uint32_t *pids;      /* processes it was seen in, in order added */
    size_t npids, cappids;
};

struct wr_ktable {
    struct wr_ksite *h;       /* uthash by key */
    struct wr_ksite **sorted; /* after wr_ktable_sort */
    size_t n;
    uint32_t *seen; /* the pids of the models added, sorted, once each */
    size_t nseen, capseen;
};

/* wr_site_key: the key of site s of model m into a new malloc'ed string
 * (NULL on out of memory); *nframes gets the number of frames before the
 * leaf. Symbolizes through m (cached). */
char *wr_site_key(struct wr_model *m, const struct wr_site *s, size_t *nframes);

/* wr_ktable_add: add every site of m to t, merging by key. 0, or -1 on out
 * of memory (t stays consistent and can be freed). t keeps nothing of m
 * but the frames' strings (see wr_ksite.frames). */
int wr_ktable_add(struct wr_ktable *t, struct wr_model *m);

/* wr_ktable_find: the site with this key, or NULL. */
struct wr_ksite *wr_ktable_find(struct wr_ktable *t, const char *key);

/* wr_ktable_sort: fill t->sorted by total time, descending, then key. 0 or -1. */
int wr_ktable_sort(struct wr_ktable *t);

void wr_ktable_free(struct wr_ktable *t);

/* wr_kval_wait / wr_kval_cpu: wait (blocked + runnable) and CPU ns. */
static inline uint64_t wr_kval_wait(const struct wr_kval *v) { return v->blocked_ns + v->runnable_ns; }
static inline uint64_t wr_kval_cpu(const struct wr_kval *v)
{
    return wr_model_cpu_ns(v->total_ns, v->blocked_ns, v->runnable_ns);
}

#endif
