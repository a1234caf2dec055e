/* sitekey.c: sites keyed by symbolized stack (see sitekey.h). */
#include <stdlib.h>
#include <string.h>

#include "model/sitekey.h"
#include "trace/grow.h"

/* put_name: append name to buf at *o (cap bytes), ';' and line breaks
 * made '_'; stops quietly at the end of buf. */
static void put_name(char *buf, size_t cap, size_t *o, const char *name)
{
    for (const char *p = name; *p && *o + 1 < cap; p++)
        buf[(*o)++] = *p == ';' || *p == '\n' || *p == '\r' ? '_' : *p;
}

/* key_of: the key of a call of func under frames fr[0..n) (innermost
 * first), in a new malloc'ed string; NULL on out of memory. */
static char *key_of(const struct wr_frame *fr, size_t n, unsigned func)
{
    size_t cap = 64, o = 0;
    for (size_t i = 0; i < n; i++)
        cap += strlen(fr[i].function) + strlen(fr[i].module) + 4;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (size_t i = n; i-- > 0;) { /* fr is innermost first */
        if (strcmp(fr[i].function, "??") != 0) {
            put_name(buf, cap, &o, fr[i].function);
        } else {
            put_name(buf, cap, &o, "[");
            put_name(buf, cap, &o, fr[i].module);
            put_name(buf, cap, &o, "]");
        }
        if (o + 1 < cap)
            buf[o++] = ';';
    }
    const struct lw_func_info *fi = lw_func_info_of(func);
    put_name(buf, cap, &o, fi ? fi->name : "?");
    buf[o] = 0;
    return buf;
}

char *wr_site_key(struct wr_model *m, const struct wr_site *s, size_t *nframes)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t n = wr_model_frames(m, s->stack, fr, LW_MAX_DEPTH);
    *nframes = n;
    return key_of(fr, n, s->func);
}

struct wr_ksite *wr_ktable_find(struct wr_ktable *t, const char *key)
{
    struct wr_ksite *k;
    HASH_FIND_STR(t->h, key, k);
    return k;
}

/* add_pid: note pid in k's process list once. A pid new to the table
 * (fresh) cannot be in the list but may have been added for an earlier site
 * of the same model, which is then the list's last; only a pid seen before
 * (an exec'd image, which keeps its pid) needs the list searched. So adding
 * N processes costs O(N), not O(N^2), for a site common to all. 0 or -1. */
static int add_pid(struct wr_ksite *k, uint32_t pid, int fresh)
{
    if (k->npids && k->pids[k->npids - 1] == pid)
        return 0;
    for (size_t i = 0; !fresh && i < k->npids; i++)
        if (k->pids[i] == pid)
            return 0;
    if (wr_grow((void **)&k->pids, &k->cappids, k->npids, sizeof *k->pids, 4) != 0)
        return -1;
    k->pids[k->npids++] = pid;
    return 0;
}

/* see_pid: note pid among the table's models; 1 when it is new, 0 when
 * seen before, -1 on out of memory. */
static int see_pid(struct wr_ktable *t, uint32_t pid)
{
    size_t lo = 0, hi = t->nseen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->seen[mid] == pid)
            return 0;
        if (t->seen[mid] < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (wr_grow((void **)&t->seen, &t->capseen, t->nseen, sizeof *t->seen, 64) != 0)
        return -1;
    memmove(t->seen + lo + 1, t->seen + lo, (t->nseen - lo) * sizeof *t->seen);
    t->seen[lo] = pid;
    t->nseen++;
    return 1;
}

int wr_ktable_add(struct wr_ktable *t, struct wr_model *m)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    int fresh = see_pid(t, m->trace->hdr.pid);
    if (fresh < 0)
        return -1;
    for (size_t i = 0; i < m->nsites; i++) {
        const struct wr_site *s = m->sorted[i];
        size_t nf = wr_model_frames(m, s->stack, fr, LW_MAX_DEPTH);
        char *key = key_of(fr, nf, s->func);
        if (!key)
            return -1;
        struct wr_ksite *k = wr_ktable_find(t, key);
        if (k) {
            free(key);
            k->split = k->split && m->have_switches;
        } else {
            k = calloc(1, sizeof *k);
            if (!k || !(k->frames = malloc((nf ? nf : 1) * sizeof *k->frames))) {
                free(k);
                free(key);
                return -1;
            }
            memcpy(k->frames, fr, nf * sizeof *fr);
            k->nsym = nf;
            k->key = key;
            k->leaf = strrchr(key, ';') ? strrchr(key, ';') + 1 : key;
            k->nframes = nf;
            k->func = s->func;
            k->split = m->have_switches;
            HASH_ADD_KEYPTR(hh, t->h, k->key, strlen(k->key), k);
            t->n++;
        }
        uint64_t total = wr_model_ns(m, s->total_ticks), mx = wr_model_ns(m, s->max_ticks);
        k->v.calls += s->calls;
        k->v.total_ns += total;
        k->v.max_ns = mx > k->v.max_ns ? mx : k->v.max_ns;
        k->v.bytes += s->bytes;
        k->v.errors += s->errors;
        k->v.blocked_ns += s->blocked_ns;
        k->v.runnable_ns += s->runnable_ns;
        k->v.switches += s->switches;
        wr_hist_merge(&k->hist, &s->hist);
        if (add_pid(k, m->trace->hdr.pid, fresh) != 0)
            return -1;
    }
    return 0;
}

static int cmp_ksite(const void *a, const void *b)
{
    const struct wr_ksite *x = *(struct wr_ksite *const *)a, *y = *(struct wr_ksite *const *)b;
    if (x->v.total_ns != y->v.total_ns)
        return x->v.total_ns > y->v.total_ns ? -1 : 1;
    return strcmp(x->key, y->key);
}

int wr_ktable_sort(struct wr_ktable *t)
{
    free(t->sorted);
    t->sorted = malloc((t->n ? t->n : 1) * sizeof *t->sorted);
    if (!t->sorted)
        return -1;
    size_t i = 0;
    for (struct wr_ksite *k = t->h; k; k = k->hh.next)
        t->sorted[i++] = k;
    qsort(t->sorted, t->n, sizeof *t->sorted, cmp_ksite);
    return 0;
}

void wr_ktable_free(struct wr_ktable *t)
{
    struct wr_ksite *k, *tmp;
    HASH_ITER(hh, t->h, k, tmp)
    {
        HASH_DEL(t->h, k);
        free(k->key);
        free(k->frames);
        free(k->pids);
        free(k);
    }
    free(t->sorted);
    free(t->seen);
    memset(t, 0, sizeof *t);
}
