/* meta.c: the records that describe a trace rather than calls: stacks,
 * modules (the load map) and thread names, decoded for the model and for
 * top's live model alike. Bodies are untrusted: every length is checked. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static int on_stack(struct wr_model *m, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t id, depth;
    if (!lw_get_uv(&p, e, &id) || !lw_get_uv(&p, e, &depth) || id > UINT32_MAX || depth > LW_MAX_DEPTH) {
        wr_warn(m->trace, "thread %u: malformed stack record", ev->tid);
        return 0;
    }
    struct wr_stackdef *s;
    uint32_t id32 = (uint32_t)id;
    HASH_FIND(hh, m->stacks, &id32, sizeof id32, s);
    if (s)
        return 0; /* first definition wins */
    s = calloc(1, sizeof *s + depth * sizeof s->frames[0]);
    if (!s)
        return -1;
    s->id = id32;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < depth; i++) {
        int64_t d;
        if (!lw_get_sv(&p, e, &d)) {
            wr_warn(m->trace, "thread %u: stack %u is truncated", ev->tid, id32);
            break;
        }
        s->frames[s->depth++] = prev += (uint64_t)d;
    }
    HASH_ADD(hh, m->stacks, id, sizeof s->id, s);
    return 0;
}

static int on_module(struct wr_model *m, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t base, plen, blen, nr;
    if (!lw_get_uv(&p, e, &base) || !lw_get_uv(&p, e, &plen) || plen > LW_PATH_MAX || plen > (uint64_t)(e - p))
        goto bad;
    const uint8_t *path = p;
    p += plen;
    if (!lw_get_uv(&p, e, &blen) || blen > 64 || blen > (uint64_t)(e - p))
        goto bad;
    const uint8_t *bid = p;
    p += blen;
    if (!lw_get_uv(&p, e, &nr) || nr > 64)
        goto bad;
    if (m->nmods == m->capmods) {
        size_t cap = m->capmods ? 2 * m->capmods : 16;
        struct wr_module *n = realloc(m->mods, cap * sizeof *n);
        if (!n)
            return -1;
        m->mods = n;
        m->capmods = cap;
    }
    struct wr_module *mod = &m->mods[m->nmods];
    memset(mod, 0, sizeof *mod);
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t lo, hi;
        if (!lw_get_uv(&p, e, &lo) || !lw_get_uv(&p, e, &hi))
            goto bad;
        if (lo < hi) {
            mod->ranges[mod->nranges][0] = lo;
            mod->ranges[mod->nranges++][1] = hi;
        }
    }
    uint64_t first = 0;
    if (p < e && (!lw_get_uv(&p, e, &first) || first > UINT32_MAX))
        goto bad;
    mod->first_stack = (uint32_t)first;
    mod->path = strndup((const char *)path, plen);
    if (!mod->path)
        return -1;
    mod->base = base;
    memcpy(mod->build_id, bid, blen);
    mod->build_id_len = blen;
    m->nmods++;
    return 0;
bad:
    wr_warn(m->trace, "thread %u: malformed module record", ev->tid);
    return 0;
}

/* wr_model_meta: feed one STACK or MODULE record to m (incremental readers
 * that keep only stacks and modules, e.g. top). 0, or -1 on out of memory. */
int wr_model_meta(struct wr_model *m, const struct wr_event *ev)
{
    if (ev->kind == LW_REC_STACK)
        return on_stack(m, ev);
    if (ev->kind == LW_REC_MODULE)
        return on_module(m, ev);
    return 0;
}

size_t wr_thread_name(const struct wr_event *ev, char name[17])
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t tid, fl, nlen;
    int64_t d;
    if (!(lw_get_uv(&p, e, &tid) && lw_get_uv(&p, e, &fl) && lw_get_sv(&p, e, &d) && lw_get_uv(&p, e, &nlen) &&
          nlen <= 16 && nlen <= (uint64_t)(e - p)))
        return 0;
    memcpy(name, p, nlen);
    name[nlen] = 0;
    return (size_t)nlen + 1;
}
